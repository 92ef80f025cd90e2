//! The agent page's Audit tab: the audit entries about this agent, newest first, in pages
//! of 25 ("Older entries" is a link with the cursor, so it works before hydration). Those
//! who may manage the agent read it; the organization's whole log stays with its owners,
//! admins and operators.

use crate::api::agent_audit;
use crate::pages::audit::Entry;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub(super) fn AuditTab(id: i64, can_manage: bool) -> impl IntoView {
    if !can_manage {
        return view! {
            <h2>"Audit"</h2>
            <p class="muted">"Only those who may manage this agent can read its audit trail."</p>
        }
        .into_any();
    }
    let q = use_query_map();
    let cursor = Memo::new(move |_| q.read().get("cursor").and_then(|c| c.parse::<i64>().ok()));
    let page = Resource::new(move || cursor.get(), move |c| agent_audit(id, c));
    let here = format!("/agents/{id}?tab=audit");
    view! {
        <h2 id="agent-audit-title">"Audit"</h2>
        <p class="muted">
            "Every change to this agent: edits, deploys, activations, transfers and keys, with who made it, when and from where."
        </p>
        <Transition fallback=|| view! { <p class="muted" role="status">"Loading the audit trail…"</p> }>
            {move || {
                let here = here.clone();
                Suspend::new(async move {
                    match page.await {
                        Ok(p) => {
                            let older = p.next_link.as_ref().and(p.value.last()).map(|last| format!("{here}&cursor={}", last.id));
                            let newest = cursor.get_untracked().is_some().then(|| here.clone());
                            let empty = p.value.is_empty();
                            let rows = p.value.into_iter().map(|e| view! { <Entry e /> }).collect_view();
                            view! {
                                {empty.then(|| view! { <p class="muted">"No entries yet."</p> })}
                                <ol class="rows audit" aria-labelledby="agent-audit-title">{rows}</ol>
                                <div class="row__actions">
                                    {newest.map(|h| view! { <a class="btn btn--ghost" href=h>"Newest entries"</a> })}
                                    {older.map(|h| view! { <a class="btn btn--ghost" href=h>"Older entries"</a> })}
                                </div>
                            }
                            .into_any()
                        }
                        Err(e) => view! { <p class="alert alert--error" role="alert">{e.user_message()}</p> }.into_any(),
                    }
                })
            }}
        </Transition>
    }
    .into_any()
}
