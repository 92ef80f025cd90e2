//! Create and get (seed 001). A run targets an active, registered agent of the
//! organization that the caller may use; without `agent_id`, the organization's default
//! agent. Every rule broken is listed at once (422 `invalid_run`). The organization's and
//! the user's create rates, and the organization's queued-and-running cap, answer 429.

use super::DEFAULT_MAX_ATTEMPTS;
use super::{event, fetch, not_found};
use crate::definition::{Definition, RunTimeouts};
use crate::errors::ErrorCode;
use crate::idempotency::{self, IdempotencyKey};
use crate::model::{AgentRunResponse, CreateAgentRunInput, RunBlocker};
use crate::model::{METADATA_MAX, PROMPT_MAX};
use crate::principal::{Principal, RequestMeta};
use crate::rate_limit::Limit;
use crate::store::guard::{Guard, Mode};
use crate::store::to_time;
use crate::{FieldError, ServiceError, Services};
use serde_json::{json, Value};
use sqlx::{Any, Transaction};

impl Services {
    /// The caller acting in `org` (numeric id or UUID): 404 unless a member.
    pub(crate) async fn in_org(&self, p: &Principal, org: &str) -> Result<Principal, ServiceError> {
        let (org_id, role) = self.membership(p, org).await?;
        Ok(Principal { org_id, role, ..p.clone() })
    }

    /// `POST /v1/organizations/{org_id}/agent/run`.
    #[tracing::instrument(skip_all)]
    pub async fn create_run(
        &self,
        p: &Principal,
        org: &str,
        input: CreateAgentRunInput,
        key: Option<&IdempotencyKey>,
        meta: &RequestMeta,
    ) -> Result<AgentRunResponse, ServiceError> {
        let p = &self.in_org(p, org).await?;
        let mut errors = Vec::new();
        let chars = input.prompt.chars().count();
        if input.prompt.trim().is_empty() {
            errors.push(FieldError::new("prompt", "Say what the agent should do: the prompt is empty."));
        } else if chars > PROMPT_MAX {
            errors.push(FieldError::new(
                "prompt",
                format!("A prompt is at most {PROMPT_MAX} characters ({chars} given)."),
            ));
        }
        let metadata = match input.metadata {
            None | Some(Value::Null) => "{}".to_string(),
            Some(m @ Value::Object(_)) => {
                let text = m.to_string();
                if text.len() > METADATA_MAX {
                    errors.push(FieldError::new(
                        "metadata",
                        format!("metadata is at most {METADATA_MAX} bytes of JSON."),
                    ));
                }
                text
            }
            Some(_) => {
                errors.push(FieldError::new("metadata", "metadata is a JSON object."));
                String::new()
            }
        };
        let agent_id = match input.agent_id {
            Some(id) => Some(id),
            None => {
                sqlx::query_scalar::<_, Option<i64>>("SELECT default_agent_id FROM organizations WHERE id = $1")
                    .bind(p.org_id)
                    .fetch_one(&self.db().pool)
                    .await?
            }
        };
        match agent_id {
            None => errors.push(FieldError::new(
                "agent_id",
                "Name the agent: this organization has no default agent (owners set defaultAgentId).",
            )),
            Some(id) => {
                if let Some(problem) = self.runnable(p, id).await? {
                    errors.push(FieldError::new("agent_id", problem));
                }
            }
        }
        if !errors.is_empty() {
            return Err(invalid_run(errors));
        }
        let agent_id = agent_id.unwrap_or_default();
        let timeouts = self.run_timeouts(agent_id).await?;
        let cfg = self.config();
        let limits = [
            Limit::new(format!("run:org:{}", p.org_id), cfg.run_create_limit_per_org),
            Limit::new(format!("run:user:{}", p.user_id), cfg.run_create_limit_per_user),
        ];
        self.limit(&limits, meta, Some(p.user_id)).await?;

        let now = self.now_ms();
        let scope = format!("run:{}:{}", p.org_id, p.user_id);
        // The active-runs cap holds across instances: see store/guard.rs.
        let db = self.db();
        let mut mode = db.first_mode();
        let mut tx = loop {
            let mut tx = db.begin_guarded(Guard::ActiveRuns(p.org_id), mode).await?;
            if let Some(key) = key {
                if let Some(stored) = idempotency::replay(&mut tx, &scope, key, now).await? {
                    return serde_json::from_str(&stored).map_err(ServiceError::internal);
                }
            }
            // The agent was runnable when checked above; it must still be, until this
            // commits (a deactivate, revoke or delete racing this create waits, or wins).
            let active: Option<i64> = sqlx::query_scalar(&super::active_while_runnable(db.backend))
                .bind(p.org_id)
                .bind(agent_id)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(active) = active else {
                tx.rollback().await?;
                let why = self.runnable(p, agent_id).await?;
                let why = why.unwrap_or_else(|| format!("Agent {agent_id} cannot run now."));
                return Err(invalid_run(vec![FieldError::new("agent_id", why)]));
            };
            if mode == Mode::Shared && !db.far_below(active, cfg.run_active_limit_per_org) {
                mode = Mode::Exclusive;
                tx.rollback().await?;
                continue;
            }
            if active >= cfg.run_active_limit_per_org {
                return Err(ServiceError::rate_limited(5).with_extension("activeRuns", active.into()));
            }
            break tx;
        };
        let new = NewRun {
            org_id: p.org_id,
            agent_id,
            created_by: Some(p.user_id),
            prompt: &input.prompt,
            metadata: &metadata,
        };
        let id = insert(&mut tx, &new, timeouts, None, now).await?.ok_or_else(not_found)?;
        let run = fetch(&mut *tx, id).await?.ok_or_else(not_found)?.view(&cfg.public_url);
        if let Some(key) = key {
            let body = serde_json::to_string(&run).map_err(ServiceError::internal)?;
            idempotency::store(&mut tx, &scope, key, 200, &body).await?;
        }
        self.commit_runs(tx, true).await?;
        Ok(run)
    }

