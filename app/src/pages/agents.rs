//! `/agents`: the current organization's agents. Signed-out visitors are sent to log in.

use crate::api::list_agents;
use crate::app::use_session;
use crate::routing::login_then;
use agentry_services::model::AgentSummary;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;

/// The agents table, or the empty state.
#[component]
pub fn AgentsPage() -> impl IntoView {
    let session = use_session();
    // Created with the page, so it reads the cookie as it is after a log-in; refetched
    // when the organization changes.
    let agents = Resource::new(move || session.switch.version().get(), |_| list_agents());
    view! {
        <Title text="Agents" />
        <div class="page-head">
            <div>
                <h1>"Agents"</h1>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        session.me.await.ok().flatten().map(|me| view! {
                            <p class="muted">"In " <strong>{me.current_organization.name}</strong></p>
                        })
                    })}
                </Transition>
            </div>
        </div>
        <Transition fallback=|| view! { <p class="muted" role="status">"Loading agents…"</p> }>
            {move || Suspend::new(async move {
                match agents.await {
                    Ok(None) => view! { <Redirect path=login_then("/agents") /> }.into_any(),
                    Ok(Some(list)) if list.is_empty() => view! { <EmptyState /> }.into_any(),
                    Ok(Some(list)) => view! { <AgentsTable agents=list /> }.into_any(),
                    Err(e) => view! {
                        <p class="alert alert--error" role="alert">{e.user_message()}</p>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn EmptyState() -> impl IntoView {
    view! {
        <section class="panel panel--center empty-state" aria-labelledby="empty-title">
            <h2 id="empty-title">"No agents yet"</h2>
            <p class="muted">
                "Agents register themselves by solving a proof-of-work challenge. "
                "Registering from the browser is on its way."
            </p>
            <button type="button" class="btn btn--link" disabled aria-disabled="true">
                "Register an agent (coming soon)"
            </button>
        </section>
    }
}

#[component]
fn AgentsTable(agents: Vec<AgentSummary>) -> impl IntoView {
    let count = agents.len();
    let rows = agents
        .into_iter()
        .map(|a| {
            let badge = format!("badge badge--{}", a.registration.replace('_', "-"));
            let label = a.registration.replace('_', " ");
            view! {
                <tr>
                    <th scope="row">{a.name}</th>
                    <td><span class=badge>{label}</span></td>
                    <td>
                        <time datetime=a.created_at.to_rfc3339()>
                            {a.created_at.format("%Y-%m-%d %H:%M UTC").to_string()}
                        </time>
                    </td>
                    <td class="num">{a.id}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="table">
                <caption class="visually-hidden">{format!("{count} agents")}</caption>
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Registration"</th>
                        <th scope="col">"Created"</th>
                        <th scope="col" class="num">"ID"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}
