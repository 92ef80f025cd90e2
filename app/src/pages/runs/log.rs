//! A run's log and its live state. The server renders the events so far; after hydration
//! the page follows the run's event stream from the last rendered event
//! (`routing::run_events`, an `EventSource`), appends new lines, and moves the status,
//! progress and attempts along. A reload renders everything from the server again, so
//! nothing is lost between the two.

use crate::api::{attempts_of_run, RunView};
use crate::format;
use agentry_services::model::{AgentRunResponse, RunAttempt, RunEvent, RunStatus};
use leptos::{prelude::*, task::spawn_local};
use serde_json::Value;

/// The event kinds of the stream; `done` (with the run) ends it.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
const STREAM_EVENTS: [&str; 13] = [
    "created",
    "claimed",
    "progress",
    "log",
    "cancel_requested",
    "lease_expired",
    "lease_released",
    "failed_retry",
    "completed",
    "failed",
    "cancelled",
    "timed_out",
    "done",
];

/// The run as the page shows it now: the server's render, moved along by the stream.
#[derive(Clone, Copy)]
pub(super) struct Live {
    /// The run.
    pub run: RwSignal<AgentRunResponse>,
    /// Its events but progress, in order.
    pub log: RwSignal<Vec<RunEvent>>,
    /// Its attempts.
    pub attempts: RwSignal<Vec<RunAttempt>>,
}

impl Live {
    /// The state of the server's render.
    pub fn new(v: &RunView) -> Self {
        Live {
            run: RwSignal::new(v.run.clone()),
            log: RwSignal::new(v.log.clone()),
            attempts: RwSignal::new(v.attempts.clone()),
        }
    }

    /// Applies events of the stream, `(kind, data)`, at once (one redraw of the log).
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    pub fn apply(self, batch: &[(String, String)]) {
        let mut fresh = Vec::new();
        let mut attempts_changed = false;
        for (kind, data) in batch {
            if kind == "done" {
                if let Ok(run) = serde_json::from_str::<AgentRunResponse>(data) {
                    self.run.set(run);
                }
                attempts_changed = true;
            } else if let Ok(e) = serde_json::from_str::<RunEvent>(data) {
                self.run.update(|r| advance(r, &e));
                attempts_changed |= ends_or_starts_attempt(&e.kind);
                if e.kind != "progress" {
                    fresh.push(e);
                }
            }
        }
        if !fresh.is_empty() {
            self.log.update(|log| {
                // A reconnect resumes after the last event received; never show one twice.
                let last = log.last().map_or(0, |e| e.seq);
                log.extend(fresh.into_iter().filter(|e| e.seq > last));
            });
        }
        if attempts_changed {
            let (id, attempts) = (self.run.with_untracked(|r| r.id), self.attempts);
            spawn_local(async move {
                if let Ok(list) = attempts_of_run(id).await {
                    _ = attempts.try_set(list);
                }
            });
        }
    }

    /// Follows the run's event stream after `after` until `done` or until the page goes.
    /// Events arriving together are applied together, so a burst of lines redraws once.
    #[cfg(feature = "hydrate")]
    pub fn follow(self, org_id: i64, id: i64, after: i64) {
        use std::time::Duration;
        use wasm_bindgen::{closure::Closure, JsCast};
        let Ok(source) = web_sys::EventSource::new(&crate::routing::run_events(org_id, id, after)) else {
            return;
        };
        let pending = StoredValue::new_local(Vec::<(String, String)>::new());
        let closer = source.clone();
        let on_event = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
            let kind = ev.type_();
            if kind == "done" {
                // The stream ends after `done`; closed, the EventSource does not reconnect.
                closer.close();
            }
            let data = ev.data().as_string().unwrap_or_default();
            let first = pending.try_update_value(|p| {
                p.push((kind, data));
                p.len() == 1
            });
            if first == Some(true) {
                set_timeout(
                    move || {
                        if let Some(batch) = pending.try_update_value(std::mem::take) {
                            self.apply(&batch);
                        }
                    },
                    Duration::from_millis(50),
                );
            }
        });
        for kind in STREAM_EVENTS {
            _ = source.add_event_listener_with_callback(kind, on_event.as_ref().unchecked_ref());
        }
        let handle = StoredValue::new_local(Some((source, on_event)));
        on_cleanup(move || {
            handle.try_update_value(|h| {
                if let Some((source, _)) = h.take() {
                    source.close();
                }
            });
        });
    }
}

