//! REST handlers for an agent's definition: the draft, deploy, the version history with
//! restore and activate (roll back or forward), the schedule toggle, and the agent's audit
//! trail. Under
//! `/api/agents/{id}` and `/api/v1/agents/{id}`.

use super::agents::tagged;
use crate::extract::{Auth, IfMatch, Json, Meta, OptionalJson, Path, Query};
use crate::problem::{ApiResult, OptionalJsonBody, Problem, Unauthenticated, PROBLEM_JSON};
use crate::startup::AppState;
use agentry_services::model::{AuditPage, DeployRequest, ToggleRequest, Variation, VariationList};
use agentry_services::{FieldError, ServiceError};
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::Value;
use utoipa::OpenApi;

/// This module's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(get_draft, put_draft, deploy, history, restore, activate_version, toggle, audit),
    components(schemas(AuditPage, DeployRequest, ToggleRequest, Variation, VariationList))
)]
pub struct ApiDoc;

/// The routes under `prefix` (`/api/agents` or `/api/v1/agents`).
pub fn router(prefix: &str) -> Router<AppState> {
    Router::new()
        .route(&format!("{prefix}/{{id}}/draft"), get(get_draft).put(put_draft))
        .route(&format!("{prefix}/{{id}}/deploy"), post(deploy))
        .route(&format!("{prefix}/{{id}}/variations"), get(history))
        .route(&format!("{prefix}/{{id}}/variations/{{vid}}/restore"), post(restore))
        .route(&format!("{prefix}/{{id}}/variations/{{vid}}/activate"), post(activate_version))
        .route(&format!("{prefix}/{{id}}/toggle"), post(toggle))
        .route(&format!("{prefix}/{{id}}/audit"), get(audit))
}

fn variation(v: &Variation, revision: i64) -> Response {
    let mut res = axum::Json(v).into_response();
    // The agent's version: `If-Match` on PUT /draft and deploy compares it.
    if let Ok(tag) = HeaderValue::from_str(&format!("\"{revision}-draft\"")) {
        res.headers_mut().insert(header::ETAG, tag);
    }
    res
}

