//! REST handlers for the agent directory (seeds 002 and 003): the OData list, create with
//! `Idempotency-Key`, get with `If-None-Match`, merge patch and delete with `If-Match`,
//! activate and deactivate. Served under `/api/agents` (seed 002) and `/api/v1/agents`;
//! the OpenAPI document lists the `/api/v1` paths and copies them (`docs.rs`).

use crate::extract::{Auth, IdempotencyHeader, IfMatch, IfNoneMatch, Json, Meta, Path, Query, StrictMergePatch};
use crate::problem::{ApiError, ApiResult, JsonBody, Problem, Unauthenticated, PROBLEM_JSON};
use crate::startup::AppState;
use agentry_services::model::{
    AccessConfig, AccessRule, Agent, AgentListQuery, AgentPage, AgentPatch, CreateAgentRequest,
    PendingOwnershipTransfer, VariationDetail,
};
use agentry_services::{AgentView, ErrorCode, IdempotencyKey, ServiceError, View};
use axum::extract::{MatchedPath, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::Value;
use utoipa::OpenApi;

/// This module's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(list, create, get_one, update, delete, activate, deactivate),
    components(schemas(Agent, AgentPage, AgentPatch, CreateAgentRequest, AccessConfig, AccessRule, PendingOwnershipTransfer, VariationDetail)),
    tags((name = "agents", description = "The agent directory: OData lists, merge patch, lifecycle"))
)]
pub struct ApiDoc;

/// The directory's routes under `prefix` (`/api/agents` or `/api/v1/agents`).
pub fn router(prefix: &str) -> Router<AppState> {
    Router::new()
        .route(prefix, get(list).post(create))
        .route(&format!("{prefix}/{{id}}"), get(get_one).patch(update).delete(delete))
        .route(&format!("{prefix}/{{id}}/activate"), post(activate))
        .route(&format!("{prefix}/{{id}}/deactivate"), post(deactivate))
}

/// An agent with its `ETag`.
pub(crate) fn tagged(status: StatusCode, view: &AgentView) -> Response {
    let mut res = (status, axum::Json(&view.agent)).into_response();
    if let Ok(tag) = HeaderValue::from_str(&view.etag()) {
        res.headers_mut().insert(header::ETAG, tag);
    }
    res
}

