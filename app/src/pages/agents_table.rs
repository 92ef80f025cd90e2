//! The directory's table: sortable column headers (links, so sorting works before
//! hydration), row selection for the bulk actions, paging by the next link's cursor, and
//! Revoke for agents with an identity.

use super::agents::{href, PATH};
use super::directory_query::{skiptoken, DirectoryParams, COLUMNS};
use crate::api::{revoke_agent, AgentOp, DirectoryPage};
use crate::app::use_session;
use crate::components::dialog::ConfirmDialog;
use crate::error::AppError;
use leptos::{prelude::*, task::spawn_local};
use leptos_router::components::A;
use serde_json::Value;

/// The agent the user is about to revoke.
#[derive(Clone, Debug, PartialEq)]
pub struct Revoking {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
}

/// The bulk actions, shown while rows are selected.
#[component]
pub fn BulkBar(selected: RwSignal<Vec<i64>>, bulk: RwSignal<Option<AgentOp>>) -> impl IntoView {
    view! {
        <Show when=move || !selected.read().is_empty()>
            <div class="bulk-bar" role="region" aria-label="Bulk actions">
                <span>{move || format!("{} selected", selected.read().len())}</span>
                <button type="button" class="btn btn--ghost" on:click=move |_| bulk.set(Some(AgentOp::Activate))>"Activate"</button>
                <button type="button" class="btn btn--ghost" on:click=move |_| bulk.set(Some(AgentOp::Deactivate))>"Deactivate"</button>
                <button type="button" class="btn btn--danger" on:click=move |_| bulk.set(Some(AgentOp::Delete))>"Delete"</button>
                <button type="button" class="btn btn--ghost" on:click=move |_| selected.set(Vec::new())>"Clear selection"</button>
            </div>
        </Show>
    }
}

fn heading(field: &str) -> &'static str {
    COLUMNS.iter().find(|(f, _)| *f == field).map_or("", |(_, h)| *h)
}

fn cell(field: &str, v: &Value) -> AnyView {
    match (field, v) {
        (_, Value::Null) => view! { <span class="muted">"—"</span> }.into_any(),
        ("registration", Value::String(s)) => {
            let badge = format!("badge badge--{}", s.replace('_', "-"));
            view! { <span class=badge>{s.replace('_', " ")}</span> }.into_any()
        }
        ("status", Value::String(s)) => view! { <span class=format!("badge badge--{s}")>{s.clone()}</span> }.into_any(),
        ("enabled", Value::Bool(b)) => (if *b { "yes" } else { "no (deactivated)" }).into_any(),
        ("scheduleEnabled", Value::Bool(b)) => (if *b { "on" } else { "off" }).into_any(),
        ("createdAt" | "updatedAt", Value::String(s)) => {
            let shown = s.get(..16).unwrap_or(s).replace('T', " ");
            view! { <time datetime=s.clone()>{shown}" UTC"</time> }.into_any()
        }
        (_, Value::String(s)) => s.clone().into_any(),
        (_, other) => other.to_string().into_any(),
    }
}

