//! Cancel (two phases) and the reaper. A queued run is cancelled at once; a running one
//! gets `cancel_requested_at`, which its runner learns from the next heartbeat, and is
//! force-cancelled (its lease revoked) after [`CANCEL_GRACE_MS`] without a complete.
//!
//! [`Services::sweep_runs`] is safe on every instance at once: each change is a
//! conditional UPDATE of one run that re-checks the condition that selected it, so two
//! sweepers change a run once, and its event is written in the same transaction.

use super::{end_attempt, event, fetch, not_found, RunRow, CANCEL_GRACE_MS, RUN_COLS};
use crate::errors::ErrorCode;
use crate::model::{AgentRunResponse, RunStatus};
use crate::principal::Principal;
use crate::store::dialect;
use crate::{ServiceError, Services};
use serde_json::json;

/// Runs one sweep handles per kind, so one sweep stays short.
const SWEEP_BATCH: i64 = 500;

impl Services {
    /// `POST /v1/organizations/{org_id}/agent/run/{id}/cancel`: idempotent for a run that
    /// is cancelled or has a cancel pending; 409 for one that finished otherwise.
    pub async fn cancel_run(&self, p: &Principal, org: &str, id: i64) -> Result<AgentRunResponse, ServiceError> {
        let p = &self.in_org(p, org).await?;
        let run = self.visible_run(p, id).await?;
        let now = self.now_ms();
        let mut tx = self.db().begin().await?;
        // One statement for both phases: if the run changes under it (the sweep re-queues
        // a lapsed lease), PostgreSQL re-checks the condition on the new row and still
        // cancels it (two statements could both miss it, and answer 200 for nothing).
        let now_status: Option<String> = sqlx::query_scalar(
            "UPDATE runs SET status = CASE WHEN status = 'queued' THEN 'cancelled' ELSE status END,
                    finished_at = CASE WHEN status = 'queued' THEN $1 ELSE finished_at END,
                    cancel_requested_at = $1, updated_at = $1
             WHERE id = $2 AND (status = 'queued' OR (status = 'running' AND cancel_requested_at IS NULL))
             RETURNING status",
        )
        .bind(now)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let queued = u64::from(now_status.as_deref() == Some("cancelled"));
        let running = u64::from(now_status.as_deref() == Some("running"));
        if queued + running > 0 {
            self.metrics().cancels.inc();
            let kind = if queued > 0 { "cancelled" } else { "cancel_requested" };
            event(&mut tx, id, kind, &json!({"by": p.user_id}), now).await?;
        }
        let after = fetch(&mut *tx, id).await?.ok_or_else(not_found)?;
        if queued > 0 {
            super::webhooks::enqueue(&mut tx, &after, &self.config().public_url, now).await?;
        }
        self.commit_runs(tx, false).await?;
        match after.status {
            RunStatus::Queued | RunStatus::Running | RunStatus::Cancelled => Ok(after.view(&self.config().public_url)),
            other => Err(ServiceError::new(
                ErrorCode::RunFinished,
                format!("Run {} is already {}; there is nothing to cancel.", run.id, other.as_str()),
            )),
        }
    }

    /// Re-queues (or times out) runs whose lease lapsed, times out runs past their queue
    /// or run timeout, force-cancels runs past their cancel grace, and releases the runs
    /// of agents that can no longer run them. The number changed.
    pub async fn sweep_runs(&self) -> Result<u64, ServiceError> {
        let cancel = format!("status = 'running' AND cancel_requested_at + {CANCEL_GRACE_MS} <= $1");
        let kinds = [
            ("lease", "status = 'running' AND lease_expires_at <= $1"),
            ("run", "status = 'running' AND started_at + run_timeout_ms <= $1"),
            ("queue", "status = 'queued' AND created_at + queue_timeout_ms <= $1"),
            ("cancel", &cancel),
            RELEASED,
        ];
        self.sweep(&kinds, "").await
    }

    /// Releases agent `agent_id`'s runs at once after it was deactivated (its running
    /// runs go back to the queue, for when it is activated again), revoked or deleted
    /// (its queued and running runs are cancelled). The sweep does the same for running
    /// runs, should this be cut short.
    pub(crate) async fn after_agent_stopped(&self, agent_id: i64) {
        let scope = format!(" AND agent_id = {agent_id}");
        if let Err(e) = self.sweep(&[ORPHANED, RELEASED], &scope).await {
            tracing::warn!(error = %e, agent_id, "releasing a stopped agent's runs failed; the sweep will");
        }
    }

