//! The runner protocol (agent `agk_` key): claim with a long poll, progress (the
//! heartbeat, which extends the lease and says whether a cancel was asked), complete.
//!
//! The claim is one conditional `UPDATE … RETURNING` (on PostgreSQL its candidate is
//! chosen `FOR UPDATE SKIP LOCKED`), so two claims never take the same run. It mints a new
//! lease token and stores its hash; progress and complete match the run's id, the agent,
//! `status = 'running'` and that hash in their own conditional UPDATE, so a worker whose
//! lease lapsed (and whose run was claimed again) gets 409 `lease_lost` and can change
//! nothing. The organization's cap on running runs is checked inside the claim.

use super::{cut, end_attempt, event, fetch, not_found, RunRow, CAN_RUN};
use crate::errors::ErrorCode;
use crate::model::{
    AgentRunResponse, Claim, CompleteInput, CompleteStatus, ProgressAck, ProgressInput, RegisteredAgent, RunStatus,
    PROGRESS_MESSAGE_MAX, RESULT_MAX,
};
use crate::store::guard::Guard;
use crate::store::{dialect, to_time};
use crate::{secrets, FieldError, ServiceError, Services};
use serde_json::{json, Value};
use std::time::Duration;

/// How often a waiting claim looks again without a wake-up (another instance queued it).
const POLL: Duration = Duration::from_millis(500);

