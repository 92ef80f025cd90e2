//! `/agents/register`: registers an agent from the browser. The key pair is generated with
//! WebCrypto (or a public key is pasted), the proof of work runs in the `@agentry/pow`
//! worker pool with live progress and Cancel, and the `agk_` key is shown once.
//! Signed out, the same page registers the agent pending an invite to its owner's email.
//! `?difficulty=N` asks the server for that difficulty (it clamps it); `?agentId=N` gives
//! the identity to that agent definition (the Keys tab of its page links here).

use crate::api;
use crate::app::use_session;
use crate::browser::{self, KeyPair, Progress};
use crate::components::secret::{OneTimeSecret, ShownOnceWarning};
use crate::error::AppError;
use crate::format;
use crate::routing::login_then;
use agentry_services::inputs::AgentIdentity;
use agentry_services::model::{
    AgentRegistrationRequest, AgentRegistrationResponse as Registration, PowSolution, RegistrationState,
};
use agentry_services::vocab::{AgentName, Description};
use agentry_services::ErrorCode;
use leptos::{ev::SubmitEvent, prelude::*, task::spawn_local};
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_query_map};

/// Where a registration is.
#[derive(Clone, Debug, PartialEq)]
enum Step {
    /// Filling in the form.
    Form,
    /// Fetching a challenge.
    Challenge,
    /// Solving it in the workers.
    Solving,
    /// Posting the registration.
    Submitting,
    /// Registered (or invited).
    Done(Box<Registration>),
}

/// Why the last attempt stopped.
#[derive(Clone, Debug, PartialEq)]
enum Failure {
    Api(AppError),
    Pow { code: String, message: String },
    Input(String),
}

impl Failure {
    fn message(&self) -> String {
        match self {
            Failure::Input(m) => m.clone(),
            Failure::Pow { code, message } => match code.as_str() {
                "aborted" => "Cancelled. Nothing was registered.".into(),
                "expired" => "The challenge expired before it was solved. Try again.".into(),
                "load_error" | "wasm_error" | "worker_error" => {
                    format!("The proof-of-work solver could not run in this browser: {message}")
                }
                _ => format!("The proof of work failed: {message}"),
            },
            Failure::Api(e) => match e.code() {
                Some(ErrorCode::PublicKeyTaken) => {
                    format!("{} Generate a new key pair and try again.", e.user_message())
                }
                Some(ErrorCode::RateLimited) => match e {
                    AppError::Service { retry_after: Some(s), .. } => {
                        format!("Too many registrations right now. Try again in {s} s.")
                    }
                    _ => "Too many registrations right now. Try again shortly.".into(),
                },
                // No free seat and the rest: the services layer's own words say it best.
                _ => e.user_message(),
            },
        }
    }
}

/// The register page.
#[component]
pub fn RegisterPage() -> impl IntoView {
    let session = use_session();
    let query = use_query_map();
    view! {
        <Title text="Register an agent" />
        <div class="page-head">
            <div>
                <p class="eyebrow"><a href="/agents">"Agents"</a></p>
                <h1>"Register an agent"</h1>
                <p class="muted">"An agent proves a little work to get its identity: an Ed25519 key and an API key."</p>
            </div>
        </div>
        <noscript>
            <p class="alert alert--warn">
                "Registering from the browser needs JavaScript (the proof of work runs in web workers). "
                "Without it, use the CLI: " <code>"agentry agent register"</code>
            </p>
        </noscript>
        <Transition fallback=|| view! { <p class="muted" role="status">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let me = session.me.await.ok().flatten();
                let difficulty = query.read_untracked().get("difficulty").and_then(|d| d.parse().ok());
                let agent_id = query.read_untracked().get("agentId").and_then(|d| d.parse::<i64>().ok());
                view! { <RegisterFlow signed_in=me.is_some() difficulty agent_id /> }
            })}
        </Transition>
    }
}

