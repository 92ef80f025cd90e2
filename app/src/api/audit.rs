//! Server functions of the audit page: a filtered page of the current organization's audit
//! log (with the members to filter by), and, when asked, the chain's verification. The
//! filters are the page's URL query, parsed by the services' `AuditQuery::parse`, the same
//! parser the REST API uses.

use crate::error::AppError;
use agentry_services::model::{AuditPage, AuditVerification};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::ctx;

/// The audit page's filters as its URL carries them (`?action=…&actor=…`). Times are the
/// form's `datetime-local` values, read as UTC.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFilters {
    /// Only this action.
    pub action: String,
    /// Only what this user (id) did.
    pub actor: String,
    /// Only about this kind of object.
    pub target_type: String,
    /// Only about this object.
    pub target_id: String,
    /// At or after this time.
    pub since: String,
    /// Before this time.
    pub until: String,
    /// Entries older than this id (the "Older entries" link).
    pub cursor: String,
}

impl AuditFilters {
    /// The URL query names, in order, with their values (the cursor excluded).
    pub fn pairs(&self) -> [(&'static str, &str); 6] {
        [
            ("action", &self.action),
            ("actor", &self.actor),
            ("targetType", &self.target_type),
            ("targetId", &self.target_id),
            ("since", &self.since),
            ("until", &self.until),
        ]
    }

    /// The filters of a URL query (`get` reads one parameter).
    pub fn from_query(get: impl Fn(&str) -> Option<String>) -> Self {
        let v = |k: &str| get(k).unwrap_or_default();
        AuditFilters {
            action: v("action"),
            actor: v("actor"),
            target_type: v("targetType"),
            target_id: v("targetId"),
            since: v("since"),
            until: v("until"),
            cursor: v("cursor"),
        }
    }

    /// Whether any filter (not the cursor) is set.
    pub fn any(&self) -> bool {
        self.pairs().iter().any(|(_, v)| !v.trim().is_empty())
    }
}

/// What the audit page shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditView {
    /// The organization's numeric id (for the export link).
    pub org_id: i64,
    /// The page of entries, newest first.
    pub page: AuditPage,
    /// Members to filter by: `(user id, email)`.
    pub members: Vec<(i64, String)>,
    /// The chain's verification, when the page asked for it.
    pub verification: Option<AuditVerification>,
}

/// A page of the current organization's audit log, or `None` when nobody is signed in.
/// Operators and members get `not_allowed`.
#[server(prefix = "/fn", endpoint = "audit-log")]
pub async fn audit_log(filters: AuditFilters, verify: bool) -> Result<Option<AuditView>, AppError> {
    use agentry_services::{AuditFilterText, AuditQuery, FieldError};
    let mut errors = Vec::new();
    let mut number = |name: &str, v: &str| match v.trim() {
        "" => None,
        v => v.parse::<i64>().map(Some).unwrap_or_else(|_| {
            errors.push(FieldError::new(name, "A number."));
            None
        }),
    };
    let (actor, cursor) = (number("actor", &filters.actor), number("cursor", &filters.cursor));
    if !errors.is_empty() {
        return Err(ctx::invalid(errors));
    }
    let time = |v: &str| Some(crate::routing::utc_input_to_rfc3339(v));
    let text = AuditFilterText {
        action: Some(filters.action),
        actor,
        target_type: Some(filters.target_type),
        target_id: Some(filters.target_id),
        since: time(&filters.since),
        until: time(&filters.until),
    };
    let query = AuditQuery::parse(text, None, cursor).map_err(ctx::fail)?;
    let services = ctx::services()?;
    let Some(p) = ctx::principal(&services).await? else {
        return Ok(None);
    };
    let org = p.org_id.to_string();
    let page = services.list_audit(&p, &org, &query).await.map_err(ctx::fail)?;
    let members = services.list_members(&p, &org, Some(200), None).await.map_err(ctx::fail)?;
    let members = members.value.into_iter().map(|m| (m.user_id, m.email)).collect();
    let verification = match verify {
        true => Some(services.verify_audit(&p, &org).await.map_err(ctx::fail)?),
        false => None,
    };
    Ok(Some(AuditView { org_id: p.org_id, page, members, verification }))
}
