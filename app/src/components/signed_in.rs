//! Pages for signed-in users only: a signed-out visitor is sent to log in and comes back.

use crate::app::use_session;
use crate::routing::login_then;
use leptos::prelude::*;
use leptos_router::components::Redirect;

/// Redirects a signed-out visitor to the log-in page with `next` set to `path` (a real 302
/// when the server renders it, so it works without JavaScript); renders nothing otherwise.
/// Placed beside the page's content, not around it, so the content hydrates on its own.
#[component]
pub fn RequireSignIn(
    /// This page's path, to come back to after logging in.
    path: &'static str,
) -> impl IntoView {
    let session = use_session();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                matches!(session.me.await, Ok(None)).then(|| view! { <Redirect path=login_then(path) /> })
            })}
        </Suspense>
    }
}