#[component]
fn RegisterFlow(signed_in: bool, difficulty: Option<u32>, agent_id: Option<i64>) -> impl IntoView {
    let generate = RwSignal::new(true);
    let key_pair = RwSignal::new(None::<KeyPair>);
    let pasted_key = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let owner_email = RwSignal::new(String::new());
    let step = RwSignal::new(Step::Form);
    let progress = RwSignal::new(None::<Progress>);
    let failure = RwSignal::new(None::<Failure>);
    let generating = RwSignal::new(false);
    // `?agentId=N`: the identity goes to that definition, which keeps its name.
    // (An effect: it runs in the browser only, after hydration.)
    Effect::new(move |_| {
        if let Some(id) = agent_id.filter(|_| signed_in) {
            spawn_local(async move {
                if let Ok(Some(v)) = api::agent_detail(id).await {
                    name.set(v.agent.name);
                }
            });
        }
    });

    let make_key = move || {
        generating.set(true);
        spawn_local(async move {
            match browser::generate_key_pair().await {
                Ok(pair) => {
                    key_pair.set(Some(pair));
                    failure.set(None);
                }
                Err(m) => failure.set(Some(Failure::Input(m))),
            }
            generating.set(false);
        });
    };

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if !matches!(step.get_untracked(), Step::Form) {
            return;
        }
        failure.set(None);
        progress.set(None);
        let mut request = AgentRegistrationRequest {
            challenge_id: String::new(),
            solution: PowSolution::default(),
            public_key: String::new(),
            name: name.get_untracked(),
            description: Some(description.get_untracked()).filter(|d| !d.trim().is_empty()),
            owner_email: (!signed_in).then(|| owner_email.get_untracked()),
            agent_id: agent_id.filter(|_| signed_in),
        };
        step.set(Step::Challenge);
        spawn_local(async move {
            // "Generate a key pair in this browser" needs no extra click: the pair is made
            // here when there is none yet.
            let public_key = if generate.get_untracked() {
                match key_pair.get_untracked() {
                    Some(k) => Ok(k.public_key),
                    None => browser::generate_key_pair().await.map(|k| {
                        let public = k.public_key.clone();
                        key_pair.set(Some(k));
                        public
                    }),
                }
            } else {
                Ok(pasted_key.get_untracked())
            };
            let outcome = match public_key {
                Err(m) => Err(Failure::Input(m)),
                Ok(public_key) => {
                    request.public_key = public_key;
                    // The same parser the server runs: the page accepts exactly what the API does.
                    match AgentIdentity::parse(&request) {
                        Err(fields) => Err(Failure::Api(AppError::from(fields))),
                        Ok(_) => register(request, difficulty, !signed_in, step, progress).await,
                    }
                }
            };
            match outcome {
                Ok(done) => step.set(Step::Done(Box::new(done))),
                Err(f) => {
                    failure.set(Some(f));
                    step.set(Step::Form);
                }
            }
        });
    };

    let busy = Signal::derive(move || matches!(step.get(), Step::Challenge | Step::Solving | Step::Submitting));
    let reset = move || {
        key_pair.set(None);
        pasted_key.set(String::new());
        name.set(String::new());
        description.set(String::new());
        progress.set(None);
        failure.set(None);
        step.set(Step::Form);
    };

    // Only finishing swaps the form for the result; the steps in between update in place.
    let finished = Memo::new(move |_| match step.get() {
        Step::Done(done) => Some(*done),
        _ => None,
    });
    view! {
        {move || match finished.get() {
            Some(done) => view! {
                <RegisterResult done key_pair=key_pair.get_untracked() on_again=Callback::new(move |_| reset()) />
            }.into_any(),
            None => view! {
                <form class="panel form register" on:submit=submit aria-describedby="register-status">
                    {(!signed_in).then(|| view! { <InviteNotice /> })}
                    <fieldset class="fieldset" disabled=move || busy.get()>
                        <legend>"Identity key"</legend>
                        <div class="choice">
                            <label>
                                <input
                                    type="radio"
                                    name="key-source"
                                    prop:checked=move || generate.get()
                                    on:change=move |_| generate.set(true)
                                />
                                " Generate an Ed25519 key pair in this browser"
                            </label>
                            <label>
                                <input
                                    type="radio"
                                    name="key-source"
                                    prop:checked=move || !generate.get()
                                    on:change=move |_| generate.set(false)
                                />
                                " Use my own public key"
                            </label>
                        </div>
                        <Show
                            when=move || generate.get()
                            fallback=move || view! {
                                <div class="field">
                                    <label for="reg-public-key">"Public key (base64)"</label>
                                    <input
                                        id="reg-public-key"
                                        type="text"
                                        class="mono"
                                        spellcheck="false"
                                        autocomplete="off"
                                        placeholder="43 or 44 characters, e.g. from: agentry agent keygen"
                                        prop:value=move || pasted_key.get()
                                        on:input=move |ev| pasted_key.set(event_target_value(&ev))
                                    />
                                    <p class="field__hint">
                                        "The raw 32-byte Ed25519 public key in base64 (standard or URL-safe, padded or not). Keep the private key with the agent."
                                    </p>
                                </div>
                            }
                        >
                            <div class="keygen">
                                <button
                                    type="button"
                                    class="btn btn--ghost"
                                    on:click=move |_| make_key()
                                    aria-busy=move || generating.get().then_some("true")
                                >
                                    {move || if key_pair.get().is_some() { "Generate a new key pair" } else { "Generate key pair" }}
                                </button>
                                {move || key_pair.get().map(|k| view! {
                                    <div class="field">
                                        <label for="reg-generated-key">"Public key"</label>
                                        <input id="reg-generated-key" type="text" class="mono" readonly value=k.public_key />
                                        <p class="field__hint">
                                            "The private key stays in this browser; you can download it once the agent is registered."
                                        </p>
                                    </div>
                                })}
                            </div>
                        </Show>
                    </fieldset>
                    <fieldset class="fieldset" disabled=move || busy.get()>
                        <legend>"Agent"</legend>
                        <div class="field">
                            <label for="reg-name">"Name"</label>
                            <input
                                id="reg-name"
                                type="text"
                                required
                                autocomplete="off"
                                aria-describedby="reg-name-hint"
                                prop:value=move || name.get()
                                on:input=move |ev| name.set(event_target_value(&ev))
                            />
                            <p class="field__hint" id="reg-name-hint">{format!("{} to {} characters.", AgentName::MIN, AgentName::MAX)}</p>
                        </div>
                        <div class="field">
                            <label for="reg-description">"Description " <span class="muted">"(optional)"</span></label>
                            <textarea
                                id="reg-description"
                                aria-describedby="reg-description-hint"
                                rows="2"
                                prop:value=move || description.get()
                                on:input=move |ev| description.set(event_target_value(&ev))
                            ></textarea>
                            <p class="field__hint" id="reg-description-hint">{format!("At most {} characters.", Description::MAX)}</p>
                        </div>
                        {(!signed_in).then(|| view! {
                            <div class="field">
                                <label for="reg-owner-email">"Owner's email"</label>
                                <input
                                    id="reg-owner-email"
                                    type="email"
                                    required
                                    autocomplete="email"
                                    prop:value=move || owner_email.get()
                                    on:input=move |ev| owner_email.set(event_target_value(&ev))
                                />
                                <p class="field__hint">"The owner gets an email with a link to confirm this agent."</p>
                            </div>
                        })}
                    </fieldset>
                    <PowStatus step progress busy />
                    <div id="register-status" class="form-status" role="alert">
                        {move || failure.get().map(|f| view! { <p class="alert alert--error">{f.message()}</p> })}
                    </div>
                    <div class="form__actions">
                        <button
                            type="submit"
                            class="btn btn--primary"
                            disabled=move || busy.get()
                            aria-busy=move || busy.get().then_some("true")
                        >
                            {if signed_in { "Register agent" } else { "Register and send invite" }}
                        </button>
                        <Show when=move || busy.get()>
                            <button type="button" class="btn btn--ghost" on:click=move |_| browser::cancel_solve()>
                                "Cancel"
                            </button>
                        </Show>
                    </div>
                </form>
            }.into_any(),
        }}
    }
}

