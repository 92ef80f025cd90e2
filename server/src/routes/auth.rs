//! Accounts: sign-up, log-in, log-out, the current user, and organization switching.

use crate::extract::{Auth, Json, Meta};
use crate::problem::{ApiResult, Problem};
use crate::startup::AppState;
use agentry_services::inputs::SignUp;
use agentry_services::model::Me;
use agentry_services::Presented;
use axum::extract::State;
use axum::http::{header, request::Parts, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

/// Body of `POST /api/v1/auth/signup`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignupRequest {
    /// Email address; unique, case-insensitive.
    pub email: String,
    /// Password: 10 to 128 characters, not one repeated character.
    pub password: String,
    /// Name of the organization to create, with you as owner.
    pub organization: String,
}

/// Body of `POST /api/v1/auth/login`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Email address.
    pub email: String,
    /// Password.
    pub password: String,
}

/// Body of `POST /api/v1/me/organization`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SwitchRequest {
    /// Numeric id or UUID of one of your organizations.
    pub organization: String,
}

/// Create an account and its organization, and sign in.
#[utoipa::path(post, path = "/api/v1/auth/signup", tag = "auth", request_body = SignupRequest,
    responses((status = 201, description = "Account created; session cookie set", body = Me),
        (status = 400, description = "Invalid email, password or organization", body = Problem),
        (status = 409, description = "Email already registered", body = Problem),
        (status = 422, description = "Wrong field types or missing fields", body = Problem),
        (status = 429, description = "Too many sign-ups from this address", body = Problem)))]
pub async fn signup(
    State(s): State<AppState>,
    Meta(meta): Meta,
    Json(req): Json<SignupRequest>,
) -> ApiResult<Response> {
    let input = SignUp::parse(&req.email, &req.password, &req.organization)?;
    let (me, session) = s.services.signup(input, &meta).await?;
    let cookie = s.services.session_cookie(&session);
    Ok((StatusCode::CREATED, [(header::SET_COOKIE, cookie)], Json(me)).into_response())
}

/// Sign in with email and password.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, description = "Signed in; session cookie set", body = Me),
        (status = 401, description = "Wrong email or password (one answer for both)", body = Problem),
        (status = 422, description = "Wrong field types or missing fields", body = Problem),
        (status = 429, description = "Too many attempts", body = Problem)))]
pub async fn login(State(s): State<AppState>, Meta(meta): Meta, Json(req): Json<LoginRequest>) -> ApiResult<Response> {
    let (me, session) = s.services.login(&req.email, &req.password, &meta).await?;
    let cookie = s.services.session_cookie(&session);
    Ok(([(header::SET_COOKIE, cookie)], Json(me)).into_response())
}

/// End the current session and clear the cookie.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 204, description = "Signed out")))]
pub async fn logout(State(s): State<AppState>, parts: Parts) -> ApiResult<Response> {
    if let Some(Presented::Session(token)) = Presented::from_headers(&parts.headers) {
        s.services.logout(&token).await?;
    }
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, s.services.clear_session_cookie())]).into_response())
}

/// The signed-in user, their memberships and roles, and the current organization.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth",
    responses((status = 200, body = Me), (status = 401, body = Problem)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn me(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<Json<Me>> {
    Ok(Json(s.services.me(&p).await?))
}

/// Switch the session's current organization.
#[utoipa::path(post, path = "/api/v1/me/organization", tag = "auth", request_body = SwitchRequest,
    responses((status = 200, body = Me), (status = 401, body = Problem),
        (status = 403, description = "API keys cannot switch", body = Problem),
        (status = 404, description = "Not one of your organizations", body = Problem)),
    security(("SessionCookie" = [])))]
pub async fn switch_organization(
    State(s): State<AppState>,
    Auth(p): Auth,
    Json(req): Json<SwitchRequest>,
) -> ApiResult<Json<Me>> {
    Ok(Json(s.services.switch_organization(&p, &req.organization).await?))
}
