//! `/agents/tokens`: mints a single-use delegated registration token for CI, shows it once
//! with a ready-to-paste workflow step.

use crate::api;
use crate::components::secret::{OneTimeSecret, ShownOnceWarning};
use crate::components::signed_in::RequireSignIn;
use crate::error::AppError;
use crate::format;
use agentry_services::inputs::DelegatedTokenSpec;
use agentry_services::model::{DelegatedTokenRequest, DelegatedTokenResponse as DelegatedToken};
use agentry_services::vocab::{Difficulty, NamePrefix};
use leptos::{ev::SubmitEvent, prelude::*, task::spawn_local};
use leptos_meta::Title;

/// The delegated tokens page. Signed-out visitors are sent to log in.
#[component]
pub fn DelegatedTokensPage() -> impl IntoView {
    view! {
        <RequireSignIn path="/agents/tokens" />
        <DelegatedTokens />
    }
}

#[component]
fn DelegatedTokens() -> impl IntoView {
    let prefix = RwSignal::new("ci-".to_string());
    let max_difficulty = RwSignal::new(String::new());
    let ttl = RwSignal::new("900".to_string());
    let pending = RwSignal::new(false);
    let minted = RwSignal::new(None::<DelegatedToken>);
    let error = RwSignal::new(None::<AppError>);

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let request = DelegatedTokenRequest {
            name_prefix: Some(prefix.get_untracked()),
            max_difficulty: max_difficulty.get_untracked().trim().parse().ok(),
            ttl_seconds: ttl.get_untracked().parse().ok(),
        };
        // The services' own rules, checked before anything is sent.
        if let Err(fields) = DelegatedTokenSpec::parse(&request) {
            error.set(Some(AppError::from(fields)));
            return;
        }
        pending.set(true);
        error.set(None);
        spawn_local(async move {
            match api::mint_delegated_token(request).await {
                Ok(token) => minted.set(Some(token)),
                Err(e) => error.set(Some(e)),
            }
            pending.set(false);
        });
    };

    view! {
        <Title text="Delegated tokens" />
        <div class="page-head">
            <div>
                <p class="eyebrow"><a href="/agents">"Agents"</a></p>
                <h1>"Delegated tokens"</h1>
                <p class="muted">
                    "A delegated token lets a CI job register one agent for you, without your password or API key. "
                    "It works once and expires quickly."
                </p>
            </div>
        </div>
        <div class="split">
            <form class="panel form" on:submit=submit aria-labelledby="mint-title">
                <h2 id="mint-title">"Mint a token"</h2>
                <div class="field">
                    <label for="token-prefix">"Agent name prefix"</label>
                    <input
                        id="token-prefix"
                        type="text"
                        autocomplete="off"
                        aria-describedby="token-prefix-hint"
                        prop:value=move || prefix.get()
                        on:input=move |ev| prefix.set(event_target_value(&ev))
                    />
                    <p class="field__hint" id="token-prefix-hint">{format!("The registered agent's name must start with this (at most {} characters). Empty: any name.", NamePrefix::MAX)}</p>
                </div>
                <div class="field">
                    <label for="token-difficulty">"Maximum difficulty " <span class="muted">"(optional)"</span></label>
                    <input
                        id="token-difficulty"
                        type="number"
                        min=Difficulty::MIN
                        max=Difficulty::MAX
                        inputmode="numeric"
                        aria-describedby="token-difficulty-hint"
                        prop:value=move || max_difficulty.get()
                        on:input=move |ev| max_difficulty.set(event_target_value(&ev))
                    />
                    <p class="field__hint" id="token-difficulty-hint">"Caps the proof of work the job may be asked for (leading zero bits)."</p>
                </div>
                <div class="field">
                    <label for="token-ttl">"Valid for"</label>
                    <select id="token-ttl" on:change=move |ev| ttl.set(event_target_value(&ev)) prop:value=move || ttl.get()>
                        <option value="300">"5 minutes"</option>
                        <option value="900">"15 minutes"</option>
                        <option value="1800">"30 minutes"</option>
                        <option value="3600">"1 hour"</option>
                    </select>
                </div>
                <div class="form-status" role="alert">
                    {move || error.get().map(|e| view! { <p class="alert alert--error">{e.user_message()}</p> })}
                </div>
                <button
                    type="submit"
                    class="btn btn--primary"
                    disabled=move || pending.get()
                    aria-busy=move || pending.get().then_some("true")
                >
                    "Mint token"
                </button>
            </form>
            {move || minted.get().map(|token| view! { <MintedToken token /> })}
        </div>
    }
}

#[component]
fn MintedToken(token: DelegatedToken) -> impl IntoView {
    let snippet = ci_snippet(&crate::browser::origin(), token.name_prefix.as_deref().unwrap_or(""));
    view! {
        <section class="panel result" aria-labelledby="minted-title">
            <h2 id="minted-title">"Your token"</h2>
            <ShownOnceWarning what="This token" />
            <OneTimeSecret id="delegated-token" label="Delegated token" value=token.token.clone() />
            <p class="muted">
                "Valid until " {format::utc(&token.expires_at)}
                {token.name_prefix.map(|p| format!(", for names starting with “{p}”"))}
                {token.max_difficulty.map(|d| format!(", difficulty at most {d}"))}
                ". Store it as the CI secret " <code>"AGENTRY_DELEGATED_TOKEN"</code> "."
            </p>
            <h3 class="snippet__title">"GitHub Actions step"</h3>
            <pre class="snippet" tabindex="0" aria-label="GitHub Actions step"><code>{snippet.clone()}</code></pre>
            <CopyButton text=snippet label="Copy the workflow step" />
        </section>
    }
}

/// A Copy button for a block of text, with a polite confirmation.
#[component]
fn CopyButton(text: String, label: &'static str) -> impl IntoView {
    let (copied, set_copied) = signal(None::<bool>);
    let copy = move |_| {
        let text = text.clone();
        spawn_local(async move { set_copied.set(Some(crate::browser::copy_to_clipboard(&text).await)) });
    };
    view! {
        <div class="field__row">
            <button type="button" class="btn btn--ghost" on:click=copy>{label}</button>
            <span class="field__hint" role="status" aria-live="polite">
                {move || match copied.get() {
                    Some(true) => "Copied.",
                    Some(false) => "Copying was not allowed: select the text instead.",
                    None => "",
                }}
            </span>
        </div>
    }
}

/// A workflow step that registers an agent named `<prefix>run-<id>` with the token.
fn ci_snippet(origin: &str, prefix: &str) -> String {
    format!(
        "- name: Register the agent with Agentry\n  \
         env:\n    \
         AGENTRY_DELEGATED_TOKEN: ${{{{ secrets.AGENTRY_DELEGATED_TOKEN }}}}\n  \
         run: |\n    \
         agentry agent register \\\n      \
         --server {origin} \\\n      \
         --delegated-token \"$AGENTRY_DELEGATED_TOKEN\" \\\n      \
         --name {prefix}run-${{{{ github.run_id }}}}\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_snippet_uses_the_origin_prefix_and_secret() {
        let s = ci_snippet("https://agentry.example", "ci-");
        assert!(s.contains("--server https://agentry.example \\\n"));
        assert!(s.contains("--delegated-token \"$AGENTRY_DELEGATED_TOKEN\""));
        assert!(s.contains("--name ci-run-${{ github.run_id }}"));
        assert!(s.contains("AGENTRY_DELEGATED_TOKEN: ${{ secrets.AGENTRY_DELEGATED_TOKEN }}"));
    }
}
