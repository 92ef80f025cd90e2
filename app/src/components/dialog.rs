//! A modal confirmation with an optional reason, on the native `<dialog>` element, so
//! focus is trapped and Escape closes it without extra code.

use crate::error::AppError;
use agentry_services::vocab::{field, Reason};
use leptos::{ev::SubmitEvent, html, prelude::*};

/// Opens itself when mounted; render it only while there is something to confirm.
#[component]
pub fn ConfirmDialog(
    /// The heading, e.g. "Revoke build-bot?".
    title: String,
    /// What confirming does.
    message: String,
    /// The confirm button's text.
    confirm_label: &'static str,
    /// `Some(label)` asks for a reason. A reason is always optional, as the API has it.
    #[prop(optional)]
    reason_label: Option<&'static str>,
    /// Called with the reason (empty when not asked or not given).
    on_confirm: Callback<String>,
    /// Called when the dialog closes without confirming (Cancel or Escape).
    on_close: Callback<()>,
    /// True while the confirmed request is in flight.
    #[prop(into)]
    pending: Signal<bool>,
    /// The last failure of the confirmed request.
    #[prop(into)]
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let dialog = NodeRef::<html::Dialog>::new();
    let (reason, set_reason) = signal(String::new());
    let (invalid, set_invalid) = signal(None::<AppError>);
    Effect::new(move |_| {
        if let Some(d) = dialog.get() {
            if !d.open() {
                _ = d.show_modal();
            }
        }
    });
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        // The services' own rule for reasons (optional, at most 500 characters).
        match field("reason", Reason::parse_optional(Some(&reason.get_untracked()))) {
            Ok(r) => {
                set_invalid.set(None);
                on_confirm.run(r.map(String::from).unwrap_or_default());
            }
            Err(fields) => set_invalid.set(Some(AppError::from(fields))),
        }
    };
    let close = move |_| {
        if let Some(d) = dialog.get_untracked() {
            d.close();
        }
    };
    view! {
        <dialog class="dialog" node_ref=dialog aria-labelledby="dialog-title" on:close=move |_| on_close.run(())>
            <form class="form dialog__form" on:submit=submit>
                <h2 id="dialog-title">{title}</h2>
                <p class="muted">{message}</p>
                {reason_label.map(|label| view! {
                    <div class="field">
                        <label for="dialog-reason">{label}</label>
                        <textarea
                            id="dialog-reason"
                            rows="3"
                            aria-describedby="dialog-reason-hint"
                            prop:value=reason
                            on:input=move |ev| set_reason.set(event_target_value(&ev))
                        ></textarea>
                        <p class="field__hint" id="dialog-reason-hint">
                            {format!("Optional; at most {} characters.", Reason::MAX)}
                        </p>
                    </div>
                })}
                <div class="form-status" role="status" aria-live="polite">
                    {move || invalid.get().or_else(|| error.get()).map(|e| view! { <p class="alert alert--error">{e.user_message()}</p> })}
                </div>
                <div class="dialog__actions">
                    <button type="button" class="btn btn--ghost" on:click=close>"Keep it"</button>
                    <button
                        type="submit"
                        class="btn btn--danger"
                        disabled=move || pending.get()
                        aria-busy=move || pending.get().then_some("true")
                    >
                        {confirm_label}
                    </button>
                </div>
            </form>
        </dialog>
    }
}
