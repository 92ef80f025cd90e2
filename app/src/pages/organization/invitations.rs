//! The invitations panel of the organization page, for owners and admins: the invite form
//! (an address and a role; the link goes out by email) and the open invitations, each with
//! "Resend" (a new link; the old one dies) and "Cancel". Every control is a plain form,
//! so it works before hydration; after it, the panel updates in place and says what
//! happened in a live region.

use crate::api::{list_invitations, CancelInvitation, InviteMember, ResendInvitation};
use crate::app::use_session;
use crate::components::form::{action_error, FormStatus, TextField};
use crate::error::AppError;
use crate::format;
use agentry_services::may_change_role;
use agentry_services::model::{InvitationStatus, MemberInvitation, Role};
use leptos::form::ActionForm;
use leptos::{html, prelude::*};

/// The panel, for owners and admins (`role` is the viewer's). The form stays put while
/// the list below it updates, so focus stays where the user was; after a resend or a
/// cancel (which redraw the list) it moves to the list's heading.
#[component]
pub fn InvitationsPanel(role: Role) -> impl IntoView {
    let session = use_session();
    let invite = ServerAction::<InviteMember>::new();
    let resend = ServerAction::<ResendInvitation>::new();
    let cancel = ServerAction::<CancelInvitation>::new();
    let list = Resource::new(
        move || {
            (session.switch.version().get(), invite.version().get(), resend.version().get(), cancel.version().get())
        },
        |_| list_invitations(),
    );
    let notice = RwSignal::new(None::<Result<String, String>>);
    let heading = NodeRef::<html::H3>::new();
    let say = move |r: Option<Result<MemberInvitation, AppError>>, done: &str| {
        if let Some(r) = r {
            notice.set(Some(match r {
                Ok(i) => Ok(format!("{done} {}.", i.email)),
                Err(e) => Err(e.user_message()),
            }));
            if let Some(h) = heading.get_untracked() {
                _ = h.focus();
            }
        }
    };
    Effect::new(move |_| say(resend.value().get(), "A new link went to"));
    Effect::new(move |_| say(cancel.value().get(), "Cancelled the invitation to"));
    Effect::new(move |_| {
        if let Some(Ok(i)) = invite.value().get() {
            notice.set(Some(Ok(format!("Invited {} as {}; the link is in their email.", i.email, i.role.as_str()))));
        }
    });
    if !role.is_admin() {
        return ().into_any();
    }
    let may_offer: Vec<Role> = Role::ALL.iter().copied().filter(|&r| may_change_role(role, Role::Member, r)).collect();
    view! {
        <section class="panel" aria-labelledby="invitations-title">
            <h2 id="invitations-title">"Invite a member"</h2>
            <p class="notice" role="status" aria-live="polite">
                {move || notice.get().map(|n| match n {
                    Ok(n) => view! { <span class="alert alert--ok">{n}</span> }.into_any(),
                    Err(n) => view! { <span class="alert alert--error">{n}</span> }.into_any(),
                })}
            </p>
            <InviteForm invite may_offer />
            <h3 id="pending-invitations-title" tabindex="-1" node_ref=heading>"Pending invitations"</h3>
            <Transition fallback=|| view! { <p class="muted" role="status">"Loading invitations…"</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(Some(l)) => view! { <PendingList list=l.value resend cancel /> }.into_any(),
                        Ok(None) => ().into_any(),
                        Err(e) => view! { <p class="alert alert--error" role="alert">{e.user_message()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
    .into_any()
}

#[component]
fn InviteForm(invite: ServerAction<InviteMember>, may_offer: Vec<Role>) -> impl IntoView {
    let error = action_error(invite.into());
    let pending = invite.pending();
    let role_message = move || error.get().and_then(|e| e.field_message("role"));
    let options = may_offer
        .iter()
        .map(|r| view! { <option value=r.as_str() selected=*r == Role::Member>{r.as_str()}</option> })
        .collect_view();
    view! {
        <ActionForm action=invite attr:class="form">
            <TextField id="invite-email" name="email" label="Email address" kind="email" autocomplete="off" error />
            <div class="field">
                <label for="invite-role">"Role"</label>
                <select
                    id="invite-role"
                    name="role"
                    aria-invalid=move || role_message().map(|_| "true")
                    aria-describedby="invite-role-hint invite-role-error"
                >
                    {options}
                </select>
                <p class="field__hint" id="invite-role-hint">
                    "Admins manage operators and members; only owners invite admins and owners."
                </p>
                <p class="field__error" id="invite-role-error">{role_message}</p>
            </div>
            <FormStatus error />
            <button type="submit" class="btn btn--primary" aria-busy=move || pending.get().then_some("true")>
                "Send invitation"
            </button>
        </ActionForm>
    }
}

#[component]
fn PendingList(
    list: Vec<MemberInvitation>,
    resend: ServerAction<ResendInvitation>,
    cancel: ServerAction<CancelInvitation>,
) -> impl IntoView {
    if list.is_empty() {
        return view! { <p class="muted">"No invitations are waiting."</p> }.into_any();
    }
    let items = list
        .into_iter()
        .map(|i| {
            let state = if i.status == InvitationStatus::Expired {
                view! { <span class="badge badge--warn">"expired"</span> }.into_any()
            } else {
                view! { <span class="muted row__meta">"Link works until " {format::utc(&i.expires_at)}</span> }
                    .into_any()
            };
            let resend_label = format!(" the invitation to {}", i.email);
            let cancel_label = resend_label.clone();
            view! {
                <li class="row">
                    <div class="row__main">
                        <strong class="row__title row__title--wrap">{i.email.clone()}</strong>
                        <span class="badge">{i.role.as_str()}</span>
                        {state}
                        <span class="muted row__meta">
                            "Sent " {format::utc(&i.sent_at)} " by " {i.invited_by_email.clone()}
                        </span>
                    </div>
                    <div class="row__actions">
                        <ActionForm action=resend>
                            <input type="hidden" name="id" value=i.id />
                            <button type="submit" class="btn btn--ghost">
                                "Resend" <span class="visually-hidden">{resend_label}</span>
                            </button>
                        </ActionForm>
                        <ActionForm action=cancel>
                            <input type="hidden" name="id" value=i.id />
                            <button type="submit" class="btn btn--ghost btn--danger-text">
                                "Cancel" <span class="visually-hidden">{cancel_label}</span>
                            </button>
                        </ActionForm>
                    </div>
                </li>
            }
        })
        .collect_view();
    view! { <ul class="rows" aria-labelledby="pending-invitations-title">{items}</ul> }.into_any()
}
