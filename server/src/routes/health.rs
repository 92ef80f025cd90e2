//! Liveness and readiness probes, and the Prometheus metrics.

use crate::problem::Problem;
use crate::startup::AppState;
use agentry_services::ErrorCode;
use agentry_services::RequestMeta;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Liveness: the process answers.
pub async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the database answers.
pub async fn readyz(State(s): State<AppState>) -> Response {
    if s.services.ready().await {
        "ready".into_response()
    } else {
        Problem::new(ErrorCode::NotReady, "The database does not answer.").into_response()
    }
}

/// `GET /metrics`, OpenMetrics text. With `--metrics-token`, for `Authorization: Bearer
/// <token>`; without, for loopback clients only (404 to others, as if it were not there).
pub async fn metrics(
    State(s): State<AppState>,
    crate::extract::Meta(meta): crate::extract::Meta,
    headers: HeaderMap,
) -> Response {
    if !may_scrape(&s, &meta, &headers) {
        return crate::problem::not_found().await.into_response();
    }
    match s.services.render_metrics().await {
        Ok(text) => ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], text)
            .into_response(),
        Err(e) => crate::problem::ApiError::from(e).into_response(),
    }
}

fn may_scrape(s: &AppState, meta: &RequestMeta, headers: &HeaderMap) -> bool {
    match &s.services.config().metrics_token {
        Some(token) => headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|given| agentry_services::secrets::ct_eq(given.as_bytes(), token.as_bytes())),
        None => meta.ip.is_some_and(|ip| ip.is_loopback()),
    }
}

/// Times every routed request into `agentry_http_request_duration_seconds`.
pub async fn track(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().map_or("unmatched", MatchedPath::as_str).to_string();
    let method = req.method().to_string();
    let started = std::time::Instant::now();
    let res = next.run(req).await;
    let labels = agentry_services::metrics::HttpLabels { method, route, status: res.status().as_u16() };
    s.services.metrics().observe_http(labels, started.elapsed().as_secs_f64());
    res
}
