//! The Overview, Schedule, Access, Keys and Transfer tabs of the agent page.

use super::Ctl;
use crate::api::{revoke_agent, rotate_agent_key, AgentOp, AgentView};
use crate::components::secret::OneTimeSecret;
use crate::error::AppError;
use agentry_services::model::TRANSFER_MESSAGE_MAX;
use agentry_services::model::{AccessRule, RegistrationState, Role};
use leptos::{prelude::*, task::spawn_local};
use leptos_router::components::A;
use serde_json::json;

fn email_of(v: &AgentView, id: Option<i64>) -> String {
    match id {
        None => "nobody".into(),
        Some(u) => v.members.iter().find(|(m, _)| *m == u).map_or(format!("user #{u}"), |(_, e)| e.clone()),
    }
}

/// Overview: the fields, editing name and description, activate/deactivate and delete.
#[component]
pub fn OverviewTab(v: AgentView, ctl: Ctl) -> impl IntoView {
    let a = v.agent.clone();
    let manage = a.can_manage && a.deleted_at.is_none();
    let name = RwSignal::new(a.name.clone());
    let description = RwSignal::new(a.description.clone());
    let slug = RwSignal::new(a.slug.clone());
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let patch = json!({"name": name.get_untracked(), "description": description.get_untracked(), "slug": slug.get_untracked()});
        ctl.run(AgentOp::Patch(patch), "Saved.");
    };
    let confirm_delete = RwSignal::new(false);
    let enabled = a.enabled;
    let rows = [
        ("Identity", a.registration.map_or("none yet (a definition)".to_string(), |r| r.as_str().replace('_', " "))),
        ("Owner", email_of(&v, a.owner_id)),
        ("Email", a.email.clone().unwrap_or_else(|| "—".into())),
        ("Source", a.source.as_str().to_string()),
        ("Enabled", if a.enabled { "yes".into() } else { "no: its keys do not authenticate".into() }),
        (
            "Your access",
            format!(
                "{} · {}",
                if a.can_manage { "manage" } else { "no manage" },
                if a.can_use { "use" } else { "no use" }
            ),
        ),
        ("Created", a.created_at.format("%Y-%m-%d %H:%M UTC").to_string()),
        ("Updated", a.updated_at.format("%Y-%m-%d %H:%M UTC").to_string()),
    ]
    .into_iter()
    .map(|(k, val)| view! { <dt>{k}</dt><dd>{val}</dd> })
    .collect_view();
    view! {
        <h2>"Overview"</h2>
        <dl class="facts">{rows}</dl>
        {manage.then(|| view! {
            <form class="form" on:submit=save>
                <h3>"Details"</h3>
                <div class="field">
                    <label for="agent-name">"Name"</label>
                    <input id="agent-name" required maxlength=agentry_services::vocab::AgentName::MAX prop:value=name on:input=move |ev| name.set(event_target_value(&ev)) />
                </div>
                <div class="field">
                    <label for="agent-slug">"Slug"</label>
                    <input id="agent-slug" required maxlength=agentry_services::vocab::Slug::MAX prop:value=slug on:input=move |ev| slug.set(event_target_value(&ev)) />
                </div>
                <div class="field">
                    <label for="agent-description">"Description"</label>
                    <textarea id="agent-description" rows="3" maxlength=agentry_services::vocab::Description::MAX prop:value=description on:input=move |ev| description.set(event_target_value(&ev))></textarea>
                </div>
                <button type="submit" class="btn btn--primary" disabled=move || ctl.busy.get()>"Save details"</button>
            </form>
            <div class="row__actions">
                {if enabled {
                    view! { <button type="button" class="btn btn--ghost" on:click=move |_| ctl.run(AgentOp::Deactivate, "Deactivated: its keys stop authenticating.")>"Deactivate"</button> }.into_any()
                } else {
                    view! { <button type="button" class="btn btn--ghost" on:click=move |_| ctl.run(AgentOp::Activate, "Activated: its keys work again.")>"Activate"</button> }.into_any()
                }}
                <button type="button" class="btn btn--danger" on:click=move |_| confirm_delete.set(true)>"Delete"</button>
            </div>
            <Show when=move || confirm_delete.get()>
                <div class="alert alert--error" role="alertdialog" aria-labelledby="delete-q">
                    <p id="delete-q">"Delete this agent? Its keys are revoked, its seat and slug are freed."</p>
                    <button type="button" class="btn btn--danger" on:click=move |_| ctl.run(AgentOp::Delete, "Deleted.")>"Delete agent"</button>
                    <button type="button" class="btn btn--ghost" on:click=move |_| confirm_delete.set(false)>"Keep it"</button>
                </div>
            </Show>
        })}
    }
}

