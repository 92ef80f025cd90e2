//! REST handlers for the email outbox (see docs/REGISTRATION.md, "Email").

use crate::extract::{Auth, Json, Query};
use crate::problem::{ApiResult, Problem, RateLimited, Unauthenticated, PROBLEM_JSON};
use crate::startup::AppState;
use agentry_services::mailer::{OutboxItem, OutboxPage};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use utoipa::OpenApi;

/// This module's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(list, send_test),
    components(schemas(OutboxItem, OutboxPage)),
    tags((name = "outbox", description = "Emails the server sent or holds"))
)]
pub struct ApiDoc;

/// This module's routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/outbox", get(list)).route("/api/v1/outbox/test", post(send_test))
}

/// Query of `GET /api/v1/outbox`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Page size, 1 to 200 (larger values are capped); default 50.
    #[param(minimum = 1)]
    pub limit: Option<i64>,
    /// Rows to skip; default 0.
    #[param(minimum = 0)]
    pub offset: Option<i64>,
}

/// List the emails you may see: those addressed to you and, for owners and admins, every
/// email of your current organization. Newest first; bodies are shown until delivery
/// wipes them.
#[utoipa::path(get, path = "/api/v1/outbox", tag = "outbox", operation_id = "list_outbox", params(ListQuery),
    responses(Unauthenticated, (status = 200, description = "A page of emails", body = OutboxPage),
        (status = 400, description = "Invalid limit or offset", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn list(State(s): State<AppState>, Auth(p): Auth, Query(q): Query<ListQuery>) -> ApiResult<Json<OutboxPage>> {
    Ok(Json(s.services.list_outbox(&p, q.limit, q.offset).await?))
}

/// Send a test email to yourself (owners and admins), to check the SMTP settings. It is
/// queued like any email; watch its status in the outbox list.
#[utoipa::path(post, path = "/api/v1/outbox/test", tag = "outbox",
    responses(Unauthenticated, RateLimited, (status = 201, description = "Test email queued", body = OutboxItem),
        (status = 403, description = "Not an owner or admin (not_allowed), or a cross-site cookie request (csrf)", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn send_test(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<(StatusCode, Json<OutboxItem>)> {
    Ok((StatusCode::CREATED, Json(s.services.send_test_email(&p).await?)))
}
