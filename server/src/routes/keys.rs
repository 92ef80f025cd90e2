//! User API keys.

use crate::extract::{Auth, Json, Meta, Path};
use crate::problem::{ApiResult, JsonBody, Problem, Unauthenticated, PROBLEM_JSON};
use crate::startup::AppState;
use agentry_services::model::{ApiKey, CreatedApiKey};
use agentry_services::vocab::{field, KeyName};
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;

/// Body of `POST /api/v1/api-keys`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateKeyRequest {
    /// A label to recognise the key by.
    #[schema(schema_with = agentry_services::schemas::key_name)]
    pub name: String,
}

/// Create an API key. The secret is in this response only.
#[utoipa::path(post, path = "/api/v1/api-keys", tag = "api-keys", request_body = CreateKeyRequest,
    responses(JsonBody, Unauthenticated, (status = 201, description = "Key created", body = CreatedApiKey),
        (status = 400, description = "Malformed JSON, or an invalid name", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "A cookie-authenticated request from another site (csrf)", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn create(
    State(s): State<AppState>,
    Auth(p): Auth,
    Meta(meta): Meta,
    Json(req): Json<CreateKeyRequest>,
) -> ApiResult<(StatusCode, Json<CreatedApiKey>)> {
    let name = field("name", KeyName::parse(&req.name))?;
    Ok((StatusCode::CREATED, Json(s.services.create_api_key(&p, &name, &meta).await?)))
}

/// List your API keys (never their secrets).
#[utoipa::path(get, path = "/api/v1/api-keys", tag = "api-keys", operation_id = "list_api_keys",
    responses(Unauthenticated, (status = 200, description = "Your keys", body = [ApiKey])),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn list(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<Json<Vec<ApiKey>>> {
    Ok(Json(s.services.list_api_keys(&p).await?))
}

/// Revoke one of your API keys. It stops working at once.
#[utoipa::path(delete, path = "/api/v1/api-keys/{id}", tag = "api-keys", operation_id = "revoke_api_key",
    params(("id" = i64, Path, description = "Key id")),
    responses(Unauthenticated, (status = 200, description = "Key revoked", body = ApiKey),
        (status = 400, description = "Invalid key id", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "A cookie-authenticated request from another site (csrf)", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "No such key of yours", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn revoke(
    State(s): State<AppState>,
    Auth(p): Auth,
    Meta(meta): Meta,
    Path(id): Path<i64>,
) -> ApiResult<Json<ApiKey>> {
    Ok(Json(s.services.revoke_api_key(&p, id, &meta).await?))
}
