//! The page for unknown paths; answers 404 on the server.

use leptos::prelude::*;
use leptos_meta::Title;

/// "Page not found", with status 404.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Page not found" />
        <section class="panel panel--center" aria-labelledby="not-found-title">
            <p class="eyebrow">"404"</p>
            <h1 id="not-found-title">"Page not found"</h1>
            <p class="muted">"There is nothing at this address. It may have moved, or the link may be mistyped."</p>
            <p>
                <a class="btn btn--primary" href="/">"Go to the start page"</a>
            </p>
        </section>
    }
}
