//! Extractors whose rejections are problems, and authentication.

use crate::problem::{ApiError, Problem};
use agentry_services::{Principal, RequestMeta, ServiceError, Services, SESSION_COOKIE};
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;

/// `axum::Json` whose rejections are problems: 400 bad syntax, 422 wrong types or
/// missing fields, 413 too large, 415 wrong media type.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(Rejection))]
pub struct Json<T>(pub T);

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// `axum::extract::Query` with problem rejections (400).
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(Rejection))]
pub struct Query<T>(pub T);

/// `axum::extract::Path` with problem rejections (400).
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(Rejection))]
pub struct Path<T>(pub T);

/// A JSON body that may be absent: an empty body is `T::default()`. Syntax errors are 400,
/// wrong types 422, like [`Json`].
#[derive(Debug)]
pub struct OptionalJson<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned + Default> FromRequest<S> for OptionalJson<T> {
    type Rejection = Rejection;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::Bytes::from_request(req, state).await.map_err(|e| {
            Rejection(Problem::new(
                e.status(),
                "bad_body",
                e.status().canonical_reason().unwrap_or("Bad Request"),
                e.body_text(),
            ))
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalJson(T::default()));
        }
        serde_json::from_slice(&bytes).map(OptionalJson).map_err(|e| {
            let (status, code) = if e.is_data() {
                (StatusCode::UNPROCESSABLE_ENTITY, "invalid_body")
            } else {
                (StatusCode::BAD_REQUEST, "malformed_json")
            };
            Rejection(Problem::new(status, code, status.canonical_reason().unwrap_or("Bad Request"), e.to_string()))
        })
    }
}

/// A rejected request, as a problem.
pub struct Rejection(Problem);

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        self.0.into_response()
    }
}

impl From<JsonRejection> for Rejection {
    fn from(r: JsonRejection) -> Self {
        let (status, code) = match &r {
            JsonRejection::JsonDataError(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"),
            JsonRejection::JsonSyntaxError(_) => (StatusCode::BAD_REQUEST, "malformed_json"),
            JsonRejection::MissingJsonContentType(_) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
            _ => (r.status(), "bad_body"),
        };
        let title = status.canonical_reason().unwrap_or("Bad Request");
        Rejection(Problem::new(status, code, title, r.body_text()))
    }
}

impl From<QueryRejection> for Rejection {
    fn from(r: QueryRejection) -> Self {
        Rejection(Problem::new(StatusCode::BAD_REQUEST, "invalid_query", "Invalid query", r.body_text()))
    }
}

impl From<PathRejection> for Rejection {
    fn from(r: PathRejection) -> Self {
        Rejection(Problem::new(StatusCode::BAD_REQUEST, "invalid_path", "Invalid path parameter", r.body_text()))
    }
}

/// The raw credential a request carries, in order of precedence: `Authorization: Bearer`,
/// `X-API-Key`, then the session cookie.
pub enum Presented {
    /// A bearer token or API key header.
    Key(String),
    /// The session cookie.
    Session(String),
}

/// Finds the credential in a request, if any.
pub fn presented(parts: &Parts) -> Option<Presented> {
    let h = &parts.headers;
    if let Some(v) = h.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        let token = v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")).unwrap_or("").trim();
        return Some(Presented::Key(token.to_string()));
    }
    if let Some(v) = h.get("x-api-key").and_then(|v| v.to_str().ok()) {
        return Some(Presented::Key(v.trim().to_string()));
    }
    CookieJar::from_headers(h).get(SESSION_COOKIE).map(|c| Presented::Session(c.value().to_string()))
}

/// An authenticated principal; 401 problem when there is none.
pub struct Auth(pub Principal);

impl FromRequestParts<crate::startup::AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &crate::startup::AppState) -> Result<Self, Self::Rejection> {
        let services: &Services = &state.services;
        let principal = match presented(parts) {
            Some(Presented::Key(k)) => services.authenticate_api_key(&k).await?,
            Some(Presented::Session(s)) => services.authenticate_session(&s).await?,
            None => return Err(ServiceError::Unauthorized.into()),
        };
        Ok(Auth(principal))
    }
}

impl OptionalFromRequestParts<crate::startup::AppState> for Auth {
    type Rejection = ApiError;

    /// No credential: `None`. A credential that fails: still 401, never silently anonymous.
    async fn from_request_parts(
        parts: &mut Parts,
        state: &crate::startup::AppState,
    ) -> Result<Option<Self>, Self::Rejection> {
        match presented(parts) {
            None => Ok(None),
            Some(_) => <Auth as FromRequestParts<_>>::from_request_parts(parts, state).await.map(Some),
        }
    }
}

/// The caller of a registration endpoint: like [`Auth`], but a `dlg_` delegated token is
/// accepted too, and no credential at all is `None` (the invite flow). A credential that
/// fails is still 401.
pub struct Registrant(pub Option<Principal>);

impl FromRequestParts<crate::startup::AppState> for Registrant {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &crate::startup::AppState) -> Result<Self, Self::Rejection> {
        let services: &Services = &state.services;
        let principal = match presented(parts) {
            None => return Ok(Registrant(None)),
            Some(Presented::Key(k)) if k.starts_with(agentry_services::secrets::DELEGATED_PREFIX) => {
                services.authenticate_delegated(&k).await?
            }
            Some(Presented::Key(k)) => services.authenticate_api_key(&k).await?,
            Some(Presented::Session(s)) => services.authenticate_session(&s).await?,
        };
        Ok(Registrant(Some(principal)))
    }
}

/// An agent authenticated by its `agk_` key (Bearer or `X-API-Key`); 401 otherwise.
pub struct AgentAuth(pub agentry_services::model::RegisteredAgent);

impl FromRequestParts<crate::startup::AppState> for AgentAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &crate::startup::AppState) -> Result<Self, Self::Rejection> {
        match presented(parts) {
            Some(Presented::Key(k)) => Ok(AgentAuth(state.services.authenticate_agent_key(&k).await?)),
            _ => Err(ServiceError::Unauthorized.into()),
        }
    }
}

/// A user principal, or an agent when the credential is an `agk_` key.
pub enum UserOrAgent {
    /// A session, or a user API key.
    User(Principal),
    /// An agent key.
    Agent(agentry_services::model::RegisteredAgent),
}

impl FromRequestParts<crate::startup::AppState> for UserOrAgent {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &crate::startup::AppState) -> Result<Self, Self::Rejection> {
        if let Some(Presented::Key(k)) = presented(parts) {
            if k.starts_with(agentry_services::secrets::AGENT_KEY_PREFIX) {
                return Ok(UserOrAgent::Agent(state.services.authenticate_agent_key(&k).await?));
            }
        }
        let Auth(p) = <Auth as FromRequestParts<_>>::from_request_parts(parts, state).await?;
        Ok(UserOrAgent::User(p))
    }
}

/// Request facts the middleware put in the extensions.
pub struct Meta(pub RequestMeta);

impl<S: Send + Sync> FromRequestParts<S> for Meta {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Meta(parts.extensions.get::<RequestMeta>().cloned().unwrap_or_default()))
    }
}
