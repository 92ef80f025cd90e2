//! Extractors whose rejections are problems, and authentication.

use crate::problem::{ApiError, Problem};
use agentry_services::model::RegisteredAgent;
use agentry_services::{Authenticated, ErrorCode, Presented, Principal, RequestMeta, ServiceError};
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

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
        let bytes = body(req, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalJson(T::default()));
        }
        decode(&bytes).map(OptionalJson)
    }
}

/// The media type of JSON merge patches (RFC 7396).
pub const MERGE_PATCH_JSON: &str = "application/merge-patch+json";

/// A JSON merge patch body (RFC 7396), sent as `application/merge-patch+json` or
/// `application/json` (else 415). Syntax errors are 400, wrong types 422, like [`Json`].
#[derive(Debug)]
pub struct MergePatch<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for MergePatch<T> {
    type Rejection = Rejection;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        let media = req.headers().get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        let media = media.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        if media != MERGE_PATCH_JSON && media != "application/json" {
            return Err(Rejection::from(Problem::new(
                ErrorCode::UnsupportedMediaType,
                "Send the patch as application/merge-patch+json (or application/json).",
            )));
        }
        let patch: serde_json::Value = decode(&body(req, state).await?)?;
        if !patch.is_object() {
            return Err(Rejection::from(Problem::new(
                ErrorCode::InvalidBody,
                "A merge patch is a JSON object of the fields to change.",
            )));
        }
        serde_json::from_value(patch)
            .map(MergePatch)
            .map_err(|e| Rejection::from(Problem::new(ErrorCode::InvalidBody, e.to_string())))
    }
}

/// The whole body (413 when it is over the limit).
async fn body<S: Send + Sync>(req: axum::extract::Request, state: &S) -> Result<axum::body::Bytes, Rejection> {
    axum::body::Bytes::from_request(req, state).await.map_err(|e| {
        let code = if e.status().as_u16() == 413 { ErrorCode::PayloadTooLarge } else { ErrorCode::BadBody };
        Rejection::from(Problem::new(code, e.body_text()))
    })
}

/// JSON as `T`: 400 for bad syntax, 422 for the wrong shape.
fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, Rejection> {
    serde_json::from_slice(bytes).map_err(|e| {
        let code = if e.is_data() { ErrorCode::InvalidBody } else { ErrorCode::MalformedJson };
        Rejection::from(Problem::new(code, e.to_string()))
    })
}

/// A rejected request, as a problem.
pub struct Rejection(Box<Problem>);

impl From<Problem> for Rejection {
    fn from(p: Problem) -> Self {
        Rejection(Box::new(p))
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        (*self.0).into_response()
    }
}

impl From<JsonRejection> for Rejection {
    fn from(r: JsonRejection) -> Self {
        let code = match &r {
            JsonRejection::JsonDataError(_) => ErrorCode::InvalidBody,
            JsonRejection::JsonSyntaxError(_) => ErrorCode::MalformedJson,
            JsonRejection::MissingJsonContentType(_) => ErrorCode::UnsupportedMediaType,
            _ if r.status().as_u16() == 413 => ErrorCode::PayloadTooLarge,
            _ => ErrorCode::BadBody,
        };
        Rejection::from(Problem::new(code, r.body_text()))
    }
}

impl From<QueryRejection> for Rejection {
    fn from(r: QueryRejection) -> Self {
        Rejection::from(Problem::new(ErrorCode::InvalidQuery, r.body_text()))
    }
}

impl From<PathRejection> for Rejection {
    fn from(r: PathRejection) -> Self {
        Rejection::from(Problem::new(ErrorCode::InvalidPath, r.body_text()))
    }
}

type State = crate::startup::AppState;

/// An authenticated user (session or `uak_` key); 401 problem when there is none.
pub struct Auth(pub Principal);

impl FromRequestParts<State> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &State) -> Result<Self, Self::Rejection> {
        let presented = Presented::from_headers(&parts.headers).ok_or_else(ServiceError::unauthorized)?;
        Ok(Auth(state.services.authenticate_user(&presented).await?))
    }
}

/// The caller of a registration endpoint: like [`Auth`], but a `dlg_` delegated token is
/// accepted too, and no credential at all is `None` (the invite flow). A credential that
/// fails is still 401, never silently anonymous.
pub struct Registrant(pub Option<Principal>);

impl FromRequestParts<State> for Registrant {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &State) -> Result<Self, Self::Rejection> {
        match Presented::from_headers(&parts.headers) {
            None => Ok(Registrant(None)),
            Some(p) => match state.services.authenticate(&p).await? {
                Authenticated::User(u) => Ok(Registrant(Some(u))),
                Authenticated::Agent(_) => Err(ServiceError::unauthorized().into()),
            },
        }
    }
}

/// An agent authenticated by its `agk_` key (Bearer or `X-API-Key`); 401 otherwise.
pub struct AgentAuth(pub RegisteredAgent);

impl FromRequestParts<State> for AgentAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &State) -> Result<Self, Self::Rejection> {
        let presented = Presented::from_headers(&parts.headers).ok_or_else(ServiceError::unauthorized)?;
        Ok(AgentAuth(state.services.authenticate_agent(&presented).await?))
    }
}

/// A user (session or `uak_` key), or an agent (`agk_` key).
pub enum UserOrAgent {
    /// A session, or a user API key.
    User(Principal),
    /// An agent key.
    Agent(RegisteredAgent),
}

impl FromRequestParts<State> for UserOrAgent {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &State) -> Result<Self, Self::Rejection> {
        let presented = Presented::from_headers(&parts.headers).ok_or_else(ServiceError::unauthorized)?;
        if presented.is_agent_key() {
            return Ok(UserOrAgent::Agent(state.services.authenticate_agent(&presented).await?));
        }
        Ok(UserOrAgent::User(state.services.authenticate_user(&presented).await?))
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

/// A merge patch sent only as `application/merge-patch+json` (RFC 7396; anything else,
/// or none, is 415): the agent directory's `PATCH`.
#[derive(Debug)]
pub struct StrictMergePatch(pub serde_json::Value);

impl<S: Send + Sync> FromRequest<S> for StrictMergePatch {
    type Rejection = Rejection;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        let media = req.headers().get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        let media = media.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        if media != MERGE_PATCH_JSON {
            return Err(Rejection::from(Problem::new(
                ErrorCode::UnsupportedMediaType,
                "Send the patch as application/merge-patch+json (RFC 7396).",
            )));
        }
        decode(&body(req, state).await?).map(StrictMergePatch)
    }
}

/// `If-Match`: the revisions it admits, or `None` without the header (or with `*`).
pub struct IfMatch(pub Option<Vec<i64>>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let header = parts.headers.get(axum::http::header::IF_MATCH).map(|v| v.to_str().unwrap_or(""));
        Ok(IfMatch(header.and_then(agentry_services::if_match_revisions)))
    }
}

/// `If-None-Match`, as sent.
pub struct IfNoneMatch(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for IfNoneMatch {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let header = parts.headers.get(axum::http::header::IF_NONE_MATCH).and_then(|v| v.to_str().ok());
        Ok(IfNoneMatch(header.map(str::to_string)))
    }
}

/// `Idempotency-Key`, as sent (checked by the services with the body).
pub struct IdempotencyHeader(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyHeader {
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match parts.headers.get("idempotency-key") {
            None => Ok(IdempotencyHeader(None)),
            Some(v) => v.to_str().map(|s| IdempotencyHeader(Some(s.to_string()))).map_err(|_| {
                Rejection::from(Problem::new(ErrorCode::Validation, "Idempotency-Key must be visible ASCII."))
            }),
        }
    }
}
