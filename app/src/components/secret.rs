//! A secret shown once: a read-only field, a Copy button, and the warning that goes with it.

use crate::browser;
use leptos::{html, prelude::*, task::spawn_local};

/// Shows `value` once with a Copy button; the copy result is announced politely.
#[component]
pub fn OneTimeSecret(
    /// The input's `id`.
    id: &'static str,
    /// The visible label, e.g. "Agent API key".
    label: &'static str,
    /// The secret.
    value: String,
) -> impl IntoView {
    let (copied, set_copied) = signal(None::<bool>);
    let input = NodeRef::<html::Input>::new();
    let secret = value.clone();
    let copy = move |_| {
        let secret = secret.clone();
        spawn_local(async move { set_copied.set(Some(browser::copy_to_clipboard(&secret).await)) });
    };
    let select_all = move |_| {
        if let Some(el) = input.get() {
            el.select();
        }
    };
    view! {
        <div class="field secret">
            <label for=id>{label}</label>
            <div class="field__row">
                <input
                    id=id
                    class="secret__value"
                    type="text"
                    readonly
                    spellcheck="false"
                    autocomplete="off"
                    value=value
                    node_ref=input
                    on:focus=select_all
                />
                <button type="button" class="btn btn--ghost secret__copy" on:click=copy>
                    "Copy" <span class="visually-hidden">{format!(" {label}")}</span>
                </button>
            </div>
            <p class="field__hint" role="status" aria-live="polite">
                {move || match copied.get() {
                    Some(true) => "Copied to the clipboard.",
                    Some(false) => "The browser did not allow copying: select the text and copy it yourself.",
                    None => "",
                }}
            </p>
        </div>
    }
}

/// The warning under a one-time secret.
#[component]
pub fn ShownOnceWarning(
    /// What is shown once, e.g. "This key".
    what: &'static str,
) -> impl IntoView {
    view! {
        <p class="alert alert--warn">
            <strong>{what} " is shown only once."</strong>
            " Copy it now and keep it somewhere safe; Agentry stores only its hash and cannot show it again."
        </p>
    }
}
