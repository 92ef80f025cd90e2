//! The one place for SQL that must differ by backend. Everything else is written once, in
//! the portable subset both SQLite and PostgreSQL accept (`$n` parameters, `RETURNING`,
//! `ON CONFLICT … DO UPDATE`, `CAST(… AS TEXT)`), with times as unix-millisecond BIGINTs.
//!
//! Add a function here (taking the [`Backend`]) when a statement cannot be portable, such
//! as row claiming with `FOR UPDATE SKIP LOCKED` or `LISTEN/NOTIFY` on PostgreSQL.

use super::Backend;

/// The statement that opens a transaction which will write. SQLite takes the write lock
/// up front (`IMMEDIATE`), so a transaction that reads first never fails to upgrade;
/// PostgreSQL locks rows as it goes.
pub fn begin_write(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "BEGIN IMMEDIATE",
        Backend::Postgres => "BEGIN",
    }
}

/// The statement (run first in a transaction) that lets the transaction commit without
/// waiting for its WAL flush, for writes that may be lost in a crash without harm, such as
/// rate-limit counters. PostgreSQL then releases the row locks at once instead of after
/// the disk flush, which is what hot counter rows need; `fsync` stays on and the WAL is
/// flushed moments later. SQLite (WAL, `synchronous = NORMAL`) never waits for a flush at
/// commit, so it needs nothing.
pub fn relaxed_commit(backend: Backend) -> Option<&'static str> {
    match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some("SET LOCAL synchronous_commit TO OFF"),
    }
}

/// Whether a use case that writes anyway (registration) counts its rate-limit hits inside
/// its own transaction (after a read-only precheck) rather than first, on their own.
/// SQLite: inside, because every transaction is a turn of the single writer. PostgreSQL:
/// first, in a [`relaxed_commit`] transaction, because inside a durable transaction the
/// shared counter rows (`register:global`, the owner's, the network's) would stay locked
/// until the commit's WAL flush and serialise every registration behind it.
pub fn counts_in_write(backend: Backend) -> bool {
    match backend {
        Backend::Sqlite => true,
        Backend::Postgres => false,
    }
}

/// The locking clause of a claim query (`SELECT … LIMIT 1` + this): PostgreSQL skips rows
/// other workers hold; SQLite has one writer at a time, so it needs none.
pub fn skip_locked(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "",
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
    }
}

/// The locking clause of a read that must hold its row until the transaction ends
/// (`SELECT … WHERE id = $1` + this), such as an organization's row while its members
/// change. SQLite's write transactions hold the database's write lock from `BEGIN
/// IMMEDIATE`, so it needs none.
pub fn for_update(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "",
        Backend::Postgres => " FOR UPDATE",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_writes_begin_immediate() {
        assert_eq!(begin_write(Backend::Sqlite), "BEGIN IMMEDIATE");
        assert_eq!(skip_locked(Backend::Sqlite), "");
        assert_eq!(relaxed_commit(Backend::Sqlite), None);
        assert!(counts_in_write(Backend::Sqlite) && !counts_in_write(Backend::Postgres));
        assert!(skip_locked(Backend::Postgres).contains("SKIP LOCKED"));
        assert_eq!(for_update(Backend::Sqlite), "");
        assert_eq!(for_update(Backend::Postgres), " FOR UPDATE");
    }
}
