//! REST handlers for outbox (see docs/REGISTRATION.md).

use crate::startup::AppState;
use axum::Router;
use utoipa::OpenApi;

/// This module's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi()]
pub struct ApiDoc;

/// This module's routes.
pub fn router() -> Router<AppState> {
    Router::new()
}
