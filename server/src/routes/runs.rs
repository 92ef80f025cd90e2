//! REST handlers for runs: seed 001's create and get under `/v1/organizations/{org_id}`
//! (snake_case JSON, as the seed), cancel, and the runner protocol under
//! `/api/v1/runner` (agent `agk_` key). Each calls one services method.

use crate::extract::{AgentAuth, Auth, IdempotencyHeader, Json, Meta, Path, Query};
use crate::problem::{ApiResult, JsonBody, Problem, Unauthenticated, PROBLEM_JSON};
use crate::startup::AppState;
use agentry_services::model::{
    AgentRunPage, AgentRunResponse, Claim, CompleteInput, CreateAgentRunInput, ProgressAck, ProgressInput,
    ReleaseInput, CLAIM_WAIT_MAX,
};
use agentry_services::runs::RunQuery;
use agentry_services::{ErrorCode, IdempotencyKey, ServiceError};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::Value;
use std::time::Duration;
use utoipa::OpenApi;

/// This module's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(create, list, get_run, cancel, claim, progress, complete, release),
    components(schemas(AgentRunPage, AgentRunResponse, CreateAgentRunInput, Claim, ProgressInput, ProgressAck, CompleteInput, ReleaseInput)),
    tags((name = "runs", description = "Agent runs (seed 001) and the runner protocol"))
)]
pub struct ApiDoc;

/// This module's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/organizations/{org_id}/agent/run", post(create).get(list))
        .route("/v1/organizations/{org_id}/agent/run/{agent_run_id}", get(get_run))
        .route("/v1/organizations/{org_id}/agent/run/{agent_run_id}/cancel", post(cancel))
        .route("/api/v1/runner/claim", post(claim))
        .route("/api/v1/runner/runs/{id}/progress", post(progress))
        .route("/api/v1/runner/runs/{id}/complete", post(complete))
        .route("/api/v1/runner/runs/{id}/release", post(release))
}

/// Create a run of an active agent (the organization's default agent without
/// `agent_id`). With `Idempotency-Key`, the same key and body return the same run.
#[utoipa::path(post, path = "/v1/organizations/{org_id}/agent/run", tag = "runs", operation_id = "create_agent_run",
    request_body = CreateAgentRunInput,
    params(("org_id" = String, Path, description = "The organization's numeric id or UUID"),
        ("Idempotency-Key" = Option<String>, Header, description = "1 to 255 visible ASCII characters; the same key and body return the same run")),
    responses(JsonBody, Unauthenticated, (status = 200, description = "The run, queued", body = AgentRunResponse),
        (status = 400, description = "Malformed JSON or Idempotency-Key (malformed_json, validation)", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "A cross-site cookie request (csrf)", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "Not a member of this organization (organization_not_found)", body = Problem, content_type = PROBLEM_JSON),
        (status = 422, description = "An empty or oversized prompt, an unknown, inactive, unregistered or unusable agent, no default agent (invalid_run); the wrong shape (invalid_body); a reused Idempotency-Key (idempotency_key_reused)", body = Problem, content_type = PROBLEM_JSON),
        (status = 429, description = "The organization's or your create rate, or the organization's active runs cap (rate_limited)", body = Problem, content_type = PROBLEM_JSON,
            headers(("Retry-After" = String, description = "Seconds to wait")))),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn create(
    State(s): State<AppState>,
    Auth(p): Auth,
    Meta(meta): Meta,
    Path(org): Path<String>,
    IdempotencyHeader(key): IdempotencyHeader,
    Json(body): Json<Value>,
) -> ApiResult<axum::Json<AgentRunResponse>> {
    let key = key.map(|k| IdempotencyKey::parse(&k, &body)).transpose()?;
    let input: CreateAgentRunInput = serde_json::from_value(body)
        .map_err(|e| ServiceError::new(ErrorCode::InvalidBody, format!("The body has the wrong shape: {e}")))?;
    Ok(axum::Json(s.services.create_run(&p, &org, input, key.as_ref(), &meta).await?))
}

