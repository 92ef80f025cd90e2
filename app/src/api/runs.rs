//! Server functions of the run pages (issue 11): the runs list, one run with its log so
//! far and its attempts, starting a run from an agent's page, cancelling one, and the
//! organization's runs at a glance. Each acts in the session's current organization and
//! calls the services method the REST handler of the same operation calls. The live log
//! after the first render is the REST API's event stream (`routing::run_events`), which
//! the browser follows with an `EventSource`.

use crate::error::AppError;
use agentry_services::model::{AgentRunResponse, RunAttempt, RunEvent, RunStatus, RunSummary};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::ctx;

/// Characters of a prompt the runs list shows.
pub const PROMPT_EXCERPT: usize = 80;

/// One run as the list shows it (the prompt cut short, so a page stays small).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRow {
    /// The run's id.
    pub id: i64,
    /// Its agent.
    pub agent_id: i64,
    /// Its state.
    pub status: RunStatus,
    /// The first characters of the prompt.
    pub prompt: String,
    /// The runner's last percent, if it said (100 once completed).
    pub percent: Option<i64>,
    /// Created.
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// A page of the runs list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunList {
    /// Newest first.
    pub runs: Vec<RunRow>,
    /// The names of the page's agents, `(id, name)`.
    pub agents: Vec<(i64, String)>,
    /// The cursor of the next, older page, when there is one.
    pub older: Option<i64>,
}

impl RunList {
    /// The name of agent `id`, or `agent #id`.
    pub fn agent_name(&self, id: i64) -> String {
        self.agents.iter().find(|(a, _)| *a == id).map_or_else(|| format!("agent #{id}"), |(_, n)| n.clone())
    }
}

/// A page of the current organization's runs, newest first: `status`, `agent_id` and
/// `cursor` are the page's URL query, blank for none. `None` when nobody is signed in.
#[server(prefix = "/fn", endpoint = "runs")]
pub async fn list_runs(status: String, agent_id: String, cursor: String) -> Result<Option<RunList>, AppError> {
    use agentry_services::{runs::RunQuery, FieldError};
    let number = |name: &str, raw: &str| match raw.trim() {
        "" => Ok(None),
        v => v.parse::<i64>().map(Some).map_err(|_| FieldError::new(name, format!("{name} is a run or agent id."))),
    };
    let (agent_id, cursor) = match (number("agent_id", &agent_id), number("cursor", &cursor)) {
        (Ok(a), Ok(c)) => (a, c),
        (a, c) => return Err(ctx::invalid([a.err(), c.err()].into_iter().flatten().collect())),
    };
    let status = Some(status.trim()).filter(|s| !s.is_empty());
    let q = RunQuery::parse(status, agent_id, None, None, None, cursor).map_err(ctx::fail)?;
    let services = ctx::services()?;
    let Some(p) = ctx::principal(&services).await? else {
        return Ok(None);
    };
    let page = services.list_runs(&p, &p.org_id.to_string(), &q).await.map_err(ctx::fail)?;
    let older = page.next_link.as_deref().and_then(next_cursor);
    let mut agents: Vec<(i64, String)> = Vec::new();
    for r in &page.value {
        if !agents.iter().any(|(a, _)| *a == r.agent_id) {
            if let Ok(v) = services.get_agent(&p, r.agent_id, None).await {
                agents.push((r.agent_id, v.agent.name));
            }
        }
    }
    let runs = page
        .value
        .into_iter()
        .map(|r| RunRow {
            id: r.id,
            agent_id: r.agent_id,
            status: r.status,
            prompt: excerpt(&r.prompt),
            percent: r.progress.percent.or((r.status == RunStatus::Completed).then_some(100)),
            created_at: r.created_at,
        })
        .collect();
    Ok(Some(RunList { runs, agents, older }))
}

/// The cursor of the list's next link: it continues after the last run read, which the
/// page may have left out (a run of an agent the caller may not use).
#[cfg(feature = "ssr")]
fn next_cursor(link: &str) -> Option<i64> {
    link.split(['?', '&']).find_map(|kv| kv.strip_prefix("cursor=")).and_then(|c| c.parse().ok())
}

/// The first line of `prompt`, at most [`PROMPT_EXCERPT`] characters (an ellipsis when cut).
pub fn excerpt(prompt: &str) -> String {
    let first = prompt.trim().lines().next().unwrap_or_default();
    let mut out: String = first.chars().take(PROMPT_EXCERPT).collect();
    if out.len() < prompt.trim().len() {
        out.push('…');
    }
    out
}

/// One run as its page shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunView {
    /// The run, read after its events.
    pub run: AgentRunResponse,
    /// Its agent's name.
    pub agent_name: Option<String>,
    /// Its events so far but progress (the bar shows the last), in order.
    pub log: Vec<RunEvent>,
    /// The last event read: the live stream continues after it.
    pub seq: i64,
    /// The run's last event when the run was read.
    pub last_seq: i64,
    /// Every attempt, oldest first.
    pub attempts: Vec<RunAttempt>,
}

