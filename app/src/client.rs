//! The browser's REST client: same-origin `fetch` with the session cookie, JSON in and
//! out, and RFC 9457 problem documents turned into [`AppError`], so pages show the
//! services layer's own words. Used from event handlers and local resources only; on the
//! server every call fails with a transport error.

use crate::error::AppError;
use agentry_services::ErrorCode;
use serde::{de::DeserializeOwned, Deserialize, Serialize};

/// `GET path`, decoded as `T`.
pub async fn get<T: DeserializeOwned>(path: &str) -> Result<T, AppError> {
    send("GET", path, None).await
}

/// `POST path` with `body` as JSON, the answer decoded as `T`.
pub async fn post<B: Serialize, T: DeserializeOwned>(path: &str, body: &B) -> Result<T, AppError> {
    let json = serde_json::to_string(body).map_err(|e| AppError::Transport(e.to_string()))?;
    send("POST", path, Some(json)).await
}

#[cfg(feature = "hydrate")]
async fn send<T: DeserializeOwned>(method: &str, path: &str, body: Option<String>) -> Result<T, AppError> {
    use gloo_net::http::RequestBuilder;
    use web_sys::RequestCredentials;

    let transport = |e: gloo_net::Error| AppError::Transport(e.to_string());
    let builder = RequestBuilder::new(path)
        .method(method.parse().map_err(|_| AppError::Transport(format!("bad method {method}")))?)
        .credentials(RequestCredentials::SameOrigin)
        .header("Accept", "application/json, application/problem+json");
    let request = match body {
        Some(json) => builder.header("Content-Type", "application/json").body(json).map_err(transport)?,
        None => builder.build().map_err(transport)?,
    };
    let response = request.send().await.map_err(transport)?;
    let status = response.status();
    let retry_after = response.headers().get("Retry-After").and_then(|v| v.trim().parse().ok());
    let text = response.text().await.map_err(transport)?;
    if response.ok() {
        serde_json::from_str(&text).map_err(|e| AppError::Transport(format!("unexpected answer from {path}: {e}")))
    } else {
        Err(problem(status, &text, retry_after))
    }
}

#[cfg(not(feature = "hydrate"))]
async fn send<T: DeserializeOwned>(method: &str, path: &str, body: Option<String>) -> Result<T, AppError> {
    _ = body;
    Err(AppError::Transport(format!("{method} {path} runs in the browser only")))
}

/// An RFC 9457 problem document, as the server writes it.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[derive(Deserialize)]
struct Problem {
    #[serde(rename = "type")]
    kind: Option<String>,
    title: Option<String>,
    detail: Option<String>,
    #[serde(default)]
    errors: Vec<FieldProblem>,
    #[serde(rename = "retryAfter")]
    retry_after: Option<u64>,
}

#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[derive(Deserialize)]
struct FieldProblem {
    field: String,
    message: String,
}

/// The error for a non-2xx answer: the problem's code (last segment of `type`), detail and
/// fields; a bare status when the body is not a problem document.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
fn problem(status: u16, body: &str, retry_after_header: Option<u64>) -> AppError {
    let parsed: Option<Problem> = serde_json::from_str(body).ok();
    let code = parsed
        .as_ref()
        .and_then(|p| p.kind.as_deref())
        .and_then(ErrorCode::parse)
        .unwrap_or_else(|| ErrorCode::for_status(status));
    let message = parsed
        .as_ref()
        .and_then(|p| p.detail.clone().or_else(|| p.title.clone()))
        .unwrap_or_else(|| format!("The server answered {status}."));
    AppError::Service {
        status,
        code,
        message,
        fields: parsed
            .as_ref()
            .map(|p| p.errors.iter().map(|f| (f.field.clone(), f.message.clone())).collect())
            .unwrap_or_default(),
        retry_after: parsed.and_then(|p| p.retry_after).or(retry_after_header),
    }
}

/// Percent-encodes a query value.
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(char::from(b)),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_document_becomes_a_service_error() {
        let body = r#"{"type":"https://agentry.dev/problems/no_free_seat","title":"No free seat","status":403,
            "detail":"No free seat.","errors":[{"field":"name","message":"bad"}],"retryAfter":3}"#;
        let e = problem(403, body, None);
        assert_eq!(e.code(), Some(ErrorCode::NoFreeSeat));
        assert_eq!(e.status(), Some(403));
        assert_eq!(e.user_message(), "No free seat.");
        assert_eq!(e.field_message("name").as_deref(), Some("bad"));
    }

    #[test]
    fn a_bare_status_still_has_a_code() {
        let e = problem(410, "gone", Some(5));
        assert_eq!(e.code(), Some(ErrorCode::Gone));
        assert!(matches!(e, AppError::Service { retry_after: Some(5), .. }));
    }

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(encode("a b+c@d.e&f"), "a%20b%2Bc%40d.e%26f");
    }
}
