//! Request plumbing shared by the server functions: context, cookies, status codes, and
//! the one error mapping from the services layer.

use crate::error::AppError;
use agentry_services::{ErrorCode, FieldError, Presented, Principal, RequestMeta, ServiceError, Services};
use axum::http::{header, request::Parts, HeaderValue, StatusCode};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;

/// The services handle the server provides to every request.
pub fn services() -> Result<Services, AppError> {
    use_context::<Services>().ok_or_else(|| AppError::Transport("services are not provided".into()))
}

/// Client address and user agent, as the server recorded them.
pub async fn request_meta() -> RequestMeta {
    leptos_axum::extract::<axum::Extension<RequestMeta>>().await.map(|axum::Extension(meta)| meta).unwrap_or_default()
}

/// The credential the request carries (parsed like the REST API's).
pub fn presented() -> Option<Presented> {
    use_context::<Parts>().and_then(|parts| Presented::from_headers(&parts.headers))
}

/// The signed-in principal (session or user key), or `None` when there is no valid one.
pub async fn principal(services: &Services) -> Result<Option<Principal>, AppError> {
    let Some(presented) = presented() else {
        return Ok(None);
    };
    match services.authenticate_user(&presented).await {
        Ok(p) => Ok(Some(p)),
        Err(e) if e.is(ErrorCode::Unauthorized) => Ok(None),
        Err(e) => Err(fail(e)),
    }
}

/// The signed-in principal, or a 401 error.
pub async fn require_principal(services: &Services) -> Result<Principal, AppError> {
    principal(services).await?.ok_or_else(|| fail(ServiceError::unauthorized()))
}

/// Appends a `Set-Cookie` header to the response.
pub fn set_cookie(value: &str) {
    if let (Some(res), Ok(v)) = (use_context::<ResponseOptions>(), HeaderValue::from_str(value)) {
        res.append_header(header::SET_COOKIE, v);
    }
}

/// Converts a services error, and gives fetch callers its real status code.
/// Plain form posts keep the framework's redirect back to the form instead.
pub fn fail(e: ServiceError) -> AppError {
    let plain_form = use_context::<Parts>()
        .and_then(|p| p.headers.get(header::ACCEPT).cloned())
        .and_then(|v| v.to_str().ok().map(|s| s.contains("text/html")))
        .unwrap_or(false);
    if !plain_form {
        if let Some(res) = use_context::<ResponseOptions>() {
            if let Ok(status) = StatusCode::from_u16(e.status()) {
                res.set_status(status);
            }
            if let Some(retry_after) = e.retry_after() {
                res.insert_header(header::RETRY_AFTER, HeaderValue::from(retry_after));
            }
        }
    }
    AppError::from(e)
}

/// Invalid input fields, answered like any other services error.
pub fn invalid(fields: Vec<FieldError>) -> AppError {
    fail(ServiceError::validation(fields))
}

/// An optional reason (blank is none), or the field error.
pub fn reason(raw: &str) -> Result<Option<agentry_services::vocab::Reason>, AppError> {
    use agentry_services::vocab::{field, Reason};
    field("reason", Reason::parse_optional(Some(raw))).map_err(invalid)
}
