//! Reading a run's event log and its attempts. The log is durable (`run_events`), kept
//! as long as the run, and numbered without gaps, so a reader resumes after any `seq`
//! on any instance and gets each event once.

use super::not_found;
use crate::model::{AgentRunResponse, RunAttempt, RunAttemptList, RunEvent, RUN_EVENTS_PAGE};
use crate::principal::Principal;
use crate::store::to_time;
use crate::{ServiceError, Services};
use serde_json::Value;
use sqlx::Row;

/// Events after a `seq`, and the run as it stands.
#[derive(Clone, Debug)]
pub struct RunEventsPage {
    /// At most [`RUN_EVENTS_PAGE`] events, in order.
    pub events: Vec<RunEvent>,
    /// The run, read after the events: when it is final and `events` reaches its last
    /// `seq`, the log is complete.
    pub run: AgentRunResponse,
    /// The run's last `seq`.
    pub last_seq: i64,
}

impl RunEventsPage {
    /// Whether the reader has every event and the run is over.
    pub fn is_done(&self, after: i64) -> bool {
        let read_to = self.events.last().map_or(after, |e| e.seq);
        self.run.status.is_final() && read_to >= self.last_seq
    }
}

/// A run's log, for a caller who may see the run (checked once, by [`Services::follow_run`]).
#[derive(Clone, Debug)]
pub struct RunFollower {
    services: Services,
    run_id: i64,
}

impl Services {
    /// The log of run `id` of `org`, when the caller may see the run (404 otherwise).
    pub async fn follow_run(&self, p: &Principal, org: &str, id: i64) -> Result<RunFollower, ServiceError> {
        let p = &self.in_org(p, org).await?;
        self.visible_run(p, id).await?;
        Ok(RunFollower { services: self.clone(), run_id: id })
    }

    /// `GET …/run/{id}/attempts`: every attempt, oldest first.
    pub async fn run_attempts(&self, p: &Principal, org: &str, id: i64) -> Result<RunAttemptList, ServiceError> {
        let p = &self.in_org(p, org).await?;
        self.visible_run(p, id).await?;
        let rows = sqlx::query(
            "SELECT attempt, started_at, finished_at, outcome, error FROM run_attempts WHERE run_id = $1 ORDER BY attempt",
        )
        .bind(id)
        .fetch_all(&self.db().pool)
        .await?;
        let value = rows
            .iter()
            .map(|r| {
                Ok(RunAttempt {
                    attempt: r.try_get("attempt")?,
                    started_at: to_time(r.try_get("started_at")?),
                    finished_at: r.try_get::<Option<i64>, _>("finished_at")?.map(to_time),
                    outcome: r.try_get("outcome")?,
                    error: r.try_get::<Option<String>, _>("error")?.and_then(|e| serde_json::from_str(&e).ok()),
                })
            })
            .collect::<Result<_, sqlx::Error>>()?;
        Ok(RunAttemptList { value })
    }
}

impl RunFollower {
    /// The run's id.
    pub fn run_id(&self) -> i64 {
        self.run_id
    }

    /// The events after `after`, and the run.
    pub async fn read(&self, after: i64) -> Result<RunEventsPage, ServiceError> {
        let s = &self.services;
        let rows = sqlx::query(
            "SELECT seq, kind, data, at FROM run_events WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        )
        .bind(self.run_id)
        .bind(after)
        .bind(RUN_EVENTS_PAGE)
        .fetch_all(&s.db().pool)
        .await?;
        let events = rows
            .iter()
            .map(|r| {
                Ok(RunEvent {
                    seq: r.try_get("seq")?,
                    kind: r.try_get("kind")?,
                    at: to_time(r.try_get("at")?),
                    data: serde_json::from_str(&r.try_get::<String, _>("data")?).unwrap_or(Value::Null),
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        let run = super::fetch(&s.db().pool, self.run_id).await?.ok_or_else(not_found)?;
        Ok(RunEventsPage { events, last_seq: run.last_seq, run: run.view(&s.config().public_url) })
    }

    /// Resolves when a run changes on this instance (or another one, on PostgreSQL).
    /// Create it before [`RunFollower::read`] so a change between the two is not missed.
    pub fn changed(&self) -> tokio::sync::futures::Notified<'_> {
        self.services.run_change()
    }
}
