//! Account security: change password, sessions, password reset by email.

use crate::extract::{Auth, Json, Meta, Path};
use crate::problem::{ApiResult, JsonBody, Problem, RateLimited, Unauthenticated, PROBLEM_JSON};
use crate::startup::AppState;
use agentry_services::model::{
    ChangePasswordRequest, PasswordResetConfirm, PasswordResetRequest, RevokedSessions, SessionInfo, SessionList,
};
use agentry_services::vocab::{field, Email, Password};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::Router;
use utoipa::OpenApi;

/// This module's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(change_password, sessions, revoke_session, revoke_others, reset, reset_confirm),
    components(schemas(
        ChangePasswordRequest,
        SessionInfo,
        SessionList,
        RevokedSessions,
        PasswordResetRequest,
        PasswordResetConfirm
    ))
)]
pub struct ApiDoc;

/// This module's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/me/password", post(change_password))
        .route("/api/v1/me/sessions", get(sessions))
        .route("/api/v1/me/sessions/revoke-others", post(revoke_others))
        .route("/api/v1/me/sessions/{id}", delete(revoke_session))
        .route("/api/v1/auth/password-reset", post(reset))
        .route("/api/v1/auth/password-reset/confirm", post(reset_confirm))
}

/// Change your password. Needs the current one; every other session of yours ends.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "auth", request_body = ChangePasswordRequest,
    responses(JsonBody, Unauthenticated, RateLimited, (status = 204, description = "Changed; your other sessions have ended"),
        (status = 400, description = "Malformed JSON, or a new password that breaks the rule (validation)", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "The current password is wrong (wrong_password), or a cross-site cookie request (csrf)", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn change_password(
    State(s): State<AppState>,
    Auth(p): Auth,
    Meta(meta): Meta,
    Json(req): Json<ChangePasswordRequest>,
) -> ApiResult<StatusCode> {
    let new = field("newPassword", Password::parse(&req.new_password))?;
    s.services.change_password(&p, &req.current_password, new, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Your live sessions: when and where each was opened and last used.
#[utoipa::path(get, path = "/api/v1/me/sessions", tag = "auth", operation_id = "list_sessions",
    responses(Unauthenticated, (status = 200, description = "Your sessions, newest first", body = SessionList)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn sessions(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<Json<SessionList>> {
    Ok(Json(s.services.list_sessions(&p).await?))
}

/// End one of your sessions (that browser is signed out at its next request).
#[utoipa::path(delete, path = "/api/v1/me/sessions/{id}", tag = "auth", operation_id = "revoke_session",
    params(("id" = i64, Path, description = "The session's id")),
    responses(Unauthenticated, (status = 204, description = "Ended"),
        (status = 400, description = "Invalid session id", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "A cross-site cookie request (csrf)", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "No such session of yours (session_not_found)", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn revoke_session(
    State(s): State<AppState>,
    Auth(p): Auth,
    Meta(meta): Meta,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    s.services.revoke_session(&p, id, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// End every session of yours but this one.
#[utoipa::path(post, path = "/api/v1/me/sessions/revoke-others", tag = "auth", operation_id = "revoke_other_sessions",
    responses(Unauthenticated, (status = 200, description = "How many sessions ended", body = RevokedSessions),
        (status = 403, description = "A cross-site cookie request (csrf)", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn revoke_others(
    State(s): State<AppState>,
    Auth(p): Auth,
    Meta(meta): Meta,
) -> ApiResult<Json<RevokedSessions>> {
    Ok(Json(s.services.revoke_other_sessions(&p, &meta).await?))
}

/// Ask for a password reset link. The answer is the same whether or not an account uses
/// the address; if one does, it gets an email with a link that works once, for an hour.
#[utoipa::path(post, path = "/api/v1/auth/password-reset", tag = "auth", request_body = PasswordResetRequest,
    responses(JsonBody, RateLimited, (status = 202, description = "If an account uses this address, a link is on its way"),
        (status = 400, description = "Malformed JSON, or not an email address", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "A cross-site cookie request (csrf)", body = Problem, content_type = PROBLEM_JSON)),
    security(()))]
pub async fn reset(
    State(s): State<AppState>,
    Meta(meta): Meta,
    Json(req): Json<PasswordResetRequest>,
) -> ApiResult<StatusCode> {
    let email = field("email", Email::parse(&req.email))?;
    s.services.request_password_reset(email, &meta).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Choose a new password with the emailed token. Every session of the account ends.
#[utoipa::path(post, path = "/api/v1/auth/password-reset/confirm", tag = "auth", request_body = PasswordResetConfirm,
    responses(JsonBody, (status = 204, description = "Password changed; log in with it"),
        (status = 400, description = "Malformed JSON, or a password that breaks the rule (validation)", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "A cross-site cookie request (csrf)", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "A token that is unknown, used or expired: one answer for all three (reset_token_invalid)", body = Problem, content_type = PROBLEM_JSON)),
    security(()))]
pub async fn reset_confirm(
    State(s): State<AppState>,
    Meta(meta): Meta,
    Json(req): Json<PasswordResetConfirm>,
) -> ApiResult<StatusCode> {
    let new = field("newPassword", Password::parse(&req.new_password))?;
    s.services.confirm_password_reset(&req.token, new, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}