/// The draft, or the active version when no draft is pending (`active: true`).
#[utoipa::path(get, path = "/api/v1/agents/{id}/draft", tag = "agents", operation_id = "get_agent_draft",
    params(("id" = i64, Path, description = "Numeric agent id")),
    responses(Unauthenticated, (status = 200, description = "The draft", body = Variation, headers(("ETag" = String, description = "The agent's version"))),
        (status = 400, description = "A non-numeric id (invalid_path)", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "Your access does not include this agent's definition (not_allowed)", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "No such agent in your organization (agent_not_found)", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn get_draft(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<i64>) -> ApiResult<Response> {
    let (v, revision) = s.services.get_draft(&p, id).await?;
    Ok(variation(&v, revision))
}

/// Replace the draft: `{trigger, workflowStructure, agentSelection}`. A workflow is a DAG
/// of known step kinds, a task a single step, a trigger `"manual"` or `{cron, timezone}`;
/// every problem points at its node.
#[utoipa::path(put, path = "/api/v1/agents/{id}/draft", tag = "agents", operation_id = "put_agent_draft",
    params(("id" = i64, Path, description = "Numeric agent id"), ("If-Match" = Option<String>, Header, description = "The ETag you read")),
    request_body(content = serde_json::Map<String, Value>, description = "{trigger, workflowStructure, agentSelection}"),
    responses(Unauthenticated, (status = 200, description = "The saved draft", body = Variation),
        (status = 400, description = "Malformed JSON or a non-numeric id", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "You may not manage this agent (not_allowed), or a cross-site cookie request (csrf)", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "No such agent in your organization (agent_not_found)", body = Problem, content_type = PROBLEM_JSON),
        (status = 409, description = "Synced (agent_read_only) or deleted (agent_deleted)", body = Problem, content_type = PROBLEM_JSON),
        (status = 412, description = "If-Match names another version (precondition_failed)", body = Problem, content_type = PROBLEM_JSON),
        (status = 413, description = "The body is too large (payload_too_large)", body = Problem, content_type = PROBLEM_JSON),
        (status = 415, description = "Not sent as application/json (unsupported_media_type)", body = Problem, content_type = PROBLEM_JSON),
        (status = 422, description = "The definition breaks a rule; errors point at each node (invalid_definition)", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn put_draft(
    State(s): State<AppState>,
    Auth(p): Auth,
    Meta(meta): Meta,
    Path(id): Path<i64>,
    IfMatch(if_match): IfMatch,
    Json(body): Json<Value>,
) -> ApiResult<Response> {
    let (v, revision) = s.services.put_draft(&p, id, &body, if_match.as_deref(), &meta).await?;
    Ok(variation(&v, revision))
}

/// Deploy: freeze the draft as the next version, make it active, `status: active`.
#[utoipa::path(post, path = "/api/v1/agents/{id}/deploy", tag = "agents", operation_id = "deploy_agent",
    params(("id" = i64, Path, description = "Numeric agent id"), ("If-Match" = Option<String>, Header, description = "The ETag you read")),
    request_body(content = DeployRequest, description = "Optional name and notes"),
    responses(OptionalJsonBody, Unauthenticated, (status = 200, description = "The agent, deployed", body = agentry_services::model::Agent),
        (status = 400, description = "Malformed JSON, or a name or notes too long (validation)", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "You may not manage this agent (not_allowed), or a cross-site cookie request (csrf)", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "No such agent in your organization (agent_not_found)", body = Problem, content_type = PROBLEM_JSON),
        (status = 409, description = "No changes to deploy (nothing_to_deploy); synced (agent_read_only) or deleted (agent_deleted)", body = Problem, content_type = PROBLEM_JSON),
        (status = 412, description = "If-Match names another version (precondition_failed)", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn deploy(
    State(s): State<AppState>,
    Auth(p): Auth,
    Meta(meta): Meta,
    Path(id): Path<i64>,
    IfMatch(if_match): IfMatch,
    OptionalJson(req): OptionalJson<DeployRequest>,
) -> ApiResult<Response> {
    let view = s.services.deploy_agent(&p, id, req, if_match.as_deref(), &meta).await?;
    Ok(tagged(StatusCode::OK, &view))
}

/// The deployed versions, newest first, with who deployed each and when.
#[utoipa::path(get, path = "/api/v1/agents/{id}/variations", tag = "agents", operation_id = "list_agent_variations",
    params(("id" = i64, Path, description = "Numeric agent id")),
    responses(Unauthenticated, (status = 200, description = "The history", body = VariationList),
        (status = 400, description = "A non-numeric id (invalid_path)", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "Your access does not include this agent's history (not_allowed)", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "No such agent in your organization (agent_not_found)", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn history(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<VariationList>> {
    Ok(axum::Json(s.services.list_variations(&p, id).await?))
}

/// Copy a deployed version into the draft (the active version does not change).
#[utoipa::path(post, path = "/api/v1/agents/{id}/variations/{vid}/restore", tag = "agents", operation_id = "restore_agent_variation",
    params(("id" = i64, Path, description = "Numeric agent id"), ("vid" = String, Path, description = "Variation id"),
        ("If-Match" = Option<String>, Header, description = "The ETag you read")),
    responses(Unauthenticated, (status = 200, description = "The agent, with the draft as `variation`", body = agentry_services::model::Agent),
        (status = 400, description = "A non-numeric id (invalid_path)", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "You may not manage this agent (not_allowed), or a cross-site cookie request (csrf)", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "No such agent (agent_not_found) or deployed version (variation_not_found)", body = Problem, content_type = PROBLEM_JSON),
        (status = 409, description = "Synced (agent_read_only) or deleted (agent_deleted)", body = Problem, content_type = PROBLEM_JSON),
        (status = 412, description = "If-Match names another version (precondition_failed)", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn restore(
    State(s): State<AppState>,
    Auth(p): Auth,
    Meta(meta): Meta,
    Path((id, vid)): Path<(i64, String)>,
    IfMatch(if_match): IfMatch,
) -> ApiResult<Response> {
    let view = s.services.use_variation(&p, id, &vid, false, if_match.as_deref(), &meta).await?;
    Ok(tagged(StatusCode::OK, &view))
}

/// Make a deployed version active again (roll back or forward); the draft is untouched.
#[utoipa::path(post, path = "/api/v1/agents/{id}/variations/{vid}/activate", tag = "agents", operation_id = "activate_agent_variation",
    params(("id" = i64, Path, description = "Numeric agent id"), ("vid" = String, Path, description = "Variation id"),
        ("If-Match" = Option<String>, Header, description = "The ETag you read")),
    responses(Unauthenticated, (status = 200, description = "The agent, with the active version as `variation`", body = agentry_services::model::Agent),
        (status = 400, description = "A non-numeric id (invalid_path)", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "You may not manage this agent (not_allowed), or a cross-site cookie request (csrf)", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "No such agent (agent_not_found) or deployed version (variation_not_found)", body = Problem, content_type = PROBLEM_JSON),
        (status = 409, description = "Synced (agent_read_only) or deleted (agent_deleted)", body = Problem, content_type = PROBLEM_JSON),
        (status = 412, description = "If-Match names another version (precondition_failed)", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn activate_version(
    State(s): State<AppState>,
    Auth(p): Auth,
    Meta(meta): Meta,
    Path((id, vid)): Path<(i64, String)>,
    IfMatch(if_match): IfMatch,
) -> ApiResult<Response> {
    let view = s.services.use_variation(&p, id, &vid, true, if_match.as_deref(), &meta).await?;
    Ok(tagged(StatusCode::OK, &view))
}

/// Flip `scheduleEnabled`, or set it with `{enabled}`. Needs a deployed cron trigger.
#[utoipa::path(post, path = "/api/v1/agents/{id}/toggle", tag = "agents", operation_id = "toggle_agent_schedule",
    params(("id" = i64, Path, description = "Numeric agent id"), ("If-Match" = Option<String>, Header, description = "The ETag you read")),
    request_body(content = ToggleRequest, description = "Optional explicit state"),
    responses(OptionalJsonBody, Unauthenticated, (status = 200, description = "The agent", body = agentry_services::model::Agent),
        (status = 400, description = "Malformed JSON or a non-numeric id", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "You may not manage this agent (not_allowed), or a cross-site cookie request (csrf)", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "No such agent in your organization (agent_not_found)", body = Problem, content_type = PROBLEM_JSON),
        (status = 409, description = "No deployed cron trigger (no_schedule); synced (agent_read_only) or deleted (agent_deleted)", body = Problem, content_type = PROBLEM_JSON),
        (status = 412, description = "If-Match names another version (precondition_failed)", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn toggle(
    State(s): State<AppState>,
    Auth(p): Auth,
    Meta(meta): Meta,
    Path(id): Path<i64>,
    IfMatch(if_match): IfMatch,
    OptionalJson(req): OptionalJson<ToggleRequest>,
) -> ApiResult<Response> {
    let view = s.services.toggle_schedule(&p, id, req.enabled, if_match.as_deref(), &meta).await?;
    Ok(tagged(StatusCode::OK, &view))
}

/// Paging of an agent's audit trail.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AgentAuditParams {
    /// Page size, 1 to 200 (larger values are capped); default 50.
    #[serde(rename = "$top")]
    #[param(minimum = 1)]
    pub top: Option<i64>,
    /// Entries older than this id (the `@odata.nextLink`'s cursor).
    #[param(minimum = 1)]
    pub cursor: Option<i64>,
}

/// The audit entries about this agent, newest first: edits, deploys, activations,
/// transfers and keys, with who and when. For those who may manage it.
#[utoipa::path(get, path = "/api/v1/agents/{id}/audit", tag = "agents", operation_id = "list_agent_audit",
    params(("id" = i64, Path, description = "Numeric agent id"), AgentAuditParams),
    responses(Unauthenticated, (status = 200, description = "A page of entries", body = AuditPage),
        (status = 400, description = "A non-numeric id or cursor, or `$top` below 1 (invalid_path, invalid_query, validation)", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "You may not manage this agent (not_allowed)", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "No such agent in your organization (agent_not_found)", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn audit(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<i64>,
    Query(q): Query<AgentAuditParams>,
) -> ApiResult<axum::Json<AuditPage>> {
    let mut errors = Vec::new();
    if q.top.is_some_and(|t| t < 1) {
        errors.push(FieldError::new("$top", "$top is at least 1."));
    }
    if q.cursor.is_some_and(|c| c < 1) {
        errors.push(FieldError::new("cursor", "A cursor is an entry's id, at least 1."));
    }
    if !errors.is_empty() {
        return Err(ServiceError::validation(errors).into());
    }
    Ok(axum::Json(s.services.agent_audit(&p, id, q.top, q.cursor).await?))
}
