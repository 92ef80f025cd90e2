//! RFC 9457 problem details: the one shape of every error this server sends.

use agentry_services::{FieldError, ServiceError};
use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// The media type of problem responses.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the kind.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong this time, for a person.
    pub detail: String,
    /// The invalid fields, for validation problems.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Seconds to wait, for 429.
    #[serde(rename = "retryAfter", skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

impl Problem {
    /// A problem of a given status and code.
    pub fn new(status: StatusCode, code: &str, title: &str, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("https://agentry.dev/problems/{code}"),
            title: title.into(),
            status: status.as_u16(),
            detail: detail.into(),
            errors: Vec::new(),
            retry_after: None,
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let retry = self.retry_after;
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut res = (status, [(header::CONTENT_TYPE, PROBLEM_JSON)], body).into_response();
        if let Some(secs) = retry {
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        res
    }
}

/// A services error on its way out as a problem.
#[derive(Debug)]
pub struct ApiError(pub ServiceError);

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        Self(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let e = self.0;
        let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let detail = if let ServiceError::Internal(cause) = &e {
            // The cause goes to the log only; the client learns nothing of internals.
            tracing::error!(error = %cause, "internal error");
            "Something went wrong on our side. Try again later.".to_string()
        } else {
            e.to_string()
        };
        let mut p = Problem::new(status, e.code(), e.title(), detail);
        p.errors = e.fields().to_vec();
        if let ServiceError::RateLimited { retry_after } = e {
            p.retry_after = Some(retry_after);
        }
        p.into_response()
    }
}

/// Result of an API handler.
pub type ApiResult<T> = Result<T, ApiError>;

/// Rewrites any error response under `/api/` or `/fn/` that is not already a problem
/// (axum's 404/405, the timeout's 408, the body limit's 413) into one, so clients parse
/// exactly one error shape.
pub async fn problemify(req: Request, next: Next) -> Response {
    let api = req.uri().path().starts_with("/api/") || req.uri().path() == "/api";
    let res = next.run(req).await;
    let status = res.status();
    let is_problem =
        res.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if !api || !(status.is_client_error() || status.is_server_error()) || is_problem {
        return res;
    }
    let (code, detail) = match status {
        StatusCode::NOT_FOUND => ("not_found", "No such endpoint. See /api/openapi.json."),
        StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "This endpoint does not accept that method."),
        StatusCode::REQUEST_TIMEOUT => ("timeout", "The request took too long."),
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "The request body is too large."),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ("unsupported_media_type", "Send the body as application/json."),
        s if s.is_server_error() => ("internal", "Something went wrong on our side. Try again later."),
        _ => ("bad_request", "The request could not be processed."),
    };
    let title = status.canonical_reason().unwrap_or("Error");
    let allow = res.headers().get(header::ALLOW).cloned();
    let mut out = Problem::new(status, code, title, detail).into_response();
    if let Some(allow) = allow {
        out.headers_mut().insert(header::ALLOW, allow);
    }
    out
}

/// A problem response with an empty body type, for `Router::fallback`.
pub async fn not_found() -> Response<Body> {
    Problem::new(StatusCode::NOT_FOUND, "not_found", "Not Found", "No such endpoint. See /api/openapi.json.")
        .into_response()
}
