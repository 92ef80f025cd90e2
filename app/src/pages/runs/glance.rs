//! The organization's runs at a glance, on the agents page (where owners land): queued,
//! running, failed in the last day, and how long the oldest queued run has waited, each a
//! link to the runs list with that filter.

use crate::api::{runs_at_a_glance, RunsGlance};
use crate::app::use_session;
use crate::format;
use leptos::prelude::*;

/// The panel; nothing when signed out.
#[component]
pub fn RunsGlancePanel() -> impl IntoView {
    let session = use_session();
    let glance = Resource::new(move || session.switch.version().get(), |_| runs_at_a_glance());
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match glance.await {
                    Ok(Some(g)) => view! { <Glance g /> }.into_any(),
                    Ok(None) => ().into_any(),
                    Err(e) => view! { <p class="alert alert--error" role="alert">{e.user_message()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Glance(g: RunsGlance) -> impl IntoView {
    let s = g.summary;
    let oldest = g.oldest_queued_secs.map_or_else(|| "—".to_string(), format::age);
    let tile = |href: &'static str, value: String, label: &'static str| {
        view! {
            <li>
                <a class="glance__tile" href=href>
                    <span class="glance__value">{value}</span>
                    " "
                    <span class="glance__label">{label}</span>
                </a>
            </li>
        }
    };
    view! {
        <section class="panel glance" aria-labelledby="glance-title">
            <div class="panel__head">
                <h2 id="glance-title">"Runs"</h2>
                <a href="/runs">"All runs"</a>
            </div>
            <ul class="glance__tiles">
                {tile("/runs?status=queued", s.queued.to_string(), "queued")}
                {tile("/runs?status=running", s.running.to_string(), "running")}
                {tile("/runs?status=failed", s.failed_last_day.to_string(), "failed or timed out in the last day")}
                {tile("/runs?status=queued", oldest, "age of the oldest queued run")}
            </ul>
        </section>
    }
}
