//! Runs (seed 001, issue 11). The seed's JSON is snake_case, and so are these endpoints;
//! the runner protocol's own envelopes (`leaseExpiresAt`, `cancelRequested`) are camelCase
//! as the rest of `/api/v1`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Most characters of a prompt.
pub const PROMPT_MAX: usize = 32_768;
/// Most bytes of a run's `metadata`, as JSON.
pub const METADATA_MAX: usize = 16_384;
/// Most bytes of a progress message.
pub const PROGRESS_MESSAGE_MAX: usize = 1_000;
/// Most bytes of one log line; longer ones are cut and say so.
pub const LOG_LINE_MAX: usize = 8_192;
/// Events a run's log holds before later log lines are dropped (one line says so).
pub const LOG_EVENTS_MAX: i64 = 100_000;
/// Most bytes of a result or an error, as JSON.
pub const RESULT_MAX: usize = 1_048_576;
/// Longest long poll of a claim, in seconds.
pub const CLAIM_WAIT_MAX: u64 = 30;

/// A run's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Waiting for the agent's runner.
    Queued,
    /// Claimed, under a lease.
    Running,
    /// Finished with a result.
    Completed,
    /// Finished with an error.
    Failed,
    /// Cancelled (a queued run at once; a running one when its runner stops, or after the
    /// grace period).
    Cancelled,
    /// A timeout fired (`timeout`), or the lease lapsed once too often.
    TimedOut,
}

impl RunStatus {
    /// Every status.
    pub const ALL: [RunStatus; 6] = [
        RunStatus::Queued,
        RunStatus::Running,
        RunStatus::Completed,
        RunStatus::Failed,
        RunStatus::Cancelled,
        RunStatus::TimedOut,
    ];

    /// The stored and wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Queued => "queued",
            RunStatus::Running => "running",
            RunStatus::Completed => "completed",
            RunStatus::Failed => "failed",
            RunStatus::Cancelled => "cancelled",
            RunStatus::TimedOut => "timed_out",
        }
    }

    /// The status of its stored form.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// Whether the run is over (nothing changes it any more).
    pub fn is_final(self) -> bool {
        !matches!(self, RunStatus::Queued | RunStatus::Running)
    }
}

/// `POST /v1/organizations/{org_id}/agent/run`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateAgentRunInput {
    /// What the agent is asked to do: 1 to 32,768 characters.
    #[cfg_attr(feature = "server", schema(min_length = 1, max_length = 32768))]
    pub prompt: String,
    /// The agent (numeric id); the organization's default agent when absent.
    #[serde(default)]
    #[cfg_attr(feature = "server", schema(minimum = 1))]
    pub agent_id: Option<i64>,
    /// Free JSON object kept with the run (at most 16 KiB).
    #[serde(default)]
    #[cfg_attr(feature = "server", schema(value_type = Option<Object>))]
    pub metadata: Option<Value>,
}

/// A run's progress.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct RunProgress {
    /// 0 to 100, when the runner said.
    pub percent: Option<i64>,
    /// The runner's last message.
    pub message: Option<String>,
}

/// A run, as seed 001 answers it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct AgentRunResponse {
    /// The run's id.
    pub id: i64,
    /// The organization's numeric id.
    pub organization_id: i64,
    /// The agent that runs it.
    pub agent_id: i64,
    /// Its state.
    pub status: RunStatus,
    /// The prompt.
    pub prompt: String,
    /// The runner's last progress.
    pub progress: RunProgress,
    /// The result, once completed.
    #[cfg_attr(feature = "server", schema(value_type = Option<Object>))]
    pub result: Option<Value>,
    /// The error, once failed, cancelled or timed out: `{message, …}`.
    #[cfg_attr(feature = "server", schema(value_type = Option<Object>))]
    pub error: Option<Value>,
    /// The current (or last) attempt, from 1; 0 before the first claim.
    pub attempt: i64,
    /// Attempts allowed before the run is `timed_out` or `failed`.
    pub max_attempts: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// First claimed.
    pub started_at: Option<DateTime<Utc>>,
    /// Finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// When a cancel was asked of a running run (the runner has a grace period).
    pub cancel_requested_at: Option<DateTime<Utc>>,
    /// Which timeout fired: `queue`, `run` or `heartbeat`.
    pub timeout: Option<String>,
    /// The run's page in the web app.
    pub web_url: String,
    /// The caller's metadata.
    #[cfg_attr(feature = "server", schema(value_type = Object))]
    pub metadata: Value,
}

/// A page of runs, newest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct AgentRunPage {
    /// The runs.
    pub value: Vec<AgentRunResponse>,
    /// The next (older) page, when there is one.
    #[serde(rename = "@odata.nextLink", default, skip_serializing_if = "Option::is_none")]
    pub next_link: Option<String>,
}

/// `POST /api/v1/runner/claim`: a run and its lease.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Claim {
    /// The run.
    pub run: AgentRunResponse,
    /// The lease token: progress and complete must name it. Shown once.
    pub lease: String,
    /// When the lease lapses unless progress extends it.
    pub lease_expires_at: DateTime<Utc>,
}

