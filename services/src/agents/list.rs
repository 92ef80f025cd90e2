//! The agent list (seed 002): OData `$filter`, `$orderby`, `$select`, `$top`, `$skip`,
//! `$count` and `email=`, over [`AGENT_FIELDS`]. Pages continue with a signed keyset cursor
//! (`$skiptoken`) bound to the filter and the sort; ties break by id, so the pages stay
//! stable while agents are added.

use super::record::{AgentRecord, Derived};
use crate::catalog::AGENT_FIELDS;
use crate::listing::{bind_all, dialect, odata_problem, present};
use crate::model::{AgentListQuery, AgentPage};
use crate::odata::{self, Budget, OrderKey, SqlValue};
use crate::principal::Principal;
use crate::vocab::Email;
use crate::{ServiceError, Services};
use serde_json::Value;

/// The value of a sortable field in a row, for the cursor.
fn sort_value(r: &AgentRecord, name: &str) -> SqlValue {
    let text = |s: &str| SqlValue::Text(s.to_string());
    let opt_int = |v: Option<i64>| v.map_or(SqlValue::Null, SqlValue::Int);
    match name {
        "id" => SqlValue::Int(r.id),
        "slug" => text(&r.slug),
        "name" => text(&r.name),
        "email" => r.email.as_deref().map_or(SqlValue::Null, text),
        "status" => text(r.status.as_str()),
        "type" => text(r.agent_type.as_str()),
        "source" => text(r.source.as_str()),
        "enabled" => SqlValue::Int(i64::from(r.enabled)),
        "registration" => r.registration.map_or(SqlValue::Null, |s| text(s.as_str())),
        "ownerId" => opt_int(r.owner_id),
        "scheduleEnabled" => SqlValue::Int(i64::from(r.schedule_enabled)),
        "createdAt" => SqlValue::Int(r.created_at),
        "updatedAt" => SqlValue::Int(r.updated_at),
        "deletedAt" => opt_int(r.deleted_at),
        _ => SqlValue::Null,
    }
}

