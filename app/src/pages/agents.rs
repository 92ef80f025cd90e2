//! `/agents`: the organization's agent directory. Search, the status and type pickers, an
//! advanced OData filter, the sort, the columns and the page size are a GET form whose
//! fields are the URL's query (`directory_query.rs` maps it to the OData query one to one),
//! so a view can be bookmarked or shared and works before hydration. Rows can be selected
//! for bulk activate, deactivate and delete, each confirmed with the count. Signed-out
//! visitors are sent to log in.

use super::agents_table::{AgentsTable, BulkBar, RevokeDialog, Revoking};
use super::directory_query::{DirectoryParams, COLUMNS, PAGE_SIZES};
use super::runs::RunsGlancePanel;
use super::saved_views::SavedViews;
use crate::api::{agents_bulk, directory, AgentOp, CreateAgent};
use crate::app::use_session;
use crate::components::dialog::ConfirmDialog;
use crate::error::AppError;
use crate::routing::{login_then, query};
use leptos::{prelude::*, task::spawn_local};
use leptos_meta::Title;
use leptos_router::components::{Form, Redirect, A};
use leptos_router::hooks::use_query_map;

pub(crate) const PATH: &str = "/agents";

/// The directory page.
#[component]
pub fn AgentsPage() -> impl IntoView {
    let session = use_session();
    let q = use_query_map();
    let params = Memo::new(move |_| {
        DirectoryParams::from_query(|k| {
            let all = q.read().get_all(k)?;
            Some(all.join(","))
        })
    });
    let reload = RwSignal::new(0u32);
    let page = Resource::new(
        move || (params.get(), reload.get(), session.switch.version().get()),
        |(p, _, _)| async move {
            if let Some((message, at)) = p.filter_error() {
                let e = agentry_services::FieldError::new("filter", format!("{message} (at character {}).", at + 1));
                return Err(AppError::from(vec![e]));
            }
            if let Some(message) = p.orderby_error() {
                return Err(AppError::from(vec![agentry_services::FieldError::new("orderby", message)]));
            }
            directory(p.odata()).await
        },
    );
    let selected = RwSignal::new(Vec::<i64>::new());
    let bulk = RwSignal::new(None::<AgentOp>);
    let revoking = RwSignal::new(None::<Revoking>);
    let notice = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        params.track();
        selected.set(Vec::new());
    });
    view! {
        <Title text="Agents" />
        <Head />
        <p class="notice" role="status" aria-live="polite">
            {move || notice.get().map(|n| view! { <span class="alert alert--ok">{n}</span> })}
        </p>
        <div class="sections">
            <RunsGlancePanel />
            <FiltersForm params=params.get_untracked() />
            <SavedViews query=Signal::derive(move || query(&params.get().pairs())) />
            <Transition fallback=|| view! { <p class="muted" role="status">"Loading agents…"</p> }>
                {move || Suspend::new(async move {
                    let p = params.get();
                    match page.await {
                        Ok(None) => view! { <Redirect path=login_then(PATH) /> }.into_any(),
                        Ok(Some(d)) => view! {
                            <BulkBar selected bulk />
                            <AgentsTable d p selected revoking />
                        }.into_any(),
                        Err(e) => view! {
                            <p class="alert alert--error" role="alert">{e.user_message()}</p>
                        }.into_any(),
                    }
                })}
            </Transition>
        </div>
        {move || bulk.get().map(|op| view! { <BulkDialog op selected bulk notice reload /> })}
        {move || revoking.get().map(|target| view! { <RevokeDialog target revoking notice reload /> })}
    }
}

#[component]
fn Head() -> impl IntoView {
    let session = use_session();
    view! {
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
                <A href="/agents/transfers" attr:class="btn btn--ghost">"Transfers"</A>
                <A href="/agents/pending" attr:class="btn btn--ghost">"Pending invites"</A>
                <A href="/agents/tokens" attr:class="btn btn--ghost">"Delegated tokens"</A>
                <A href="/outbox" attr:class="btn btn--ghost">"Outbox"</A>
            </nav>
        </div>
        <CreateForm />
    }
}

/// "New definition": a draft agent without an identity yet; its page opens.
#[component]
fn CreateForm() -> impl IntoView {
    let create = ServerAction::<CreateAgent>::new();
    let error = Signal::derive(move || create.value().get().and_then(|r| r.err()));
    let message = move |f: &'static str| move || error.get().and_then(|e| e.field_message(f));
    view! {
        <details class="panel create-agent">
            <summary>"New agent definition"</summary>
            <ActionForm action=create attr:class="form form--inline">
                <div class="field">
                    <label for="new-agent-name">"Name"</label>
                    <input id="new-agent-name" name="name" required maxlength=agentry_services::vocab::AgentName::MAX
                        autocomplete="off" aria-describedby="new-agent-name-error" />
                    <p class="field__error" id="new-agent-name-error">{message("name")}</p>
                </div>
                <div class="field">
                    <label for="new-agent-type">"Type"</label>
                    <select id="new-agent-type" name="agent_type">
                        <option value="task" selected>"Task (one step)"</option>
                        <option value="workflow">"Workflow (a graph of steps)"</option>
                    </select>
                </div>
                <button type="submit" class="btn btn--primary" disabled=move || create.pending().get()>
                    "Create draft"
                </button>
            </ActionForm>
            <div role="status" aria-live="polite">
                {move || error.get().filter(|e| e.field_message("name").is_none())
                    .map(|e| view! { <p class="alert alert--error">{e.user_message()}</p> })}
            </div>
        </details>
    }
}

