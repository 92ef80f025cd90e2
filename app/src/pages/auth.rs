//! `/login` and `/signup`. Both are plain HTML forms posting to server functions, so they
//! work before (or without) hydration; errors come back in the URL and render here.

use crate::api::{Login, Signup};
use crate::components::form::{action_error, FormStatus, PasswordField, TextField};
use crate::routing::{login_then, safe_next, signup_then};
use agentry_services::vocab::Password;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_query_map};

/// The log-in form. Honours `?next=/local/path`.
#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<Login>::new();
    let error = action_error(action.into());
    let query = use_query_map();
    let next =
        move || query.read().get("next").filter(|n| safe_next(n).is_some()).unwrap_or_else(|| "/agents".to_string());
    let pending = action.pending();
    view! {
        <Title text="Log in" />
        <section class="panel panel--auth" aria-labelledby="login-title">
            <h1 id="login-title">"Log in"</h1>
            <p class="muted">"Welcome back. Sign in to manage your agents."</p>
            {move || query.read().get("reset").map(|_| view! {
                <p class="alert alert--ok" role="status">"Your password was changed. Log in with the new one."</p>
            })}
            <ActionForm action attr:class="form">
                <input type="hidden" name="next" value=next />
                <TextField
                    id="login-email"
                    name="email"
                    label="Email"
                    kind="email"
                    autocomplete="email"
                    error
                />
                <PasswordField id="login-password" autocomplete="current-password" error />
                <FormStatus error />
                <button type="submit" class="btn btn--primary btn--block" aria-busy=move || pending.get().then_some("true")>
                    "Log in"
                </button>
            </ActionForm>
            <p class="panel__footer">
                <A href="/forgot-password">"Forgot your password?"</A>
            </p>
            <p class="panel__footer">
                "New to Agentry? " <A href=move || signup_then(&next())>"Create an account"</A>
            </p>
        </section>
    }
}

/// The sign-up form: email, password (with the rule shown) and the first organization.
/// Honours `?next=/local/path`, like the log-in form.
#[component]
pub fn SignupPage() -> impl IntoView {
    let action = ServerAction::<Signup>::new();
    let error = action_error(action.into());
    let pending = action.pending();
    let query = use_query_map();
    let next =
        move || query.read().get("next").filter(|n| safe_next(n).is_some()).unwrap_or_else(|| "/agents".to_string());
    view! {
        <Title text="Sign up" />
        <section class="panel panel--auth" aria-labelledby="signup-title">
            <h1 id="signup-title">"Create your account"</h1>
            <p class="muted">"You will own a new organization, where your agents live."</p>
            <ActionForm action attr:class="form">
                <input type="hidden" name="next" value=next />
                <TextField
                    id="signup-email"
                    name="email"
                    label="Email"
                    kind="email"
                    autocomplete="email"
                    error
                />
                <PasswordField
                    id="signup-password"
                    autocomplete="new-password"
                    hint=Password::RULE
                    error
                />
                <TextField
                    id="signup-organization"
                    name="organization"
                    label="Organization name"
                    autocomplete="organization"
                    error
                />
                <FormStatus error />
                <button type="submit" class="btn btn--primary btn--block" aria-busy=move || pending.get().then_some("true")>
                    "Create account"
                </button>
            </ActionForm>
            <p class="panel__footer">
                "Already have an account? " <A href=move || login_then(&next())>"Log in"</A>
            </p>
        </section>
    }
}
