//! `/runs`: the organization's runs, newest first. The status filter, the agent and the
//! page are the URL's query (`?status=running&agent_id=3&cursor=120`), and every control is
//! a plain link, so a view can be shared and works before hydration.

use super::{status_badge, status_words};
use crate::api::{list_runs, RunList};
use crate::app::use_session;
use crate::components::signed_in::RequireSignIn;
use crate::format;
use crate::routing::query;
use agentry_services::model::RunStatus;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

const PATH: &str = "/runs";

/// The list's URL query, as typed.
#[derive(Clone, Debug, Default, PartialEq)]
struct RunFilter {
    status: String,
    agent_id: String,
    cursor: String,
}

impl RunFilter {
    /// This view with another status (and page).
    fn href(&self, status: &str, cursor: Option<i64>) -> String {
        let cursor = cursor.map(|c| c.to_string()).unwrap_or_default();
        format!("{PATH}{}", query(&[("status", status), ("agent_id", &self.agent_id), ("cursor", &cursor)]))
    }
}

/// The runs page.
#[component]
pub fn RunsPage() -> impl IntoView {
    let q = use_query_map();
    let session = use_session();
    let filter = Memo::new(move |_| {
        let q = q.read();
        let v = |k: &str| q.get(k).unwrap_or_default();
        RunFilter { status: v("status"), agent_id: v("agent_id"), cursor: v("cursor") }
    });
    let page = Resource::new(
        move || (filter.get(), session.switch.version().get()),
        |(f, _)| list_runs(f.status, f.agent_id, f.cursor),
    );
    view! {
        <Title text="Runs" />
        <RequireSignIn path=PATH />
        <div class="page-head">
            <div>
                <h1>"Runs"</h1>
                <p class="muted">"Runs of the agents you may use, newest first. Start one from an agent's Runs tab."</p>
            </div>
        </div>
        <Transition fallback=|| view! { <p class="muted" role="status">"Loading runs…"</p> }>
            {move || Suspend::new(async move {
                let f = filter.get();
                let body = match page.await {
                    Ok(Some(list)) => view! { <Table list f=f.clone() /> }.into_any(),
                    Ok(None) => ().into_any(),
                    Err(e) => view! { <p class="alert alert--error" role="alert">{e.user_message()}</p> }.into_any(),
                };
                view! { <StatusLinks f /> {body} }
            })}
        </Transition>
    }
}

/// The status filter: links, the current one marked.
#[component]
fn StatusLinks(f: RunFilter) -> impl IntoView {
    let all = std::iter::once(("", "all")).chain(RunStatus::ALL.iter().map(|s| (s.as_str(), status_words(*s))));
    let links = all
        .map(|(value, words)| {
            let label = format!("{}{}", words[..1].to_ascii_uppercase(), &words[1..]);
            let current = (f.status == value).then_some("page");
            view! { <a class="tab" href=f.href(value, None) aria-current=current>{label}</a> }
        })
        .collect_view();
    view! { <nav class="tabs run-filter" aria-label="Runs by status">{links}</nav> }
}

#[component]
fn Table(list: RunList, f: RunFilter) -> impl IntoView {
    let agent = f.agent_id.parse::<i64>().ok().map(|id| {
        let everyone = RunFilter { agent_id: String::new(), ..f.clone() }.href(&f.status, None);
        view! {
            <p class="run-agent-filter">
                "Runs of " <a href=format!("/agents/{id}")>{list.agent_name(id)}</a> " · "
                <a href=everyone>"Show every agent's runs"</a>
            </p>
        }
    });
    let newest = (!f.cursor.is_empty()).then(|| f.href(&f.status, None));
    let older = list.older.map(|c| f.href(&f.status, Some(c)));
    let pager = view! {
        <nav class="pager" aria-label="Run pages">
            {newest.map(|h| view! { <a href=h>"Newest runs"</a> })}
            {older.map(|h| view! { <a href=h>"Older runs"</a> })}
        </nav>
    };
    if list.runs.is_empty() {
        let filtered = !f.status.is_empty() || !f.agent_id.is_empty() || !f.cursor.is_empty();
        return view! {
            {agent}
            <section class="panel panel--center empty-state" aria-labelledby="runs-empty-title">
                <h2 id="runs-empty-title">{if filtered { "No runs match" } else { "No runs yet" }}</h2>
                <p class="muted">
                    {if filtered {
                        "Choose another status, or show every run."
                    } else {
                        "Open an active agent, then start a run from its Runs tab."
                    }}
                </p>
            </section>
            {pager}
        }
        .into_any();
    }
    let rows = list
        .runs
        .iter()
        .map(|r| {
            let progress = r.percent.map_or_else(|| "—".to_string(), |p| format!("{p}%"));
            view! {
                <tr>
                    <th scope="row"><a href=format!("/runs/{}", r.id)>{format!("Run #{}", r.id)}</a></th>
                    <td>{status_badge(r.status)}</td>
                    <td><a href=format!("/agents/{}", r.agent_id)>{list.agent_name(r.agent_id)}</a></td>
                    <td><time datetime=r.created_at.to_rfc3339()>{format::utc(&r.created_at)}</time></td>
                    <td class="num">{progress}</td>
                    <td><code class="run-excerpt">{r.prompt.clone()}</code></td>
                </tr>
            }
        })
        .collect_view();
    view! {
        {agent}
        <div class="table-wrap">
            <table class="table">
                <caption class="visually-hidden">"Runs, newest first"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Run"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Agent"</th>
                        <th scope="col">"Created"</th>
                        <th scope="col">"Progress"</th>
                        <th scope="col">"Prompt"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        {pager}
    }
    .into_any()
}