impl Services {
    /// `GET /api/agents`: the caller's organization's agents, filtered, sorted and paged.
    /// `base` is the list's path, for the next link.
    pub async fn list_agents_odata(
        &self,
        p: &Principal,
        q: &AgentListQuery,
        base: &str,
    ) -> Result<AgentPage, ServiceError> {
        let reg = &AGENT_FIELDS;
        // An empty option is an absent one (`?$top=&$filter=`), as forms send them.
        let blank = present;
        let q = &AgentListQuery {
            filter: blank(&q.filter),
            orderby: blank(&q.orderby),
            select: blank(&q.select),
            top: blank(&q.top),
            skip: blank(&q.skip),
            count: blank(&q.count),
            skiptoken: blank(&q.skiptoken),
            email: blank(&q.email),
            include_deleted: blank(&q.include_deleted),
        };
        let filter = q
            .filter
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(|s| odata::parse_filter(s, reg, &Budget::default()))
            .transpose()
            .map_err(odata_problem)?;
        let order: Vec<OrderKey> = match q.orderby.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(s) => odata::parse_orderby(s, reg).map_err(odata_problem)?,
            None => Vec::new(),
        };
        let select = match q.select.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(s) => Some(odata::parse_select(s, reg).map_err(odata_problem)?),
            None => None,
        };
        let top = odata::parse_top(q.top.as_deref(), odata::DEFAULT_TOP, odata::MAX_TOP).map_err(odata_problem)?;
        let skip = odata::parse_skip(q.skip.as_deref()).map_err(odata_problem)?;
        let count = odata::parse_count(q.count.as_deref()).map_err(odata_problem)?;
        let include_deleted = match q.include_deleted.as_deref() {
            None | Some("false") => false,
            Some("true") if p.role.is_admin() => true,
            Some("true") => {
                return Err(ServiceError::not_allowed("Only owners and admins may list deleted agents."));
            }
            Some(_) => return Err(ServiceError::field("includeDeleted", "includeDeleted must be true or false.")),
        };
        let email = match q.email.as_deref() {
            Some(e) => Some(Email::parse(e).map_err(|e| ServiceError::field("email", e.0))?),
            None => None,
        };
        let extra = format!("deleted={include_deleted};email={}", email.as_ref().map_or("", |e| e.as_str()));
        let canonical = odata::canonical(filter.as_ref(), &order, &extra);
        let d = dialect(self.db().backend);
        let now = self.now_ms();

        // $1 now, $2 org, then the email, the filter and the cursor in that order.
        let mut binds: Vec<SqlValue> = vec![SqlValue::Int(now), SqlValue::Int(p.org_id)];
        let mut conds = vec!["a.org_id = $2".to_string()];
        if !include_deleted {
            conds.push("a.deleted_at IS NULL".into());
        }
        if let Some(e) = &email {
            binds.push(SqlValue::Text(e.as_str().to_string()));
            conds.push(format!("a.email = ${}", binds.len()));
        }
        if let Some(f) = &filter {
            // A cursor page's keyset bounds the sort key; the first page gets the prefix range.
            let frag = odata::filter_sql_with(f, d, binds.len() + 1, q.skiptoken.is_none());
            conds.push(format!("({})", frag.sql));
            binds.extend(frag.binds);
        }
        let counted = if count { Some(self.count_agents(&conds, &binds).await?) } else { None };
        if let Some(token) = &q.skiptoken {
            let (last, id) = self.open_list_cursor(token, &canonical, order.len())?;
            let frag = odata::after_sql(&order, reg, &last, id, d, binds.len() + 1);
            conds.push(format!("({})", frag.sql));
            binds.extend(frag.binds);
        }
        let limit = i64::from(top) + 1;
        let wants = |name: &str| select.as_ref().is_none_or(|fields| fields.iter().any(|f| f.name == name));
        let derived =
            Derived { unpublished: wants("hasUnpublishedChanges"), transfer: wants("pendingOwnershipTransfer") };
        let (cols, from) = derived.sql();
        let sql = format!(
            "SELECT {cols} FROM {from} WHERE {} {} LIMIT {limit} OFFSET {skip}",
            conds.join(" AND "),
            odata::order_sql(&order, reg),
        );
        let rows = bind_all(sqlx::query(&sql), &binds).fetch_all(&self.db().pool).await?;
        let mut recs = rows.iter().map(AgentRecord::from_row).collect::<Result<Vec<_>, _>>()?;
        let more = recs.len() > usize::try_from(top).unwrap_or(usize::MAX);
        recs.truncate(usize::try_from(top).unwrap_or(usize::MAX));
        let next_link = match (more, recs.last()) {
            (true, Some(last)) => {
                let values: Vec<SqlValue> = order.iter().map(|k| sort_value(last, k.field.name)).collect();
                Some(next_link(base, q, &self.sign_list_cursor(&canonical, &values, last.id)))
            }
            _ => None,
        };
        let value = recs
            .iter()
            .map(|r| {
                let full = serde_json::to_value(r.view(p)).map_err(ServiceError::internal)?;
                Ok(match (&select, full) {
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
            })
            .collect::<Result<Vec<_>, ServiceError>>()?;
        Ok(AgentPage { value, count: counted, next_link })
    }

    async fn count_agents(&self, conds: &[String], binds: &[SqlValue]) -> Result<i64, ServiceError> {
        // `$1` (now) is not needed to count; it is named so that the numbers line up.
        let sql =
            format!("SELECT COUNT(*) FROM agents a WHERE CAST($1 AS BIGINT) IS NOT NULL AND {}", conds.join(" AND "));
        let n: i64 = bind_all(sqlx::query(&sql), binds)
            .fetch_one(&self.db().pool)
            .await
            .and_then(|r| sqlx::Row::try_get(&r, 0))?;
        Ok(n)
    }
}

/// The list's URL with the same options and the cursor.
fn next_link(base: &str, q: &AgentListQuery, token: &str) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    let pairs = [
        ("$filter", &q.filter),
        ("$orderby", &q.orderby),
        ("$select", &q.select),
        ("$top", &q.top),
        ("$count", &q.count),
        ("email", &q.email),
        ("includeDeleted", &q.include_deleted),
    ];
    for (k, v) in pairs {
        if let Some(v) = v {
            s.append_pair(k, v);
        }
    }
    s.append_pair("$skiptoken", token);
    format!("{base}?{}", s.finish())
}
