//! Liveness and readiness probes.

use crate::problem::Problem;
use crate::startup::AppState;
use agentry_services::ErrorCode;
use axum::extract::State;
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
