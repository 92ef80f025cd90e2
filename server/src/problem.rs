//! RFC 9457 problem details: the one shape of every error this server sends.

use agentry_services::{ErrorCode, FieldError, ServiceError};
use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// The media type of problem responses.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// The error catalogue in the OpenAPI document (`ErrorCode`; docs/ERRORS.md).
#[derive(utoipa::OpenApi)]
#[openapi(components(schemas(ErrorCode, FieldError)))]
pub struct CatalogueDoc;

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// `https://agentry.dev/problems/{code}`, where `{code}` is an `ErrorCode` of the
    /// catalogue (docs/ERRORS.md). Stable: branch on it, never on `detail`.
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
    /// Members some codes add (docs/ERRORS.md): `agents` for `member_owns_agents`.
    #[serde(flatten)]
    #[schema(ignore)]
    pub extensions: serde_json::Map<String, serde_json::Value>,
}

impl Problem {
    /// A problem of a catalogue code: its status, type and title, with this detail.
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            kind: code.type_uri(),
            title: code.title().into(),
            status: code.status(),
            detail: detail.into(),
            errors: Vec::new(),
            retry_after: None,
            extensions: serde_json::Map::new(),
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

impl From<Vec<FieldError>> for ApiError {
    fn from(fields: Vec<FieldError>) -> Self {
        Self(ServiceError::validation(fields))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let e = self.0;
        if let Some(cause) = e.cause() {
            // The cause goes to the log only; the client learns nothing of internals.
            tracing::error!(error = %cause, "internal error");
        }
        let mut p = Problem::new(e.code(), e.detail());
        p.errors = e.fields().to_vec();
        p.retry_after = e.retry_after();
        p.extensions = e.extensions().clone();
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
    let code = ErrorCode::for_status(status.as_u16());
    let detail = match code {
        ErrorCode::NotFound => "No such endpoint. See /api/openapi.json.",
        ErrorCode::MethodNotAllowed => "This endpoint does not accept that method.",
        ErrorCode::Timeout => "The request took too long.",
        ErrorCode::PayloadTooLarge => "The request body is too large.",
        ErrorCode::UnsupportedMediaType => "Send the body as application/json.",
        ErrorCode::Internal => "Something went wrong on our side. Try again later.",
        _ => "The request could not be processed.",
    };
    let allow = res.headers().get(header::ALLOW).cloned();
    let mut problem = Problem::new(code, detail);
    // A generic code may stand for a status other than its catalogue default (418, 503…).
    problem.status = status.as_u16();
    let mut out = problem.into_response();
    if let Some(allow) = allow {
        out.headers_mut().insert(header::ALLOW, allow);
    }
    out
}

/// One documented problem answer: `application/problem+json` with the `Problem` schema.
fn problem_answer(description: &str, retry_after: bool) -> utoipa::openapi::RefOr<utoipa::openapi::Response> {
    use utoipa::openapi::{header::HeaderBuilder, ContentBuilder, Ref, ResponseBuilder};
    let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build();
    let mut r = ResponseBuilder::new().description(description).content(PROBLEM_JSON, content);
    if retry_after {
        let seconds = utoipa::openapi::ObjectBuilder::new().schema_type(utoipa::openapi::Type::Integer).build();
        r = r.header("Retry-After", HeaderBuilder::new().schema(seconds).description(Some("Seconds to wait")).build());
    }
    r.build().into()
}

/// Problem answers shared by many operations, for `responses(…)` of `#[utoipa::path]`;
/// each operation lists its own 400/403/404/409 with what they mean there.
macro_rules! shared_problems {
    ($($(#[$doc:meta])* $name:ident { $($status:literal => $desc:literal),+ $(,)? })+) => {$(
        $(#[$doc])*
        pub struct $name;

        impl utoipa::IntoResponses for $name {
            fn responses() -> std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::Response>> {
                [$(($status, $desc)),+]
                    .into_iter()
                    .map(|(status, desc)| (status.to_string(), problem_answer(desc, status == "429")))
                    .collect()
            }
        }
    )+};
}

shared_problems! {
    /// A required `application/json` body (`extract::Json`): too large, not JSON by its
    /// media type, or of the wrong shape. (Malformed JSON is each operation's 400.)
    JsonBody {
        "413" => "The body is larger than the server accepts (payload_too_large)",
        "415" => "The body is not sent as application/json (unsupported_media_type)",
        "422" => "The JSON has the wrong shape: missing fields, wrong types, unknown fields (invalid_body)",
    }
    /// An optional JSON body (`extract::OptionalJson`; any media type): too large, or of the
    /// wrong shape. (Malformed JSON is each operation's 400.)
    OptionalJsonBody {
        "413" => "The body is larger than the server accepts (payload_too_large)",
        "422" => "The JSON has the wrong shape: wrong types or unknown fields (invalid_body)",
    }
    /// An operation that needs a credential.
    Unauthenticated {
        "401" => "No valid session, key or token (unauthorized)",
    }
    /// A rate-limited operation.
    RateLimited {
        "429" => "Too many requests; Retry-After says when to try again (rate_limited)",
    }
}

/// A problem response with an empty body type, for `Router::fallback`.
pub async fn not_found() -> Response<Body> {
    Problem::new(ErrorCode::NotFound, "No such endpoint. See /api/openapi.json.").into_response()
}

#[cfg(test)]
mod tests {
    use utoipa::openapi::RefOr;

    /// Every error answer of every operation is documented as a problem, and operation ids
    /// are unique (schemathesis and client generators key on them).
    #[test]
    fn every_error_answer_is_a_problem() {
        let doc = crate::routes::docs::openapi();
        let mut ids = std::collections::BTreeSet::new();
        for (path, item) in &doc.paths.paths {
            let ops = [&item.get, &item.post, &item.put, &item.patch, &item.delete];
            for op in ops.into_iter().flatten() {
                let id = op.operation_id.clone().unwrap_or_default();
                assert!(ids.insert(id.clone()), "operation id {id} twice ({path})");
                for (status, answer) in &op.responses.responses {
                    let RefOr::T(answer) = answer else { continue };
                    if status.as_str() >= "400" {
                        let types: Vec<_> = answer.content.keys().map(String::as_str).collect();
                        assert_eq!(types, [super::PROBLEM_JSON], "{path} {status}");
                    }
                }
            }
        }
    }
}
