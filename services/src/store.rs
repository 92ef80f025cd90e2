//! Storage: sqlx `Any` pools over SQLite (default, WAL) or PostgreSQL, the migrations of
//! the matching dialect, and the one documented place for what differs by backend
//! ([`dialect`]).
//!
//! Reads go to `pool`. Writes go through [`Db::writer`] and transactions that write start
//! with [`Db::begin`]: on SQLite the writer is a single connection, so writers queue in
//! this process instead of sleeping in SQLite's busy handler, and its transactions are
//! `BEGIN IMMEDIATE`, so a transaction that reads first never fails to upgrade to a write
//! when another process (a second instance on the same file) wrote meanwhile. On
//! PostgreSQL both are the same pool.

pub(crate) mod batch;
pub mod dialect;
pub mod guard;

use crate::errors::ErrorCode;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{Any, AnyPool, Executor, Row, Transaction};
use std::path::Path;
use std::time::Duration;

/// Connections of the PostgreSQL pool for relaxed-commit writes ([`Db::relaxed`]): each
/// statement on it is a few microseconds of row locks, so a few connections serve many.
const RELAXED_CONNECTIONS: u32 = 4;

/// Which database is behind the pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite file.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

/// The connection pools and their backend.
#[derive(Clone, Debug)]
pub struct Db {
    /// Reads (and, on PostgreSQL, everything).
    pub pool: AnyPool,
    writer: AnyPool,
    /// Writes whose commit need not wait for the disk (see [`dialect::relaxed_commit`]); on
    /// SQLite the writer.
    relaxed: AnyPool,
    /// The backend.
    pub backend: Backend,
    /// The most write transactions in flight at once ([`guard`]).
    slack: i64,
}

/// Errors while opening the database.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The URL is neither `sqlite:` nor `postgres:`.
    #[error("DATABASE_URL must start with sqlite:// or postgres:// (got {0:?})")]
    UnsupportedUrl(String),
    /// The SQLite file's folder could not be created.
    #[error("could not create the database folder {0}: {1}")]
    Folder(String, std::io::Error),
    /// Connecting or migrating failed.
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    /// A migration failed.
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

fn options(backend: Backend, max: u32, relaxed: bool) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(10))
        // No ping before handing out an idle connection: sqlx already pings every
        // connection when it comes back to the pool (and drops it if that fails), so an
        // acquire ping would only be one more round trip per query (on SQLite, a hop to the
        // connection's thread; on PostgreSQL, to the server: 5 of a registration's ~18).
        // What it would still catch is a PostgreSQL connection that died while idle (a
        // server restart); idle connections are closed after a minute, which keeps that
        // window short, and such a connection fails one query and is dropped.
        .test_before_acquire(false)
        .idle_timeout(Duration::from_secs(60))
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if backend == Backend::Sqlite {
                    // WAL lets readers run beside the writer; busy_timeout makes a second
                    // process's writer queue instead of failing; foreign keys are off by
                    // default in SQLite.
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA busy_timeout = 10000").await?;
                    conn.execute("PRAGMA foreign_keys = ON").await?;
                    conn.execute("PRAGMA synchronous = NORMAL").await?;
                    // Reads map the file rather than copy its pages into each connection's
                    // own cache: a list page's server CPU fell by about a tenth
                    // (docs/PERFORMANCE.md, "Agent directory"). Address space only.
                    conn.execute("PRAGMA mmap_size = 268435456").await?;
                }
                if backend == Backend::Postgres {
                    // What the batches' literals rely on (`store/batch.rs`); PostgreSQL's
                    // default, set here so that no server setting can change it.
                    conn.execute("SET standard_conforming_strings = on").await?;
                }
                if let Some(sql) = dialect::relaxed_commit(backend).filter(|_| relaxed) {
                    conn.execute(sql).await?;
                }
                Ok(())
            })
        })
}

impl Db {
    /// Opens (and for SQLite, creates) the database and runs the migrations.
    pub async fn open(url: &str, max_connections: u32) -> Result<Self, OpenError> {
        sqlx::any::install_default_drivers();
        let (backend, url) = if let Some(rest) = url.strip_prefix("sqlite:") {
            (Backend::Sqlite, sqlite_url(rest)?)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (Backend::Postgres, url.to_string())
        } else {
            return Err(OpenError::UnsupportedUrl(url.to_string()));
        };
        let pool = options(backend, max_connections, false).connect(&url).await?;
        match backend {
            Backend::Sqlite => migrate_sqlite(&pool).await?,
            Backend::Postgres => sqlx::migrate!("./migrations/postgres").run(&pool).await?,
        }
        let (writer, relaxed) = match backend {
            Backend::Sqlite => {
                let writer = options(backend, 1, false).connect(&url).await?;
                (writer.clone(), writer)
            }
            Backend::Postgres => (pool.clone(), options(backend, RELAXED_CONNECTIONS, true).connect(&url).await?),
        };
        let slack = match dialect::max_connections(backend) {
            Some(sql) => sqlx::query_scalar::<_, i64>(sql).fetch_one(&pool).await?,
            None => 0,
        };
        Ok(Self { pool, writer, relaxed, backend, slack })
    }

