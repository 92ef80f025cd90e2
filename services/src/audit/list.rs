//! The audit list: the simple filters of [`AuditQuery`] (`action`, `actor`, `targetType`,
//! `targetId`, `since`, `until`) AND-ed with the OData options (`$filter`, `$orderby`,
//! `$select`, `$skip`, `$count`) over [`AUDIT_FIELDS`], the registry the agent directory's
//! machinery reads: identifiers come only from it, every value is bound, LIKE patterns are
//! escaped. Newest first unless `$orderby` says otherwise; ties break by id.
//!
//! Two ways to page. The audit page's `cursor` (entries older than this id) keeps working,
//! and a request without OData options gets a next link with it, as before. With an OData
//! option, the next link carries a signed keyset cursor (`$skiptoken`) bound to the
//! organization, the filters and the sort, so pages stay stable while entries are added.

use super::query::{DEFAULT_TOP, MAX_TOP};
use super::{AuditQuery, Stored, FROM, SELECT};
use crate::catalog::AUDIT_FIELDS;
use crate::listing::{bind_all, dialect, odata_problem, present};
use crate::model::{AuditListPage, AuditListQuery, AuditPage};
use crate::odata::{self, Budget, Field, Filter, OrderKey, SqlValue};
use crate::{Principal, ServiceError, Services};
use serde_json::Value;

/// The order without `$orderby`: newest first.
const DEFAULT_ORDER: &str = "id desc";

/// The OData options of one request, parsed.
struct Options {
    filter: Option<Filter>,
    /// The sort keys (never empty: [`DEFAULT_ORDER`] without `$orderby`).
    order: Vec<OrderKey>,
    select: Option<Vec<&'static Field>>,
    skip: u32,
    count: bool,
}

impl Options {
    /// Parses the options (already without blanks); 400 `invalid_query_option` on the first
    /// that is wrong.
    fn parse(o: &AuditListQuery) -> Result<Self, ServiceError> {
        let reg = &AUDIT_FIELDS;
        let filter = o
            .filter
            .as_deref()
            .map(|s| odata::parse_filter(s, reg, &Budget::default()))
            .transpose()
            .map_err(odata_problem)?;
        let order = odata::parse_orderby(o.orderby.as_deref().unwrap_or(DEFAULT_ORDER), reg).map_err(odata_problem)?;
        let select = o.select.as_deref().map(|s| odata::parse_select(s, reg)).transpose().map_err(odata_problem)?;
        let skip = odata::parse_skip(o.skip.as_deref()).map_err(odata_problem)?;
        let count = odata::parse_count(o.count.as_deref()).map_err(odata_problem)?;
        Ok(Options { filter, order, select, skip, count })
    }
}

/// The options without their blank values (`?$filter=&$top=`, as forms send them).
fn without_blanks(o: &AuditListQuery) -> AuditListQuery {
    AuditListQuery {
        filter: present(&o.filter),
        orderby: present(&o.orderby),
        select: present(&o.select),
        skip: present(&o.skip),
        count: present(&o.count),
        skiptoken: present(&o.skiptoken),
    }
}

/// Whether any OData option is given (then the next link is a signed cursor).
fn any_option(o: &AuditListQuery) -> bool {
    [&o.filter, &o.orderby, &o.select, &o.skip, &o.count, &o.skiptoken].iter().any(|v| v.is_some())
}

/// The page size: `$top` from 1 to [`MAX_TOP`] (larger values are capped), default
/// [`DEFAULT_TOP`].
fn page_size(q: &AuditQuery) -> i64 {
    q.top.unwrap_or(DEFAULT_TOP).clamp(1, MAX_TOP)
}

/// The value of a sortable field in a row, for the cursor; as the SQL compares it.
fn sort_value(r: &Stored, name: &str) -> SqlValue {
    let text = |v: &Option<String>| v.clone().map_or(SqlValue::Null, SqlValue::Text);
    let int = |v: Option<i64>| v.map_or(SqlValue::Null, SqlValue::Int);
    match name {
        "id" => SqlValue::Int(r.id),
        "action" => SqlValue::Text(r.action.clone()),
        "actorUserId" => int(r.actor_user_id),
        "actorEmail" => text(&r.actor_email),
        "targetType" => text(&r.object_type),
        "targetId" => text(&r.object_id),
        "ip" => text(&r.ip),
        "createdAt" => SqlValue::Int(r.created_at),
        "chainSeq" => int(r.chain_seq),
        _ => SqlValue::Null,
    }
}

/// The text a cursor is bound to: the organization, the simple filters (and `cursor`),
/// the OData filter and the sort.
fn canonical(org_id: i64, q: &AuditQuery, o: &Options) -> String {
    let extra = serde_json::json!([
        "audit",
        org_id,
        q.action,
        q.actor,
        q.target_type,
        q.target_id,
        q.since.map(|t| t.timestamp_millis()),
        q.until.map(|t| t.timestamp_millis()),
        q.cursor,
    ]);
    odata::canonical(o.filter.as_ref(), &o.order, &extra.to_string())
}

