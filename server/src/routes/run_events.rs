//! A run's live log: `GET …/run/{id}/events`, a Server-Sent Events stream replayed from
//! the database (so it resumes on any instance) and followed live; its attempts; and the
//! organization's run summary.
//!
//! Each event is `id: <seq>`, `event: <kind>`, `data: <RunEvent as JSON>`. A client
//! resumes with `Last-Event-ID` (EventSource does so itself) or `?after=<seq>`, and gets
//! every later event once, in order. Comments keep the connection open through proxies.
//! Once the run is over and every event was sent, a last `event: done` (without an `id`,
//! so a reconnect still resumes after the last event) carries the run, and the stream
//! ends.

use crate::extract::{Auth, Path, Query};
use crate::problem::{ApiResult, Problem, Unauthenticated, PROBLEM_JSON};
use crate::startup::AppState;
use agentry_services::model::{RunAttemptList, RunEvent, RunSummary};
use agentry_services::runs::RunFollower;
use agentry_services::ServiceError;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use futures_util::stream::{self, Stream};
use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;
use utoipa::OpenApi;

/// How often a stream looks for events without a wake-up (another instance wrote them).
const POLL: Duration = Duration::from_secs(1);
/// How often an idle stream sends a keep-alive comment.
const KEEPALIVE: Duration = Duration::from_secs(15);

/// This module's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(events, attempts, summary), components(schemas(RunEvent, RunAttemptList, RunSummary)))]
pub struct ApiDoc;

/// This module's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/organizations/{org_id}/agent/run/{agent_run_id}/events", get(events))
        .route("/v1/organizations/{org_id}/agent/run/{agent_run_id}/attempts", get(attempts))
        .route("/api/v1/organizations/{org_id}/run-summary", get(summary))
}

/// Where the stream starts.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsParams {
    /// Send the events after this `seq` (`Last-Event-ID`, when sent, wins); default 0,
    /// every event.
    #[param(minimum = 0)]
    pub after: Option<i64>,
}

/// The run's events as Server-Sent Events: the log so far, then live, then `done`.
#[utoipa::path(get, path = "/v1/organizations/{org_id}/agent/run/{agent_run_id}/events", tag = "runs", operation_id = "stream_agent_run_events",
    params(("org_id" = String, Path, description = "The organization's numeric id or UUID"), ("agent_run_id" = i64, Path, description = "The run's id"),
        EventsParams,
        ("Last-Event-ID" = Option<String>, Header, description = "Resume after this event's `seq` (EventSource sends it on reconnect)")),
    responses(Unauthenticated,
        (status = 200, description = "`text/event-stream`: `id: seq`, `event: kind`, `data: RunEvent`; a final `event: done` with the run", content_type = "text/event-stream", body = String),
        (status = 400, description = "A non-numeric run id, or a negative `after` or `Last-Event-ID` (invalid_path, validation)", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "Not a member (organization_not_found), or no such run you may see (run_not_found)", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn events(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path((org, id)): Path<(String, i64)>,
    Query(q): Query<EventsParams>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let last = headers.get("last-event-id").map(|v| v.to_str().ok().and_then(|v| v.trim().parse::<i64>().ok()));
    let after = match last {
        Some(Some(seq)) => seq,
        Some(None) => return Err(ServiceError::field("Last-Event-ID", "Last-Event-ID is an event's seq.").into()),
        None => q.after.unwrap_or(0),
    };
    if after < 0 {
        return Err(ServiceError::field("after", "after is 0 or more.").into());
    }
    let follower = s.services.follow_run(&p, &org, id).await?;
    let stopped = s.services.stopped();
    let stream = follow(follower, after);
    let stream = futures_util::StreamExt::take_until(stream, stopped);
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(KEEPALIVE)).into_response())
}

/// The stream's state: the follower, the last `seq` sent, events read but not sent yet.
struct Cursor {
    follower: RunFollower,
    after: i64,
    pending: VecDeque<Event>,
    done: bool,
}

/// The events after `after`, then live ones, then `done`.
fn follow(follower: RunFollower, after: i64) -> impl Stream<Item = Result<Event, Infallible>> + Send {
    let start = Cursor { follower, after, pending: VecDeque::new(), done: false };
    stream::unfold(start, |mut c| async move {
        loop {
            if let Some(event) = c.pending.pop_front() {
                return Some((Ok(event), c));
            }
            if c.done {
                return None;
            }
            let changed = c.follower.changed();
            let page = match c.follower.read(c.after).await {
                Ok(page) => page,
                Err(e) => {
                    // The client reconnects with Last-Event-ID and resumes where it was.
                    tracing::warn!(error = %e, run = c.follower.run_id(), "reading run events failed");
                    return None;
                }
            };
            let done = page.is_done(c.after);
            for e in &page.events {
                let data = serde_json::to_string(e).unwrap_or_default();
                c.pending.push_back(Event::default().id(e.seq.to_string()).event(e.kind.clone()).data(data));
                c.after = e.seq;
            }
            if done {
                let run = serde_json::to_string(&page.run).unwrap_or_default();
                c.pending.push_back(Event::default().event("done").data(run));
                c.done = true;
            } else if page.events.is_empty() {
                let _ = tokio::time::timeout(POLL, changed).await;
            }
        }
    })
}

/// Every attempt of the run, oldest first.
#[utoipa::path(get, path = "/v1/organizations/{org_id}/agent/run/{agent_run_id}/attempts", tag = "runs", operation_id = "list_agent_run_attempts",
    params(("org_id" = String, Path, description = "The organization's numeric id or UUID"), ("agent_run_id" = i64, Path, description = "The run's id")),
    responses(Unauthenticated, (status = 200, description = "The attempts", body = RunAttemptList),
        (status = 400, description = "A non-numeric run id (invalid_path)", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "Not a member (organization_not_found), or no such run you may see (run_not_found)", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn attempts(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path((org, id)): Path<(String, i64)>,
) -> ApiResult<axum::Json<RunAttemptList>> {
    Ok(axum::Json(s.services.run_attempts(&p, &org, id).await?))
}

/// The organization's runs at a glance: queued, running, failed or timed out in the last
/// day, and when the oldest queued run was created.
#[utoipa::path(get, path = "/api/v1/organizations/{org_id}/run-summary", tag = "runs", operation_id = "run_summary",
    params(("org_id" = String, Path, description = "The organization's numeric id or UUID")),
    responses(Unauthenticated, (status = 200, description = "The counts", body = RunSummary),
        (status = 404, description = "Not a member of this organization (organization_not_found)", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn summary(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(org): Path<String>,
) -> ApiResult<axum::Json<RunSummary>> {
    Ok(axum::Json(s.services.run_summary(&p, &org).await?))
}
