//! `/invite/confirm?token=inv_…`: the emailed link. Signed out, it offers log-in and
//! sign-up that come back here; signed in, "Confirm" registers the agent to the user and
//! shows its key once.

use crate::api;
use crate::app::use_session;
use crate::components::secret::{OneTimeSecret, ShownOnceWarning};
use crate::error::AppError;
use crate::routing::{login_then, signup_then};
use agentry_services::model::AgentRegistrationResponse as Registration;
use leptos::{prelude::*, task::spawn_local};
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_query_map};

/// The invite confirmation page.
#[component]
pub fn InviteConfirmPage() -> impl IntoView {
    let session = use_session();
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    view! {
        <Title text="Confirm an agent" />
        <section class="panel panel--auth" aria-labelledby="invite-title">
            <h1 id="invite-title">"Confirm an agent"</h1>
            <Transition fallback=|| view! { <p class="muted" role="status">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let token = token();
                    let me = session.me.await.ok().flatten();
                    if token.is_empty() {
                        return view! {
                            <p class="alert alert--error" role="alert">
                                "This link has no invite token. Open the link from the email exactly as it was sent."
                            </p>
                        }.into_any();
                    }
                    let here = format!("/invite/confirm?token={token}");
                    match me {
                        None => view! {
                            <p class="muted">
                                "An agent was registered with your email as its owner. "
                                "Log in (or create an account with that address) to confirm it."
                            </p>
                            <div class="stack">
                                <a class="btn btn--primary btn--block" href=login_then(&here)>"Log in to confirm"</a>
                                <a class="btn btn--ghost btn--block" href=signup_then(&here)>
                                    "Create an account"
                                </a>
                            </div>
                        }.into_any(),
                        Some(me) => view! {
                            <ConfirmInvite token email=me.user.email organization=me.current_organization.name />
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn ConfirmInvite(token: String, email: String, organization: String) -> impl IntoView {
    let result = RwSignal::new(None::<Result<Registration, AppError>>);
    let pending = RwSignal::new(false);
    let confirm = move |_| {
        let token = token.clone();
        pending.set(true);
        spawn_local(async move {
            result.set(Some(api::confirm_invite(token).await));
            pending.set(false);
        });
    };
    view! {
        {move || match result.get() {
            Some(Ok(done)) => view! {
                <div class="stack">
                    <p role="status">
                        <strong>{done.agent.name.clone()}</strong> " is registered to " {organization.clone()} "."
                    </p>
                    {done.api_key.map(|key| view! {
                        <ShownOnceWarning what="This API key" />
                        <OneTimeSecret id="agent-api-key" label="Agent API key" value=key />
                    })}
                    <p><A href="/agents" attr:class="btn btn--primary">"Go to agents"</A></p>
                </div>
            }.into_any(),
            other => {
                let failure = other.and_then(Result::err);
                let terminal = failure.as_ref().is_some_and(|e| matches!(e.status(), Some(404 | 409 | 410)));
                let confirm = confirm.clone();
                view! {
                    <p class="muted">
                        "Signed in as " <strong>{email.clone()}</strong>
                        ". Confirming registers the agent to " <strong>{organization.clone()}</strong>
                        " and shows its API key once."
                    </p>
                    <div class="form-status" role="alert">
                        {failure.map(|e| view! { <p class="alert alert--error">{confirm_failure(&e)}</p> })}
                    </div>
                    {(!terminal).then(|| view! {
                        <button
                            type="button"
                            class="btn btn--primary btn--block"
                            on:click=confirm
                            disabled=move || pending.get()
                            aria-busy=move || pending.get().then_some("true")
                        >
                            "Confirm agent"
                        </button>
                    })}
                }.into_any()
            }
        }}
    }
}

/// Dedicated words for the ways a confirmation fails.
fn confirm_failure(e: &AppError) -> String {
    match e.status() {
        Some(410) => "This invite has expired. Ask whoever registered the agent to register it again, or an organization admin to resend the invite.".into(),
        Some(409) => "This invite was already used or cancelled, so there is nothing left to confirm.".into(),
        Some(404) => "We don't know this invite. Check that the link is complete, or use the newest email if it was resent.".into(),
        Some(403) => format!("{} Log in with the address the invite was sent to, or free a seat.", e.user_message()),
        _ => e.user_message(),
    }
}