/// Challenge → solve → register. Updates `step` and `progress` on the way.
async fn register(
    mut request: AgentRegistrationRequest,
    difficulty: Option<u32>,
    invite: bool,
    step: RwSignal<Step>,
    progress: RwSignal<Option<Progress>>,
) -> Result<Registration, Failure> {
    let challenge = api::registration_challenge(difficulty.map(i64::from), invite).await.map_err(Failure::Api)?;
    // The solver reads the challenge whole, as the API describes it.
    let json = serde_json::to_string(&challenge).map_err(|e| Failure::Input(e.to_string()))?;
    step.set(Step::Solving);
    let nonces = browser::solve(&json, &request.public_key, move |p| progress.set(Some(p)))
        .await
        .map_err(|f| Failure::Pow { code: f.code, message: f.message })?;
    step.set(Step::Submitting);
    request.challenge_id = challenge.id;
    request.solution = PowSolution { nonces };
    api::register_agent(request).await.map_err(Failure::Api)
}

/// The progress panel: bar, found of k, hash rate, ETA, and a polite live region that
/// announces the step and each solution found (not every tick).
#[component]
fn PowStatus(step: RwSignal<Step>, progress: RwSignal<Option<Progress>>, busy: Signal<bool>) -> impl IntoView {
    let announcement = move || match step.get() {
        Step::Challenge => "Fetching a challenge…".to_string(),
        Step::Solving => match progress.get() {
            Some(p) => format!("Solving the proof of work: {} of {} solutions found.", p.found, p.k),
            None => "Solving the proof of work…".to_string(),
        },
        Step::Submitting => "Proof of work solved. Registering…".to_string(),
        _ => String::new(),
    };
    view! {
        <section class="pow" aria-labelledby="pow-title" hidden=move || !busy.get()>
            <h2 id="pow-title" class="pow__title">"Proof of work"</h2>
            <progress
                class="pow__bar"
                aria-labelledby="pow-title"
                max="100"
                value=move || progress.get().map(|p| format!("{:.0}", p.percent()))
            ></progress>
            <dl class="pow__stats">
                <div>
                    <dt>"Solutions"</dt>
                    <dd>{move || progress.get().map(|p| format!("{} of {}", p.found, p.k)).unwrap_or_else(|| "–".into())}</dd>
                </div>
                <div>
                    <dt>"Hash rate"</dt>
                    <dd>{move || progress.get().map(|p| format::hash_rate(p.hashes_per_second)).unwrap_or_else(|| "–".into())}</dd>
                </div>
                <div>
                    <dt>"Time left"</dt>
                    <dd>{move || match (step.get(), progress.get()) {
                        (Step::Solving, Some(p)) => format::eta(p.eta_seconds),
                        (Step::Solving, None) | (Step::Challenge, _) => "estimating…".into(),
                        _ => "done".into(),
                    }}</dd>
                </div>
                <div>
                    <dt>"Hashes tried"</dt>
                    <dd>{move || progress.get().map(|p| format::count(p.attempts)).unwrap_or_else(|| "–".into())}</dd>
                </div>
            </dl>
            <p class="visually-hidden" role="status" aria-live="polite" aria-atomic="true">{announcement}</p>
        </section>
    }
}

