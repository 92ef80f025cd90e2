//! Reading the audit log: the simple filters (shared by the list in `list.rs` and the
//! export), who may read, verification, and the JSON Lines export. Owners, admins and
//! operators may read; each read seals what is pending first, so a change made just
//! before is there.

use super::{Stored, SELECT};
use crate::listing::bind_all;
use crate::model::AuditVerification;
use crate::odata::SqlValue;
use crate::{Principal, ServiceError, Services};
use chrono::{DateTime, Utc};
use futures_util::stream::{self, Stream};

/// Default page size of the list.
pub const DEFAULT_TOP: i64 = 50;
/// Largest page size of the list.
pub const MAX_TOP: i64 = 200;
/// Rows per chunk of the export.
const EXPORT_PAGE: i64 = 500;

/// Filters of the list and the export, parsed.
#[derive(Clone, Debug, Default)]
pub struct AuditQuery {
    /// Only this action (`member.role_changed`).
    pub action: Option<String>,
    /// Only what this user did.
    pub actor: Option<i64>,
    /// Only about this kind of object.
    pub target_type: Option<String>,
    /// Only about this object.
    pub target_id: Option<String>,
    /// At or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Before this time.
    pub until: Option<DateTime<Utc>>,
    /// Page size (1 to 200; default 50). The export ignores it.
    pub top: Option<i64>,
    /// Only entries older than this id (the list's cursor). The export ignores it.
    pub cursor: Option<i64>,
}

impl AuditQuery {
    /// The conditions of the filters (not the cursor), their values appended to `binds` and
    /// numbered after what `binds` already holds (`$1` being the organization).
    pub(super) fn conditions(&self, binds: &mut Vec<SqlValue>) -> Vec<String> {
        let mut parts: Vec<(&str, SqlValue)> = Vec::new();
        let text = |s: &String| SqlValue::Text(s.clone());
        if let Some(a) = &self.action {
            parts.push(("a.action =", text(a)));
        }
        if let Some(u) = self.actor {
            parts.push(("a.actor_user_id =", SqlValue::Int(u)));
        }
        if let Some(t) = &self.target_type {
            parts.push(("a.object_type =", text(t)));
        }
        if let Some(t) = &self.target_id {
            parts.push(("a.object_id =", text(t)));
        }
        if let Some(t) = self.since {
            parts.push(("a.created_at >=", SqlValue::Int(t.timestamp_millis())));
        }
        if let Some(t) = self.until {
            parts.push(("a.created_at <", SqlValue::Int(t.timestamp_millis())));
        }
        parts
            .into_iter()
            .map(|(cond, v)| {
                binds.push(v);
                format!("{cond} ${}", binds.len())
            })
            .collect()
    }

    /// The simple filters as URL query pairs (not `$top` or the cursor), as a next link
    /// repeats them.
    pub(super) fn pairs(&self) -> Vec<(&'static str, String)> {
        let pairs = [
            ("action", self.action.clone()),
            ("actor", self.actor.map(|a| a.to_string())),
            ("targetType", self.target_type.clone()),
            ("targetId", self.target_id.clone()),
            ("since", self.since.map(|t| t.to_rfc3339())),
            ("until", self.until.map(|t| t.to_rfc3339())),
        ];
        pairs.into_iter().filter_map(|(k, v)| v.map(|v| (k, v))).collect()
    }

    /// The query string of the page after `last_id`, in the simple filters and `cursor`.
    pub(super) fn next_query(&self, top: i64, last_id: i64) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in self.pairs() {
            q.append_pair(k, &v);
        }
        q.append_pair("$top", &top.to_string());
        q.append_pair("cursor", &last_id.to_string());
        q.finish()
    }
}

impl Services {
    /// The organization's id, when the caller may read its audit log.
    pub(super) async fn audit_reader(&self, p: &Principal, org: &str) -> Result<i64, ServiceError> {
        let (org_id, role) = self.membership(p, org).await?;
        if !role.is_privileged() {
            return Err(ServiceError::not_allowed("Only owners, admins and operators read the audit log."));
        }
        Ok(org_id)
    }

    /// Seals what is pending, then walks the organization's chain.
    pub async fn verify_audit(&self, p: &Principal, org: &str) -> Result<AuditVerification, ServiceError> {
        let org_id = self.audit_reader(p, org).await?;
        self.seal_chain(org_id).await?;
        self.walk_chain(org_id).await
    }

    /// The organization's sealed entries matching `q`, in chain order, as JSON Lines: one
    /// chunk of lines per page read, so the export streams however long the log is.
    pub async fn export_audit(
        &self,
        p: &Principal,
        org: &str,
        q: AuditQuery,
    ) -> Result<impl Stream<Item = Result<String, ServiceError>> + Send + 'static, ServiceError> {
        let org_id = self.audit_reader(p, org).await?;
        self.seal_chain(org_id).await?;
        let services = self.clone();
        Ok(stream::unfold(Some(0_i64), move |after| {
            let (services, q) = (services.clone(), q.clone());
            async move {
                let after = after?;
                match services.export_page(org_id, &q, after).await {
                    Ok((lines, _)) if lines.is_empty() => None,
                    Ok((lines, next)) => Some((Ok(lines), next)),
                    Err(e) => Some((Err(e), None)),
                }
            }
        }))
    }

    /// One chunk of the export: entries after chain position `after`; the lines and the
    /// position to go on from (`None` after the last chunk).
    async fn export_page(
        &self,
        org_id: i64,
        q: &AuditQuery,
        after: i64,
    ) -> Result<(String, Option<i64>), ServiceError> {
        let mut binds = vec![SqlValue::Int(org_id)];
        let mut conds = vec!["a.org_id = $1".to_string()];
        conds.extend(q.conditions(&mut binds));
        binds.push(SqlValue::Int(after));
        conds.push(format!("a.chain_seq > ${}", binds.len()));
        let sql = format!("{SELECT} WHERE {} ORDER BY a.chain_seq LIMIT {EXPORT_PAGE}", conds.join(" AND "));
        let rows = bind_all(sqlx::query(&sql), &binds).fetch_all(&self.db().pool).await?;
        let mut lines = String::new();
        let mut last = None;
        for row in &rows {
            let entry = Stored::read(row)?.entry();
            last = entry.chain_seq;
            lines.push_str(&serde_json::to_string(&entry).map_err(ServiceError::internal)?);
            lines.push('\n');
        }
        let more = i64::try_from(rows.len()).unwrap_or_default() == EXPORT_PAGE;
        Ok((lines, if more { last } else { None }))
    }
}
