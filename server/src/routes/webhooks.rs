//! REST handlers for an agent's completion webhook and its deliveries, under
//! `/api/v1/agents/{id}/webhook`. The agent's managers only.

use crate::extract::{Auth, Json, Path, Query};
use crate::problem::{ApiResult, JsonBody, Problem, Unauthenticated, PROBLEM_JSON};
use crate::startup::AppState;
use agentry_services::model::{DeliveryStatus, Webhook, WebhookDelivery, WebhookDeliveryList, WebhookInput};
use agentry_services::ServiceError;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use utoipa::OpenApi;

/// This module's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(put_webhook, get_webhook, delete_webhook, deliveries, redeliver),
    components(schemas(Webhook, WebhookInput, WebhookDelivery, WebhookDeliveryList, DeliveryStatus))
)]
pub struct ApiDoc;

/// This module's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/agents/{id}/webhook", get(get_webhook).put(put_webhook).delete(delete_webhook))
        .route("/api/v1/agents/{id}/webhook/deliveries", get(deliveries))
        .route("/api/v1/agents/{id}/webhook/deliveries/{delivery_id}/redeliver", post(redeliver))
}

/// Set the completion webhook: each run of the agent that ends is POSTed there, signed
/// per Standard Webhooks. A new webhook (or `rotateSecret`) answers its signing secret,
/// once.
#[utoipa::path(put, path = "/api/v1/agents/{id}/webhook", tag = "agents", operation_id = "set_agent_webhook",
    params(("id" = i64, Path, description = "Numeric agent id")),
    request_body = WebhookInput,
    responses(JsonBody, Unauthenticated, (status = 200, description = "The webhook (with `secret` when minted)", body = Webhook),
        (status = 400, description = "Malformed JSON (malformed_json)", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "You may not manage this agent (not_allowed), or a cross-site cookie request (csrf)", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "No such agent in your organization (agent_not_found)", body = Problem, content_type = PROBLEM_JSON),
        (status = 422, description = "An unknown field or a wrong type; a URL that is not http(s) with a host, or too long (invalid_body)", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn put_webhook(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<i64>,
    Json(body): Json<WebhookInput>,
) -> ApiResult<axum::Json<Webhook>> {
    Ok(axum::Json(s.services.set_webhook(&p, id, body).await?))
}

/// The completion webhook's URL (never its secret).
#[utoipa::path(get, path = "/api/v1/agents/{id}/webhook", tag = "agents", operation_id = "get_agent_webhook",
    params(("id" = i64, Path, description = "Numeric agent id")),
    responses(Unauthenticated, (status = 200, description = "The webhook", body = Webhook),
        (status = 400, description = "A non-numeric id (invalid_path)", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "You may not manage this agent (not_allowed)", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "No such agent (agent_not_found), or no webhook (webhook_not_found)", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn get_webhook(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<Webhook>> {
    Ok(axum::Json(s.services.get_webhook(&p, id).await?))
}

/// Remove the completion webhook (deliveries already queued are still sent).
#[utoipa::path(delete, path = "/api/v1/agents/{id}/webhook", tag = "agents", operation_id = "delete_agent_webhook",
    params(("id" = i64, Path, description = "Numeric agent id")),
    responses(Unauthenticated, (status = 204, description = "Removed (or there was none)"),
        (status = 400, description = "A non-numeric id (invalid_path)", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "You may not manage this agent (not_allowed), or a cross-site cookie request (csrf)", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "No such agent in your organization (agent_not_found)", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn delete_webhook(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<i64>) -> ApiResult<StatusCode> {
    s.services.delete_webhook(&p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The deliveries' filter.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryParams {
    /// Only deliveries in this state (`dead`: the dead-letter list).
    #[param(pattern = "^(pending|delivered|dead)$")]
    pub status: Option<String>,
}

/// The agent's newest 100 webhook deliveries, by state.
#[utoipa::path(get, path = "/api/v1/agents/{id}/webhook/deliveries", tag = "agents", operation_id = "list_webhook_deliveries",
    params(("id" = i64, Path, description = "Numeric agent id"), DeliveryParams),
    responses(Unauthenticated, (status = 200, description = "The deliveries, newest first", body = WebhookDeliveryList),
        (status = 400, description = "A non-numeric id (invalid_path), an unknown status (validation)", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "You may not manage this agent (not_allowed)", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "No such agent in your organization (agent_not_found)", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn deliveries(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<i64>,
    Query(q): Query<DeliveryParams>,
) -> ApiResult<axum::Json<WebhookDeliveryList>> {
    let status = q
        .status
        .map(|v| {
            DeliveryStatus::parse(&v)
                .ok_or_else(|| ServiceError::field("status", "status is pending, delivered or dead."))
        })
        .transpose()?;
    Ok(axum::Json(s.services.webhook_deliveries(&p, id, status).await?))
}

/// Send a dead (or delivered) delivery again, at once and with fresh attempts.
#[utoipa::path(post, path = "/api/v1/agents/{id}/webhook/deliveries/{delivery_id}/redeliver", tag = "agents", operation_id = "redeliver_webhook",
    params(("id" = i64, Path, description = "Numeric agent id"), ("delivery_id" = i64, Path, description = "The delivery's id")),
    responses(Unauthenticated, (status = 200, description = "The delivery, pending again", body = WebhookDelivery),
        (status = 400, description = "A non-numeric id (invalid_path)", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "You may not manage this agent (not_allowed), or a cross-site cookie request (csrf)", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "No such agent (agent_not_found), or no such delivery of it (webhook_not_found)", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn redeliver(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path((id, delivery)): Path<(i64, i64)>,
) -> ApiResult<axum::Json<WebhookDelivery>> {
    Ok(axum::Json(s.services.redeliver(&p, id, delivery).await?))
}
