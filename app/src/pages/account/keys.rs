//! The API keys panel: create a `uak_` key with a name (its secret shown once, with a
//! Copy button), the list with last use, and Revoke.

use crate::api::{create_api_key, list_api_keys, revoke_api_key};
use crate::components::dialog::ConfirmDialog;
use crate::components::secret::{OneTimeSecret, ShownOnceWarning};
use crate::error::AppError;
use crate::format;
use agentry_services::model::{ApiKey, CreatedApiKey};
use agentry_services::vocab::{field, KeyName};
use leptos::{ev::SubmitEvent, html, prelude::*, task::spawn_local};

/// The key the user is about to revoke.
#[derive(Clone, Debug, PartialEq)]
struct Revoking {
    id: i64,
    name: String,
}

/// Create, list and revoke the user's API keys.
#[component]
pub fn ApiKeysPanel() -> impl IntoView {
    let reload = RwSignal::new(0u32);
    let keys = Resource::new(move || reload.get(), |_| list_api_keys());
    let name = RwSignal::new(String::new());
    let pending = RwSignal::new(false);
    let error = RwSignal::new(None::<AppError>);
    let created = RwSignal::new(None::<CreatedApiKey>);
    let revoking = RwSignal::new(None::<Revoking>);
    let notice = RwSignal::new(None::<String>);
    let heading = NodeRef::<html::H2>::new();

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        // The services' own rule for key names, checked before anything is sent.
        if let Err(fields) = field("name", KeyName::parse(&name.get_untracked())) {
            error.set(Some(AppError::from(fields)));
            return;
        }
        pending.set(true);
        error.set(None);
        created.set(None);
        spawn_local(async move {
            match create_api_key(name.get_untracked()).await {
                Ok(key) => {
                    created.set(Some(key));
                    name.set(String::new());
                    reload.update(|n| *n += 1);
                }
                Err(e) => error.set(Some(e)),
            }
            pending.set(false);
        });
    };
    let message = move || error.get().and_then(|e| e.field_message("name"));

    view! {
        <section class="panel" aria-labelledby="keys-title">
            <h2 id="keys-title" tabindex="-1" node_ref=heading>"API keys"</h2>
            <p class="muted">
                "A key lets a script or the CLI act as you in this organization: send it as "
                <code>"Authorization: Bearer uak_…"</code> "."
            </p>
            <form class="form form--narrow" on:submit=submit aria-labelledby="key-create-title">
                <h3 id="key-create-title">"Create a key"</h3>
                <div class="field">
                    <label for="key-name">"Name"</label>
                    <div class="field__row">
                        <input
                            id="key-name"
                            type="text"
                            autocomplete="off"
                            required
                            maxlength=KeyName::MAX
                            aria-describedby="key-name-hint key-name-error"
                            aria-invalid=move || message().map(|_| "true")
                            prop:value=move || name.get()
                            on:input=move |ev| name.set(event_target_value(&ev))
                        />
                        <button
                            type="submit"
                            class="btn btn--primary"
                            disabled=move || pending.get()
                            aria-busy=move || pending.get().then_some("true")
                        >
                            "Create key"
                        </button>
                    </div>
                    <p class="field__hint" id="key-name-hint">"What uses it, e.g. “deploy script”."</p>
                    <p class="field__error" id="key-name-error">{message}</p>
                </div>
                <div class="form-status" role="alert">
                    {move || error.get().filter(|e| e.field_message("name").is_none()).map(|e| view! {
                        <p class="alert alert--error">{e.user_message()}</p>
                    })}
                </div>
            </form>
            {move || created.get().map(|key| view! { <CreatedKey key /> })}
            <p class="notice" role="status" aria-live="polite">
                {move || notice.get().map(|n| view! { <span class="alert alert--ok">{n}</span> })}
            </p>
            <Transition fallback=|| view! { <p class="muted" role="status">"Loading keys…"</p> }>
                {move || Suspend::new(async move {
                    match keys.await {
                        Ok(Some(list)) if list.is_empty() => view! { <p class="muted">"You have no API keys."</p> }.into_any(),
                        Ok(Some(list)) => view! {
                            <ul class="rows" aria-label="Your API keys">
                                {list.into_iter().map(|key| view! { <KeyItem key revoking /> }).collect_view()}
                            </ul>
                        }.into_any(),
                        Ok(None) => ().into_any(),
                        Err(e) => view! { <p class="alert alert--error" role="alert">{e.user_message()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
        {move || revoking.get().map(|target| view! { <RevokeDialog target revoking notice reload created heading /> })}
    }
}

/// The new key's secret, once. Takes focus when it appears.
#[component]
fn CreatedKey(key: CreatedApiKey) -> impl IntoView {
    let title = NodeRef::<html::H3>::new();
    Effect::new(move |_| {
        if let Some(h) = title.get() {
            _ = h.focus();
        }
    });
    view! {
        <section class="result" aria-labelledby="created-key-title">
            <h3 id="created-key-title" tabindex="-1" node_ref=title>{format!("Key “{}” created", key.key.name)}</h3>
            <ShownOnceWarning what="This key" />
            <OneTimeSecret id="created-api-key" label="API key" value=key.secret />
        </section>
    }
}

#[component]
fn KeyItem(key: ApiKey, revoking: RwSignal<Option<Revoking>>) -> impl IntoView {
    let last_used = key.last_used_at.as_ref().map(format::utc).unwrap_or_else(|| "never".into());
    let revoked = key.revoked_at.as_ref().map(format::utc);
    let target = Revoking { id: key.id, name: key.name.clone() };
    let name = key.name.clone();
    let is_revoked = revoked.is_some();
    view! {
        <li class="row" class:row--revoked=is_revoked>
            <div class="row__main">
                <strong class="row__title row__title--wrap">{key.name.clone()}</strong>
                <code class="row__code">{format!("{}…", key.prefix)}</code>
                {is_revoked.then(|| view! { <span class="badge badge--revoked">"revoked"</span> })}
                <dl class="row__facts">
                    <div><dt>"Created"</dt><dd>{format::utc(&key.created_at)}</dd></div>
                    <div><dt>"Last used"</dt><dd>{last_used}</dd></div>
                    {revoked.map(|at| view! { <div><dt>"Revoked"</dt><dd>{at}</dd></div> })}
                </dl>
            </div>
            <div class="row__actions">
                {key.revoked_at.is_none().then(|| view! {
                    <button
                        type="button"
                        class="btn btn--ghost btn--danger-text"
                        on:click=move |_| revoking.set(Some(target.clone()))
                    >
                        "Revoke" <span class="visually-hidden">{format!(" key {name}")}</span>
                    </button>
                })}
            </div>
        </li>
    }
}

#[component]
fn RevokeDialog(
    target: Revoking,
    revoking: RwSignal<Option<Revoking>>,
    notice: RwSignal<Option<String>>,
    reload: RwSignal<u32>,
    created: RwSignal<Option<CreatedApiKey>>,
    heading: NodeRef<html::H2>,
) -> impl IntoView {
    let pending = RwSignal::new(false);
    let error = RwSignal::new(None::<AppError>);
    let Revoking { id, name } = target.clone();
    let on_confirm = Callback::new(move |_reason: String| {
        let name = name.clone();
        pending.set(true);
        spawn_local(async move {
            match revoke_api_key(id).await {
                Ok(_) => {
                    notice.set(Some(format!("Key “{name}” was revoked; requests with it are refused from now on.")));
                    if created.read_untracked().as_ref().is_some_and(|c| c.key.id == id) {
                        created.set(None);
                    }
                    revoking.set(None);
                    reload.update(|n| *n += 1);
                    if let Some(h) = heading.get_untracked() {
                        _ = h.focus();
                    }
                }
                // Closing disposes this dialog's signals, so only a failure touches them.
                Err(e) => {
                    error.set(Some(e));
                    pending.set(false);
                }
            }
        });
    });
    view! {
        <ConfirmDialog
            title=format!("Revoke the key “{}”?", target.name)
            message="Scripts using it stop working at once. This cannot be undone.".to_string()
            confirm_label="Revoke key"
            on_confirm
            on_close=Callback::new(move |_| revoking.set(None))
            pending
            error
        />
    }
}