impl Services {
    /// `POST /api/v1/runner/claim?wait=S`: the agent's oldest due run with a new lease, or
    /// `None` after waiting up to `wait`.
    pub async fn claim_run(&self, agent: &RegisteredAgent, wait: Duration) -> Result<Option<Claim>, ServiceError> {
        let deadline = tokio::time::Instant::now() + wait;
        let stopped = self.stopped();
        tokio::pin!(stopped);
        loop {
            let wakeup = self.runner_wakeup();
            if let Some(claim) = self.try_claim(agent).await? {
                return Ok(Some(claim));
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            tokio::select! {
                _ = tokio::time::timeout(POLL.min(deadline - now), wakeup) => {}
                () = &mut stopped => return Ok(None),
            }
        }
    }

    async fn try_claim(&self, agent: &RegisteredAgent) -> Result<Option<Claim>, ServiceError> {
        let now = self.now_ms();
        // A read first: an idle runner's poll takes no write lock.
        let due: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM runs WHERE agent_id = $1 AND status = 'queued' AND available_at <= $2 LIMIT 1",
        )
        .bind(agent.id)
        .bind(now)
        .fetch_optional(&self.db().pool)
        .await?;
        if due.is_none() {
            return Ok(None);
        }
        let lease = secrets::generate("rls_");
        let lock = dialect::skip_locked(self.db().backend);
        // The caps are counted inside the claim; the agent must still be able to run (it
        // may have been deactivated or revoked while this claim waited).
        let sql = format!(
            "UPDATE runs SET status = 'running', attempt = attempt + 1, lease_hash = $1,
                    lease_expires_at = $2 + heartbeat_timeout_ms, started_at = COALESCE(started_at, $2), updated_at = $2
             WHERE id = (SELECT id FROM runs WHERE agent_id = $3 AND status = 'queued' AND available_at <= $2
                         ORDER BY available_at, id LIMIT 1{lock})
               AND status = 'queued'
               AND (SELECT COUNT(*) FROM runs r WHERE r.org_id = runs.org_id AND r.status = 'running') < $4
               AND (SELECT COUNT(*) FROM runs r WHERE r.agent_id = runs.agent_id AND r.status = 'running') < $5
               AND EXISTS (SELECT 1 FROM agents a WHERE a.id = runs.agent_id AND {CAN_RUN})
             RETURNING id, attempt, available_at"
        );
        let mut exclusive = false;
        let (mut tx, claimed) = loop {
            let mut tx = self.db().begin().await?;
            let Some((org_limit, agent_limit, shared)) = self.guard_caps(&mut tx, agent, exclusive).await? else {
                return Ok(None); // the agent was stopped
            };
            let claimed: Option<(i64, i64, i64)> = sqlx::query_as(&sql)
                .bind(secrets::hash(&lease))
                .bind(now)
                .bind(agent.id)
                .bind(org_limit)
                .bind(agent_limit)
                .fetch_optional(&mut *tx)
                .await?;
            // Under a shared guard the claim stops short of the caps; nearer, it tries
            // again holding them exclusively.
            if claimed.is_none() && shared {
                exclusive = true;
                tx.rollback().await?;
                continue;
            }
            break (tx, claimed);
        };
        let Some((id, attempt, due)) = claimed else {
            return Ok(None);
        };
        let waited = std::time::Duration::from_millis(u64::try_from(now - due).unwrap_or(0));
        self.metrics().claim_wait.observe(waited.as_secs_f64());
        sqlx::query("INSERT INTO run_attempts (run_id, attempt, started_at) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(attempt)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        event(&mut tx, id, "claimed", &json!({"attempt": attempt}), now).await?;
        let run = fetch(&mut *tx, id).await?.ok_or_else(not_found)?;
        self.commit_runs(tx, false).await?;
        let expires = run.lease_expires_at.unwrap_or(now);
        Ok(Some(Claim { run: run.view(&self.config().public_url), lease, lease_expires_at: to_time(expires) }))
    }

    /// Holds the agent's row while it can run (`None` when it cannot: a deactivate, revoke
    /// or delete then waits for this claim, or this claim for it), and takes the claim's
    /// guards of the running caps (store/guard.rs): exclusive when a cap is near (or
    /// `exclusive`), else shared; one statement (`dialect::claim_guards`). The caps to
    /// claim under: a shared guard's is lowered by the slack, so that the claims it lets
    /// run side by side cannot pass the real one. Also whether either guard is shared.
    /// SQLite: the caps as they are (its write transaction is alone, and the claim's own
    /// statement checks the agent).
    async fn guard_caps(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        agent: &RegisteredAgent,
        exclusive: bool,
    ) -> Result<Option<(i64, i64, bool)>, ServiceError> {
        let (db, cfg) = (self.db(), self.config());
        let limits = (cfg.run_running_limit_per_org, cfg.run_running_limit_per_agent);
        let Some(sql) = dialect::claim_guards(db.backend, CAN_RUN) else {
            return Ok(Some((limits.0, limits.1, false)));
        };
        let org = agent.org_id.unwrap_or_default();
        let held: Option<(i64, i64)> = sqlx::query_as(&sql)
            .bind(org)
            .bind(agent.id)
            .bind(db.slack())
            .bind(limits.0)
            .bind(Guard::RunningInOrg(org).key())
            .bind(Guard::RunningOfAgent(agent.id).key())
            .bind(limits.1)
            .bind(i64::from(exclusive))
            .fetch_optional(&mut **tx)
            .await?;
        let Some((org_x, agent_x)) = held else {
            return Ok(None);
        };
        let cap = |x: i64, limit: i64| if x == 1 { limit } else { limit - db.slack() };
        Ok(Some((cap(org_x, limits.0), cap(agent_x, limits.1), org_x == 0 || agent_x == 0)))
    }

    /// The agent's run `id`, locked for a change in `tx`; 404 when it is not this agent's.
    async fn runner_run(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        agent: &RegisteredAgent,
        id: i64,
    ) -> Result<RunRow, ServiceError> {
        let lock = format!("SELECT id FROM runs WHERE id = $1{}", dialect::for_update(self.db().backend));
        sqlx::query(&lock).bind(id).fetch_optional(&mut **tx).await?;
        fetch(&mut **tx, id).await?.filter(|r| r.agent_id == agent.id).ok_or_else(not_found)
    }

    /// 409 unless the run is running under `lease`.
    fn holds(run: &RunRow, lease: &str) -> Result<(), ServiceError> {
        if run.status.is_final() {
            return Err(ServiceError::new(
                ErrorCode::RunFinished,
                format!("Run {} is {}: stop working on it.", run.id, run.status.as_str()),
            ));
        }
        let held = run.status == RunStatus::Running
            && run.lease_hash.as_deref().is_some_and(|h| secrets::ct_eq(h.as_bytes(), secrets::hash(lease).as_bytes()));
        if !held {
            return Err(ServiceError::new(
                ErrorCode::LeaseLost,
                "This lease is not the run's current one (it lapsed and the run was queued again): stop working on it.",
            ));
        }
        Ok(())
    }

    /// `POST /api/v1/runner/runs/{id}/progress`: the heartbeat.
    pub async fn run_progress(
        &self,
        agent: &RegisteredAgent,
        id: i64,
        input: ProgressInput,
    ) -> Result<ProgressAck, ServiceError> {
        if input.percent.is_some_and(|p| !(0..=100).contains(&p)) {
            return Err(ServiceError::field("percent", "percent is 0 to 100."));
        }
        let now = self.now_ms();
        let mut tx = self.db().begin().await?;
        let run = self.runner_run(&mut tx, agent, id).await?;
        Self::holds(&run, &input.lease)?;
        let message = input.message.as_deref().map(|m| cut(m, PROGRESS_MESSAGE_MAX).0);
        let expires = now + run.heartbeat_timeout_ms;
        sqlx::query(
            "UPDATE runs SET lease_expires_at = $1, progress_percent = COALESCE($2, progress_percent),
                    progress_message = COALESCE($3, progress_message), updated_at = $4 WHERE id = $5",
        )
        .bind(expires)
        .bind(input.percent)
        .bind(&message)
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let mut seq = run.last_seq;
        if input.percent.is_some() || message.is_some() {
            let data = json!({"percent": input.percent, "message": message});
            seq = event(&mut tx, id, "progress", &data, now).await?;
        }
        if let Some(lines) = input.log.as_deref().filter(|l| !l.is_empty()) {
            let per_minute = self.config().run_log_lines_per_minute;
            super::logs::append(&mut tx, &run, seq, lines, per_minute, now).await?;
        }
        self.commit_runs(tx, false).await?;
        Ok(ProgressAck { cancel_requested: run.cancel_requested_at.is_some(), lease_expires_at: to_time(expires) })
    }

    /// `POST /api/v1/runner/runs/{id}/complete`: the attempt's outcome. A retryable
    /// failure with attempts left goes back to the queue after a backoff; a run whose
    /// cancel was asked ends `cancelled` whatever the runner says.
    pub async fn complete_run(
        &self,
        agent: &RegisteredAgent,
        id: i64,
        input: CompleteInput,
    ) -> Result<AgentRunResponse, ServiceError> {
        let size = |v: &Option<Value>| v.as_ref().map_or(0, |v| v.to_string().len());
        let mut errors = Vec::new();
        for (name, v) in [("result", &input.result), ("error", &input.error)] {
            if size(v) > RESULT_MAX {
                errors.push(FieldError::new(name, format!("{name} is at most {RESULT_MAX} bytes of JSON.")));
            }
        }
        if !errors.is_empty() {
            return Err(ServiceError::validation(errors));
        }
        let now = self.now_ms();
        let mut tx = self.db().begin().await?;
        let run = self.runner_run(&mut tx, agent, id).await?;
        Self::holds(&run, &input.lease)?;
        let json_text = |v: &Option<Value>| v.as_ref().map(Value::to_string);
        let retry = input.status == CompleteStatus::Failed
            && input.retryable
            && run.attempt < run.max_attempts
            && run.cancel_requested_at.is_none();
        let (status, outcome) = match (run.cancel_requested_at, input.status, retry) {
            (Some(_), _, _) => (RunStatus::Cancelled, "cancelled"),
            (None, CompleteStatus::Completed, _) => (RunStatus::Completed, "completed"),
            (None, CompleteStatus::Failed, true) => (RunStatus::Queued, "failed_retry"),
            (None, CompleteStatus::Failed, false) => (RunStatus::Failed, "failed"),
        };
        sqlx::query(
            "UPDATE runs SET status = $1, result = $2, error = $3, lease_hash = NULL, lease_expires_at = NULL,
                    finished_at = $4, available_at = $5, updated_at = $6 WHERE id = $7",
        )
        .bind(status.as_str())
        .bind(json_text(&input.result))
        .bind(json_text(&input.error))
        .bind(if status.is_final() { Some(now) } else { None })
        .bind(now + if retry { run.backoff_ms() } else { 0 })
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        end_attempt(&mut tx, id, run.attempt, outcome, json_text(&input.error), now).await?;
        event(&mut tx, id, outcome, &json!({"attempt": run.attempt, "status": status.as_str()}), now).await?;
        let done = fetch(&mut *tx, id).await?.ok_or_else(not_found)?;
        super::webhooks::enqueue(&mut tx, &done, &self.config().public_url, now).await?;
        self.commit_runs(tx, true).await?;
        if retry {
            self.metrics().retries.inc();
        }
        Ok(done.view(&self.config().public_url))
    }
}

impl Services {
    /// `POST /api/v1/runner/runs/{id}/release`: the runner hands the run back (it is
    /// stopping): queued again at once, the attempt recorded as `lease_released`; a run
    /// whose cancel was asked is cancelled instead.
    pub async fn release_run(
        &self,
        agent: &RegisteredAgent,
        id: i64,
        lease: &str,
    ) -> Result<AgentRunResponse, ServiceError> {
        let now = self.now_ms();
        let mut tx = self.db().begin().await?;
        let run = self.runner_run(&mut tx, agent, id).await?;
        Self::holds(&run, lease)?;
        let status = if run.cancel_requested_at.is_some() { RunStatus::Cancelled } else { RunStatus::Queued };
        let outcome = if status == RunStatus::Cancelled { "cancelled" } else { "lease_released" };
        sqlx::query(
            "UPDATE runs SET status = $1, lease_hash = NULL, lease_expires_at = NULL, available_at = $2,
                    finished_at = $3, updated_at = $2 WHERE id = $4",
        )
        .bind(status.as_str())
        .bind(now)
        .bind(status.is_final().then_some(now))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        end_attempt(&mut tx, id, run.attempt, outcome, None, now).await?;
        event(&mut tx, id, outcome, &json!({"attempt": run.attempt, "status": status.as_str()}), now).await?;
        let after = fetch(&mut *tx, id).await?.ok_or_else(not_found)?;
        super::webhooks::enqueue(&mut tx, &after, &self.config().public_url, now).await?;
        self.commit_runs(tx, true).await?;
        Ok(after.view(&self.config().public_url))
    }
}
