//! `/organization/audit`: the current organization's audit log, for owners, admins and
//! operators. The filters are a GET form, so the URL carries them (a filtered view can be
//! bookmarked or shared, and it works before hydration); "Older entries" pages with the
//! keyset cursor; "Verify the chain" walks the hash chain; "Export" downloads JSON Lines
//! with the same filters.

use crate::api::{audit_log, AuditFilters, AuditView};
use crate::components::signed_in::RequireSignIn;
use crate::error::AppError;
use crate::format;
use crate::routing::{audit_export, query};
use agentry_services::model::{AuditEntry, AuditVerification, AUDIT_FILTER_MAX};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Form, A};
use leptos_router::hooks::use_query_map;

const PATH: &str = "/organization/audit";

/// The audit page.
#[component]
pub fn AuditPage() -> impl IntoView {
    let q = use_query_map();
    let filters = move || AuditFilters::from_query(|k| q.read().get(k));
    let verify = move || q.read().get("verify").is_some_and(|v| v == "1");
    let log = Resource::new(move || (filters(), verify()), |(f, v)| audit_log(f, v));
    view! {
        <Title text="Audit log" />
        <RequireSignIn path=PATH />
        <div class="page-head">
            <div>
                <p class="eyebrow"><A href="/organization">"Organization"</A></p>
                <h1>"Audit log"</h1>
                <p class="muted">
                    "Every change in this organization: who, what, from where and why. "
                    "Entries form a hash chain, so an altered or removed entry shows."
                </p>
            </div>
        </div>
        <Transition fallback=|| view! { <p class="muted" role="status">"Loading the audit log…"</p> }>
            {move || Suspend::new(async move {
                let f = filters();
                match log.await {
                    Ok(Some(v)) => view! { <Log v f /> }.into_any(),
                    Ok(None) => ().into_any(),
                    Err(e) => view! {
                        <p class="alert alert--error" role="alert">{e.user_message()}</p>
                        <FiltersForm f members=Vec::new() error=Some(e) />
                    }
                    .into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Log(v: AuditView, f: AuditFilters) -> impl IntoView {
    let pairs: Vec<(&str, &str)> = f.pairs().to_vec();
    let here = query(&pairs);
    let export = audit_export(v.org_id, &pairs);
    let older = v.page.next_link.as_ref().and(v.page.value.last()).map(|last| {
        let cursor = last.id.to_string();
        let mut with_cursor = pairs.clone();
        with_cursor.push(("cursor", cursor.as_str()));
        format!("{PATH}{}", query(&with_cursor))
    });
    let newest = (!f.cursor.is_empty()).then(|| format!("{PATH}{here}"));
    let mut verify_pairs = pairs.clone();
    verify_pairs.push(("verify", "1"));
    let verify_href = format!("{PATH}{}", query(&verify_pairs));
    let empty = v.page.value.is_empty();
    let rows = v.page.value.into_iter().map(|e| view! { <Entry e /> }).collect_view();
    view! {
        <div class="sections">
            <FiltersForm f=f.clone() members=v.members error=None />
            <section class="panel" aria-labelledby="audit-title">
                <div class="panel__head">
                    <h2 id="audit-title">{if f.any() { "Matching entries" } else { "Entries" }}</h2>
                    <div class="row__actions">
                        <a class="btn btn--ghost" href=verify_href>"Verify the chain"</a>
                        <a class="btn btn--ghost" href=export download>"Export (JSON Lines)"</a>
                    </div>
                </div>
                <div role="status" aria-live="polite">
                    {v.verification.map(|r| view! { <Verdict r /> })}
                </div>
                {if empty {
                    view! { <p class="muted">"No entries match."</p> }.into_any()
                } else {
                    view! { <ol class="rows audit" aria-labelledby="audit-title">{rows}</ol> }.into_any()
                }}
                <nav class="pager" aria-label="Audit log pages">
                    {newest.map(|h| view! { <A href=h>"Newest entries"</A> })}
                    {older.map(|h| view! { <A href=h>"Older entries"</A> })}
                </nav>
            </section>
        </div>
    }
}

#[component]
fn Verdict(r: AuditVerification) -> impl IntoView {
    if r.ok {
        view! {
            <p class="alert alert--ok">
                "The chain is intact: " {r.checked} " entries checked, each matches its hash and links to the one before."
            </p>
        }
        .into_any()
    } else {
        let at = r.first_bad_id.map(|id| format!(" The first that does not match is entry #{id}.")).unwrap_or_default();
        view! {
            <p class="alert alert--error">
                "The chain is broken: an entry was altered or removed after it was written." {at}
            </p>
        }
        .into_any()
    }
}

#[component]
fn FiltersForm(f: AuditFilters, members: Vec<(i64, String)>, error: Option<AppError>) -> impl IntoView {
    let message = move |name: &str| error.as_ref().and_then(|e| e.field_message(name));
    let actor_error = message("actor");
    let options = members
        .into_iter()
        .map(|(id, email)| {
            let selected = f.actor == id.to_string();
            view! { <option value=id selected=selected>{email}</option> }
        })
        .collect_view();
    view! {
        <section class="panel" aria-labelledby="audit-filters-title">
            <h2 id="audit-filters-title">"Filters"</h2>
            <Form method="get" action=PATH attr:class="form filters">
                <div class="filters__grid">
                    <Filter id="audit-action" name="action" label="Action" value=f.action.clone()
                        placeholder="member.role_changed" error=message("action") />
                    <div class="field">
                        <label for="audit-actor">"By"</label>
                        <select id="audit-actor" name="actor"
                            aria-invalid=actor_error.is_some().then_some("true") aria-describedby="audit-actor-error">
                            <option value="" selected=f.actor.is_empty()>"Anyone"</option>
                            {options}
                        </select>
                        <p class="field__error" id="audit-actor-error">{actor_error}</p>
                    </div>
                    <Filter id="audit-target-type" name="targetType" label="Object type" value=f.target_type.clone()
                        placeholder="member" error=message("targetType") />
                    <Filter id="audit-target-id" name="targetId" label="Object id" value=f.target_id.clone()
                        error=message("targetId") />
                    <Filter id="audit-since" name="since" label="From (UTC)" kind="datetime-local"
                        value=f.since.clone() error=message("since") />
                    <Filter id="audit-until" name="until" label="Before (UTC)" kind="datetime-local"
                        value=f.until.clone() error=message("until") />
                </div>
                <div class="row__actions">
                    <button type="submit" class="btn btn--primary">"Apply filters"</button>
                    <A href=PATH attr:class="btn btn--ghost">"Clear"</A>
                </div>
            </Form>
        </section>
    }
}

/// One labelled filter input with its error (the services' message for `name`).
#[component]
fn Filter(
    id: &'static str,
    name: &'static str,
    label: &'static str,
    value: String,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] placeholder: &'static str,
    error: Option<String>,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let maxlength = (kind == "text").then_some(AUDIT_FILTER_MAX);
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input id=id name=name type=kind maxlength=maxlength value=value placeholder=placeholder
                autocomplete="off" aria-invalid=error.is_some().then_some("true") aria-describedby=error_id.clone() />
            <p class="field__error" id=error_id>{error}</p>
        </div>
    }
}

/// One entry of the log (also the agent page's Audit tab).
#[component]
pub(crate) fn Entry(e: AuditEntry) -> impl IntoView {
    let who =
        e.actor_email.clone().or_else(|| e.actor_user_id.map(|u| format!("user #{u}"))).unwrap_or("system".into());
    let target = match (&e.target_type, &e.target_id) {
        (Some(t), Some(id)) => format!("{t} {id}"),
        (Some(t), None) => t.clone(),
        _ => String::new(),
    };
    let sealed = match e.chain_seq {
        Some(n) => format!("chain #{n}"),
        None => "sealing…".to_string(),
    };
    let from = [e.ip.clone(), e.user_agent.clone()].into_iter().flatten().collect::<Vec<_>>().join(" · ");
    let detail = e.detail.as_ref().map(|d| serde_json::to_string_pretty(d).unwrap_or_default());
    view! {
        <li class="row audit__entry">
            <div class="row__main">
                <code class="row__title row__title--wrap">{e.action.clone()}</code>
                {(!target.is_empty()).then(|| view! { <span class="badge">{target}</span> })}
                <span class="row__meta">"by " <strong>{who}</strong> " · " {format::utc(&e.created_at)}</span>
                {(!from.is_empty()).then(|| view! { <span class="muted row__meta audit__from">"from " {from}</span> })}
                {e.reason.clone().map(|r| view! { <span class="row__meta">"Reason: " {r}</span> })}
                {detail.map(|d| view! {
                    <details class="audit__detail">
                        <summary>"Details"</summary>
                        <pre>{d}</pre>
                    </details>
                })}
            </div>
            <span class="muted row__meta">{"#"}{e.id} " · " {sealed}</span>
        </li>
    }
}
