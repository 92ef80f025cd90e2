//! The run pages (issue 11): `/runs`, the organization's runs (`list.rs`), and
//! `/runs/{id}`, one run (`detail.rs`) whose log the server renders and the hydrated page
//! then follows live (`log.rs`). `glance.rs` is the runs panel on the agents page, and the
//! agent page's Runs tab starts runs (`pages/agent/runs.rs`).

mod detail;
mod glance;
mod list;
mod log;

pub use detail::RunPage;
pub use glance::RunsGlancePanel;
pub use list::RunsPage;

use agentry_services::model::RunStatus;
use leptos::prelude::*;

/// A status as the pages say it (`timed out`).
pub(crate) fn status_words(s: RunStatus) -> &'static str {
    match s {
        RunStatus::TimedOut => "timed out",
        other => other.as_str(),
    }
}

/// The badge of a status.
pub(crate) fn status_badge(s: RunStatus) -> impl IntoView {
    view! { <span class=format!("badge badge--{}", s.as_str())>{status_words(s)}</span> }
}
