//! Runs (seed 001, issue 11): a prompt for one agent, queued, claimed by the agent's
//! runner under a lease, and finished once.
//!
//! * `create.rs`: create (validation, the default agent, `Idempotency-Key`) and get.
//! * `list.rs`: the list, newest first, filtered and paged by cursor.
//! * `runner.rs`: the runner protocol: claim, progress (the heartbeat), complete. Every
//!   claim mints a new lease token; progress and complete must name the current one
//!   (fencing), so a run whose lease lapsed is never finished by two workers.
//! * `reaper.rs`: cancel (two phases) and the sweep that re-queues runs whose lease
//!   lapsed, times out overdue ones, and ends cancels past their grace period; and the
//!   release of a deactivated, revoked or deleted agent's runs.
//! * `logs.rs`: log lines, capped in size and rate.
//! * `events.rs`: reading the event log (resumable after any `seq`) and the attempts.
//! * `schedules.rs`: one run per cron tick, across instances.
//! * `summary.rs`: the dashboard's counts.
//! * `webhooks.rs`: an agent's completion webhook, and the deliveries queued when its runs
//!   end (the webhook outbox); `delivery.rs` sends them, signed, with retries.
//! * `signals.rs`: committing a change and waking waiters, across instances on
//!   PostgreSQL through `LISTEN/NOTIFY`.
//!
//! Every change writes a `run_events` row numbered by `runs.last_seq` in the same
//! transaction, so the event log is gapless and ordered.

mod create;
mod delivery;
mod events;
mod list;
mod logs;
mod reaper;
mod runner;
mod schedules;
mod signals;
mod summary;
mod webhooks;

pub use delivery::sign as sign_webhook;
pub use events::{RunEventsPage, RunFollower};
pub use list::{RunQuery, RUNS_DEFAULT_TOP, RUNS_MAX_TOP};

use crate::model::{AgentRunResponse, RunProgress, RunStatus};
use crate::store::{state, to_time};
use crate::ServiceError;
use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

/// Attempts a run gets before a lapsed lease makes it `timed_out`.
pub const DEFAULT_MAX_ATTEMPTS: i64 = 3;
// The queue, run and heartbeat timeouts are the agent's active variation's
// (`definition::RunTimeouts`: a day, an hour and a minute by default).
/// How long a running run has to stop after a cancel before it is force-cancelled.
pub const CANCEL_GRACE_MS: i64 = 30 * 1000;
/// The first retry's delay after a lapsed lease or a retryable failure; it doubles.
pub const RETRY_BASE_MS: i64 = 1000;

/// The columns [`RunRow::from_row`] reads.
/// What an agent row (alias `a`) must be for its runs to be created and claimed.
pub(crate) const CAN_RUN: &str = "a.enabled = 1 AND a.registration = 'registered' AND a.deleted_at IS NULL";

/// The organization's active runs (`$1`), read only while agent `$2` can run, holding the
/// agent's row until the transaction ends (on PostgreSQL; [`dialect::for_key_share`]), so
/// that a deactivate, revoke or delete, which lock the row for update and then stop the
/// agent's runs, either waits for this transaction's run or is seen by it. No row when the
/// agent cannot run.
pub(crate) fn active_while_runnable(backend: crate::store::Backend) -> String {
    format!(
        "SELECT (SELECT COUNT(*) FROM runs WHERE org_id = $1 AND status IN ('queued', 'running'))
         FROM agents a WHERE a.id = $2 AND {CAN_RUN}{}",
        crate::store::dialect::for_key_share(backend)
    )
}

pub(crate) const RUN_COLS: &str = "id, org_id, agent_id, prompt, metadata, status, progress_percent, \
     progress_message, result, error, attempt, max_attempts, created_at, started_at, finished_at, \
     cancel_requested_at, timeout_kind, lease_hash, lease_expires_at, heartbeat_timeout_ms, run_timeout_ms, last_seq, \
     log_window_at, log_window_lines";

/// A stored run.
#[derive(Clone, Debug)]
pub(crate) struct RunRow {
    pub id: i64,
    pub org_id: i64,
    pub agent_id: i64,
    pub prompt: String,
    pub metadata: String,
    pub status: RunStatus,
    pub percent: Option<i64>,
    pub message: Option<String>,
    pub result: Option<String>,
    pub error: Option<String>,
    pub attempt: i64,
    pub max_attempts: i64,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub cancel_requested_at: Option<i64>,
    pub timeout_kind: Option<String>,
    pub lease_hash: Option<String>,
    pub lease_expires_at: Option<i64>,
    pub heartbeat_timeout_ms: i64,
    pub last_seq: i64,
    pub log_window_at: i64,
    pub log_window_lines: i64,
}

