//! REST handlers for saved views: each user's named queries of the agent directory.

use crate::extract::{Auth, Json, Path, Query};
use crate::problem::{ApiResult, JsonBody, Problem, Unauthenticated, PROBLEM_JSON};
use crate::startup::AppState;
use agentry_services::model::{SaveViewRequest, SavedView, SavedViewList, ViewSpec};
use agentry_services::ServiceError;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::Router;
use serde::Deserialize;
use utoipa::OpenApi;

/// This module's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(list, save, remove), components(schemas(SavedView, SavedViewList, SaveViewRequest)))]
pub struct ApiDoc;

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/me/saved-views", get(list).post(save))
        .route("/api/v1/me/saved-views/{id}", delete(remove))
}

/// `?list=` of the saved views.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// The list: `agents`.
    #[param(pattern = "^agents$")]
    pub list: String,
}

/// Your saved views of a list in the current organization, by name.
#[utoipa::path(get, path = "/api/v1/me/saved-views", tag = "agents", operation_id = "list_saved_views",
    params(ListParams),
    responses(Unauthenticated, (status = 200, description = "Your views", body = SavedViewList),
        (status = 400, description = "A missing or unknown list (validation, invalid_query)", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn list(
    State(s): State<AppState>,
    Auth(p): Auth,
    Query(q): Query<ListParams>,
) -> ApiResult<axum::Json<SavedViewList>> {
    Ok(axum::Json(s.services.saved_views(&p, &q.list).await?))
}

/// Save a view; under an existing name, its query is replaced (200), else it is new (201).
#[utoipa::path(post, path = "/api/v1/me/saved-views", tag = "agents", operation_id = "save_view",
    request_body = SaveViewRequest,
    responses(JsonBody, Unauthenticated, (status = 201, description = "Saved as a new view", body = SavedView),
        (status = 200, description = "The view of that name, with the new query", body = SavedView),
        (status = 400, description = "Malformed JSON or fields breaking a rule (validation)", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "A cross-site cookie request (csrf)", body = Problem, content_type = PROBLEM_JSON),
        (status = 409, description = "50 views of this list already (too_many_views)", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn save(State(s): State<AppState>, Auth(p): Auth, Json(req): Json<SaveViewRequest>) -> ApiResult<Response> {
    let spec = ViewSpec::parse(&req).map_err(ServiceError::validation)?;
    let (v, created) = s.services.save_view(&p, spec).await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, axum::Json(v)).into_response())
}

/// Delete one of your views.
#[utoipa::path(delete, path = "/api/v1/me/saved-views/{id}", tag = "agents", operation_id = "delete_saved_view",
    params(("id" = i64, Path, description = "The view's id")),
    responses(Unauthenticated, (status = 204, description = "Deleted"),
        (status = 400, description = "A non-numeric id (invalid_path)", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "A cross-site cookie request (csrf)", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "No such view of yours (not_found)", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn remove(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<i64>) -> ApiResult<StatusCode> {
    s.services.delete_view(&p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
