//! Cross-cutting request handling: client facts and CSRF protection.

use crate::client_ip::TrustedProxies;
use crate::problem::Problem;
use crate::startup::AppState;
use agentry_services::{ErrorCode, Presented, RequestMeta};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;
use std::sync::Arc;

/// Puts [`RequestMeta`] (client IP, user agent) into the request's extensions for
/// handlers and server functions. The client IP is the TCP peer's, or, when the peer is a
/// trusted proxy, the one its forwarding headers name ([`TrustedProxies::client_ip`]).
pub async fn request_meta(State(trusted): State<Arc<TrustedProxies>>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let ip = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| trusted.client_ip(c.0.ip(), &parts.headers));
    let user_agent = parts.headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_string);
    parts.extensions.insert(RequestMeta { ip, user_agent });
    next.run(Request::from_parts(parts, body)).await
}

/// Rejects cookie-authenticated state changes that a browser sent from another origin.
///
/// API-key requests carry no ambient credential, so they pass. For cookie requests with an
/// unsafe method, `Origin` (or, failing that, `Sec-Fetch-Site`) must say same origin.
/// Browsers send at least one of them on every cross-origin POST, so a request with
/// neither is not a browser's cross-site request.
pub async fn csrf(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if safe {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let cookie = matches!(Presented::from_headers(&parts.headers), Some(Presented::Session(_)));
    if cookie && !same_origin(&parts, &state.public_origin) {
        tracing::warn!(path = parts.uri.path(), "cross-origin state change rejected");
        return Problem::new(
            ErrorCode::Csrf,
            "Cookie-authenticated changes must come from this site. Scripts should use an API key.",
        )
        .into_response();
    }
    next.run(Request::from_parts(parts, body)).await
}

fn same_origin(parts: &axum::http::request::Parts, public_origin: &str) -> bool {
    let h = &parts.headers;
    if let Some(origin) = h.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let host = h.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
        return origin == public_origin
            || (!host.is_empty() && (origin == format!("http://{host}") || origin == format!("https://{host}")));
    }
    match h.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        Some(site) => site == "same-origin" || site == "none",
        None => true,
    }
}
