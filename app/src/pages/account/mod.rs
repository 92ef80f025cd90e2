//! `/account`: the signed-in user's password, sessions and API keys. Signed-out visitors
//! are sent to log in.

mod keys;
mod sessions;

use crate::api::ChangePassword;
use crate::app::use_session;
use crate::components::form::{action_error, FormStatus, PasswordField};
use crate::components::signed_in::RequireSignIn;
use agentry_services::vocab::Password;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The account page.
#[component]
pub fn AccountPage() -> impl IntoView {
    let session = use_session();
    let password = ServerAction::<ChangePassword>::new();
    view! {
        <Title text="Account" />
        <RequireSignIn path="/account" />
        <div class="page-head">
            <div>
                <p class="eyebrow">"Account"</p>
                <h1>"Your account"</h1>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        session.me.await.ok().flatten().map(|me| view! {
                            <p class="muted">"Signed in as " <strong>{me.user.email}</strong></p>
                        })
                    })}
                </Transition>
            </div>
        </div>
        <div class="sections">
            <PasswordForm action=password />
            <sessions::SessionsPanel password />
            <keys::ApiKeysPanel />
        </div>
    }
}

/// Current and new password. A plain form post before hydration; either way the answer
/// is this page with `?password=changed`.
#[component]
fn PasswordForm(action: ServerAction<ChangePassword>) -> impl IntoView {
    let error = action_error(action.into());
    let pending = action.pending();
    let query = use_query_map();
    let changed = move || query.read().get("password").is_some_and(|v| v == "changed");
    view! {
        <section class="panel" aria-labelledby="password-title">
            <h2 id="password-title">"Password"</h2>
            <p class="muted">
                "Changing your password signs out every other session of yours, on every device. This one stays signed in."
            </p>
            <ActionForm action attr:class="form form--narrow">
                <PasswordField
                    id="current-password"
                    name="current_password"
                    label="Current password"
                    autocomplete="current-password"
                    error
                />
                <PasswordField
                    id="new-password"
                    name="new_password"
                    label="New password"
                    autocomplete="new-password"
                    hint=Password::RULE
                    error
                />
                <FormStatus error />
                <p class="notice" role="status" aria-live="polite">
                    {move || changed().then(|| view! {
                        <span class="alert alert--ok">"Your password was changed and your other sessions were signed out."</span>
                    })}
                </p>
                <button type="submit" class="btn btn--primary" aria-busy=move || pending.get().then_some("true")>
                    "Change password"
                </button>
            </ActionForm>
        </section>
    }
}