/// Whether an event of this kind begins or ends an attempt.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
fn ends_or_starts_attempt(kind: &str) -> bool {
    matches!(
        kind,
        "claimed"
            | "lease_expired"
            | "lease_released"
            | "failed_retry"
            | "completed"
            | "failed"
            | "cancelled"
            | "timed_out"
    )
}

/// Moves `run` along by one event of its log (the stream's `done` then brings the run as
/// stored, with its result or error).
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub(crate) fn advance(run: &mut AgentRunResponse, e: &RunEvent) {
    let d = &e.data;
    let by_kind = match e.kind.as_str() {
        "claimed" => Some(RunStatus::Running),
        "lease_expired" | "lease_released" | "failed_retry" => Some(RunStatus::Queued),
        kind => RunStatus::parse(kind).filter(|s| s.is_final()),
    };
    // An outcome's data names the status it led to; it wins over the kind.
    let said = d.get("status").and_then(Value::as_str).and_then(RunStatus::parse);
    if let Some(s) = said.or(by_kind) {
        run.status = s;
    }
    match e.kind.as_str() {
        "claimed" => {
            run.started_at.get_or_insert(e.at);
            if let Some(a) = d.get("attempt").and_then(Value::as_i64) {
                run.attempt = a;
            }
        }
        "progress" => {
            if let Some(p) = d.get("percent").and_then(Value::as_i64) {
                run.progress.percent = Some(p);
            }
            if let Some(m) = d.get("message").and_then(Value::as_str) {
                run.progress.message = Some(m.to_string());
            }
        }
        "cancel_requested" => run.cancel_requested_at = Some(e.at),
        _ => {}
    }
    if run.status.is_final() {
        run.finished_at.get_or_insert(e.at);
    }
}

/// What a lifecycle event says, in words.
pub(crate) fn describe(e: &RunEvent) -> String {
    let d = &e.data;
    let attempt = d.get("attempt").and_then(Value::as_i64).map(|a| format!("Attempt {a}")).unwrap_or_default();
    let said = match e.kind.as_str() {
        "created" if d.get("scheduled_for").is_some_and(|v| !v.is_null()) => "Queued by the schedule".to_string(),
        "created" => "Queued".to_string(),
        "claimed" => format!("{attempt} started"),
        "cancel_requested" => "Cancel requested: waiting for the runner to stop".to_string(),
        "lease_expired" => format!("{attempt}: the runner stopped answering; queued again"),
        "lease_released" => format!("{attempt}: the runner handed it back; queued again"),
        "failed_retry" => format!("{attempt} failed; it will be retried"),
        "timed_out" => "Timed out".to_string(),
        kind => {
            let mut words = kind.replace('_', " ");
            if let Some(first) = words.get_mut(..1) {
                first.make_ascii_uppercase();
            }
            words
        }
    };
    match d.get("message").and_then(Value::as_str) {
        Some(m) if !m.is_empty() => format!("{}: {m}", said.trim()),
        _ => said.trim().to_string(),
    }
}

/// The log: output lines, and lifecycle events with their time.
#[component]
pub(super) fn LogView(log: RwSignal<Vec<RunEvent>>) -> impl IntoView {
    let quiet = move || log.with(|l| !l.iter().any(|e| e.kind == "log"));
    view! {
        <div class="run-log" tabindex="0" role="region" aria-label="Output">
            <ol class="run-log__lines">
                <For each=move || log.get() key=|e| e.seq let:e>
                    {line(e)}
                </For>
            </ol>
            <Show when=quiet>
                <p class="muted run-log__quiet">"No output yet."</p>
            </Show>
        </div>
    }
}