    /// The pool for writes outside a transaction.
    pub fn writer(&self) -> &AnyPool {
        &self.writer
    }

    /// Starts a transaction that will write (`BEGIN IMMEDIATE` on SQLite).
    pub async fn begin(&self) -> Result<Transaction<'static, Any>, sqlx::Error> {
        self.writer.begin_with(dialect::begin_write(self.backend)).await
    }

    /// The pool for single-statement writes whose commit need not wait for durability (see
    /// [`dialect::relaxed_commit`]): counters that may be lost in a crash, and seat
    /// reservations (`seats.rs`). One round trip each, in autocommit. On SQLite the writer.
    pub fn relaxed(&self) -> &AnyPool {
        &self.relaxed
    }

    /// Checks that the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map(|_| ())
    }
}

/// Runs the SQLite migrations on one connection with foreign keys off, as SQLite's
/// procedure for rebuilding a table asks (sqlx runs each migration in a transaction, where
/// the pragma cannot change): migration 7 rebuilds `agents`. Then checks every foreign
/// key, and closes the connection, so no pooled connection runs without them.
async fn migrate_sqlite(pool: &AnyPool) -> Result<(), OpenError> {
    let mut conn = pool.acquire().await?;
    conn.execute("PRAGMA foreign_keys = OFF").await?;
    sqlx::migrate!("./migrations/sqlite").run(&mut *conn).await?;
    let broken = sqlx::query("PRAGMA foreign_key_check").fetch_all(&mut *conn).await?;
    conn.close().await?;
    if broken.is_empty() {
        Ok(())
    } else {
        Err(OpenError::Sqlx(sqlx::Error::Protocol(format!(
            "{} rows break a foreign key after migrating",
            broken.len()
        ))))
    }
}

/// `sqlite://data/agentry.db` → creates `data/` and opens the file read-write-create.
fn sqlite_url(rest: &str) -> Result<String, OpenError> {
    let rest = rest.trim_start_matches("//");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path != ":memory:" && !path.is_empty() {
        if let Some(parent) = Path::new(path).parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| OpenError::Folder(parent.display().to_string(), e))?;
        }
    }
    let query = if query.contains("mode=") {
        query.to_string()
    } else if query.is_empty() {
        "mode=rwc".into()
    } else {
        format!("{query}&mode=rwc")
    };
    Ok(format!("sqlite://{path}?{query}"))
}

/// Unix milliseconds to a UTC time.
pub fn to_time(ms: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// An optional timestamp column.
pub fn opt_time(row: &AnyRow, col: &str) -> Result<Option<chrono::DateTime<chrono::Utc>>, sqlx::Error> {
    Ok(row.try_get::<Option<i64>, _>(col)?.map(to_time))
}

/// A state column, parsed into its enum; an unknown name is a decode error (a bug).
pub fn state<T>(row: &AnyRow, col: &str, parse: fn(&str) -> Option<T>) -> Result<T, sqlx::Error> {
    let raw: String = row.try_get(col)?;
    parse(&raw).ok_or_else(|| sqlx::Error::Decode(format!("unknown {col} {raw:?}").into()))
}

/// The unique constraints whose violation is a catalogue conflict: PostgreSQL's
/// constraint name, SQLite's `table.column`, and the code.
const UNIQUE: &[(&str, &str, ErrorCode)] = &[
    ("users_email_key", "users.email", ErrorCode::EmailTaken),
    ("agents_public_key_key", "agents.public_key", ErrorCode::PublicKeyTaken),
    ("memberships_pkey", "memberships.user_id, memberships.org_id", ErrorCode::AlreadyMember),
    ("member_invitations_open", "member_invitations.org_id, member_invitations.email", ErrorCode::InvitationPending),
    ("agents_slug", "agents.org_id, agents.slug", ErrorCode::SlugTaken),
    ("agent_transfers_pending", "agent_transfers.agent_id", ErrorCode::TransferPending),
];

/// The catalogue code of a unique-constraint violation, by constraint name.
pub fn unique_violation(e: &sqlx::Error) -> Option<ErrorCode> {
    let db = e.as_database_error().filter(|d| d.is_unique_violation())?;
    let message = db.message();
    let name = db.constraint();
    UNIQUE
        .iter()
        .find(|(pg, lite, _)| name == Some(*pg) || message.ends_with(&format!("constraint failed: {lite}")))
        .map(|(_, _, code)| *code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_get_create_mode() {
        assert_eq!(sqlite_url(":memory:").ok(), Some("sqlite://:memory:?mode=rwc".into()));
        assert_eq!(sqlite_url("//x.db?cache=shared").ok(), Some("sqlite://x.db?cache=shared&mode=rwc".into()));
    }
}