/// `POST /api/v1/runner/runs/{id}/progress`: the heartbeat.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ProgressInput {
    /// The lease token of the claim.
    #[cfg_attr(feature = "server", schema(min_length = 1, max_length = 200))]
    pub lease: String,
    /// 0 to 100.
    #[serde(default)]
    #[cfg_attr(feature = "server", schema(minimum = 0, maximum = 100))]
    pub percent: Option<i64>,
    /// A short status line (longer ones are cut to 1,000 bytes).
    #[serde(default)]
    pub message: Option<String>,
    /// Output lines (each cut to 8 KiB; at most 100 per call).
    #[serde(default)]
    #[cfg_attr(feature = "server", schema(max_items = 100))]
    pub log: Option<Vec<String>>,
}

/// The heartbeat's answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ProgressAck {
    /// Stop the work and complete the run: a cancel was asked.
    pub cancel_requested: bool,
    /// The lease's new expiry.
    pub lease_expires_at: DateTime<Utc>,
}

/// How a runner ends an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CompleteStatus {
    /// It worked: `result`.
    Completed,
    /// It did not: `error`; retried when `retryable` and attempts remain.
    Failed,
}

/// `POST /api/v1/runner/runs/{id}/complete`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CompleteInput {
    /// The lease token of the claim.
    #[cfg_attr(feature = "server", schema(min_length = 1, max_length = 200))]
    pub lease: String,
    /// `completed` or `failed`.
    pub status: CompleteStatus,
    /// The result (any JSON, at most 1 MiB).
    #[serde(default)]
    #[cfg_attr(feature = "server", schema(value_type = Option<Object>))]
    pub result: Option<Value>,
    /// The error (any JSON, at most 1 MiB).
    #[serde(default)]
    #[cfg_attr(feature = "server", schema(value_type = Option<Object>))]
    pub error: Option<Value>,
    /// A failure worth another attempt.
    #[serde(default)]
    pub retryable: bool,
}

/// One entry of a run's event log (`GET …/run/{id}/events`, and the SSE stream's `data`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct RunEvent {
    /// Its number in the run's log: 1, 2, 3, … without gaps (the SSE `id`).
    pub seq: i64,
    /// What happened: `created`, `claimed`, `progress`, `log`, `cancel_requested`,
    /// `lease_expired`, `lease_released`, `failed_retry`, `completed`, `failed`,
    /// `cancelled`, `timed_out`.
    pub kind: String,
    /// When.
    pub at: DateTime<Utc>,
    /// The kind's details (`{line, truncated}` for a log line, `{percent, message}` for
    /// progress, `{attempt, status}` for an outcome).
    #[cfg_attr(feature = "server", schema(value_type = Object))]
    pub data: Value,
}

/// One attempt of a run (every attempt is kept).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct RunAttempt {
    /// 1, 2, …
    pub attempt: i64,
    /// Claimed.
    pub started_at: DateTime<Utc>,
    /// Ended, if it has.
    pub finished_at: Option<DateTime<Utc>>,
    /// How it ended: `completed`, `failed`, `failed_retry`, `lease_expired`,
    /// `lease_released`, `cancelled` or `timed_out`; absent while it runs.
    pub outcome: Option<String>,
    /// The runner's error, when it failed.
    #[cfg_attr(feature = "server", schema(value_type = Option<Object>))]
    pub error: Option<Value>,
}

/// A run's attempts, oldest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct RunAttemptList {
    /// The attempts.
    pub value: Vec<RunAttempt>,
}

/// The most events one read returns; the stream reads again for the rest.
pub const RUN_EVENTS_PAGE: i64 = 500;

/// `POST /api/v1/runner/runs/{id}/release`: hand a run back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReleaseInput {
    /// The lease token of the claim.
    #[cfg_attr(feature = "server", schema(min_length = 1, max_length = 200))]
    pub lease: String,
}

/// An organization's runs at a glance (the dashboard).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RunSummary {
    /// Runs waiting for a runner.
    pub queued: i64,
    /// Runs being executed.
    pub running: i64,
    /// Runs that failed or timed out in the last 24 hours.
    pub failed_last_day: i64,
    /// When the oldest queued run was created.
    pub oldest_queued_at: Option<DateTime<Utc>>,
}

/// Why an agent cannot start a run now (the rule [`super::Agent::run_blocker`] applies, in
/// the services and in the agent page alike).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunBlocker {
    /// It is deleted.
    Deleted,
    /// The caller's access does not include using it.
    NotUsable,
    /// No version is deployed.
    NotActive,
    /// It is deactivated.
    Deactivated,
    /// It has no registered identity, so no runner could claim its runs.
    Unregistered,
}

impl super::Agent {
    /// Why this agent (as its caller sees it) cannot start a run, if it cannot.
    pub fn run_blocker(&self) -> Option<RunBlocker> {
        use super::{AgentStatus, RegistrationState};
        if self.deleted_at.is_some() {
            Some(RunBlocker::Deleted)
        } else if !self.can_use {
            Some(RunBlocker::NotUsable)
        } else if self.status != AgentStatus::Active {
            Some(RunBlocker::NotActive)
        } else if !self.enabled {
            Some(RunBlocker::Deactivated)
        } else if self.registration != Some(RegistrationState::Registered) {
            Some(RunBlocker::Unregistered)
        } else {
            None
        }
    }
}
