//! `/forgot-password` and `/reset-password?token=pwr_…`: resetting a forgotten password by
//! email. Plain HTML forms posting to server functions, so both work before hydration.

use crate::api::{ForgotPassword, ResetPassword};
use crate::components::form::{action_error, FormStatus, PasswordField, TextField};
use agentry_services::vocab::Password;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_query_map};

/// Asks for the account's email; afterwards says a link is on its way, whatever the
/// address (the answer never tells whether an account uses it).
#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let action = ServerAction::<ForgotPassword>::new();
    let error = action_error(action.into());
    let pending = action.pending();
    let query = use_query_map();
    let sent = move || query.read().get("sent").is_some() || action.value().get().is_some_and(|r| r.is_ok());
    view! {
        <Title text="Forgot your password?" />
        <section class="panel panel--auth" aria-labelledby="forgot-title">
            <h1 id="forgot-title">"Forgot your password?"</h1>
            <Show
                when=sent
                fallback=move || view! {
                    <p class="muted">"Give your account's email and we will send you a link to choose a new password."</p>
                    <ActionForm action attr:class="form">
                        <TextField id="forgot-email" name="email" label="Email" kind="email" autocomplete="email" error />
                        <FormStatus error />
                        <button type="submit" class="btn btn--primary btn--block" aria-busy=move || pending.get().then_some("true")>
                            "Send the link"
                        </button>
                    </ActionForm>
                }
            >
                <p class="alert alert--ok" role="status">
                    "If an account uses that address, we have emailed it a link. It works once, for an hour."
                </p>
            </Show>
            <p class="panel__footer">"Remembered it? " <A href="/login">"Log in"</A></p>
        </section>
    }
}

/// Chooses a new password with the emailed token.
#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let action = ServerAction::<ResetPassword>::new();
    let error = action_error(action.into());
    let pending = action.pending();
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    view! {
        <Title text="Choose a new password" />
        <section class="panel panel--auth" aria-labelledby="reset-title">
            <h1 id="reset-title">"Choose a new password"</h1>
            <p class="muted">"Every device signed in to your account will be signed out."</p>
            <ActionForm action attr:class="form">
                <input type="hidden" name="token" value=token />
                <PasswordField id="reset-password" autocomplete="new-password" hint=Password::RULE error />
                <FormStatus error />
                <button type="submit" class="btn btn--primary btn--block" aria-busy=move || pending.get().then_some("true")>
                    "Set the new password"
                </button>
            </ActionForm>
            <p class="panel__footer">"Link expired? " <A href="/forgot-password">"Ask for a new one"</A></p>
        </section>
    }
}
