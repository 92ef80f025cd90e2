//! Form building blocks: labelled fields, the password field with its show/hide toggle,
//! and the live region that announces errors.

use crate::error::AppError;
use leptos::prelude::*;

/// A labelled text input. `error` is the services layer's message for this field.
#[component]
pub fn TextField(
    /// The input's `id`, also used by its label.
    id: &'static str,
    /// The form field name the server function expects.
    name: &'static str,
    /// The visible label.
    label: &'static str,
    /// The input type (`text`, `email`, …).
    #[prop(default = "text")]
    kind: &'static str,
    /// The `autocomplete` hint.
    #[prop(default = "off")]
    autocomplete: &'static str,
    /// A hint shown under the input.
    #[prop(optional)]
    hint: Option<&'static str>,
    /// The last error, to show this field's message.
    #[prop(into)]
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let message = move || error.get().and_then(|e| e.field_message(name));
    let described = {
        let (hint_id, error_id) = (hint_id.clone(), error_id.clone());
        move || describedby(hint.map(|_| hint_id.as_str()), message().map(|_| error_id.as_str()))
    };
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input
                id=id
                name=name
                type=kind
                autocomplete=autocomplete
                required
                aria-invalid=move || message().map(|_| "true")
                aria-describedby=described
            />
            {hint.map(|h| view! { <p class="field__hint" id=hint_id>{h}</p> })}
            <p class="field__error" id=error_id>{message}</p>
        </div>
    }
}

/// A labelled password input with a "Show" toggle. The toggle needs the hydrated app;
/// before that the field is an ordinary password input.
#[component]
pub fn PasswordField(
    /// The input's `id`, also used by its label.
    id: &'static str,
    /// `current-password` on log-in, `new-password` on sign-up.
    autocomplete: &'static str,
    /// The form field name the server function expects.
    #[prop(default = "password")]
    name: &'static str,
    /// The visible label.
    #[prop(default = "Password")]
    label: &'static str,
    /// A hint shown under the input, e.g. the password rule.
    #[prop(optional)]
    hint: Option<&'static str>,
    /// The last error, to show the password's message.
    #[prop(into)]
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let (shown, set_shown) = signal(false);
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let message = move || error.get().and_then(|e| e.field_message(name));
    let described = {
        let (hint_id, error_id) = (hint_id.clone(), error_id.clone());
        move || describedby(hint.map(|_| hint_id.as_str()), message().map(|_| error_id.as_str()))
    };
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <div class="field__row">
                <input
                    id=id
                    name=name
                    type=move || if shown.get() { "text" } else { "password" }
                    autocomplete=autocomplete
                    required
                    aria-invalid=move || message().map(|_| "true")
                    aria-describedby=described
                />
                <button
                    type="button"
                    class="btn btn--ghost field__toggle"
                    aria-controls=id
                    aria-pressed=move || if shown.get() { "true" } else { "false" }
                    on:click=move |_| set_shown.update(|s| *s = !*s)
                >
                    {move || if shown.get() { "Hide" } else { "Show" }}
                    <span class="visually-hidden">{format!(" {}", label.to_lowercase())}</span>
                </button>
            </div>
            {hint.map(|h| view! { <p class="field__hint" id=hint_id>{h}</p> })}
            <p class="field__error" id=error_id>{message}</p>
        </div>
    }
}

/// The polite live region under a form: announces the last error, if any.
#[component]
pub fn FormStatus(
    /// The last error.
    #[prop(into)]
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    view! {
        <div class="form-status" role="status" aria-live="polite" aria-atomic="true">
            {move || {
                error.get().map(|e| view! { <p class="alert alert--error">{e.user_message()}</p> })
            }}
        </div>
    }
}

/// The error of a server action's last result, as a signal for the components above.
pub fn action_error<I, O>(action: Action<I, Result<O, AppError>>) -> Signal<Option<AppError>>
where
    I: Send + Sync + 'static,
    O: Clone + Send + Sync + 'static,
{
    Signal::derive(move || action.value().get().and_then(|r| r.err()))
}

fn describedby(hint: Option<&str>, error: Option<&str>) -> Option<String> {
    let ids: Vec<&str> = [hint, error].into_iter().flatten().collect();
    (!ids.is_empty()).then(|| ids.join(" "))
}