/// Schedule: the trigger in words, the next five runs, the toggle.
#[component]
pub fn ScheduleTab(v: AgentView, ctl: Ctl) -> impl IntoView {
    let on = v.agent.schedule_enabled;
    let has_cron = !v.next_runs.is_empty();
    let runs = v.next_runs.iter().map(|r| view! { <li>{r.clone()}</li> }).collect_view();
    let draft_runs = v.draft_next_runs.iter().map(|r| view! { <li>{r.clone()}</li> }).collect_view();
    let manage = v.agent.can_manage;
    view! {
        <h2>"Schedule"</h2>
        {if has_cron {
            view! {
                <p>"Runs " <strong>{v.schedule_words.clone().unwrap_or_default()}</strong> "."</p>
                <p>"The schedule is " <strong>{if on { "on" } else { "off" }}</strong> "."</p>
                <h3>"Next 5 runs"</h3>
                <ol class="runs">{runs}</ol>
            }.into_any()
        } else {
            view! { <p class="muted">"The active version has no cron trigger: it runs only when started. Set a trigger in the draft and deploy it to schedule it."</p> }.into_any()
        }}
        {(!v.draft_next_runs.is_empty()).then(|| view! {
            <h3>"After the draft is deployed"</h3>
            <p>"Runs " {v.draft_schedule_words.clone().unwrap_or_default()} "."</p>
            <ol class="runs">{draft_runs}</ol>
        })}
        {(manage && has_cron).then(|| view! {
            <button type="button" class="btn btn--primary" aria-pressed=if on { "true" } else { "false" } disabled=move || ctl.busy.get()
                on:click=move |_| ctl.run(AgentOp::Schedule(!on), if on { "Schedule turned off." } else { "Schedule turned on." })>
                {if on { "Turn the schedule off" } else { "Turn the schedule on" }}
            </button>
        })}
    }
}

#[component]
fn RuleEditor(
    title: &'static str,
    key: &'static str,
    rule: RwSignal<AccessRule>,
    members: Vec<(i64, String)>,
    disabled: bool,
) -> impl IntoView {
    let roles = Role::ALL
        .iter()
        .map(|r| {
            let r = *r;
            view! {
                <label class="check">
                    <input type="checkbox" name=format!("{key}-role") value=r.as_str() disabled=disabled prop:checked=move || rule.read().roles.contains(&r)
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            rule.update(|x| { x.roles.retain(|y| *y != r); if on { x.roles.push(r); } });
                        } />
                    {r.as_str()}
                </label>
            }
        })
        .collect_view();
    let users = members
        .into_iter()
        .map(|(u, email)| {
            view! {
                <label class="check">
                    <input type="checkbox" name=format!("{key}-user") value=u.to_string() disabled=disabled prop:checked=move || rule.read().users.contains(&u)
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            rule.update(|x| { x.users.retain(|y| *y != u); if on { x.users.push(u); } });
                        } />
                    {email}
                </label>
            }
        })
        .collect_view();
    view! {
        <fieldset class="checks">
            <legend>{title}</legend>
            <p class="muted">"Roles"</p>
            {roles}
            <p class="muted">"People"</p>
            {users}
        </fieldset>
    }
}

/// Access: who may use and who may manage it.
#[component]
pub fn AccessTab(v: AgentView, ctl: Ctl) -> impl IntoView {
    let manage = v.agent.can_manage;
    let use_rule = RwSignal::new(v.agent.access_config.use_.clone());
    let manage_rule = RwSignal::new(v.agent.access_config.manage.clone());
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let access = json!({"accessConfig": {"use": use_rule.get_untracked(), "manage": manage_rule.get_untracked()}});
        ctl.run(AgentOp::Patch(access), "Access saved.");
    };
    view! {
        <h2>"Access"</h2>
        <p class="muted">"The agent's owner and the organization's owners and admins can always manage it. Managers can also use it."</p>
        <form class="form" on:submit=save>
            <RuleEditor title="May use (run it, see its history)" key="use" rule=use_rule members=v.members.clone() disabled=!manage />
            <RuleEditor title="May manage (edit, deploy, delete, transfer)" key="manage" rule=manage_rule members=v.members.clone() disabled=!manage />
            {manage.then(|| view! { <button type="submit" class="btn btn--primary" disabled=move || ctl.busy.get()>"Save access"</button> })}
        </form>
    }
}