/// The path of the organization's audit list.
fn base(org_id: i64) -> String {
    format!("/api/v1/organizations/{org_id}/audit")
}

/// The next link of an OData request: the same filters and options, and the cursor.
fn signed_link(org_id: i64, q: &AuditQuery, o: &AuditListQuery, top: i64, token: &str) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in q.pairs() {
        s.append_pair(k, &v);
    }
    if let Some(c) = q.cursor {
        s.append_pair("cursor", &c.to_string());
    }
    for (k, v) in [("$filter", &o.filter), ("$orderby", &o.orderby), ("$select", &o.select), ("$count", &o.count)] {
        if let Some(v) = v {
            s.append_pair(k, v);
        }
    }
    s.append_pair("$top", &top.to_string());
    s.append_pair("$skiptoken", token);
    format!("{}?{}", base(org_id), s.finish())
}

/// A row as the list shows it: the whole entry, or `id` and the `$select`ed fields.
fn project(r: Stored, select: Option<&[&'static Field]>) -> Result<Value, ServiceError> {
    let full = serde_json::to_value(r.entry()).map_err(ServiceError::internal)?;
    Ok(match (select, full) {
        (Some(fields), Value::Object(mut m)) => {
            let mut out = serde_json::Map::new();
            out.insert("id".into(), m.remove("id").unwrap_or(Value::Null));
            for f in fields {
                out.insert(f.name.into(), m.remove(f.name).unwrap_or(Value::Null));
            }
            Value::Object(out)
        }
        (_, full) => full,
    })
}

/// One page of rows: at most the page size, whether more follow, and the count if asked.
struct Rows {
    rows: Vec<Stored>,
    more: bool,
    count: Option<i64>,
}

impl Services {
    /// A page of the organization's audit log, newest first, with whole entries: the
    /// simple filters and the `cursor` (the audit page).
    pub async fn list_audit(&self, p: &Principal, org: &str, q: &AuditQuery) -> Result<AuditPage, ServiceError> {
        let org_id = self.audit_reader(p, org).await?;
        self.audit_page(org_id, q, |top, last| format!("{}?{}", base(org_id), q.next_query(top, last))).await
    }

    /// `GET /api/v1/agents/{id}/audit`: the entries about one agent, newest first, for
    /// those who may manage it (its owner, the managers its access names, the
    /// organization's owners and admins): who changed, deployed, moved or keyed it.
    pub async fn agent_audit(
        &self,
        p: &Principal,
        id: i64,
        top: Option<i64>,
        cursor: Option<i64>,
    ) -> Result<AuditPage, ServiceError> {
        let agent = self.agent_record(p, id).await?;
        if !agent.can_manage(p) {
            return Err(ServiceError::not_allowed("Only those who may manage this agent may read its audit trail."));
        }
        let q = AuditQuery {
            target_type: Some("agent".into()),
            target_id: Some(id.to_string()),
            top,
            cursor,
            ..AuditQuery::default()
        };
        let path = format!("/api/v1/agents/{id}/audit");
        self.audit_page(p.org_id, &q, |top, last| format!("{path}?$top={top}&cursor={last}")).await
    }

    /// One page of whole entries with the simple filters and the `cursor`; `link` makes the
    /// next page's URL from the page size and the last id.
    async fn audit_page(
        &self,
        org_id: i64,
        q: &AuditQuery,
        link: impl Fn(i64, i64) -> String,
    ) -> Result<AuditPage, ServiceError> {
        let o = Options::parse(&AuditListQuery::default())?;
        self.seal_chain(org_id).await?;
        let top = page_size(q);
        let page = self.audit_rows(org_id, q, &o, top, None).await?;
        let next_link = match (page.more, page.rows.last()) {
            (true, Some(last)) => Some(link(top, last.id)),
            _ => None,
        };
        Ok(AuditPage { value: page.rows.into_iter().map(Stored::entry).collect(), next_link })
    }

    /// `GET /api/v1/organizations/{org_id}/audit`: a page of the organization's audit log,
    /// with the simple filters of `q` AND-ed with the OData options of `o`.
    pub async fn list_audit_odata(
        &self,
        p: &Principal,
        org: &str,
        q: &AuditQuery,
        o: &AuditListQuery,
    ) -> Result<AuditListPage, ServiceError> {
        let org_id = self.audit_reader(p, org).await?;
        let raw = without_blanks(o);
        let o = Options::parse(&raw)?;
        let canonical = canonical(org_id, q, &o);
        let after = match &raw.skiptoken {
            Some(t) => Some(self.open_list_cursor(t, &canonical, o.order.len())?),
            None => None,
        };
        self.seal_chain(org_id).await?;
        let top = page_size(q);
        let page = self.audit_rows(org_id, q, &o, top, after.as_ref()).await?;
        let next_link = match (page.more, page.rows.last()) {
            (true, Some(last)) if any_option(&raw) => {
                let values: Vec<SqlValue> = o.order.iter().map(|k| sort_value(last, k.field.name)).collect();
                Some(signed_link(org_id, q, &raw, top, &self.sign_list_cursor(&canonical, &values, last.id)))
            }
            (true, Some(last)) => Some(format!("{}?{}", base(org_id), q.next_query(top, last.id))),
            _ => None,
        };
        let select = o.select.as_deref();
        let value = page.rows.into_iter().map(|r| project(r, select)).collect::<Result<Vec<_>, _>>()?;
        Ok(AuditListPage { value, count: page.count, next_link })
    }

    /// The rows of one page: the organization's, matching the filters, after the cursors,
    /// in the order, `top` of them after skipping `o.skip`.
    async fn audit_rows(
        &self,
        org_id: i64,
        q: &AuditQuery,
        o: &Options,
        top: i64,
        after: Option<&(Vec<SqlValue>, i64)>,
    ) -> Result<Rows, ServiceError> {
        let reg = &AUDIT_FIELDS;
        let d = dialect(self.db().backend);
        // $1 the organization, then the simple filters, the OData filter and the cursors.
        let mut binds = vec![SqlValue::Int(org_id)];
        let mut conds = vec!["a.org_id = $1".to_string()];
        conds.extend(q.conditions(&mut binds));
        if let Some(f) = &o.filter {
            let frag = odata::filter_sql(f, d, binds.len() + 1);
            conds.push(format!("({})", frag.sql));
            binds.extend(frag.binds);
        }
        let count = if o.count { Some(self.count_audit(&conds, &binds).await?) } else { None };
        if let Some(c) = q.cursor {
            binds.push(SqlValue::Int(c));
            conds.push(format!("a.id < ${}", binds.len()));
        }
        if let Some((last, id)) = after {
            let frag = odata::after_sql(&o.order, reg, last, *id, d, binds.len() + 1);
            conds.push(format!("({})", frag.sql));
            binds.extend(frag.binds);
        }
        let sql = format!(
            "{SELECT} WHERE {} {} LIMIT {} OFFSET {}",
            conds.join(" AND "),
            odata::order_sql(&o.order, reg),
            top + 1,
            o.skip
        );
        let rows = bind_all(sqlx::query(&sql), &binds).fetch_all(&self.db().pool).await?;
        let mut rows = rows.iter().map(Stored::read).collect::<Result<Vec<_>, _>>()?;
        let size = usize::try_from(top).unwrap_or(usize::MAX);
        let more = rows.len() > size;
        rows.truncate(size);
        Ok(Rows { rows, more, count })
    }

    async fn count_audit(&self, conds: &[String], binds: &[SqlValue]) -> Result<i64, ServiceError> {
        let sql = format!("SELECT COUNT(*) FROM {FROM} WHERE {}", conds.join(" AND "));
        let n: i64 = bind_all(sqlx::query(&sql), binds)
            .fetch_one(&self.db().pool)
            .await
            .and_then(|r| sqlx::Row::try_get(&r, 0))?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored() -> Stored {
        let s = |v: &str| Some(v.to_string());
        Stored {
            id: 7,
            org_id: Some(1),
            actor_user_id: Some(2),
            actor_email: s("a@example.com"),
            action: "member.role_changed".into(),
            object_type: s("user"),
            object_id: s("3"),
            ip: s("127.0.0.1"),
            user_agent: s("ua"),
            reason: s("why"),
            detail: s("{}"),
            created_at: 1_000,
            chain_seq: Some(4),
            prev_hash: s("p"),
            hash: s("h"),
        }
    }

    #[test]
    fn every_sortable_field_has_a_cursor_value() {
        let r = stored();
        for f in AUDIT_FIELDS.fields.iter().filter(|f| f.sort) {
            assert_ne!(sort_value(&r, f.name), SqlValue::Null, "{}", f.name);
        }
    }

    #[test]
    fn the_default_order_is_newest_first_and_the_tables_are_selects() {
        let Ok(o) = Options::parse(&AuditListQuery::default()) else { panic!("default options") };
        assert_eq!(odata::order_sql(&o.order, &AUDIT_FIELDS), "ORDER BY a.id DESC, a.id DESC");
        assert!(SELECT.ends_with(FROM));
        let blank = AuditListQuery { filter: Some(" ".into()), count: Some(String::new()), ..Default::default() };
        assert!(!any_option(&without_blanks(&blank)));
    }

    #[test]
    fn select_keeps_the_id_and_the_selected_fields() {
        let Ok(fields) = odata::parse_select("action,detail", &AUDIT_FIELDS) else { panic!("select") };
        let Ok(Value::Object(row)) = project(stored(), Some(&fields)) else { panic!("object") };
        let mut keys: Vec<&str> = row.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["action", "detail", "id"]);
    }
}
