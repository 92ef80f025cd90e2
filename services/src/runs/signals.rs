//! How instances learn that runs changed. A change commits through
//! [`Services::commit_runs`], which wakes this instance's waiting claims and event
//! streams at once, and on PostgreSQL also sends a `NOTIFY` in the same transaction (so
//! it is delivered only if the change commits). [`Services::listen_for_runs`] relays
//! other instances' notifications; waiters also poll, so a lost notification only delays.

use crate::store::Backend;
use crate::{ServiceError, Services};
use sqlx::{Any, Transaction};
use std::time::Duration;

/// The `LISTEN` channel.
const CHANNEL: &str = "agentry_runs";
/// The payload of a change after which a run may be claimable.
const CLAIMABLE: &str = "claimable";
/// The payload of any other change (events only).
const EVENTS: &str = "events";

impl Services {
    /// Commits `tx`, a change to runs, and wakes whoever waits for it. `claimable`: a run
    /// may have become claimable (queued, or a running one ended and freed a slot).
    pub(crate) async fn commit_runs(
        &self,
        mut tx: Transaction<'static, Any>,
        claimable: bool,
    ) -> Result<(), ServiceError> {
        if self.backend() == Backend::Postgres {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANNEL)
                .bind(if claimable { CLAIMABLE } else { EVENTS })
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        self.runs_changed(claimable);
        Ok(())
    }

    /// On PostgreSQL, relays other instances' run changes to this instance's waiters,
    /// reconnecting after a second when the connection drops; never returns. Returns at
    /// once on SQLite, where one process holds the database.
    pub async fn listen_for_runs(&self) {
        if self.backend() != Backend::Postgres {
            return;
        }
        loop {
            match sqlx::postgres::PgListener::connect(self.database_url()).await {
                Ok(mut listener) => match listener.listen(CHANNEL).await {
                    Ok(()) => loop {
                        match listener.recv().await {
                            Ok(n) => self.runs_changed(n.payload() == CLAIMABLE),
                            Err(e) => {
                                tracing::warn!(error = %e, "the run notification connection failed");
                                break;
                            }
                        }
                    },
                    Err(e) => tracing::warn!(error = %e, "LISTEN for run changes failed"),
                },
                Err(e) => tracing::warn!(error = %e, "could not open the run notification connection"),
            }
            // Whatever was missed meanwhile, the waiters' polls find.
            self.runs_changed(true);
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}