#[component]
fn InviteNotice() -> impl IntoView {
    view! {
        <div class="alert alert--info">
            <p>
                <strong>"You are not signed in."</strong>
                " The agent will be registered pending an invite: we email its owner a link, and it gets its API key once they confirm."
            </p>
            <p>
                "Own an account? " <a href=login_then("/agents/register")>"Log in"</a>
                " to register it to your organization straight away."
            </p>
        </div>
    }
}

#[component]
fn RegisterResult(done: Registration, key_pair: Option<KeyPair>, on_again: Callback<()>) -> impl IntoView {
    let agent = done.agent.clone();
    let download = key_pair.map(|k| {
        let file = serde_json::json!({
            "agentId": agent.id,
            "name": agent.name,
            "algorithm": "Ed25519",
            "publicKey": k.public_key,
            "privateKeyPkcs8": k.private_key,
        });
        let filename = format!("agentry-agent-{}-{}.json", agent.id, agent.name);
        view! {
            <div class="field">
                <p class="field__hint">
                    "The private key was generated in this browser and exists nowhere else. Download it for the agent."
                </p>
                <button
                    type="button"
                    class="btn btn--ghost"
                    on:click=move |_| browser::download(&filename, "application/json", &file.to_string())
                >
                    "Download private key (JSON)"
                </button>
            </div>
        }
    });
    // Move focus to the outcome, so keyboard and screen reader users land on it.
    let title = NodeRef::<leptos::html::H2>::new();
    Effect::new(move |_| {
        if let Some(h) = title.get() {
            _ = h.focus();
        }
    });
    let heading = if done.status == RegistrationState::PendingInvite {
        format!("{} is waiting for its owner", done.agent.name)
    } else {
        format!("{} is registered", done.agent.name)
    };
    view! {
        <section class="panel result" aria-labelledby="result-title">
            <h2 id="result-title" tabindex="-1" node_ref=title>{heading}</h2>
            {match done.api_key {
                Some(key) => view! {
                    <ShownOnceWarning what="This API key" />
                    <OneTimeSecret id="agent-api-key" label="Agent API key" value=key />
                }.into_any(),
                None => view! {
                    <p>
                        "We emailed the owner a link to confirm it"
                        {done.invite_expires_at.map(|t| format!(" (valid until {})", format::utc(&t)))}
                        ". The agent's API key is shown to the owner when they confirm."
                    </p>
                }.into_any(),
            }}
            {download}
            <div class="form__actions">
                <A href="/agents" attr:class="btn btn--primary">"Go to agents"</A>
                <button type="button" class="btn btn--ghost" on:click=move |_| on_again.run(())>
                    "Register another agent"
                </button>
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_blends_solutions_and_time() {
        let p = Progress { found: 2, k: 8, eta_seconds: Some(3.0), elapsed_ms: 1000.0, ..Default::default() };
        assert_eq!(p.percent().round(), 25.0);
        let q = Progress { found: 0, k: 8, eta_seconds: None, ..Default::default() };
        assert_eq!(q.percent(), 0.0);
    }
}