/// The table of one page.
#[component]
pub fn AgentsTable(
    d: DirectoryPage,
    p: DirectoryParams,
    selected: RwSignal<Vec<i64>>,
    revoking: RwSignal<Option<Revoking>>,
) -> impl IntoView {
    let cols = p.columns();
    let count = d.page.count.unwrap_or_default();
    if d.page.value.is_empty() {
        let filtered = !p.odata_filter().is_empty();
        return view! {
            <section class="panel panel--center empty-state" aria-labelledby="empty-title">
                <h2 id="empty-title">{if filtered { "No agents match" } else { "No agents yet" }}</h2>
                <p class="muted">
                    {if filtered {
                        "Change the search or the filters, or clear them."
                    } else {
                        "Create a definition above, or let an agent register itself by solving a proof-of-work challenge: from this browser, from CI with a delegated token, or from the CLI."
                    }}
                </p>
                {(!filtered).then(|| view! { <A href="/agents/register" attr:class="btn btn--primary">"Register your first agent"</A> })}
            </section>
        }
        .into_any();
    }
    let ids: Vec<i64> = d.page.value.iter().filter_map(|r| r["id"].as_i64()).collect();
    let all_ids = ids.clone();
    let all_checked = move || !all_ids.is_empty() && all_ids.iter().all(|i| selected.read().contains(i));
    let toggle_all = {
        let ids = ids.clone();
        move |_| {
            let on = !ids.iter().all(|i| selected.read_untracked().contains(i));
            selected.set(if on { ids.clone() } else { Vec::new() });
        }
    };
    let headers = cols
        .clone()
        .into_iter()
        .map(|f| {
            let sorted = p.sorted_by(f);
            let aria = sorted.map(|desc| if desc { "descending" } else { "ascending" });
            let link = href(&p.sort_by(f), None);
            let arrow = sorted.map(|desc| if desc { " ▼" } else { " ▲" });
            view! {
                <th scope="col" aria-sort=aria>
                    <A href=link attr:class="sort">{heading(f)}{arrow}</A>
                </th>
            }
        })
        .collect_view();
    let name_sorted = p.sorted_by("name");
    let name_link = href(&p.sort_by("name"), None);
    let rows = d
        .page
        .value
        .into_iter()
        .map(|r| {
            let id = r["id"].as_i64().unwrap_or_default();
            let name = r["name"].as_str().unwrap_or_default().to_string();
            let revocable = matches!(r["registration"].as_str(), Some("registered" | "pending_invite"))
                && r["status"].as_str() != Some("deleted");
            let cells = cols.iter().map(|f| view! { <td>{cell(f, &r[*f])}</td> }).collect_view();
            let target = Revoking { id, name: name.clone() };
            let check_id = format!("select-{id}");
            let label = format!("Select {name}");
            let revoke_label = format!(" {name}");
            view! {
                <tr>
                    <td class="select">
                        <input type="checkbox" id=check_id aria-label=label
                            prop:checked=move || selected.read().contains(&id)
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                selected.update(|s| {
                                    s.retain(|x| *x != id);
                                    if on { s.push(id); }
                                });
                            } />
                    </td>
                    <th scope="row"><A href=format!("{PATH}/{id}")>{name.clone()}</A></th>
                    {cells}
                    <td class="actions">
                        {revocable.then(|| view! {
                            <button type="button" class="btn btn--ghost btn--danger-text"
                                on:click=move |_| revoking.set(Some(target.clone()))>
                                "Revoke" <span class="visually-hidden">{revoke_label}</span>
                            </button>
                        })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    let next = d.page.next_link.as_deref().and_then(skiptoken).map(|c| href(&p, Some(&c)));
    let first = (!p.cursor.is_empty()).then(|| href(&p, None));
    let deleted_link = d.admin.then(|| {
        let flipped = DirectoryParams {
            deleted: if p.deleted == "1" { String::new() } else { "1".into() },
            cursor: String::new(),
            ..p.clone()
        };
        let text = if p.deleted == "1" { "Hide deleted agents" } else { "Show deleted agents" };
        view! { <A href=href(&flipped, None)>{text}</A> }
    });
    view! {
        <div class="table-wrap">
            <table class="table directory">
                <caption class="visually-hidden">{format!("{count} agents")}</caption>
                <thead>
                    <tr>
                        <th scope="col" class="select">
                            <input type="checkbox" aria-label="Select all on this page" prop:checked=all_checked on:change=toggle_all />
                        </th>
                        <th scope="col" aria-sort=name_sorted.map(|d| if d { "descending" } else { "ascending" })>
                            <A href=name_link attr:class="sort">"Name"{name_sorted.map(|d| if d { " ▼" } else { " ▲" })}</A>
                        </th>
                        {headers}
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        <nav class="pager" aria-label="Agent pages">
            <p class="muted">{format!("{count} matching")}</p>
            {first.map(|h| view! { <A href=h>"First page"</A> })}
            {next.map(|h| view! { <A href=h>"Next page"</A> })}
            {deleted_link}
        </nav>
    }
    .into_any()
}

/// Confirms revoking one agent's identity.
#[component]
pub fn RevokeDialog(
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