impl RunRow {
    pub(crate) fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            id: r.try_get("id")?,
            org_id: r.try_get("org_id")?,
            agent_id: r.try_get("agent_id")?,
            prompt: r.try_get("prompt")?,
            metadata: r.try_get("metadata")?,
            status: state(r, "status", RunStatus::parse)?,
            percent: r.try_get("progress_percent")?,
            message: r.try_get("progress_message")?,
            result: r.try_get("result")?,
            error: r.try_get("error")?,
            attempt: r.try_get("attempt")?,
            max_attempts: r.try_get("max_attempts")?,
            created_at: r.try_get("created_at")?,
            started_at: r.try_get("started_at")?,
            finished_at: r.try_get("finished_at")?,
            cancel_requested_at: r.try_get("cancel_requested_at")?,
            timeout_kind: r.try_get("timeout_kind")?,
            lease_hash: r.try_get("lease_hash")?,
            lease_expires_at: r.try_get("lease_expires_at")?,
            heartbeat_timeout_ms: r.try_get("heartbeat_timeout_ms")?,
            last_seq: r.try_get("last_seq")?,
            log_window_at: r.try_get("log_window_at")?,
            log_window_lines: r.try_get("log_window_lines")?,
        })
    }

    /// The delay before the next attempt: [`RETRY_BASE_MS`], doubling with each attempt.
    pub(crate) fn backoff_ms(&self) -> i64 {
        RETRY_BASE_MS.saturating_mul(1 << (self.attempt - 1).clamp(0, 20))
    }

    /// The seed's view of the run; `public_url` makes `web_url`.
    pub(crate) fn view(&self, public_url: &str) -> AgentRunResponse {
        let json = |s: &Option<String>| s.as_deref().and_then(|s| serde_json::from_str(s).ok());
        AgentRunResponse {
            id: self.id,
            organization_id: self.org_id,
            agent_id: self.agent_id,
            status: self.status,
            prompt: self.prompt.clone(),
            progress: RunProgress { percent: self.percent, message: self.message.clone() },
            result: json(&self.result),
            error: json(&self.error),
            attempt: self.attempt,
            max_attempts: self.max_attempts,
            created_at: to_time(self.created_at),
            started_at: self.started_at.map(to_time),
            finished_at: self.finished_at.map(to_time),
            cancel_requested_at: self.cancel_requested_at.map(to_time),
            timeout: self.timeout_kind.clone(),
            web_url: format!("{}/runs/{}", public_url.trim_end_matches('/'), self.id),
            metadata: serde_json::from_str(&self.metadata).unwrap_or(Value::Object(Default::default())),
        }
    }
}

/// Reads one run (any organization: the caller checks).
pub(crate) async fn fetch<'e, E>(exec: E, id: i64) -> Result<Option<RunRow>, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    let sql = format!("SELECT {RUN_COLS} FROM runs WHERE id = $1");
    sqlx::query(&sql).bind(id).fetch_optional(exec).await?.as_ref().map(RunRow::from_row).transpose()
}

/// Appends an event to the run's log in the caller's transaction: its `seq` is the run's
/// next, so the log has no gaps and follows the order of the changes.
pub(crate) async fn event(
    tx: &mut Transaction<'static, Any>,
    run_id: i64,
    kind: &str,
    data: &Value,
    now: i64,
) -> Result<i64, ServiceError> {
    let seq: i64 = sqlx::query_scalar("UPDATE runs SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq")
        .bind(run_id)
        .fetch_one(&mut **tx)
        .await?;
    sqlx::query("INSERT INTO run_events (run_id, seq, kind, data, at) VALUES ($1, $2, $3, $4, $5)")
        .bind(run_id)
        .bind(seq)
        .bind(kind)
        .bind(data.to_string())
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(seq)
}

/// Ends attempt `attempt` of run `run_id` in `tx` with `outcome` (and the runner's error).
pub(crate) async fn end_attempt(
    tx: &mut Transaction<'static, Any>,
    run_id: i64,
    attempt: i64,
    outcome: &str,
    error: Option<String>,
    now: i64,
) -> Result<(), ServiceError> {
    sqlx::query(
        "UPDATE run_attempts SET finished_at = $1, outcome = $2, error = $3 WHERE run_id = $4 AND attempt = $5",
    )
    .bind(now)
    .bind(outcome)
    .bind(error)
    .bind(run_id)
    .bind(attempt)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// 404 for a run that is not in the caller's organization.
pub(crate) fn not_found() -> ServiceError {
    ServiceError::new(crate::ErrorCode::RunNotFound, "No such run in this organization.")
}

/// Cuts `s` to at most `max` bytes on a char boundary; whether it was cut.
pub(crate) fn cut(s: &str, max: usize) -> (String, bool) {
    if s.len() <= max {
        return (s.to_string(), false);
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    (s[..end].to_string(), true)
}
