//! `/runs/{id}` (the run's `web_url`): its status and progress (a progress bar and a
//! polite live region that says each change of status), agent, prompt, times, log,
//! attempts, and its result or error as JSON. Cancel is a plain form, so it works before
//! hydration; it goes once the run is over.

use super::log::{Live, LogView};
use super::status_words;
use crate::api::{run_detail, CancelRun, RunView};
use crate::components::form::action_error;
use crate::components::signed_in::RequireSignIn;
use crate::format;
use agentry_services::model::{AgentRunResponse, RunAttempt, RunStatus};
use leptos::form::ActionForm;
use leptos::{html, prelude::*};
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// The run page.
#[component]
pub fn RunPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").and_then(|s| s.parse::<i64>().ok()).unwrap_or_default());
    let data = Resource::new(move || id.get(), run_detail);
    view! {
        <RequireSignIn path="/runs" />
        <Transition fallback=|| view! { <p class="muted" role="status">"Loading the run…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(Some(v)) => view! { <Loaded v /> }.into_any(),
                    Ok(None) => ().into_any(),
                    Err(e) => view! {
                        <Title text="Run" />
                        <p class="eyebrow"><a href="/runs">"Runs"</a></p>
                        <p class="alert alert--error" role="alert">{e.user_message()}</p>
                    }
                    .into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Loaded(v: RunView) -> impl IntoView {
    let live = Live::new(&v);
    #[cfg(feature = "hydrate")]
    if v.live() {
        live.follow(v.run.organization_id, v.run.id, v.seq);
    }
    let r = v.run;
    let id = r.id;
    let agent = v.agent_name.unwrap_or_else(|| format!("agent #{}", r.agent_id));
    let run = live.run;
    let heading = NodeRef::<html::H2>::new();
    // The live region changes (and is announced) only when what it says changes, not with
    // every progress report.
    let said = Memo::new(move |_| run.with(|r| (r.status, status_sentence(r))));
    let when = move |pick: fn(&AgentRunResponse) -> Option<chrono::DateTime<chrono::Utc>>| {
        move || run.with(|r| pick(r).map_or_else(|| "—".to_string(), |t| format::utc(&t)))
    };
    view! {
        <Title text=format!("Run #{id}") />
        <div class="page-head">
            <div>
                <p class="eyebrow"><a href="/runs">"Runs"</a></p>
                <h1>{format!("Run #{id}")}</h1>
                <p class="muted">
                    "Agent " <a href=format!("/agents/{}", r.agent_id)>{agent}</a>
                    " · created " {format::utc(&r.created_at)}
                </p>
            </div>
            <CancelForm id run heading />
        </div>
        <div class="sections">
            <section class="panel" aria-labelledby="run-status-title">
                <h2 id="run-status-title" tabindex="-1" node_ref=heading>"Status"</h2>
                <p class="run-status" role="status" aria-live="polite" aria-atomic="true">
                    {move || {
                        let (s, sentence) = said.get();
                        view! {
                            <span class=format!("badge badge--{}", s.as_str())>{status_words(s)}</span>
                            " " {sentence}
                        }
                    }}
                </p>
                <Progress run />
                <dl class="facts">
                    <dt>"Attempt"</dt>
                    <dd>
                        {move || run.with(|r| match r.attempt {
                            0 => format!("none yet (up to {})", r.max_attempts),
                            n => format!("{n} of {}", r.max_attempts),
                        })}
                    </dd>
                    <dt>"Created"</dt>
                    <dd>{format::utc(&r.created_at)}</dd>
                    <dt>"Started"</dt>
                    <dd>{when(|r| r.started_at)}</dd>
                    <dt>"Finished"</dt>
                    <dd>{when(|r| r.finished_at)}</dd>
                </dl>
            </section>
            <section class="panel" aria-labelledby="run-prompt-title">
                <h2 id="run-prompt-title">"Prompt"</h2>
                <pre class="run-pre">{r.prompt.clone()}</pre>
            </section>
            <section class="panel" aria-labelledby="run-log-title">
                <h2 id="run-log-title">"Log"</h2>
                <LogView log=live.log />
            </section>
            {move || run.with(|r| r.result.as_ref().map(pretty)).map(|text| view! {
                <section class="panel" aria-labelledby="run-result-title">
                    <h2 id="run-result-title">"Result"</h2>
                    <pre class="run-pre">{text}</pre>
                </section>
            })}
            {move || run.with(|r| r.error.as_ref().map(pretty)).map(|text| view! {
                <section class="panel" aria-labelledby="run-error-title">
                    <h2 id="run-error-title">"Error"</h2>
                    <pre class="run-pre run-pre--error">{text}</pre>
                </section>
            })}
            <section class="panel" aria-labelledby="run-attempts-title">
                <h2 id="run-attempts-title">"Attempts"</h2>
                {move || attempts_table(live.attempts.get())}
            </section>
        </div>
    }
}

/// What the status means now, in a sentence.
fn status_sentence(r: &AgentRunResponse) -> String {
    match (r.status, r.cancel_requested_at.is_some()) {
        (RunStatus::Queued, _) => "Waiting for the agent's runner to claim it.".into(),
        (RunStatus::Running, true) => "Cancel requested: waiting for the runner to stop.".into(),
        (RunStatus::Running, false) => format!("Attempt {} of {} is running.", r.attempt, r.max_attempts),
        (RunStatus::TimedOut, _) => match r.timeout.as_deref() {
            Some(which) => format!("The {which} timeout fired."),
            None => "A timeout fired.".into(),
        },
        (RunStatus::Completed, _) => "Finished; its result is below.".into(),
        (RunStatus::Failed, _) => "Finished with an error, below.".into(),
        (RunStatus::Cancelled, _) => "Cancelled; it will not run again.".into(),
    }
}

/// A JSON value, indented.
fn pretty(v: &serde_json::Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

#[component]
fn Progress(run: RwSignal<AgentRunResponse>) -> impl IntoView {
    let percent = move || {
        run.with(|r| r.progress.percent.or((r.status == RunStatus::Completed).then_some(100)).map(|p| p.clamp(0, 100)))
    };
    let words = move || {
        let said = run.with(|r| r.progress.message.clone());
        match (percent(), said) {
            (Some(p), Some(m)) => format!("{p}% · {m}"),
            (Some(p), None) => format!("{p}%"),
            (None, Some(m)) => m,
            (None, None) => "Not reported".into(),
        }
    };
    view! {
        <div class="run-progress">
            <div
                class="run-progress__bar"
                role="progressbar"
                aria-label="Progress"
                aria-valuemin="0"
                aria-valuemax="100"
                aria-valuenow=move || percent().map(|p| p.to_string())
                aria-valuetext=words
            >
                <span class="run-progress__fill" style:width=move || format!("{}%", percent().unwrap_or(0))></span>
            </div>
            <p class="run-progress__words">"Progress: " {words}</p>
        </div>
    }
}

/// Cancel, while the run is not over: a plain form before hydration (the post returns to
/// this page), in place after it (focus moves to the status, which says what happened).
#[component]
fn CancelForm(id: i64, run: RwSignal<AgentRunResponse>, heading: NodeRef<html::H2>) -> impl IntoView {
    let cancel = ServerAction::<CancelRun>::new();
    let error = action_error(cancel.into());
    Effect::new(move |_| {
        if let Some(Ok(r)) = cancel.value().get() {
            run.update(|x| {
                x.cancel_requested_at = x.cancel_requested_at.or(r.cancel_requested_at);
                if r.status.is_final() {
                    x.status = r.status;
                    x.finished_at = x.finished_at.or(r.finished_at);
                }
            });
            if let Some(h) = heading.get_untracked() {
                _ = h.focus();
            }
        }
    });
    view! {
        <div class="page-actions">
            <Show when=move || !run.with(|r| r.status.is_final())>
                <ActionForm action=cancel>
                    <input type="hidden" name="id" value=id />
                    <button type="submit" class="btn btn--danger" aria-busy=move || cancel.pending().get().then_some("true")>
                        "Cancel run"
                    </button>
                </ActionForm>
            </Show>
            <div role="status" aria-live="polite">
                {move || error.get().map(|e| view! { <p class="alert alert--error">{e.user_message()}</p> })}
            </div>
        </div>
    }
}

fn attempts_table(attempts: Vec<RunAttempt>) -> AnyView {
    if attempts.is_empty() {
        return view! { <p class="muted">"No attempt yet: no runner has claimed it."</p> }.into_any();
    }
    let rows = attempts
        .into_iter()
        .map(|a| {
            let outcome = a.outcome.as_deref().unwrap_or("running").replace('_', " ");
            let error = a.error.as_ref().map(|e| match e.get("message").and_then(|m| m.as_str()) {
                Some(m) => m.to_string(),
                None => e.to_string(),
            });
            view! {
                <tr>
                    <th scope="row">{a.attempt}</th>
                    <td>{format::utc(&a.started_at)}</td>
                    <td>{a.finished_at.map_or_else(|| "—".to_string(), |t| format::utc(&t))}</td>
                    <td>{outcome}</td>
                    <td class="run-cell-wrap">{error.unwrap_or_else(|| "—".into())}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="table">
                <caption class="visually-hidden">"Attempts of this run"</caption>
                <thead>
                    <tr>
                        <th scope="col">"#"</th>
                        <th scope="col">"Started"</th>
                        <th scope="col">"Finished"</th>
                        <th scope="col">"Outcome"</th>
                        <th scope="col">"Error"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}
