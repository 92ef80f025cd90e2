//! The [`Services`] handle: storage, configuration and the HMAC key, shared by every
//! adapter.

use crate::store::{Backend, Db, OpenError};
use crate::{secrets, Config};
use sqlx::Row;
use std::sync::Arc;

/// The services layer. Cheap to clone.
#[derive(Clone)]
pub struct Services {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    config: Config,
    secret: Vec<u8>,
    /// A real Argon2 hash that unknown-email logins verify against, so they take as long
    /// as wrong-password logins and do not reveal which emails exist.
    dummy_hash: String,
    /// Wakes this instance's waiting claims when a run may have become claimable.
    wake: tokio::sync::Notify,
    /// Wakes this instance's event streams when a run's log grew.
    events: tokio::sync::Notify,
    /// The database URL, for PostgreSQL's `LISTEN` connection.
    url: String,
    /// Set when the server stops: long polls and event streams end.
    stop: tokio::sync::watch::Sender<bool>,
    /// This instance's counters and histograms.
    metrics: crate::metrics::Metrics,
}

impl std::fmt::Debug for Services {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Services").field("backend", &self.inner.db.backend).finish_non_exhaustive()
    }
}

impl Services {
    /// Opens the database, runs migrations, and loads or creates the HMAC key.
    pub async fn open(database_url: &str, config: Config) -> Result<Self, OpenError> {
        let db = Db::open(database_url, 16).await?;
        let secret = match &config.secret {
            Some(s) => s.as_bytes().to_vec(),
            None => persisted_secret(&db).await?,
        };
        let dummy_hash = tokio::task::spawn_blocking(|| secrets::hash_password("agentry-dummy-password"))
            .await
            .map_err(|e| OpenError::Sqlx(sqlx::Error::Protocol(e.to_string())))?
            .map_err(|e| OpenError::Sqlx(sqlx::Error::Protocol(e.to_string())))?;
        let (wake, events, url) = (tokio::sync::Notify::new(), tokio::sync::Notify::new(), database_url.to_string());
        let stop = tokio::sync::watch::Sender::new(false);
        let metrics = crate::metrics::Metrics::default();
        Ok(Self { inner: Arc::new(Inner { db, config, secret, dummy_hash, wake, events, url, stop, metrics }) })
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.inner.db.backend
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The HMAC key for signed tokens.
    pub fn secret(&self) -> &[u8] {
        &self.inner.secret
    }

    /// The clock every rule reads.
    pub fn clock(&self) -> &crate::clock::Clock {
        &self.inner.config.clock
    }

    /// After a committed change to runs: wakes this instance's event streams and, when a
    /// run may have become claimable (queued, or a running one ended and freed a slot
    /// under a cap), its waiting claims. Other instances learn of it through PostgreSQL's
    /// `NOTIFY` (see `runs::signals`), or their fallback poll.
    pub(crate) fn runs_changed(&self, claimable: bool) {
        self.inner.events.notify_waiters();
        if claimable {
            self.inner.wake.notify_waiters();
        }
    }

    /// Resolves when runs next change (here, or on another instance when PostgreSQL's
    /// `NOTIFY` relays it).
    pub fn run_change(&self) -> tokio::sync::futures::Notified<'_> {
        self.inner.events.notified()
    }

    /// Ends long polls and event streams: the server is stopping.
    pub fn stop(&self) {
        self.inner.stop.send_replace(true);
    }

    /// Resolves once [`Services::stop`] was called.
    pub fn stopped(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut rx = self.inner.stop.subscribe();
        async move {
            let _ = rx.wait_for(|stopping| *stopping).await;
        }
    }

    /// This instance's metrics.
    pub fn metrics(&self) -> &crate::metrics::Metrics {
        &self.inner.metrics
    }

    /// The database URL the services were opened with.
    pub(crate) fn database_url(&self) -> &str {
        &self.inner.url
    }

    /// Resolves when [`Services::runs_changed`] next wakes claims.
    pub(crate) fn runner_wakeup(&self) -> tokio::sync::futures::Notified<'_> {
        self.inner.wake.notified()
    }

    /// Now, in unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        self.inner.config.clock.now_ms()
    }

    pub(crate) fn dummy_hash(&self) -> &str {
        &self.inner.dummy_hash
    }

    /// Readiness: the database answers.
    pub async fn ready(&self) -> bool {
        self.inner.db.ping().await.is_ok()
    }
}

/// Generates the HMAC key once and keeps it in `settings`; concurrent first starts agree
/// on one key because only the first insert wins.
async fn persisted_secret(db: &Db) -> Result<Vec<u8>, sqlx::Error> {
    sqlx::query("INSERT INTO settings (name, value) VALUES ('hmac_secret', $1) ON CONFLICT (name) DO NOTHING")
        .bind(secrets::generate(""))
        .execute(db.writer())
        .await?;
    let row = sqlx::query("SELECT value FROM settings WHERE name = 'hmac_secret'").fetch_one(&db.pool).await?;
    Ok(row.try_get::<String, _>("value")?.into_bytes())
}