fn line(e: RunEvent) -> AnyView {
    if e.kind == "log" {
        let text = e.data.get("line").and_then(Value::as_str).unwrap_or_default().to_string();
        let cut = e.data.get("truncated").and_then(Value::as_bool).unwrap_or(false);
        view! {
            <li class="run-log__line">{text}{cut.then(|| view! { <span class="muted">" [line cut]"</span> })}</li>
        }
        .into_any()
    } else {
        let class = format!("run-log__event run-log__event--{}", e.kind);
        view! {
            <li class=class>
                <time datetime=e.at.to_rfc3339()>{format::clock(&e.at)}</time>
                " "
                {describe(&e)}
            </li>
        }
        .into_any()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(seq: i64, kind: &str, data: Value) -> RunEvent {
        RunEvent { seq, kind: kind.into(), at: chrono::Utc::now(), data }
    }

    fn queued() -> AgentRunResponse {
        serde_json::from_value(json!({
            "id": 1, "organization_id": 1, "agent_id": 1, "status": "queued", "prompt": "echo hi",
            "progress": {"percent": null, "message": null}, "result": null, "error": null, "attempt": 0,
            "max_attempts": 3, "created_at": "2026-12-01T00:00:00Z", "started_at": null, "finished_at": null,
            "cancel_requested_at": null, "timeout": null, "web_url": "http://x/runs/1", "metadata": {}
        }))
        .unwrap()
    }

    #[test]
    fn events_move_the_run_along() {
        let mut run = queued();
        advance(&mut run, &event(2, "claimed", json!({"attempt": 1})));
        assert_eq!((run.status, run.attempt), (RunStatus::Running, 1));
        assert!(run.started_at.is_some());
        advance(&mut run, &event(3, "progress", json!({"percent": 40, "message": "halfway"})));
        assert_eq!(run.progress.percent, Some(40));
        advance(&mut run, &event(4, "progress", json!({"percent": null, "message": "still"})));
        assert_eq!((run.progress.percent, run.progress.message.as_deref()), (Some(40), Some("still")));
        advance(&mut run, &event(5, "lease_expired", json!({"attempt": 1, "status": "queued"})));
        assert_eq!(run.status, RunStatus::Queued);
        advance(&mut run, &event(6, "claimed", json!({"attempt": 2})));
        advance(&mut run, &event(7, "cancel_requested", json!({"by": 1})));
        assert!(run.cancel_requested_at.is_some());
        assert_eq!(run.status, RunStatus::Running);
        advance(&mut run, &event(8, "cancelled", json!({"attempt": 2, "status": "cancelled"})));
        assert_eq!(run.status, RunStatus::Cancelled);
        assert!(run.finished_at.is_some());
    }

    #[test]
    fn an_outcome_names_its_status() {
        let mut run = queued();
        advance(&mut run, &event(2, "claimed", json!({"attempt": 1})));
        advance(&mut run, &event(3, "failed_retry", json!({"attempt": 1, "status": "queued"})));
        assert_eq!(run.status, RunStatus::Queued);
        advance(&mut run, &event(4, "timed_out", json!({"attempt": 1, "status": "timed_out", "message": "slow"})));
        assert_eq!(run.status, RunStatus::TimedOut);
        let mut queued_cancel = queued();
        advance(&mut queued_cancel, &event(2, "cancelled", json!({"by": 1})));
        assert_eq!(queued_cancel.status, RunStatus::Cancelled);
    }

    #[test]
    fn lifecycle_events_read_as_words() {
        assert_eq!(describe(&event(1, "created", json!({"scheduled_for": null}))), "Queued");
        assert_eq!(describe(&event(2, "claimed", json!({"attempt": 2}))), "Attempt 2 started");
        assert_eq!(
            describe(&event(3, "timed_out", json!({"message": "No runner claimed the run within its queue timeout."}))),
            "Timed out: No runner claimed the run within its queue timeout."
        );
        assert_eq!(describe(&event(4, "completed", json!({"attempt": 1}))), "Completed");
    }
}