/// List your organization's agents: OData `$filter`, `$orderby`, `$select`, `$top`
/// (default 50, at most 1000), `$skip`, `$count`, and `email=` (exact, ignoring case).
/// `@odata.nextLink` carries a signed cursor bound to the filter and the sort.
#[utoipa::path(get, path = "/api/v1/agents", tag = "agents", operation_id = "list_agents",
    params(AgentListQuery),
    responses(Unauthenticated, (status = 200, description = "A page of agents", body = AgentPage),
        (status = 400, description = "A query option the server cannot read (invalid_query_option, with param, position, expected and didYouMean), a cursor of another query (cursor_mismatch), or a bad email or includeDeleted (validation)", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "includeDeleted=true by someone other than an owner or admin (not_allowed)", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn list(
    State(s): State<AppState>,
    Auth(p): Auth,
    path: MatchedPath,
    Query(q): Query<AgentListQuery>,
) -> ApiResult<axum::Json<AgentPage>> {
    Ok(axum::Json(s.services.list_agents_odata(&p, &q, path.as_str()).await?))
}

/// Create an agent: a definition with a first draft (`status: draft`), no keys and no
/// seat. You own it. With `Idempotency-Key`, a repeat with the same body returns the same
/// agent; the same key with another body is 422.
#[utoipa::path(post, path = "/api/v1/agents", tag = "agents", operation_id = "create_agent",
    request_body = CreateAgentRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "1 to 255 visible ASCII characters; the same key and body return the stored answer")),
    responses(JsonBody, Unauthenticated, (status = 201, description = "Created (or replayed for the same Idempotency-Key)", body = Agent,
            headers(("ETag" = String, description = "Strong validator of this representation"), ("Location" = String, description = "The agent"))),
        (status = 400, description = "Malformed JSON, or fields breaking a rule (validation)", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "A cross-site cookie request (csrf)", body = Problem, content_type = PROBLEM_JSON),
        (status = 409, description = "Another live agent has this slug (slug_taken)", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn create(
    State(s): State<AppState>,
    Auth(p): Auth,
    Meta(meta): Meta,
    path: MatchedPath,
    IdempotencyHeader(key): IdempotencyHeader,
    Json(body): Json<Value>,
) -> ApiResult<Response> {
    let key = key.map(|k| IdempotencyKey::parse(&k, &body)).transpose()?;
    let req: CreateAgentRequest = serde_json::from_value(body)
        .map_err(|e| ServiceError::new(ErrorCode::InvalidBody, format!("The body has the wrong shape: {e}")))?;
    let (view, _replayed) = s.services.create_agent(&p, req, key, &meta).await?;
    let mut res = tagged(StatusCode::CREATED, &view);
    if let Ok(loc) = HeaderValue::from_str(&format!("{}/{}", path.as_str(), view.agent.id)) {
        res.headers_mut().insert(header::LOCATION, loc);
    }
    Ok(res)
}

/// `?view=` of a single agent.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ViewParams {
    /// `draft` or `active`: include that definition as `variation`.
    #[param(pattern = "^(draft|active)$")]
    pub view: Option<String>,
}

fn view_of(params: &ViewParams) -> Result<Option<View>, ApiError> {
    match params.view.as_deref() {
        None => Ok(None),
        Some(v) => {
            View::parse(v).map(Some).ok_or_else(|| ServiceError::field("view", "view must be draft or active.").into())
        }
    }
}

/// One agent of your organization. `?view=draft|active` adds its definition. With
/// `If-None-Match` naming the current ETag, 304.
#[utoipa::path(get, path = "/api/v1/agents/{id}", tag = "agents", operation_id = "get_agent",
    params(("id" = i64, Path, description = "Numeric agent id"), ViewParams,
        ("If-None-Match" = Option<String>, Header, description = "ETags you hold")),
    responses(Unauthenticated, (status = 200, description = "The agent", body = Agent, headers(("ETag" = String, description = "Strong validator"))),
        (status = 304, description = "Not modified: If-None-Match names the current ETag"),
        (status = 400, description = "A non-numeric id (invalid_path) or another view (validation)", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "No such agent in your organization (agent_not_found)", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn get_one(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<i64>,
    Query(params): Query<ViewParams>,
    IfNoneMatch(inm): IfNoneMatch,
) -> ApiResult<Response> {
    let view = s.services.get_agent(&p, id, view_of(&params)?).await?;
    let tag = view.etag();
    let fresh = inm.is_some_and(|h| h.split(',').map(str::trim).any(|t| t == "*" || t.trim_start_matches("W/") == tag));
    if fresh {
        let mut res = StatusCode::NOT_MODIFIED.into_response();
        if let Ok(tag) = HeaderValue::from_str(&tag) {
            res.headers_mut().insert(header::ETAG, tag);
        }
        return Ok(res);
    }
    Ok(tagged(StatusCode::OK, &view))
}

/// Change an agent with a JSON merge patch (RFC 7396, `application/merge-patch+json`) of
/// `name`, `slug`, `description`, `email` and `accessConfig`; `null` removes a field.
#[utoipa::path(patch, path = "/api/v1/agents/{id}", tag = "agents", operation_id = "update_agent",
    params(("id" = i64, Path, description = "Numeric agent id"), ("If-Match" = Option<String>, Header, description = "The ETag you read")),
    request_body(content = AgentPatch, content_type = "application/merge-patch+json", description = "The fields to change"),
    responses(Unauthenticated, (status = 200, description = "The changed agent", body = Agent, headers(("ETag" = String, description = "Strong validator"))),
        (status = 400, description = "Malformed JSON, an unknown field, or a value breaking a rule (validation)", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "You may not manage this agent (not_allowed), or a cross-site cookie request (csrf)", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "No such agent in your organization (agent_not_found)", body = Problem, content_type = PROBLEM_JSON),
        (status = 409, description = "Synced agents are read-only (agent_read_only); deleted agents cannot change (agent_deleted); the slug is taken (slug_taken)", body = Problem, content_type = PROBLEM_JSON),
        (status = 412, description = "If-Match names another version (precondition_failed)", body = Problem, content_type = PROBLEM_JSON),
        (status = 413, description = "The body is too large (payload_too_large)", body = Problem, content_type = PROBLEM_JSON),
        (status = 415, description = "Not sent as application/merge-patch+json (unsupported_media_type)", body = Problem, content_type = PROBLEM_JSON),
        (status = 422, description = "An immutable or read-only field (immutable_field, naming it), or a body of the wrong shape (invalid_body)", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn update(
    State(s): State<AppState>,
    Auth(p): Auth,
    Meta(meta): Meta,
    Path(id): Path<i64>,
    IfMatch(if_match): IfMatch,
    StrictMergePatch(patch): StrictMergePatch,
) -> ApiResult<Response> {
    let view = s.services.patch_agent(&p, id, &patch, if_match.as_deref(), &meta).await?;
    Ok(tagged(StatusCode::OK, &view))
}

/// Soft-delete an agent: sets `deletedAt`, frees its seat and slug, revokes its keys.
/// Deleting it again answers it unchanged.
#[utoipa::path(delete, path = "/api/v1/agents/{id}", tag = "agents", operation_id = "delete_agent",
    params(("id" = i64, Path, description = "Numeric agent id"), ("If-Match" = Option<String>, Header, description = "The ETag you read")),
    responses(Unauthenticated, (status = 200, description = "The deleted agent", body = Agent),
        (status = 400, description = "A non-numeric id (invalid_path)", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "You may not manage this agent (not_allowed), or a cross-site cookie request (csrf)", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "No such agent in your organization (agent_not_found)", body = Problem, content_type = PROBLEM_JSON),
        (status = 409, description = "Synced agents are read-only (agent_read_only)", body = Problem, content_type = PROBLEM_JSON),
        (status = 412, description = "If-Match names another version (precondition_failed)", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn delete(
    State(s): State<AppState>,
    Auth(p): Auth,
    Meta(meta): Meta,
    Path(id): Path<i64>,
    IfMatch(if_match): IfMatch,
) -> ApiResult<Response> {
    let view = s.services.delete_agent(&p, id, if_match.as_deref(), &meta).await?;
    Ok(tagged(StatusCode::OK, &view))
}

/// Activate an agent: its keys authenticate again.
#[utoipa::path(post, path = "/api/v1/agents/{id}/activate", tag = "agents", operation_id = "activate_agent",
    params(("id" = i64, Path, description = "Numeric agent id"), ("If-Match" = Option<String>, Header, description = "The ETag you read")),
    responses(Unauthenticated, (status = 200, description = "The agent, enabled", body = Agent),
        (status = 400, description = "A non-numeric id (invalid_path)", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "You may not manage this agent (not_allowed), or a cross-site cookie request (csrf)", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "No such agent in your organization (agent_not_found)", body = Problem, content_type = PROBLEM_JSON),
        (status = 409, description = "Synced (agent_read_only) or deleted (agent_deleted)", body = Problem, content_type = PROBLEM_JSON),
        (status = 412, description = "If-Match names another version (precondition_failed)", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn activate(
    State(s): State<AppState>,
    Auth(p): Auth,
    Meta(meta): Meta,
    Path(id): Path<i64>,
    IfMatch(if_match): IfMatch,
) -> ApiResult<Response> {
    let view = s.services.set_agent_enabled(&p, id, true, if_match.as_deref(), &meta).await?;
    Ok(tagged(StatusCode::OK, &view))
}

/// Deactivate an agent: its keys stop authenticating (they are not revoked).
#[utoipa::path(post, path = "/api/v1/agents/{id}/deactivate", tag = "agents", operation_id = "deactivate_agent",
    params(("id" = i64, Path, description = "Numeric agent id"), ("If-Match" = Option<String>, Header, description = "The ETag you read")),
    responses(Unauthenticated, (status = 200, description = "The agent, disabled", body = Agent),
        (status = 400, description = "A non-numeric id (invalid_path)", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "You may not manage this agent (not_allowed), or a cross-site cookie request (csrf)", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "No such agent in your organization (agent_not_found)", body = Problem, content_type = PROBLEM_JSON),
        (status = 409, description = "Synced (agent_read_only) or deleted (agent_deleted)", body = Problem, content_type = PROBLEM_JSON),
        (status = 412, description = "If-Match names another version (precondition_failed)", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn deactivate(
    State(s): State<AppState>,
    Auth(p): Auth,
    Meta(meta): Meta,
    Path(id): Path<i64>,
    IfMatch(if_match): IfMatch,
) -> ApiResult<Response> {
    let view = s.services.set_agent_enabled(&p, id, false, if_match.as_deref(), &meta).await?;
    Ok(tagged(StatusCode::OK, &view))
}
