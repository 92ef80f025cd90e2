//! `/agents`: the current organization's agents, its seat usage, and Revoke. Signed-out
//! visitors are sent to log in.

use crate::api::{list_agents, revoke_agent};
use crate::app::use_session;
use crate::components::dialog::ConfirmDialog;
use crate::error::AppError;
use crate::routing::login_then;
use agentry_services::model::{AgentSummary, RegistrationState};
use leptos::{prelude::*, task::spawn_local};
use leptos_meta::Title;
use leptos_router::components::{Redirect, A};

/// The agent the user is about to revoke.
#[derive(Clone, Debug, PartialEq)]
struct Revoking {
    id: i64,
    name: String,
}

/// The agents table, or the empty state.
#[component]
pub fn AgentsPage() -> impl IntoView {
    let session = use_session();
    let reload = RwSignal::new(0u32);
    // Created with the page, so it reads the cookie as it is after a log-in; refetched
    // when the organization changes and after a revocation.
    let agents = Resource::new(move || (session.switch.version().get(), reload.get()), |_| list_agents());
    let revoking = RwSignal::new(None::<Revoking>);
    let notice = RwSignal::new(None::<String>);
    view! {
        <Title text="Agents" />
        <div class="page-head">
            <div>
                <h1>"Agents"</h1>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        session.me.await.ok().flatten().map(|me| {
                            let org = me.current_organization;
                            let full = org.seats_used >= org.seat_limit;
                            view! {
                                <p class="muted">
                                    "In " <strong>{org.name}</strong> " · "
                                    <span class="seats" class:seats--full=full>
                                        {format!("{} of {} seats", org.seats_used, org.seat_limit)}
                                    </span>
                                    " used"
                                </p>
                            }
                        })
                    })}
                </Transition>
            </div>
            <nav class="page-actions" aria-label="Agent tools">
                <A href="/agents/register" attr:class="btn btn--primary">"Register an agent"</A>
                <A href="/agents/pending" attr:class="btn btn--ghost">"Pending invites"</A>
                <A href="/agents/tokens" attr:class="btn btn--ghost">"Delegated tokens"</A>
                <A href="/outbox" attr:class="btn btn--ghost">"Outbox"</A>
            </nav>
        </div>
        <p class="notice" role="status" aria-live="polite">
            {move || notice.get().map(|n| view! { <span class="alert alert--ok">{n}</span> })}
        </p>
        <Transition fallback=|| view! { <p class="muted" role="status">"Loading agents…"</p> }>
            {move || Suspend::new(async move {
                match agents.await {
                    Ok(None) => view! { <Redirect path=login_then("/agents") /> }.into_any(),
                    Ok(Some(list)) if list.is_empty() => view! { <EmptyState /> }.into_any(),
                    Ok(Some(list)) => view! { <AgentsTable agents=list revoking /> }.into_any(),
                    Err(e) => view! {
                        <p class="alert alert--error" role="alert">{e.user_message()}</p>
                    }.into_any(),
                }
            })}
        </Transition>
        {move || revoking.get().map(|target| view! { <RevokeDialog target revoking notice reload /> })}
    }
}

#[component]
fn EmptyState() -> impl IntoView {
    view! {
        <section class="panel panel--center empty-state" aria-labelledby="empty-title">
            <h2 id="empty-title">"No agents yet"</h2>
            <p class="muted">
                "Agents register themselves by solving a proof-of-work challenge: from this browser, "
                "from CI with a delegated token, or from the CLI."
            </p>
            <A href="/agents/register" attr:class="btn btn--primary">"Register your first agent"</A>
        </section>
    }
}

#[component]
fn AgentsTable(agents: Vec<AgentSummary>, revoking: RwSignal<Option<Revoking>>) -> impl IntoView {
    let count = agents.len();
    let rows = agents
        .into_iter()
        .map(|a| {
            let badge = format!("badge badge--{}", a.registration.as_str().replace('_', "-"));
            let label = a.registration.as_str().replace('_', " ");
            let revocable = a.registration != RegistrationState::Revoked;
            let target = Revoking { id: a.id, name: a.name.clone() };
            let name = a.name.clone();
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
                    <td class="actions">
                        {revocable.then(|| view! {
                            <button
                                type="button"
                                class="btn btn--ghost btn--danger-text"
                                on:click=move |_| revoking.set(Some(target.clone()))
                            >
                                "Revoke" <span class="visually-hidden">{format!(" {name}")}</span>
                            </button>
                        })}
                    </td>
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
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

#[component]
fn RevokeDialog(
    target: Revoking,
    revoking: RwSignal<Option<Revoking>>,
    notice: RwSignal<Option<String>>,
    reload: RwSignal<u32>,
) -> impl IntoView {
    let session = use_session();
    let pending = RwSignal::new(false);
    let error = RwSignal::new(None::<AppError>);
    let Revoking { id, name } = target.clone();
    let on_confirm = Callback::new(move |reason: String| {
        let name = name.clone();
        pending.set(true);
        spawn_local(async move {
            match revoke_agent(id, reason).await {
                Ok(_) => {
                    notice.set(Some(format!("{name} was revoked; its keys no longer work and its seat is free.")));
                    revoking.set(None);
                    reload.update(|n| *n += 1);
                    session.me.refetch();
                }
                // Closing disposes this dialog's signals, so only a failure touches them.
                Err(e) => {
                    error.set(Some(e));
                    pending.set(false);
                }
            }
        });
    });
    view! {
        <ConfirmDialog
            title=format!("Revoke {}?", target.name)
            message="Every key of this agent stops working at once and its seat is freed. This cannot be undone.".to_string()
            confirm_label="Revoke agent"
            reason_label="Reason (optional, kept in the audit log)"
            on_confirm
            on_close=Callback::new(move |_| revoking.set(None))
            pending
            error
        />
    }
}
