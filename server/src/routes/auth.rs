//! Accounts: sign-up, log-in, log-out, the current user, and organization switching.

use crate::extract::{Auth, Json, Meta};
use crate::problem::{ApiResult, JsonBody, Problem, RateLimited, Unauthenticated, PROBLEM_JSON};
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
    #[schema(schema_with = agentry_services::schemas::email)]
    pub email: String,
    /// Password: 10 to 128 characters, not one repeated character.
    #[schema(schema_with = agentry_services::schemas::password)]
    pub password: String,
    /// Name of the organization to create, with you as owner.
    #[schema(schema_with = agentry_services::schemas::org_name)]
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
    responses(JsonBody, RateLimited, (status = 201, description = "Account created; session cookie set", body = Me),
        (status = 400, description = "Malformed JSON, or an invalid email, password or organization (the password must not be one repeated character)", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "A cookie-authenticated request from another site (csrf)", body = Problem, content_type = PROBLEM_JSON),
        (status = 409, description = "Email already registered", body = Problem, content_type = PROBLEM_JSON)))]
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
    responses(JsonBody, RateLimited, (status = 200, description = "Signed in; session cookie set", body = Me),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = PROBLEM_JSON),
        (status = 401, description = "Wrong email or password (one answer for both)", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "A cookie-authenticated request from another site (csrf)", body = Problem, content_type = PROBLEM_JSON)))]
pub async fn login(State(s): State<AppState>, Meta(meta): Meta, Json(req): Json<LoginRequest>) -> ApiResult<Response> {
    let (me, session) = s.services.login(&req.email, &req.password, &meta).await?;
    let cookie = s.services.session_cookie(&session);
    Ok(([(header::SET_COOKIE, cookie)], Json(me)).into_response())
}

/// End the current session and clear the cookie.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 204, description = "Signed out"),
        (status = 403, description = "A cookie-authenticated request from another site (csrf)", body = Problem, content_type = PROBLEM_JSON)))]
pub async fn logout(State(s): State<AppState>, Meta(meta): Meta, parts: Parts) -> ApiResult<Response> {
    if let Some(Presented::Session(token)) = Presented::from_headers(&parts.headers) {
        s.services.logout(&token, &meta).await?;
    }
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, s.services.clear_session_cookie())]).into_response())
}

/// The signed-in user, their memberships and roles, and the current organization.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth",
    responses(Unauthenticated, (status = 200, description = "The signed-in user", body = Me)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn me(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<Json<Me>> {
    Ok(Json(s.services.me(&p).await?))
}

/// Switch the session's current organization.
#[utoipa::path(post, path = "/api/v1/me/organization", tag = "auth", request_body = SwitchRequest,
    responses(JsonBody, Unauthenticated, (status = 200, description = "Switched", body = Me),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "API keys cannot switch (api_key_bound), or a cross-site cookie request (csrf)", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "Not one of your organizations", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = [])))]
pub async fn switch_organization(
    State(s): State<AppState>,
    Auth(p): Auth,
    Json(req): Json<SwitchRequest>,
) -> ApiResult<Json<Me>> {
    Ok(Json(s.services.switch_organization(&p, &req.organization).await?))
}