impl RunView {
    /// Whether more events can come: the run goes on, or its last events came after the read.
    pub fn live(&self) -> bool {
        !self.run.status.is_final() || self.seq < self.last_seq
    }
}

/// Run `id` with its log so far and its attempts, or `None` when nobody is signed in.
#[server(prefix = "/fn", endpoint = "run")]
pub async fn run_detail(id: i64) -> Result<Option<RunView>, AppError> {
    use agentry_services::model::RUN_EVENTS_PAGE;
    let services = ctx::services()?;
    let Some(p) = ctx::principal(&services).await? else {
        return Ok(None);
    };
    let org = p.org_id.to_string();
    let follower = services.follow_run(&p, &org, id).await.map_err(ctx::fail)?;
    let mut log = Vec::new();
    let mut seq = 0;
    // Every event so far, a page at a time; the run as read after the last page.
    let (run, last_seq) = loop {
        let page = follower.read(seq).await.map_err(ctx::fail)?;
        let full = page.events.len() >= usize::try_from(RUN_EVENTS_PAGE).unwrap_or(usize::MAX);
        seq = page.events.last().map_or(seq, |e| e.seq);
        log.extend(page.events.into_iter().filter(|e| e.kind != "progress"));
        if !full {
            break (page.run, page.last_seq);
        }
    };
    let attempts = services.run_attempts(&p, &org, id).await.map_err(ctx::fail)?.value;
    let agent_name = services.get_agent(&p, run.agent_id, None).await.ok().map(|v| v.agent.name);
    Ok(Some(RunView { run, agent_name, log, seq, last_seq, attempts }))
}

/// Every attempt of run `id`, oldest first (the run page refreshes them as the run moves).
#[server(prefix = "/fn", endpoint = "run-attempts")]
pub async fn attempts_of_run(id: i64) -> Result<Vec<RunAttempt>, AppError> {
    let services = ctx::services()?;
    let p = ctx::require_principal(&services).await?;
    services.run_attempts(&p, &p.org_id.to_string(), id).await.map(|l| l.value).map_err(ctx::fail)
}

/// Starts a run of agent `agent_id` with `prompt` and opens its page (from the hydrated
/// form and from a plain form post alike). A form sends line breaks as CRLF; the prompt
/// keeps LF, as typed.
#[server(prefix = "/fn", endpoint = "start-run")]
pub async fn start_run(agent_id: i64, prompt: String) -> Result<i64, AppError> {
    use agentry_services::model::CreateAgentRunInput;
    let services = ctx::services()?;
    let p = ctx::require_principal(&services).await?;
    let meta = ctx::request_meta().await;
    let input = CreateAgentRunInput { prompt: prompt.replace("\r\n", "\n"), agent_id: Some(agent_id), metadata: None };
    let run = services.create_run(&p, &p.org_id.to_string(), input, None, &meta).await.map_err(ctx::fail)?;
    leptos_axum::redirect(&format!("/runs/{}", run.id));
    Ok(run.id)
}

/// Cancels run `id`: a queued run at once, a running one once its runner stops (asking
/// again changes nothing). A plain form post returns to the run's page.
#[server(prefix = "/fn", endpoint = "cancel-run")]
pub async fn cancel_run(id: i64) -> Result<AgentRunResponse, AppError> {
    let services = ctx::services()?;
    let p = ctx::require_principal(&services).await?;
    services.cancel_run(&p, &p.org_id.to_string(), id).await.map_err(ctx::fail)
}

/// The organization's runs at a glance, with the oldest queued run's age in seconds (read
/// on the server, so the page reads the same before and after hydration).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunsGlance {
    /// The counts.
    pub summary: RunSummary,
    /// How long the oldest queued run has waited.
    pub oldest_queued_secs: Option<i64>,
}

/// The current organization's runs at a glance, or `None` when nobody is signed in.
#[server(prefix = "/fn", endpoint = "run-summary")]
pub async fn runs_at_a_glance() -> Result<Option<RunsGlance>, AppError> {
    let services = ctx::services()?;
    let Some(p) = ctx::principal(&services).await? else {
        return Ok(None);
    };
    let summary = services.run_summary(&p, &p.org_id.to_string()).await.map_err(ctx::fail)?;
    let oldest_queued_secs = summary.oldest_queued_at.map(|t| (chrono::Utc::now() - t).num_seconds().max(0));
    Ok(Some(RunsGlance { summary, oldest_queued_secs }))
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn the_list_shows_the_prompts_first_line() {
        assert_eq!(excerpt("  echo hi  "), "echo hi");
        assert_eq!(excerpt("echo a\necho b"), "echo a…");
        let long = "x".repeat(PROMPT_EXCERPT + 5);
        assert_eq!(excerpt(&long).chars().count(), PROMPT_EXCERPT + 1);
    }

    #[test]
    fn the_next_page_starts_at_the_links_cursor() {
        assert_eq!(next_cursor("/v1/organizations/1/agent/run?status=queued&$top=50&cursor=120"), Some(120));
        assert_eq!(next_cursor("/v1/organizations/1/agent/run?$top=50"), None);
    }
}
