//! Periodic sweeps every instance runs (each is safe on several instances at once): today,
//! seat reservations whose registration died (`Services::sweep_seat_reservations`).

use agentry_services::Services;
use std::time::Duration;
use tokio::task::JoinHandle;

/// How often the sweeps run.
pub const SWEEP_INTERVAL: Duration = Duration::from_secs(60);

/// Starts the sweeps; abort the handle to stop them.
pub fn spawn(services: Services) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(SWEEP_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match services.sweep_seat_reservations().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(seats = n, "gave back the seats of abandoned reservations"),
                Err(e) => tracing::warn!(error = %e, "seat reservation sweep failed"),
            }
        }
    })
}
