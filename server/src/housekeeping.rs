//! Periodic work every instance runs (each is safe on several instances at once):
//! - every second, in a task of its own, sending due webhook deliveries
//!   (`Services::deliver_webhooks`);
//! - about every second, sealing new audit rows onto their chains (`Services::seal_audit`),
//!   and sweeping runs whose lease lapsed, that timed out, or whose cancel grace ended
//!   (`Services::sweep_runs`), and queuing the runs of due schedule ticks
//!   (`Services::tick_schedules`);
//! - every minute, giving back the seats of reservations whose registration died
//!   (`Services::sweep_seat_reservations`), and forgetting idempotency keys older than a
//!   day (`Services::sweep_idempotency_keys`), and expiring ownership transfers older than
//!   seven days (`Services::sweep_transfers`).

use agentry_services::Services;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

/// How often the seat sweep runs.
pub const SWEEP_INTERVAL: Duration = Duration::from_secs(60);
/// How often new audit rows are sealed.
pub const SEAL_INTERVAL: Duration = Duration::from_secs(1);

/// How often the webhook worker looks for due deliveries.
pub const WEBHOOK_INTERVAL: Duration = Duration::from_secs(1);

/// Starts the webhook worker (its own task: a delivery may take seconds); abort the handle
/// to stop it.
pub fn spawn_webhooks(services: Services) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(WEBHOOK_INTERVAL);
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = services.deliver_webhooks().await {
                tracing::warn!(error = %e, "webhook deliveries failed");
            }
        }
    })
}

/// Starts the periodic work; abort the handle to stop it.
pub fn spawn(services: Services) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut sweep = tokio::time::interval(SWEEP_INTERVAL);
        sweep.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut seal = tokio::time::interval(SEAL_INTERVAL);
        seal.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = sweep.tick() => {
                    match services.sweep_seat_reservations().await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(seats = n, "gave back the seats of abandoned reservations"),
                        Err(e) => tracing::warn!(error = %e, "seat reservation sweep failed"),
                    }
                    match services.sweep_transfers().await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(transfers = n, "expired lapsed ownership transfers"),
                        Err(e) => tracing::warn!(error = %e, "ownership transfer sweep failed"),
                    }
                    if let Err(e) = services.sweep_idempotency_keys().await {
                        tracing::warn!(error = %e, "idempotency key sweep failed");
                    }
                }
                _ = seal.tick() => {
                    if let Err(e) = services.seal_audit().await {
                        tracing::warn!(error = %e, "sealing the audit log failed");
                    }
                    match services.sweep_runs().await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(runs = n, "re-queued, timed out or cancelled overdue runs"),
                        Err(e) => tracing::warn!(error = %e, "run sweep failed"),
                    }
                    match services.tick_schedules().await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(runs = n, "queued scheduled runs"),
                        Err(e) => tracing::warn!(error = %e, "schedule tick failed"),
                    }
                }
            }
        }
    })
}