#[component]
fn FiltersForm(params: DirectoryParams) -> impl IntoView {
    let cols = params.columns();
    let col_boxes = COLUMNS
        .iter()
        .map(|(field, label)| {
            view! {
                <label class="check">
                    <input type="checkbox" name="cols" value=*field checked=cols.contains(field) />
                    {*label}
                </label>
            }
        })
        .collect_view();
    let opt = |value: &'static str, label: &'static str, current: &str| {
        view! { <option value=value selected=current == value>{label}</option> }
    };
    let sizes = PAGE_SIZES
        .iter()
        .map(|s| view! { <option value=*s selected=params.top == *s || (params.top.is_empty() && *s == "25")>{*s}</option> })
        .collect_view();
    let advanced_open = !params.filter.is_empty() || !params.orderby.is_empty();
    let rest = params.rest_url();
    view! {
        <section class="panel" aria-labelledby="directory-filters-title">
            <h2 id="directory-filters-title" class="visually-hidden">"Find agents"</h2>
            <Form method="get" action=PATH attr:class="form filters" attr:role="search">
                <div class="filters__grid">
                    <div class="field">
                        <label for="agents-q">"Search"</label>
                        <input id="agents-q" name="q" type="search" value=params.q.clone()
                            placeholder="Name, slug or email" autocomplete="off" maxlength=agentry_services::vocab::Email::MAX />
                    </div>
                    <div class="field">
                        <label for="agents-status">"Status"</label>
                        <select id="agents-status" name="status">
                            {opt("", "Any", &params.status)}
                            {opt("draft", "Draft", &params.status)}
                            {opt("active", "Active", &params.status)}
                        </select>
                    </div>
                    <div class="field">
                        <label for="agents-type">"Type"</label>
                        <select id="agents-type" name="type">
                            {opt("", "Any", &params.agent_type)}
                            {opt("task", "Task", &params.agent_type)}
                            {opt("workflow", "Workflow", &params.agent_type)}
                        </select>
                    </div>
                    <div class="field">
                        <label for="agents-top">"Per page"</label>
                        <select id="agents-top" name="top">{sizes}</select>
                    </div>
                </div>
                <details class="filters__more" open=advanced_open>
                    <summary>"Columns and OData"</summary>
                    <fieldset class="checks">
                        <legend>"Columns"</legend>
                        {col_boxes}
                    </fieldset>
                    <div class="field">
                        <label for="agents-filter">"Advanced filter (OData $filter)"</label>
                        <input id="agents-filter" name="filter" value=params.filter.clone() autocomplete="off"
                            spellcheck="false" placeholder="enabled eq false and createdAt ge 2026-01-01T00:00:00Z"
                            aria-describedby="agents-filter-hint" />
                        <p class="field__hint" id="agents-filter-hint">
                            "eq, ne, gt, ge, lt, le, and, or, not, in (…), contains, startswith, endswith, tolower."
                        </p>
                    </div>
                    <div class="field">
                        <label for="agents-orderby">"Sort (OData $orderby)"</label>
                        <input id="agents-orderby" name="orderby" value=params.orderby.clone() autocomplete="off"
                            spellcheck="false" placeholder="name asc, createdAt desc" />
                    </div>
                    <p class="muted">"This view asks " <code class="wrap-anywhere">{"GET "}{rest}</code></p>
                </details>
                {(params.deleted == "1").then(|| view! { <input type="hidden" name="deleted" value="1" /> })}
                <div class="row__actions">
                    <button type="submit" class="btn btn--primary">"Apply"</button>
                    <A href=PATH attr:class="btn btn--ghost">"Clear"</A>
                </div>
            </Form>
        </section>
    }
}

#[component]
fn BulkDialog(
    op: AgentOp,
    selected: RwSignal<Vec<i64>>,
    bulk: RwSignal<Option<AgentOp>>,
    notice: RwSignal<Option<String>>,
    reload: RwSignal<u32>,
) -> impl IntoView {
    let session = use_session();
    let ids = selected.get_untracked();
    let n = ids.len();
    let (verb, message) = match op {
        AgentOp::Activate => ("Activate", "Their keys authenticate again."),
        AgentOp::Deactivate => {
            ("Deactivate", "Their keys stop authenticating until you activate them; nothing is revoked.")
        }
        _ => ("Delete", "They leave the directory, their keys are revoked and their seats and slugs are freed."),
    };
    let pending = RwSignal::new(false);
    let error = RwSignal::new(None::<AppError>);
    let on_confirm = Callback::new(move |_: String| {
        let (ids, op) = (ids.clone(), op.clone());
        pending.set(true);
        spawn_local(async move {
            match agents_bulk(ids, op).await {
                Ok(out) => {
                    let failed = out.failed.len();
                    let tail =
                        if failed > 0 { format!("; {failed} not changed: {}", out.failed[0].1) } else { String::new() };
                    notice.set(Some(format!("{verb}d {} of {n} agents{tail}.", out.done)));
                    bulk.set(None);
                    selected.set(Vec::new());
                    reload.update(|r| *r += 1);
                    session.me.refetch();
                }
                Err(e) => {
                    error.set(Some(e));
                    pending.set(false);
                }
            }
        });
    });
    let plural = if n == 1 { "agent" } else { "agents" };
    view! {
        <ConfirmDialog
            title=format!("{verb} {n} {plural}?")
            message=message.to_string()
            confirm_label=verb
            on_confirm
            on_close=Callback::new(move |_| bulk.set(None))
            pending
            error
        />
    }
}

/// The directory path with `params` (and a cursor).
pub(crate) fn href(params: &DirectoryParams, cursor: Option<&str>) -> String {
    let mut pairs = params.pairs();
    if let Some(c) = cursor {
        pairs.push(("cursor", c));
    }
    format!("{PATH}{}", query(&pairs))
}
