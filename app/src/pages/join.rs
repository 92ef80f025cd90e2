//! `/join?token=mbr_…`: the emailed member invitation. It says who invited whom to which
//! organization as what; signed out, it offers log-in and sign-up that come back here;
//! signed in with the invited address, "Join" is a plain form (it works before hydration)
//! that joins, moves the session to the organization and opens its page.

use crate::api::{get_invitation_preview, AcceptInvitation};
use crate::app::use_session;
use crate::components::form::{action_error, FormStatus};
use crate::format;
use crate::routing::{login_then, signup_then};
use agentry_services::model::{InvitationPreview, InvitationStatus};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The join page.
#[component]
pub fn JoinPage() -> impl IntoView {
    let session = use_session();
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let preview = Resource::new(token, get_invitation_preview);
    view! {
        <Title text="Join an organization" />
        <section class="panel panel--auth" aria-labelledby="join-title">
            <h1 id="join-title">"Join an organization"</h1>
            <Transition fallback=|| view! { <p class="muted" role="status">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let token = token();
                    let me = session.me.await.ok().flatten();
                    let Some(invitation) = preview.await.ok().flatten() else {
                        return view! {
                            <p class="alert alert--error" role="alert">
                                "This invitation link is not valid: it was used, cancelled, or replaced by a newer email. "
                                "Ask whoever invited you to send it again."
                            </p>
                        }.into_any();
                    };
                    let offer = view! { <Offer invitation=invitation.clone() /> };
                    if invitation.status == InvitationStatus::Expired {
                        return view! {
                            {offer}
                            <p class="alert alert--error" role="alert">
                                "This invitation has expired. Ask " {invitation.invited_by_email.clone()}
                                " to resend it."
                            </p>
                        }.into_any();
                    }
                    let here = format!("/join?token={token}");
                    match me {
                        None => view! {
                            {offer}
                            <p class="muted">
                                "Log in as " <strong>{invitation.email.clone()}</strong>
                                ", or create an account with that address; you come back here to join."
                            </p>
                            <div class="stack">
                                <a class="btn btn--primary btn--block" href=login_then(&here)>"Log in to join"</a>
                                <a class="btn btn--ghost btn--block" href=signup_then(&here)>"Create an account"</a>
                            </div>
                        }.into_any(),
                        Some(me) if !me.user.email.eq_ignore_ascii_case(&invitation.email) => view! {
                            {offer}
                            <p class="alert alert--error" role="alert">
                                "You are signed in as " <strong>{me.user.email.clone()}</strong>
                                ", but this invitation was sent to " <strong>{invitation.email.clone()}</strong>
                                ". Log out, then open the link again and sign in with that address."
                            </p>
                        }.into_any(),
                        Some(_) => view! { {offer} <Accept token /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// Who invited whom to what.
#[component]
fn Offer(invitation: InvitationPreview) -> impl IntoView {
    view! {
        <p>
            <strong>{invitation.invited_by_email}</strong> " invited " <strong>{invitation.email}</strong>
            " to join " <strong>{invitation.organization}</strong> " as " <strong>{invitation.role.as_str()}</strong> "."
        </p>
        <p class="muted">"The link works until " {format::utc(&invitation.expires_at)} "."</p>
    }
}

#[component]
fn Accept(token: String) -> impl IntoView {
    let action = ServerAction::<AcceptInvitation>::new();
    let error = action_error(action.into());
    let pending = action.pending();
    view! {
        <ActionForm action attr:class="form">
            <input type="hidden" name="token" value=token />
            <FormStatus error />
            <button type="submit" class="btn btn--primary btn--block" aria-busy=move || pending.get().then_some("true")>
                "Join the organization"
            </button>
        </ActionForm>
    }
}
