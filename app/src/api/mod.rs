//! Server functions: thin adapters from forms and resources to [`agentry_services`].
//! They hold no business rule; every decision is the services layer's.
//!
//! All of them live under `/fn/…` (the `/api/…` space is the REST API's) with stable
//! endpoint names, so plain HTML forms can post to them before the app hydrates.

use crate::error::AppError;
use agentry_services::model::{AgentSummary, Me, OutboxPage};
use leptos::prelude::*;

mod account;
mod agents;
mod audit;
#[cfg(feature = "ssr")]
mod ctx;
mod directory;
mod invitations;
mod org;
mod runs;

pub use account::*;
pub use agents::*;
pub use audit::*;
pub use directory::*;
pub use invitations::*;
pub use org::*;
pub use runs::*;

/// The signed-in user, or `None` when there is no valid session.
#[server(prefix = "/fn", endpoint = "me")]
pub async fn get_me() -> Result<Option<Me>, AppError> {
    let services = ctx::services()?;
    let Some(principal) = ctx::principal(&services).await? else {
        return Ok(None);
    };
    match services.me(&principal).await {
        Ok(me) => Ok(Some(me)),
        Err(e) if e.is(agentry_services::ErrorCode::Unauthorized) => Ok(None),
        Err(e) => Err(ctx::fail(e)),
    }
}

/// Creates an account and its first organization, signs in, and redirects to `next` when
/// it is a local path (an invite link, say), else to `/agents`.
#[server(prefix = "/fn", endpoint = "signup")]
pub async fn signup(
    email: String,
    password: String,
    organization: String,
    next: Option<String>,
) -> Result<(), AppError> {
    let input = agentry_services::inputs::SignUp::parse(&email, &password, &organization).map_err(ctx::invalid)?;
    let services = ctx::services()?;
    let meta = ctx::request_meta().await;
    let (_me, session) = services.signup(input, &meta).await.map_err(ctx::fail)?;
    ctx::set_cookie(&services.session_cookie(&session));
    leptos_axum::redirect(next.as_deref().and_then(crate::routing::safe_next).unwrap_or("/agents"));
    Ok(())
}

/// Signs in and redirects to `next` when it is a local path, else to `/agents`.
#[server(prefix = "/fn", endpoint = "login")]
pub async fn login(email: String, password: String, next: String) -> Result<(), AppError> {
    let services = ctx::services()?;
    let meta = ctx::request_meta().await;
    let (_me, session) = services.login(&email, &password, &meta).await.map_err(ctx::fail)?;
    ctx::set_cookie(&services.session_cookie(&session));
    leptos_axum::redirect(crate::routing::safe_next(&next).unwrap_or("/agents"));
    Ok(())
}

/// Emails a password reset link if an account uses `email`, then shows that it was sent:
/// the same answer for every address.
#[server(prefix = "/fn", endpoint = "forgot-password")]
pub async fn forgot_password(email: String) -> Result<(), AppError> {
    use agentry_services::vocab::{field, Email};
    let email = field("email", Email::parse(&email)).map_err(ctx::invalid)?;
    let services = ctx::services()?;
    let meta = ctx::request_meta().await;
    services.request_password_reset(email, &meta).await.map_err(ctx::fail)?;
    leptos_axum::redirect("/forgot-password?sent=true");
    Ok(())
}

/// Sets a new password with an emailed reset token (every session ends), then sends the
/// user to log in.
#[server(prefix = "/fn", endpoint = "reset-password")]
pub async fn reset_password(token: String, password: String) -> Result<(), AppError> {
    use agentry_services::vocab::{field, Password};
    let password = field("password", Password::parse(&password)).map_err(ctx::invalid)?;
    let services = ctx::services()?;
    let meta = ctx::request_meta().await;
    services.confirm_password_reset(&token, password, &meta).await.map_err(ctx::fail)?;
    ctx::set_cookie(&services.clear_session_cookie());
    leptos_axum::redirect("/login?reset=done");
    Ok(())
}

/// Ends the session, clears the cookie, and redirects to `/login`.
#[server(prefix = "/fn", endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    let services = ctx::services()?;
    if let Some(agentry_services::Presented::Session(token)) = ctx::presented() {
        let meta = ctx::request_meta().await;
        services.logout(&token, &meta).await.map_err(ctx::fail)?;
    }
    ctx::set_cookie(&services.clear_session_cookie());
    leptos_axum::redirect("/login");
    Ok(())
}

/// Moves the session to another of the user's organizations (numeric id or UUID).
/// A plain form post returns to the page it came from.
#[server(prefix = "/fn", endpoint = "switch-organization")]
pub async fn switch_organization(org: String) -> Result<Me, AppError> {
    let services = ctx::services()?;
    let principal = ctx::require_principal(&services).await?;
    services.switch_organization(&principal, &org).await.map_err(ctx::fail)
}

/// The current organization's agents, or `None` when nobody is signed in.
#[server(prefix = "/fn", endpoint = "agents")]
pub async fn list_agents() -> Result<Option<Vec<AgentSummary>>, AppError> {
    let services = ctx::services()?;
    let Some(principal) = ctx::principal(&services).await? else {
        return Ok(None);
    };
    services.list_agents(&principal).await.map(Some).map_err(ctx::fail)
}

/// The first page of emails the user may see (newest first), or `None` when nobody is
/// signed in.
#[server(prefix = "/fn", endpoint = "outbox")]
pub async fn list_outbox() -> Result<Option<OutboxPage>, AppError> {
    let services = ctx::services()?;
    let Some(principal) = ctx::principal(&services).await? else {
        return Ok(None);
    };
    services.list_outbox(&principal, None, None).await.map(Some).map_err(ctx::fail)
}
