//! `/agents/{id}`: one agent, in tabs that are links (`?tab=definition`), so each is
//! bookmarkable and the page reads before hydration: Overview, Runs (start a run), Definition
//! (the draft editor with its graph, diff and deploy), Versions, Schedule, Access, Keys,
//! Transfer and Audit. Every change sends the revision the page read as `If-Match`, so a change made
//! elsewhere meanwhile is refused (and the page reloads) instead of being overwritten.

mod audit;
mod definition;
mod diff;
mod runs;
mod settings;

use crate::api::{agent_action, agent_detail, AgentOp, AgentView};
use crate::components::signed_in::RequireSignIn;
use crate::error::AppError;
use leptos::{prelude::*, task::spawn_local};
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

/// The tabs, `(query value, label)`.
const TABS: &[(&str, &str)] = &[
    ("overview", "Overview"),
    ("runs", "Runs"),
    ("definition", "Definition"),
    ("versions", "Versions"),
    ("schedule", "Schedule"),
    ("access", "Access"),
    ("keys", "Keys"),
    ("transfer", "Transfer"),
    ("audit", "Audit"),
];

/// What every tab uses to change the agent.
#[derive(Clone, Copy)]
pub(crate) struct Ctl {
    pub id: i64,
    pub revision: i64,
    pub reload: RwSignal<u32>,
    pub notice: RwSignal<Option<String>>,
    pub error: RwSignal<Option<AppError>>,
    pub busy: RwSignal<bool>,
}

impl Ctl {
    /// Runs `op` with `If-Match`, then announces `done` and reloads.
    pub fn run(self, op: AgentOp, done: impl Into<String>) {
        let done = done.into();
        self.busy.set(true);
        self.error.set(None);
        spawn_local(async move {
            let r = agent_action(self.id, op, Some(self.revision)).await;
            self.busy.set(false);
            match r {
                Ok(()) => {
                    self.notice.set(Some(done));
                    self.reload.update(|n| *n += 1);
                }
                Err(e) => {
                    if e.code() == Some(agentry_services::ErrorCode::PreconditionFailed) {
                        self.reload.update(|n| *n += 1);
                    }
                    self.notice.set(None);
                    self.error.set(Some(e));
                }
            }
        });
    }
}

/// The agent page.
#[component]
pub fn AgentPage() -> impl IntoView {
    let params = use_params_map();
    let q = use_query_map();
    let id = Memo::new(move |_| params.read().get("id").and_then(|s| s.parse::<i64>().ok()).unwrap_or_default());
    let tab = Memo::new(move |_| {
        let t = q.read().get("tab").unwrap_or_default();
        TABS.iter().find(|(k, _)| *k == t).map_or("overview", |(k, _)| *k)
    });
    let reload = RwSignal::new(0u32);
    let data = Resource::new(move || (id.get(), reload.get()), |(id, _)| agent_detail(id));
    let notice = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<AppError>);
    let busy = RwSignal::new(false);
    view! {
        <RequireSignIn path="/agents" />
        <Transition fallback=|| view! { <p class="muted" role="status">"Loading the agent…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(Some(v)) => {
                        let ctl = Ctl { id: id.get_untracked(), revision: v.revision, reload, notice, error, busy };
                        view! { <Loaded v ctl tab=tab.get() /> }.into_any()
                    }
                    Ok(None) => ().into_any(),
                    Err(e) => view! {
                        <Title text="Agent" />
                        <p class="eyebrow"><A href="/agents">"Agents"</A></p>
                        <p class="alert alert--error" role="alert">{e.user_message()}</p>
                    }
                    .into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Loaded(v: AgentView, ctl: Ctl, tab: &'static str) -> impl IntoView {
    let a = v.agent.clone();
    let id = a.id;
    let nav = TABS
        .iter()
        .map(|(k, label)| {
            let current = (*k == tab).then_some("page");
            // A plain link: the router's <A> marks every tab current (same path, other query).
            view! { <a href=format!("/agents/{id}?tab={k}") aria-current=current class="tab">{*label}</a> }
        })
        .collect_view();
    let status = format!("badge badge--{}", a.status.as_str());
    let pending_for_you = a.pending_ownership_transfer.as_ref().is_some_and(|t| t.to_user_id == v.you);
    let body = match tab {
        "runs" => view! { <runs::RunsTab v=v.clone() /> }.into_any(),
        "definition" => view! { <definition::DefinitionTab v=v.clone() ctl /> }.into_any(),
        "versions" => view! { <definition::VersionsTab v=v.clone() ctl /> }.into_any(),
        "schedule" => view! { <settings::ScheduleTab v=v.clone() ctl /> }.into_any(),
        "access" => view! { <settings::AccessTab v=v.clone() ctl /> }.into_any(),
        "keys" => view! { <settings::KeysTab v=v.clone() ctl /> }.into_any(),
        "transfer" => view! { <settings::TransferTab v=v.clone() ctl /> }.into_any(),
        "audit" => view! { <audit::AuditTab id can_manage=a.can_manage /> }.into_any(),
        _ => view! { <settings::OverviewTab v=v.clone() ctl /> }.into_any(),
    };
    view! {
        <Title text=a.name.clone() />
        <div class="page-head">
            <div>
                <p class="eyebrow"><A href="/agents">"Agents"</A></p>
                <h1>{a.name.clone()}</h1>
                <p class="muted">
                    <span class=status>{a.status.as_str()}</span> " "
                    <span class="badge">{a.agent_type.as_str()}</span> " "
                    {(!a.enabled).then(|| view! { <span class="badge badge--warn">"deactivated"</span> })}
                    {a.has_unpublished_changes.then(|| view! { <span class="badge badge--warn">"unpublished changes"</span> })}
                    " · " <code>{a.slug.clone()}</code>
                </p>
            </div>
        </div>
        {pending_for_you.then(|| view! {
            <p class="alert alert--info" role="note">
                "This agent's owner asked you to take it over. "
                <A href=format!("/agents/{id}?tab=transfer")>"Answer the transfer"</A>
            </p>
        })}
        <nav class="tabs" aria-label="Agent sections">{nav}</nav>
        <div class="form-status" role="status" aria-live="polite">
            {move || ctl.notice.get().map(|n| view! { <p class="alert alert--ok">{n}</p> })}
            {move || ctl.error.get().map(|e| {
                let fields = e.fields().iter().map(|(f, m)| view! { <li><code>{f.clone()}</code> ": " {m.clone()}</li> }).collect_view();
                view! { <div class="alert alert--error"><p>{e.user_message()}</p><ul>{fields}</ul></div> }
            })}
        </div>
        <section class="panel tab-panel" aria-label=TABS.iter().find(|(k, _)| *k == tab).map_or("", |(_, l)| *l)>
            {body}
        </section>
    }
}
