//! The agent page's Runs tab: start a run with a prompt (a plain form, so it works before
//! hydration; the run's page opens) when the agent can run, and the way to its runs.

use crate::api::{AgentView, StartRun};
use crate::components::form::action_error;
use agentry_services::model::{RunBlocker, PROMPT_MAX};
use leptos::form::ActionForm;
use leptos::{html, prelude::*};

/// Why the agent cannot run now (the services' rule, `Agent::run_blocker`), if it cannot.
fn why_not(v: &AgentView) -> Option<&'static str> {
    v.agent.run_blocker().map(|why| match why {
        RunBlocker::Deleted => "This agent is deleted.",
        RunBlocker::NotUsable => "Your access does not include using this agent.",
        RunBlocker::NotActive => "Deploy a version of its definition first: only an active agent runs.",
        RunBlocker::Deactivated => "This agent is deactivated; activate it to start runs.",
        RunBlocker::Unregistered => {
            "It has no registered identity yet, so no runner could claim a run; register it first (Keys tab)."
        }
    })
}

#[component]
pub(super) fn RunsTab(v: AgentView) -> impl IntoView {
    let id = v.agent.id;
    view! {
        <h2>"Runs"</h2>
        {match why_not(&v) {
            None => view! { <StartRunForm agent_id=id /> }.into_any(),
            Some(why) => view! { <p class="muted">{why}</p> }.into_any(),
        }}
        <p class="run-tab__more"><a href=format!("/runs?agent_id={id}")>"This agent's runs"</a></p>
    }
}

/// The prompt and "Start run". The services' 422 says what is wrong: the prompt's message
/// sits under it (and focus moves there), any other under the form.
#[component]
fn StartRunForm(agent_id: i64) -> impl IntoView {
    let start = ServerAction::<StartRun>::new();
    let error = action_error(start.into());
    let prompt_error = move || error.get().and_then(|e| e.field_message("prompt"));
    let other_error = move || {
        error.get().and_then(|e| {
            let others: Vec<String> =
                e.fields().iter().filter(|(f, _)| f != "prompt").map(|(_, m)| m.clone()).collect();
            match (e.fields().is_empty(), others.is_empty()) {
                (true, _) => Some(e.user_message()),
                (false, false) => Some(others.join(" ")),
                (false, true) => None,
            }
        })
    };
    let prompt = NodeRef::<html::Textarea>::new();
    Effect::new(move |_| {
        if prompt_error().is_some() {
            if let Some(el) = prompt.get_untracked() {
                _ = el.focus();
            }
        }
    });
    view! {
        <ActionForm action=start attr:class="form">
            <input type="hidden" name="agent_id" value=agent_id />
            <div class="field">
                <label for="run-prompt">"Prompt"</label>
                <textarea
                    id="run-prompt"
                    name="prompt"
                    rows="6"
                    class="code"
                    required
                    spellcheck="false"
                    maxlength=PROMPT_MAX
                    node_ref=prompt
                    aria-invalid=move || prompt_error().map(|_| "true")
                    aria-describedby="run-prompt-hint run-prompt-error"
                ></textarea>
                <p class="field__hint" id="run-prompt-hint">
                    "What the agent should do. Its runner gets the prompt on standard input."
                </p>
                <p class="field__error" id="run-prompt-error">{prompt_error}</p>
            </div>
            <div class="form-status" role="status" aria-live="polite">
                {move || other_error().map(|m| view! { <p class="alert alert--error">{m}</p> })}
            </div>
            <button type="submit" class="btn btn--primary" aria-busy=move || start.pending().get().then_some("true")>
                "Start run"
            </button>
        </ActionForm>
    }
}
