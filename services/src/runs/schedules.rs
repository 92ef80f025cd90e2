//! Schedules: an agent whose active variation has a cron trigger and whose
//! `scheduleEnabled` is true gets one run per tick, however many instances tick.
//!
//! `agent_schedules` keeps each scheduled agent's next tick (`next_at`) and the variation
//! it was computed from. [`Services::tick_schedules`], run every second on every
//! instance, takes a due tick with a compare-and-swap of `next_at` and inserts the tick's
//! run in the same transaction; `runs (agent_id, scheduled_for)` is unique besides, so a
//! tick never makes two runs.
//!
//! Ticks missed while no instance ran (downtime) make **one catch-up run**, for the first
//! missed tick, whose metadata says `catch_up: true`; the rest are skipped, and the next
//! tick is the first one after now. A tick of an agent that cannot run (deactivated,
//! unregistered) is skipped. Enabling the schedule, or deploying a new variation, starts
//! it afresh from the next tick. Daylight saving follows croner: a fixed time that falls
//! in the gap runs at the first valid time after it, and one that repeats runs once.

use super::create::{insert, NewRun};
use crate::definition::{next_run, Definition, Trigger};
use crate::store::guard::{Guard, Mode};
use crate::store::to_time;
use crate::{ServiceError, Services};
use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::Row;

/// Agents whose schedule one tick looks at, so one tick stays short.
const TICK_BATCH: i64 = 500;

impl Services {
    /// Starts schedules that are new (or whose agent deployed another variation), drops
    /// those of agents no longer scheduled, and makes the runs of due ticks. The number
    /// of runs made.
    pub async fn tick_schedules(&self) -> Result<u64, ServiceError> {
        let now = self.now_ms();
        sqlx::query(
            "DELETE FROM agent_schedules WHERE agent_id IN (SELECT s.agent_id FROM agent_schedules s
                 JOIN agents a ON a.id = s.agent_id WHERE a.schedule_enabled = 0 OR a.deleted_at IS NOT NULL)",
        )
        .execute(&self.db().pool)
        .await?;
        let rows = sqlx::query(
            "SELECT a.id, a.org_id, a.active_variation_id, v.definition, s.variation_id AS scheduled_variation, s.next_at
             FROM agents a JOIN agent_variations v ON v.id = a.active_variation_id
             LEFT JOIN agent_schedules s ON s.agent_id = a.id
             WHERE a.schedule_enabled = 1 AND a.deleted_at IS NULL
               AND (s.agent_id IS NULL OR s.variation_id <> a.active_variation_id OR s.next_at <= $1)
             LIMIT $2",
        )
        .bind(now)
        .bind(TICK_BATCH)
        .fetch_all(&self.db().pool)
        .await?;
        let mut made = 0;
        for row in rows {
            let agent_id: i64 = row.try_get("id")?;
            let variation: String = row.try_get("active_variation_id")?;
            let Ok(definition) = serde_json::from_str::<Definition>(&row.try_get::<String, _>("definition")?) else {
                continue;
            };
            let scheduled: Option<String> = row.try_get("scheduled_variation")?;
            let next_at: Option<i64> = row.try_get("next_at")?;
            let after = to_time(now);
            let Some(next) = next_run(&definition.trigger, after).map(|t| t.timestamp_millis()) else {
                continue;
            };
            match (scheduled, next_at) {
                (Some(v), Some(due)) if v == variation => {
                    let org_id: i64 = row.try_get("org_id")?;
                    made += u64::from(self.take_tick(org_id, agent_id, &definition, due, next, now).await?);
                }
                _ => self.start_schedule(agent_id, &variation, next).await?,
            }
        }
        Ok(made)
    }

    /// Records the schedule of a newly scheduled agent (or one with a new variation).
    async fn start_schedule(&self, agent_id: i64, variation: &str, next: i64) -> Result<(), ServiceError> {
        sqlx::query(
            "INSERT INTO agent_schedules (agent_id, variation_id, next_at) VALUES ($1, $2, $3)
             ON CONFLICT (agent_id) DO UPDATE SET variation_id = excluded.variation_id, next_at = excluded.next_at
             WHERE agent_schedules.variation_id <> excluded.variation_id",
        )
        .bind(agent_id)
        .bind(variation)
        .bind(next)
        .execute(&self.db().pool)
        .await?;
        Ok(())
    }

    /// Takes tick `due` (moving `next_at` to `next`) and queues its run, in one
    /// transaction; whether this call made the run.
    async fn take_tick(
        &self,
        org_id: i64,
        agent_id: i64,
        definition: &Definition,
        due: i64,
        next: i64,
        now: i64,
    ) -> Result<bool, ServiceError> {
        let mut tx = self.db().begin().await?;
        let taken = sqlx::query("UPDATE agent_schedules SET next_at = $1 WHERE agent_id = $2 AND next_at = $3")
            .bind(next)
            .bind(agent_id)
            .bind(due)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if taken == 0 {
            return Ok(false); // another instance took it
        }
        let held = super::active_while_runnable(self.db().backend);
        let runnable = sqlx::query(&held).bind(org_id).bind(agent_id).fetch_optional(&mut *tx).await?.is_some();
        let Trigger::Cron { cron, timezone } = &definition.trigger else {
            return Ok(false);
        };
        let tick: DateTime<Utc> = to_time(due);
        let missed = next_run(&definition.trigger, tick).is_some_and(|t| t.timestamp_millis() <= now);
        let made = if runnable {
            let prompt = format!("Scheduled run for {} ({cron}, {timezone})", tick.to_rfc3339());
            let metadata =
                json!({"schedule": {"cron": cron, "timezone": timezone, "scheduled_for": tick, "catch_up": missed}});
            let new = NewRun { org_id, agent_id, created_by: None, prompt: &prompt, metadata: &metadata.to_string() };
            // A schedule's runs are not capped, but they take the cap's guard (shared), so
            // that a create's count near the cap sees them (store/guard.rs).
            self.db().guard(&mut tx, Guard::ActiveRuns(org_id), Mode::Shared).await?;
            insert(&mut tx, &new, definition.timeouts, Some(due), now).await?.is_some()
        } else {
            false
        };
        if made {
            self.commit_runs(tx, true).await?;
        } else {
            tx.commit().await?;
        }
        Ok(made)
    }
}
