//! Server functions: thin adapters from forms and resources to [`agentry_services`].
//! They hold no business rule; every decision is the services layer's.
//!
//! All of them live under `/fn/…` (the `/api/…` space is the REST API's) with stable
//! endpoint names, so plain HTML forms can post to them before the app hydrates.

use crate::error::AppError;
use agentry_services::model::{AgentSummary, Me};
use leptos::prelude::*;

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

/// Ends the session, clears the cookie, and redirects to `/login`.
#[server(prefix = "/fn", endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    let services = ctx::services()?;
    if let Some(agentry_services::Presented::Session(token)) = ctx::presented() {
        services.logout(&token).await.map_err(ctx::fail)?;
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

/// Request plumbing shared by the server functions: context, cookies, status codes.
#[cfg(feature = "ssr")]
mod ctx {
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
        leptos_axum::extract::<axum::Extension<RequestMeta>>()
            .await
            .map(|axum::Extension(meta)| meta)
            .unwrap_or_default()
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
}
