//! Server functions of the account page: the password, the user's sessions and their API
//! keys. Each parses its input with the vocabulary's parsers, calls one services method,
//! and maps the error in `ctx::fail`, like `server/src/routes/me.rs`.

use crate::error::AppError;
use agentry_services::model::{ApiKey, CreatedApiKey, RevokedSessions, SessionList};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::ctx;

/// Changes the password (the current one is required) and ends every other session of
/// the user's; then shows the account page saying so.
#[server(prefix = "/fn", endpoint = "change-password")]
pub async fn change_password(current_password: String, new_password: String) -> Result<(), AppError> {
    use agentry_services::vocab::{field, Password};
    let new_password = field("new_password", Password::parse(&new_password)).map_err(ctx::invalid)?;
    let services = ctx::services()?;
    let principal = ctx::require_principal(&services).await?;
    let meta = ctx::request_meta().await;
    services.change_password(&principal, &current_password, new_password, &meta).await.map_err(ctx::fail)?;
    leptos_axum::redirect("/account?password=changed");
    Ok(())
}

/// The user's live sessions (newest first), or `None` when nobody is signed in.
#[server(prefix = "/fn", endpoint = "sessions")]
pub async fn list_sessions() -> Result<Option<SessionList>, AppError> {
    let services = ctx::services()?;
    let Some(principal) = ctx::principal(&services).await? else {
        return Ok(None);
    };
    services.list_sessions(&principal).await.map(Some).map_err(ctx::fail)
}

/// Ends one of the user's sessions. A plain form post returns to the page it came from.
#[server(prefix = "/fn", endpoint = "revoke-session")]
pub async fn revoke_session(id: i64) -> Result<(), AppError> {
    let services = ctx::services()?;
    let principal = ctx::require_principal(&services).await?;
    let meta = ctx::request_meta().await;
    services.revoke_session(&principal, id, &meta).await.map_err(ctx::fail)
}

/// Ends every session of the user's but this one.
#[server(prefix = "/fn", endpoint = "revoke-other-sessions")]
pub async fn revoke_other_sessions() -> Result<RevokedSessions, AppError> {
    let services = ctx::services()?;
    let principal = ctx::require_principal(&services).await?;
    let meta = ctx::request_meta().await;
    services.revoke_other_sessions(&principal, &meta).await.map_err(ctx::fail)
}

/// The user's API keys (newest first, revoked ones included), or `None` when nobody is
/// signed in.
#[server(prefix = "/fn", endpoint = "api-keys")]
pub async fn list_api_keys() -> Result<Option<Vec<ApiKey>>, AppError> {
    let services = ctx::services()?;
    let Some(principal) = ctx::principal(&services).await? else {
        return Ok(None);
    };
    services.list_api_keys(&principal).await.map(Some).map_err(ctx::fail)
}

/// Creates a user API key acting in the current organization; its secret is in this
/// answer only.
#[server(prefix = "/fn", endpoint = "create-api-key")]
pub async fn create_api_key(name: String) -> Result<CreatedApiKey, AppError> {
    use agentry_services::vocab::{field, KeyName};
    let name = field("name", KeyName::parse(&name)).map_err(ctx::invalid)?;
    let services = ctx::services()?;
    let principal = ctx::require_principal(&services).await?;
    let meta = ctx::request_meta().await;
    services.create_api_key(&principal, &name, &meta).await.map_err(ctx::fail)
}

/// Revokes one of the user's API keys.
#[server(prefix = "/fn", endpoint = "revoke-api-key")]
pub async fn revoke_api_key(key_id: i64) -> Result<ApiKey, AppError> {
    let services = ctx::services()?;
    let principal = ctx::require_principal(&services).await?;
    let meta = ctx::request_meta().await;
    services.revoke_api_key(&principal, key_id, &meta).await.map_err(ctx::fail)
}
