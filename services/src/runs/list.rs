//! The run list: an organization's runs, newest first, filtered by status, agent and
//! creation time, paged by cursor (runs older than an id). A page holds the runs of agents
//! the caller may use; a page can hold fewer than `$top` when some were left out, and the
//! next link still continues after the last run read.

use super::{RunRow, RUN_COLS};
use crate::errors::ErrorCode;
use crate::listing::bind_all;
use crate::model::{AgentRunPage, RunStatus};
use crate::odata::SqlValue;
use crate::principal::Principal;
use crate::{FieldError, ServiceError, Services};
use std::collections::hash_map::Entry;
use std::collections::HashMap;

/// Default page size.
pub const RUNS_DEFAULT_TOP: i64 = 50;
/// Largest page.
pub const RUNS_MAX_TOP: i64 = 200;

/// The list's filters, parsed.
#[derive(Clone, Debug, Default)]
pub struct RunQuery {
    /// Only runs in this state.
    pub status: Option<RunStatus>,
    /// Only this agent's runs.
    pub agent_id: Option<i64>,
    /// Created at or after (unix ms).
    pub since: Option<i64>,
    /// Created before (unix ms).
    pub until: Option<i64>,
    /// Page size.
    pub top: Option<i64>,
    /// Runs older than this id.
    pub cursor: Option<i64>,
}

impl RunQuery {
    /// The typed filters of the raw query, or every field that is wrong (400).
    pub fn parse(
        status: Option<&str>,
        agent_id: Option<i64>,
        since: Option<&str>,
        until: Option<&str>,
        top: Option<i64>,
        cursor: Option<i64>,
    ) -> Result<Self, ServiceError> {
        let mut errors = Vec::new();
        let status = status.and_then(|s| {
            RunStatus::parse(s).or_else(|| {
                errors.push(FieldError::new(
                    "status",
                    "status is queued, running, completed, failed, cancelled or timed_out.",
                ));
                None
            })
        });
        let mut time = |name: &str, v: Option<&str>| {
            v.and_then(|v| match chrono::DateTime::parse_from_rfc3339(v.trim()) {
                Ok(t) => Some(t.timestamp_millis()),
                Err(_) => {
                    errors.push(FieldError::new(name, "A time is RFC 3339, like 2026-12-01T00:00:00Z."));
                    None
                }
            })
        };
        let (since, until) = (time("since", since), time("until", until));
        if top.is_some_and(|t| t < 1) {
            errors.push(FieldError::new("$top", "$top is at least 1."));
        }
        if cursor.is_some_and(|c| c < 1) || agent_id.is_some_and(|a| a < 1) {
            errors.push(FieldError::new("cursor", "Ids are at least 1."));
        }
        if !errors.is_empty() {
            return Err(ServiceError::validation(errors));
        }
        Ok(Self { status, agent_id, since, until, top, cursor })
    }

    /// The query string of the next page (after `last`).
    fn next(&self, org: &str, top: i64, last: i64) -> String {
        let mut s = form_urlencoded::Serializer::new(String::new());
        if let Some(v) = self.status {
            s.append_pair("status", v.as_str());
        }
        if let Some(v) = self.agent_id {
            s.append_pair("agent_id", &v.to_string());
        }
        let time = |ms: i64| crate::store::to_time(ms).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        if let Some(v) = self.since {
            s.append_pair("since", &time(v));
        }
        if let Some(v) = self.until {
            s.append_pair("until", &time(v));
        }
        s.append_pair("$top", &top.to_string());
        s.append_pair("cursor", &last.to_string());
        format!("/v1/organizations/{org}/agent/run?{}", s.finish())
    }
}

impl Services {
    /// `GET /v1/organizations/{org_id}/agent/run`.
    pub async fn list_runs(&self, p: &Principal, org: &str, q: &RunQuery) -> Result<AgentRunPage, ServiceError> {
        let p = &self.in_org(p, org).await?;
        let top = q.top.unwrap_or(RUNS_DEFAULT_TOP).clamp(1, RUNS_MAX_TOP);
        let mut binds = vec![SqlValue::Int(p.org_id)];
        let mut conds = vec!["org_id = $1".to_string()];
        let mut add = |cond: &str, v: SqlValue| {
            binds.push(v);
            conds.push(cond.replace('?', &format!("${}", binds.len())));
        };
        if let Some(s) = q.status {
            add("status = ?", SqlValue::Text(s.as_str().into()));
        }
        if let Some(a) = q.agent_id {
            add("agent_id = ?", SqlValue::Int(a));
        }
        if let Some(t) = q.since {
            add("created_at >= ?", SqlValue::Int(t));
        }
        if let Some(t) = q.until {
            add("created_at < ?", SqlValue::Int(t));
        }
        if let Some(c) = q.cursor {
            add("id < ?", SqlValue::Int(c));
        }
        let sql =
            format!("SELECT {RUN_COLS} FROM runs WHERE {} ORDER BY id DESC LIMIT {}", conds.join(" AND "), top + 1);
        let rows = bind_all(sqlx::query(&sql), &binds).fetch_all(&self.db().pool).await?;
        let mut runs = rows.iter().map(RunRow::from_row).collect::<Result<Vec<_>, _>>()?;
        let more = runs.len() > usize::try_from(top).unwrap_or(usize::MAX);
        runs.truncate(usize::try_from(top).unwrap_or(usize::MAX));
        let last = runs.last().map(|r| r.id);
        // Whether the caller may use each agent of the page, asked once per agent.
        let mut usable: HashMap<i64, bool> = HashMap::new();
        for r in &runs {
            if let Entry::Vacant(slot) = usable.entry(r.agent_id) {
                let ok = match self.agent_record(p, r.agent_id).await {
                    Ok(a) => a.can_use(p),
                    Err(e) if e.is(ErrorCode::AgentNotFound) => false,
                    Err(e) => return Err(e),
                };
                slot.insert(ok);
            }
        }
        let url = &self.config().public_url;
        let value = runs.iter().filter(|r| usable.get(&r.agent_id) == Some(&true)).map(|r| r.view(url)).collect();
        let next_link = match (more, last) {
            (true, Some(last)) => Some(q.next(&p.org_id.to_string(), top, last)),
            _ => None,
        };
        Ok(AgentRunPage { value, next_link })
    }
}
