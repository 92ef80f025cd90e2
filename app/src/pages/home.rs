//! `/`: sends signed-in users to their agents and everyone else to the log-in page.

use crate::app::use_session;
use leptos::prelude::*;
use leptos_router::components::Redirect;

/// Redirects to `/agents` or `/login`.
#[component]
pub fn HomePage() -> impl IntoView {
    let session = use_session();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let signed_in = matches!(session.me.await, Ok(Some(_)));
                view! { <Redirect path=if signed_in { "/agents" } else { "/login" } /> }
            })}
        </Suspense>
    }
}