    /// The timeouts of agent `id`'s active variation.
    pub(crate) async fn run_timeouts(&self, id: i64) -> Result<RunTimeouts, ServiceError> {
        let text: Option<String> = sqlx::query_scalar(
            "SELECT v.definition FROM agents a JOIN agent_variations v ON v.id = a.active_variation_id WHERE a.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.db().pool)
        .await?;
        let definition = text.as_deref().map(serde_json::from_str::<Definition>).transpose();
        Ok(definition.map_err(ServiceError::internal)?.map(|d| d.timeouts).unwrap_or_default())
    }

    /// Why the caller may not start a run of agent `id`, if they may not.
    async fn runnable(&self, p: &Principal, id: i64) -> Result<Option<String>, ServiceError> {
        let agent = match self.agent_record(p, id).await {
            Ok(a) if a.deleted_at.is_none() => a,
            Ok(_) => return Ok(Some(format!("Agent {id} is deleted."))),
            Err(e) if e.is(ErrorCode::AgentNotFound) => {
                return Ok(Some(format!("No agent {id} in this organization.")))
            }
            Err(e) => return Err(e),
        };
        Ok(agent.view(p).run_blocker().map(|why| match why {
            RunBlocker::Deleted => format!("Agent {id} is deleted."),
            RunBlocker::NotUsable => {
                format!("You may not use agent {id}: its access configuration does not include you.")
            }
            RunBlocker::NotActive => format!("Agent {id} is not active: deploy a version first."),
            RunBlocker::Deactivated => format!("Agent {id} is deactivated; activate it first."),
            RunBlocker::Unregistered => {
                format!("Agent {id} has no registered identity, so no runner can claim its runs; register it first.")
            }
        }))
    }

    /// `GET /v1/organizations/{org_id}/agent/run/{id}`: 404 for another organization's
    /// run, or one of an agent the caller may not use.
    pub async fn get_run(&self, p: &Principal, org: &str, id: i64) -> Result<AgentRunResponse, ServiceError> {
        let p = &self.in_org(p, org).await?;
        let run = self.visible_run(p, id).await?;
        Ok(run.view(&self.config().public_url))
    }

    /// The run, when it is the organization's and the caller may use its agent.
    pub(crate) async fn visible_run(&self, p: &Principal, id: i64) -> Result<super::RunRow, ServiceError> {
        let run = fetch(&self.db().pool, id).await?.filter(|r| r.org_id == p.org_id).ok_or_else(not_found)?;
        match self.agent_record(p, run.agent_id).await {
            Ok(a) if a.can_use(p) => Ok(run),
            Ok(_) => Err(not_found()),
            Err(e) if e.is(ErrorCode::AgentNotFound) => Err(not_found()),
            Err(e) => Err(e),
        }
    }
}

/// 422 `invalid_run`, listing every field's problem.
fn invalid_run(errors: Vec<FieldError>) -> ServiceError {
    let detail = errors.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join(" ");
    ServiceError::new(ErrorCode::InvalidRun, detail).with_fields(errors)
}

/// A run to queue.
pub(crate) struct NewRun<'a> {
    pub org_id: i64,
    pub agent_id: i64,
    pub created_by: Option<i64>,
    pub prompt: &'a str,
    pub metadata: &'a str,
}

/// Queues `run` in `tx` with its `created` event; its id. With `scheduled_for` (a
/// schedule's tick), `None` when that tick already has its run.
pub(crate) async fn insert(
    tx: &mut Transaction<'static, Any>,
    run: &NewRun<'_>,
    timeouts: RunTimeouts,
    scheduled_for: Option<i64>,
    now: i64,
) -> Result<Option<i64>, ServiceError> {
    let (queue_ms, run_ms, heartbeat_ms) = timeouts.millis();
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO runs (org_id, agent_id, created_by, prompt, metadata, status, max_attempts, available_at,
                           queue_timeout_ms, run_timeout_ms, heartbeat_timeout_ms, scheduled_for, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, 'queued', $6, $7, $8, $9, $10, $11, $7, $7)
         ON CONFLICT (agent_id, scheduled_for) WHERE scheduled_for IS NOT NULL DO NOTHING RETURNING id",
    )
    .bind(run.org_id)
    .bind(run.agent_id)
    .bind(run.created_by)
    .bind(run.prompt)
    .bind(run.metadata)
    .bind(DEFAULT_MAX_ATTEMPTS)
    .bind(now)
    .bind(queue_ms)
    .bind(run_ms)
    .bind(heartbeat_ms)
    .bind(scheduled_for)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(id) = id {
        let data = json!({"agent_id": run.agent_id, "by": run.created_by, "scheduled_for": scheduled_for.map(to_time)});
        event(tx, id, "created", &data, now).await?;
    }
    Ok(id)
}