/// Filters and paging of the run list.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunListParams {
    /// Only runs in this state.
    #[param(pattern = "^(queued|running|completed|failed|cancelled|timed_out)$")]
    pub status: Option<String>,
    /// Only this agent's runs.
    #[param(minimum = 1)]
    pub agent_id: Option<i64>,
    /// Created at or after this time (RFC 3339).
    #[param(format = DateTime)]
    pub since: Option<String>,
    /// Created before this time (RFC 3339).
    #[param(format = DateTime)]
    pub until: Option<String>,
    /// Page size, 1 to 200 (larger values are capped); default 50.
    #[serde(rename = "$top")]
    #[param(minimum = 1)]
    pub top: Option<i64>,
    /// Runs older than this id (the next link's cursor).
    #[param(minimum = 1)]
    pub cursor: Option<i64>,
}

/// The organization's runs that you may see, newest first.
#[utoipa::path(get, path = "/v1/organizations/{org_id}/agent/run", tag = "runs", operation_id = "list_agent_runs",
    params(("org_id" = String, Path, description = "The organization's numeric id or UUID"), RunListParams),
    responses(Unauthenticated, (status = 200, description = "A page of runs", body = AgentRunPage),
        (status = 400, description = "A status, time or number that breaks its rule (validation, invalid_query)", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "Not a member of this organization (organization_not_found)", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn list(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(org): Path<String>,
    Query(q): Query<RunListParams>,
) -> ApiResult<axum::Json<AgentRunPage>> {
    let q = RunQuery::parse(q.status.as_deref(), q.agent_id, q.since.as_deref(), q.until.as_deref(), q.top, q.cursor)?;
    Ok(axum::Json(s.services.list_runs(&p, &org, &q).await?))
}

/// A run's status, progress and result.
#[utoipa::path(get, path = "/v1/organizations/{org_id}/agent/run/{agent_run_id}", tag = "runs", operation_id = "get_agent_run",
    params(("org_id" = String, Path, description = "The organization's numeric id or UUID"), ("agent_run_id" = i64, Path, description = "The run's id")),
    responses(Unauthenticated, (status = 200, description = "The run", body = AgentRunResponse),
        (status = 400, description = "A non-numeric run id (invalid_path)", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "Not a member (organization_not_found), or no such run you may see (run_not_found)", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn get_run(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path((org, id)): Path<(String, i64)>,
) -> ApiResult<axum::Json<AgentRunResponse>> {
    Ok(axum::Json(s.services.get_run(&p, &org, id).await?))
}

/// Cancel: a queued run at once; a running one is asked to stop and is force-cancelled
/// after 30 s. Idempotent; 409 for a run that finished otherwise.
#[utoipa::path(post, path = "/v1/organizations/{org_id}/agent/run/{agent_run_id}/cancel", tag = "runs", operation_id = "cancel_agent_run",
    params(("org_id" = String, Path, description = "The organization's numeric id or UUID"), ("agent_run_id" = i64, Path, description = "The run's id")),
    responses(Unauthenticated, (status = 200, description = "The run, cancelled or with a cancel pending", body = AgentRunResponse),
        (status = 400, description = "A non-numeric run id (invalid_path)", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "A cross-site cookie request (csrf)", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "Not a member (organization_not_found), or no such run you may see (run_not_found)", body = Problem, content_type = PROBLEM_JSON),
        (status = 409, description = "The run already completed, failed or timed out (run_finished)", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn cancel(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path((org, id)): Path<(String, i64)>,
) -> ApiResult<axum::Json<AgentRunResponse>> {
    Ok(axum::Json(s.services.cancel_run(&p, &org, id).await?))
}

/// The long poll's length.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClaimParams {
    /// Seconds to wait for a run, 0 to 30 (default 30).
    #[param(minimum = 0, maximum = 30)]
    pub wait: Option<u64>,
}

/// Claim the agent's oldest due run with a new lease, waiting up to `wait` seconds.
#[utoipa::path(post, path = "/api/v1/runner/claim", tag = "runs", operation_id = "claim_run",
    params(ClaimParams),
    responses(Unauthenticated, (status = 200, description = "A run and its lease", body = Claim),
        (status = 204, description = "No run within `wait` (at most the server's request timeout less 2 s), or the server is stopping"),
        (status = 400, description = "`wait` above 30 or not a number (validation, invalid_query)", body = Problem, content_type = PROBLEM_JSON)),
    security(("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn claim(
    State(s): State<AppState>,
    AgentAuth(agent): AgentAuth,
    Query(q): Query<ClaimParams>,
) -> ApiResult<Response> {
    let wait = q.wait.unwrap_or(CLAIM_WAIT_MAX);
    if wait > CLAIM_WAIT_MAX {
        return Err(ServiceError::field("wait", format!("wait is 0 to {CLAIM_WAIT_MAX} seconds.")).into());
    }
    // The long poll answers before the request timeout would.
    let wait = Duration::from_secs(wait).min(s.request_timeout.saturating_sub(Duration::from_secs(2)));
    Ok(match s.services.claim_run(&agent, wait).await? {
        Some(c) => axum::Json(c).into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    })
}

/// The heartbeat: extends the lease, records progress and log lines, and says whether a
/// cancel was asked.
#[utoipa::path(post, path = "/api/v1/runner/runs/{id}/progress", tag = "runs", operation_id = "run_progress",
    request_body = ProgressInput,
    params(("id" = i64, Path, description = "The run's id")),
    responses(JsonBody, Unauthenticated, (status = 200, description = "The lease's new expiry", body = ProgressAck),
        (status = 400, description = "Malformed JSON, a non-numeric id, percent out of range (validation)", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "Not this agent's run (run_not_found)", body = Problem, content_type = PROBLEM_JSON),
        (status = 409, description = "The lease is not the run's current one (lease_lost), or the run is over (run_finished): stop", body = Problem, content_type = PROBLEM_JSON),
        (status = 422, description = "The wrong shape (invalid_body)", body = Problem, content_type = PROBLEM_JSON)),
    security(("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn progress(
    State(s): State<AppState>,
    AgentAuth(agent): AgentAuth,
    Path(id): Path<i64>,
    Json(body): Json<ProgressInput>,
) -> ApiResult<axum::Json<ProgressAck>> {
    Ok(axum::Json(s.services.run_progress(&agent, id, body).await?))
}

/// End the attempt: `completed` with a result, or `failed` with an error (retried when
/// `retryable` and attempts remain).
#[utoipa::path(post, path = "/api/v1/runner/runs/{id}/complete", tag = "runs", operation_id = "complete_run",
    request_body = CompleteInput,
    params(("id" = i64, Path, description = "The run's id")),
    responses(JsonBody, Unauthenticated, (status = 200, description = "The run", body = AgentRunResponse),
        (status = 400, description = "Malformed JSON, a non-numeric id, a result or error over 1 MiB (validation)", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "Not this agent's run (run_not_found)", body = Problem, content_type = PROBLEM_JSON),
        (status = 409, description = "The lease is not the run's current one (lease_lost), or the run is over (run_finished)", body = Problem, content_type = PROBLEM_JSON),
        (status = 422, description = "The wrong shape (invalid_body)", body = Problem, content_type = PROBLEM_JSON)),
    security(("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn complete(
    State(s): State<AppState>,
    AgentAuth(agent): AgentAuth,
    Path(id): Path<i64>,
    Json(body): Json<CompleteInput>,
) -> ApiResult<axum::Json<AgentRunResponse>> {
    Ok(axum::Json(s.services.complete_run(&agent, id, body).await?))
}

/// Hand the run back (the runner is stopping): it is queued again at once, or cancelled
/// when a cancel was asked.
#[utoipa::path(post, path = "/api/v1/runner/runs/{id}/release", tag = "runs", operation_id = "release_run",
    request_body = ReleaseInput,
    params(("id" = i64, Path, description = "The run's id")),
    responses(JsonBody, Unauthenticated, (status = 200, description = "The run, queued again (or cancelled)", body = AgentRunResponse),
        (status = 400, description = "Malformed JSON, a non-numeric id (validation)", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "Not this agent's run (run_not_found)", body = Problem, content_type = PROBLEM_JSON),
        (status = 409, description = "The lease is not the run's current one (lease_lost), or the run is over (run_finished)", body = Problem, content_type = PROBLEM_JSON),
        (status = 422, description = "The wrong shape (invalid_body)", body = Problem, content_type = PROBLEM_JSON)),
    security(("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn release(
    State(s): State<AppState>,
    AgentAuth(agent): AgentAuth,
    Path(id): Path<i64>,
    Json(body): Json<ReleaseInput>,
) -> ApiResult<axum::Json<AgentRunResponse>> {
    Ok(axum::Json(s.services.release_run(&agent, id, &body.lease).await?))
}