    async fn sweep(&self, kinds: &[(&str, &str)], scope: &str) -> Result<u64, ServiceError> {
        let now = self.now_ms();
        let mut changed = 0;
        for &(kind, cond) in kinds {
            let cond = format!("{cond}{scope}");
            let ids: Vec<i64> = sqlx::query_scalar(&format!("SELECT id FROM runs WHERE {cond} LIMIT {SWEEP_BATCH}"))
                .bind(now)
                .fetch_all(&self.db().pool)
                .await?;
            for id in ids {
                changed += u64::from(self.reap(id, kind, &cond, now).await?);
            }
        }
        Ok(changed)
    }

    /// One run of the sweep, if `cond` still holds for it.
    async fn reap(&self, id: i64, kind: &str, cond: &str, now: i64) -> Result<bool, ServiceError> {
        let mut tx = self.db().begin().await?;
        // Locked, so that what is decided from the row (a cancel asked for, the attempt)
        // is what the UPDATE below changes: a cancel committed meanwhile is seen.
        let lock = dialect::for_update(self.db().backend);
        let row = sqlx::query(&format!("SELECT {RUN_COLS} FROM runs WHERE id = $2 AND {cond}{lock}"))
            .bind(now)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(run) = row.as_ref().map(RunRow::from_row).transpose()? else {
            return Ok(false);
        };
        let (status, timeout, outcome, why) = decide(&run, kind);
        let error = why.map(|m| json!({"message": m}).to_string());
        let changed = sqlx::query(&format!(
            "UPDATE runs SET status = $3, timeout_kind = $4, lease_hash = NULL, lease_expires_at = NULL,
                    finished_at = $5, available_at = $6, error = COALESCE($7, error), updated_at = $1
             WHERE id = $2 AND {cond}"
        ))
        .bind(now)
        .bind(id)
        .bind(status.as_str())
        .bind(timeout)
        .bind(if status.is_final() { Some(now) } else { None })
        .bind(now + if kind == "released" { 0 } else { run.backoff_ms() })
        .bind(&error)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Ok(false);
        }
        if run.status == RunStatus::Running {
            end_attempt(&mut tx, id, run.attempt, outcome, None, now).await?;
        }
        let data = json!({"attempt": run.attempt, "status": status.as_str(), "timeout": timeout, "message": why});
        event(&mut tx, id, outcome, &data, now).await?;
        if status.is_final() {
            if let Some(after) = fetch(&mut *tx, id).await? {
                super::webhooks::enqueue(&mut tx, &after, &self.config().public_url, now).await?;
            }
        }
        self.commit_runs(tx, true).await?;
        if kind == "lease" {
            self.metrics().lease_expiries.inc();
        }
        if status == RunStatus::Queued && kind == "lease" {
            self.metrics().retries.inc();
        }
        Ok(true)
    }
}

/// What the sweep makes of `run`: its new status, the timeout that fired, the outcome,
/// and why (the run's `error.message` when it ends here).
fn decide(run: &RunRow, kind: &str) -> (RunStatus, Option<&'static str>, &'static str, Option<&'static str>) {
    const CANCELLED: &str = "Cancelled: the runner did not stop within the grace period.";
    match kind {
        "lease" if run.cancel_requested_at.is_some() => (RunStatus::Cancelled, None, "cancelled", Some(CANCELLED)),
        "lease" if run.attempt < run.max_attempts => (RunStatus::Queued, None, "lease_expired", None),
        "lease" => (
            RunStatus::TimedOut,
            Some("heartbeat"),
            "timed_out",
            Some("The runner stopped sending heartbeats, on every attempt."),
        ),
        "run" => (RunStatus::TimedOut, Some("run"), "timed_out", Some("The run took longer than its run timeout.")),
        "queue" => (
            RunStatus::TimedOut,
            Some("queue"),
            "timed_out",
            Some("No runner claimed the run within its queue timeout."),
        ),
        "released" => (RunStatus::Queued, None, "lease_released", None),
        "orphaned" => (RunStatus::Cancelled, None, "cancelled", Some("The agent was revoked or deleted.")),
        _ => (RunStatus::Cancelled, None, "cancelled", Some(CANCELLED)),
    }
}

/// Running runs of an agent that can no longer claim (deactivated, revoked or deleted).
const RELEASED: (&str, &str) = (
    "released",
    "status = 'running' AND NOT EXISTS (SELECT 1 FROM agents a WHERE a.id = runs.agent_id AND a.enabled = 1
        AND a.registration = 'registered' AND a.deleted_at IS NULL)",
);
/// Queued and running runs of an agent that never will claim again (revoked or deleted).
const ORPHANED: (&str, &str) = (
    "orphaned",
    "status IN ('queued', 'running') AND NOT EXISTS (SELECT 1 FROM agents a WHERE a.id = runs.agent_id
        AND a.registration = 'registered' AND a.deleted_at IS NULL)",
);
