//! Reading the audit log: the filtered list (newest first, keyset paging), verification,
//! and the JSON Lines export. Owners, admins and operators may read; each read seals what
//! is pending first, so a change made just before is there.

use super::{Stored, SELECT};
use crate::model::{AuditPage, AuditVerification};
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

/// One bound value of a filter.
enum Bound<'a> {
    Int(i64),
    Text(&'a str),
}

impl AuditQuery {
    /// `AND …` conditions after `$1` (the organization), and their values.
    fn conditions(&self, with_cursor: bool) -> (String, Vec<Bound<'_>>) {
        let mut parts: Vec<(&str, Bound<'_>)> = Vec::new();
        if let Some(a) = &self.action {
            parts.push(("a.action =", Bound::Text(a)));
        }
        if let Some(u) = self.actor {
            parts.push(("a.actor_user_id =", Bound::Int(u)));
        }
        if let Some(t) = &self.target_type {
            parts.push(("a.object_type =", Bound::Text(t)));
        }
        if let Some(t) = &self.target_id {
            parts.push(("a.object_id =", Bound::Text(t)));
        }
        if let Some(t) = self.since {
            parts.push(("a.created_at >=", Bound::Int(t.timestamp_millis())));
        }
        if let Some(t) = self.until {
            parts.push(("a.created_at <", Bound::Int(t.timestamp_millis())));
        }
        if let (true, Some(c)) = (with_cursor, self.cursor) {
            parts.push(("a.id <", Bound::Int(c)));
        }
        let sql = parts.iter().enumerate().map(|(i, (cond, _))| format!(" AND {cond} ${}", i + 2)).collect();
        (sql, parts.into_iter().map(|(_, v)| v).collect())
    }

    /// The query string of the page after `last_id`.
    fn next_query(&self, top: i64, last_id: i64) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        let pairs = [
            ("action", self.action.clone()),
            ("actor", self.actor.map(|a| a.to_string())),
            ("targetType", self.target_type.clone()),
            ("targetId", self.target_id.clone()),
            ("since", self.since.map(|t| t.to_rfc3339())),
            ("until", self.until.map(|t| t.to_rfc3339())),
        ];
        for (k, v) in pairs {
            if let Some(v) = v {
                q.append_pair(k, &v);
            }
        }
        q.append_pair("$top", &top.to_string());
        q.append_pair("cursor", &last_id.to_string());
        q.finish()
    }
}

fn bind_all<'q>(
    mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    values: &'q [Bound<'q>],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for v in values {
        query = match v {
            Bound::Int(i) => query.bind(*i),
            Bound::Text(t) => query.bind(*t),
        };
    }
    query
}

impl Services {
    /// The organization's id, when the caller may read its audit log.
    async fn audit_reader(&self, p: &Principal, org: &str) -> Result<i64, ServiceError> {
        let (org_id, role) = self.membership(p, org).await?;
        if !role.is_privileged() {
            return Err(ServiceError::not_allowed("Only owners, admins and operators read the audit log."));
        }
        Ok(org_id)
    }

    /// A page of the organization's audit log, newest first.
    pub async fn list_audit(&self, p: &Principal, org: &str, q: &AuditQuery) -> Result<AuditPage, ServiceError> {
        let org_id = self.audit_reader(p, org).await?;
        self.seal_chain(org_id).await?;
        let top = q.top.unwrap_or(DEFAULT_TOP).clamp(1, MAX_TOP);
        let (conds, values) = q.conditions(true);
        let sql = format!("{SELECT} WHERE a.org_id = $1{conds} ORDER BY a.id DESC LIMIT {}", top + 1);
        let rows = bind_all(sqlx::query(&sql).bind(org_id), &values).fetch_all(&self.db().pool).await?;
        let mut value = rows.iter().map(|r| Stored::read(r).map(Stored::entry)).collect::<Result<Vec<_>, _>>()?;
        let more = i64::try_from(value.len()).unwrap_or_default() > top;
        value.truncate(usize::try_from(top).unwrap_or_default());
        let next_link = match (more, value.last()) {
            (true, Some(last)) => Some(format!("/api/v1/organizations/{org_id}/audit?{}", q.next_query(top, last.id))),
            _ => None,
        };
        Ok(AuditPage { value, next_link })
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
        let (conds, values) = q.conditions(false);
        let n = values.len() + 2;
        let sql = format!(
            "{SELECT} WHERE a.org_id = $1{conds} AND a.chain_seq > ${n} ORDER BY a.chain_seq LIMIT {EXPORT_PAGE}"
        );
        let rows = bind_all(sqlx::query(&sql).bind(org_id), &values).bind(after).fetch_all(&self.db().pool).await?;
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
