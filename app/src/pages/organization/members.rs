//! The members panel: who belongs to the organization, role changes (a plain form per
//! member, so it works before hydration) and removal, which hands a member's agents to
//! another member when they own any. Only the controls the viewer's role permits show.

use crate::api::{list_members, remove_member, ChangeMemberRole, MemberRow};
use crate::app::use_session;
use crate::error::AppError;
use crate::format;
use agentry_services::ErrorCode;
use leptos::form::ActionForm;
use leptos::{ev::SubmitEvent, html, prelude::*, task::spawn_local};

/// The member the viewer is about to remove.
#[derive(Clone, Debug, PartialEq)]
struct Removing {
    row: MemberRow,
    /// Everyone else, who could take over the member's agents: `(user id, email)`.
    others: Vec<(i64, String)>,
}

/// The members list with its controls.
#[component]
pub fn MembersPanel(
    /// The viewer's user id.
    you: i64,
) -> impl IntoView {
    let session = use_session();
    let change = ServerAction::<ChangeMemberRole>::new();
    let reload = RwSignal::new(0u32);
    let members = Resource::new(
        move || (session.switch.version().get(), change.version().get(), reload.get()),
        |_| list_members(),
    );
    let removing = RwSignal::new(None::<Removing>);
    let notice = RwSignal::new(None::<Result<String, String>>);
    let heading = NodeRef::<html::H2>::new();
    // The list is rendered again after a change, so focus goes to its heading.
    Effect::new(move |_| {
        let Some(result) = change.value().get() else { return };
        notice.set(Some(match result {
            Ok(m) => Ok(format!("{} is now {}.", m.email, m.role.as_str())),
            Err(e) => Err(e.user_message()),
        }));
        if let Some(h) = heading.get_untracked() {
            _ = h.focus();
        }
    });
    view! {
        <section class="panel" aria-labelledby="members-title">
            <h2 id="members-title" tabindex="-1" node_ref=heading>"Members"</h2>
            <p class="notice" role="status" aria-live="polite">
                {move || notice.get().map(|n| match n {
                    Ok(n) => view! { <span class="alert alert--ok">{n}</span> }.into_any(),
                    Err(n) => view! { <span class="alert alert--error">{n}</span> }.into_any(),
                })}
            </p>
            <Transition fallback=|| view! { <p class="muted" role="status">"Loading members…"</p> }>
                {move || Suspend::new(async move {
                    match members.await {
                        Ok(Some(list)) => {
                            let shown = list.rows.len();
                            let more = (i64::try_from(shown).unwrap_or(i64::MAX) < list.count)
                                .then(|| format!("Showing the first {shown} of {} members.", list.count));
                            view! {
                                <MemberList rows=list.rows change removing />
                                {more.map(|m| view! { <p class="muted">{m}</p> })}
                            }
                            .into_any()
                        }
                        Ok(None) => ().into_any(),
                        Err(e) => view! { <p class="alert alert--error" role="alert">{e.user_message()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
        {move || removing.get().map(|target| view! { <RemoveDialog target you removing notice reload heading /> })}
    }
}

#[component]
fn MemberList(
    rows: Vec<MemberRow>,
    change: ServerAction<ChangeMemberRole>,
    removing: RwSignal<Option<Removing>>,
) -> impl IntoView {
    let everyone: Vec<(i64, String)> = rows.iter().map(|r| (r.member.user_id, r.member.email.clone())).collect();
    let items = rows
        .into_iter()
        .map(|row| {
            let m = row.member.clone();
            let id = m.user_id;
            let select_id = format!("member-role-{id}");
            let others: Vec<(i64, String)> = everyone.iter().filter(|(u, _)| *u != id).cloned().collect();
            let target = Removing { row: row.clone(), others };
            let email = m.email.clone();
            let role_form = (!row.assignable.is_empty()).then(|| {
                let options = row
                    .assignable
                    .iter()
                    .map(|r| view! { <option value=r.as_str() selected=*r == m.role>{r.as_str()}</option> })
                    .collect_view();
                view! {
                    <ActionForm action=change attr:class="member__role-form">
                        <input type="hidden" name="user_id" value=id />
                        <label for=select_id.clone() class="visually-hidden">{format!("Role of {}", m.email)}</label>
                        <select id=select_id name="role">{options}</select>
                        <button type="submit" class="btn btn--ghost">
                            "Change role" <span class="visually-hidden">{format!(" of {}", m.email)}</span>
                        </button>
                    </ActionForm>
                }
            });
            let remove_label = if row.is_you { "Leave" } else { "Remove" };
            view! {
                <li class="row">
                    <div class="row__main">
                        <strong class="row__title row__title--wrap">{email.clone()}</strong>
                        {row.is_you.then(|| view! { <span class="badge badge--you">"you"</span> })}
                        <span class="badge">{m.role.as_str()}</span>
                        <span class="muted row__meta">"Joined " {format::utc(&m.joined_at)}</span>
                    </div>
                    <div class="row__actions">
                        {role_form}
                        {row.removable.then(|| view! {
                            <button
                                type="button"
                                class="btn btn--ghost btn--danger-text"
                                on:click=move |_| removing.set(Some(target.clone()))
                            >
                                {remove_label}
                                {(!row.is_you).then(|| view! { <span class="visually-hidden">{format!(" {email}")}</span> })}
                            </button>
                        })}
                    </div>
                </li>
            }
        })
        .collect_view();
    view! { <ul class="rows" aria-labelledby="members-title">{items}</ul> }
}

/// Confirms a removal. When the member owns agents the services answer with them; the
/// dialog then lists them and asks who takes them over.
#[component]
fn RemoveDialog(
    target: Removing,
    you: i64,
    removing: RwSignal<Option<Removing>>,
    notice: RwSignal<Option<Result<String, String>>>,
    reload: RwSignal<u32>,
    heading: NodeRef<html::H2>,
) -> impl IntoView {
    let session = use_session();
    let dialog = NodeRef::<html::Dialog>::new();
    let pending = RwSignal::new(false);
    let error = RwSignal::new(None::<AppError>);
    let owned = RwSignal::new(Vec::<(i64, String)>::new());
    let reassign_to = RwSignal::new(target.others.first().map(|(id, _)| *id));
    Effect::new(move |_| {
        if let Some(d) = dialog.get() {
            if !d.open() {
                _ = d.show_modal();
            }
        }
    });
    let user_id = target.row.member.user_id;
    let email = target.row.member.email.clone();
    let leaving = user_id == you;
    let submit = {
        let email = email.clone();
        move |ev: SubmitEvent| {
            ev.prevent_default();
            let email = email.clone();
            let to = if owned.read_untracked().is_empty() { None } else { reassign_to.get_untracked() };
            pending.set(true);
            spawn_local(async move {
                match remove_member(user_id, to).await {
                    Ok(()) => {
                        notice.set(Some(Ok(if leaving {
                            "You left the organization.".to_string()
                        } else {
                            format!("{email} was removed; their keys and sessions here have ended.")
                        })));
                        removing.set(None);
                        reload.update(|n| *n += 1);
                        session.me.refetch();
                        if let Some(h) = heading.get_untracked() {
                            _ = h.focus();
                        }
                    }
                    // Closing disposes this dialog's signals, so only a failure touches them.
                    Err(e) => {
                        if e.code() == Some(ErrorCode::MemberOwnsAgents) {
                            owned.set(e.agents().to_vec());
                        }
                        error.set(Some(e));
                        pending.set(false);
                    }
                }
            });
        }
    };
    let close = move |_| {
        if let Some(d) = dialog.get_untracked() {
            d.close();
        }
    };
    let title = if leaving { "Leave the organization?".to_string() } else { format!("Remove {email}?") };
    let message = if leaving {
        "You lose access to its agents at once; your API keys for it stop working."
    } else {
        "They lose access at once: their API keys for this organization stop working and their sessions here end."
    };
    let others = target.others.clone();
    let can_reassign = !others.is_empty();
    view! {
        <dialog class="dialog" node_ref=dialog aria-labelledby="remove-title" on:close=move |_| removing.set(None)>
            <form class="form dialog__form" on:submit=submit>
                <h2 id="remove-title">{title}</h2>
                <p class="muted">{message}</p>
                {move || (!owned.read().is_empty()).then(|| {
                    let agents = owned.get().into_iter().map(|(id, name)| view! {
                        <li>{name} <span class="muted num">{format!(" #{id}")}</span></li>
                    }).collect_view();
                    let options = others.iter().map(|(id, email)| view! {
                        <option value=id.to_string()>{email.clone()}</option>
                    }).collect_view();
                    view! {
                        <div class="owned">
                            <p><strong>"These agents are still theirs:"</strong></p>
                            <ul class="owned__list">{agents}</ul>
                            {if can_reassign {
                                view! {
                                    <div class="field">
                                        <label for="reassign-to">"Give them to"</label>
                                        <select
                                            id="reassign-to"
                                            on:change=move |ev| reassign_to.set(event_target_value(&ev).parse().ok())
                                        >
                                            {options}
                                        </select>
                                    </div>
                                }.into_any()
                            } else {
                                view! { <p class="muted">"There is nobody else to give them to: revoke them first."</p> }.into_any()
                            }}
                        </div>
                    }
                })}
                <div class="form-status" role="status" aria-live="polite">
                    {move || error.get().map(|e| view! { <p class="alert alert--error">{e.user_message()}</p> })}
                </div>
                <div class="dialog__actions">
                    <button type="button" class="btn btn--ghost" on:click=close>"Cancel"</button>
                    <button
                        type="submit"
                        class="btn btn--danger"
                        disabled=move || pending.get() || (!owned.read().is_empty() && !can_reassign)
                        aria-busy=move || pending.get().then_some("true")
                    >
                        {move || match (leaving, owned.read().is_empty()) {
                            (true, true) => "Leave",
                            (true, false) => "Give them away and leave",
                            (false, true) => "Remove member",
                            (false, false) => "Give them away and remove",
                        }}
                    </button>
                </div>
            </form>
        </dialog>
    }
}