/// Keys: give a definition an identity, rotate and revoke.
#[component]
pub fn KeysTab(v: AgentView, ctl: Ctl) -> impl IntoView {
    let id = v.agent.id;
    let state = v.agent.registration;
    let fresh = RwSignal::new(None::<String>);
    let failure = RwSignal::new(None::<AppError>);
    let rotate = move |_| {
        spawn_local(async move {
            match rotate_agent_key(id).await {
                Ok(r) => {
                    fresh.set(Some(r.api_key));
                    failure.set(None);
                }
                Err(e) => failure.set(Some(e)),
            }
        })
    };
    let revoke = move |_| {
        spawn_local(async move {
            match revoke_agent(id, String::new()).await {
                Ok(_) => {
                    ctl.notice.set(Some("Revoked: every key stopped working and the seat is free.".into()));
                    ctl.reload.update(|n| *n += 1);
                }
                Err(e) => failure.set(Some(e)),
            }
        })
    };
    let manage = v.agent.can_manage && v.agent.deleted_at.is_none();
    view! {
        <h2>"Keys"</h2>
        {match state {
            None => view! {
                <p>"This agent is a definition without an identity yet: no keys, no seat."</p>
                {manage.then(|| view! { <A href=format!("/agents/register?agentId={id}") attr:class="btn btn--primary">"Register an identity for it"</A> })}
            }.into_any(),
            Some(RegistrationState::Revoked) => view! { <p>"Revoked: its keys no longer work."</p> }.into_any(),
            Some(RegistrationState::PendingInvite) => view! { <p>"Waiting for its owner to confirm the emailed invite."</p> }.into_any(),
            Some(RegistrationState::Registered) => view! {
                <p>"Registered. Rotating mints a new key; older keys keep working for the grace period."</p>
                {manage.then(|| view! {
                    <div class="row__actions">
                        <button type="button" class="btn btn--primary" on:click=rotate>"Rotate key"</button>
                        <button type="button" class="btn btn--danger" on:click=revoke>"Revoke every key"</button>
                    </div>
                })}
            }.into_any(),
        }}
        <div role="status" aria-live="polite">
            {move || failure.get().map(|e| view! { <p class="alert alert--error">{e.user_message()}</p> })}
            {move || fresh.get().map(|k| view! { <OneTimeSecret id="rotated-key" label="New agent key" value=k /> })}
        </div>
    }
}

/// Transfer: ask a member to take it over; answer or cancel a pending transfer.
#[component]
pub fn TransferTab(v: AgentView, ctl: Ctl) -> impl IntoView {
    let a = &v.agent;
    let to = RwSignal::new(String::new());
    let message = RwSignal::new(String::new());
    let request = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match to.get_untracked().parse::<i64>() {
            Ok(to) => ctl.run(
                AgentOp::Transfer { to, message: message.get_untracked() },
                "Transfer requested: it waits for the recipient.",
            ),
            Err(_) => ctl.error.set(Some(AppError::from(vec![agentry_services::FieldError::new(
                "toUserId",
                "Choose who should take it over.",
            )]))),
        }
    };
    let pending = a.pending_ownership_transfer.clone();
    let options = v
        .members
        .iter()
        .filter(|(u, _)| Some(*u) != a.owner_id)
        .map(|(u, e)| view! { <option value=u.to_string()>{e.clone()}</option> })
        .collect_view();
    let manage = a.can_manage && a.deleted_at.is_none();
    match pending {
        Some(t) => {
            let you_receive = t.to_user_id == v.you;
            let may_cancel = t.requested_by == v.you || a.can_manage;
            view! {
                <h2>"Transfer"</h2>
                <p>
                    {email_of(&v, Some(t.requested_by))} " asked " <strong>{email_of(&v, Some(t.to_user_id))}</strong>
                    " to take this agent over. It lapses on " {t.expires_at.format("%Y-%m-%d %H:%M UTC").to_string()} "."
                </p>
                {t.message.clone().map(|m| view! { <blockquote>{m}</blockquote> })}
                <div class="row__actions">
                    {you_receive.then(|| view! {
                        <button type="button" class="btn btn--primary" on:click=move |_| ctl.run(AgentOp::AcceptTransfer, "You own this agent now.")>"Accept transfer"</button>
                        <button type="button" class="btn btn--ghost" on:click=move |_| ctl.run(AgentOp::DeclineTransfer, "Transfer declined.")>"Decline"</button>
                    })}
                    {may_cancel.then(|| view! {
                        <button type="button" class="btn btn--ghost" on:click=move |_| ctl.run(AgentOp::CancelTransfer, "Transfer cancelled.")>"Cancel transfer"</button>
                    })}
                </div>
            }
            .into_any()
        }
        None if manage => view! {
            <h2>"Transfer"</h2>
            <p class="muted">"The recipient must accept; until then nothing changes. A request lapses after 7 days."</p>
            <form class="form" on:submit=request>
                <div class="field">
                    <label for="transfer-to">"New owner"</label>
                    <select id="transfer-to" required prop:value=to on:change=move |ev| to.set(event_target_value(&ev))>
                        <option value="">"Choose a member"</option>
                        {options}
                    </select>
                </div>
                <div class="field">
                    <label for="transfer-message">"Message (optional)"</label>
                    <textarea id="transfer-message" rows="3" maxlength=TRANSFER_MESSAGE_MAX prop:value=message on:input=move |ev| message.set(event_target_value(&ev))></textarea>
                </div>
                <button type="submit" class="btn btn--primary" disabled=move || ctl.busy.get()>"Request transfer"</button>
            </form>
        }
        .into_any(),
        None => view! { <h2>"Transfer"</h2><p class="muted">"No transfer is pending. Only managers may start one."</p> }.into_any(),
    }
}
