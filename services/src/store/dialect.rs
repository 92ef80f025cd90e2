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

/// The statement (run when a connection of [`super::Db::relaxed`] opens) that lets its
/// transactions commit without waiting for their WAL flush, for writes that may be lost in a crash without harm, such as
/// rate-limit counters. PostgreSQL then releases the row locks at once instead of after
/// the disk flush, which is what hot counter rows need; `fsync` stays on and the WAL is
/// flushed moments later. SQLite (WAL, `synchronous = NORMAL`) never waits for a flush at
/// commit, so it needs nothing.
pub fn relaxed_commit(backend: Backend) -> Option<&'static str> {
    match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some("SET synchronous_commit TO OFF"),
    }
}

/// Whether a use case that writes anyway (registration) counts its rate-limit hits inside
/// its own transaction (after a read-only precheck) rather than first, on their own.
/// SQLite: inside, because every transaction is a turn of the single writer. PostgreSQL:
/// first, on their own with a [`relaxed_commit`] (together with the other reads,
/// [`registration_reads`]), because inside a durable transaction the
/// shared counter rows (`register:global`, the owner's, the network's) would stay locked
/// until the commit's WAL flush and serialise every registration behind it.
pub fn counts_in_write(backend: Backend) -> bool {
    match backend {
        Backend::Sqlite => true,
        Backend::Postgres => false,
    }
}

/// How an owner registration takes its seat, when not inside its own transaction: the
/// statements of a seat reserved ahead. SQLite: `None`, the seat is a conditional UPDATE
/// of `organizations.seats_used` in the registration's transaction (every transaction is a
/// turn of the single writer anyway). PostgreSQL: reserved first, on [`super::Db::relaxed`],
/// because inside a durable transaction the organization's row would stay locked until the
/// commit's WAL flush, and one organization's registrations could then commit only one
/// per flush instead of together (docs/PERFORMANCE.md § Registration).
pub struct SeatsAhead {
    /// Counts a seat in organization `$1` if one is free, and records the reservation made
    /// at `$2`: its id, or no row when the organization is full.
    pub reserve: &'static str,
    /// Gives back reservation `$1`'s seat, once (for a registration that failed).
    pub release: &'static str,
    /// Gives back the seats of reservations made before `$1` (whose requests died): the
    /// number given back per organization.
    pub sweep: &'static str,
}

/// The seat statements for `backend`, when it reserves seats ahead ([`SeatsAhead`]).
pub fn seats_ahead(backend: Backend) -> Option<&'static SeatsAhead> {
    match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(&SeatsAhead {
            reserve: "WITH s AS (UPDATE organizations SET seats_used = seats_used + 1
                       WHERE id = $1 AND seats_used < seat_limit RETURNING id)
                      INSERT INTO seat_reservations (org_id, created_at) SELECT id, $2 FROM s RETURNING id",
            release: "WITH r AS (DELETE FROM seat_reservations WHERE id = $1 RETURNING org_id)
                      UPDATE organizations SET seats_used = seats_used - 1
                       WHERE id IN (SELECT org_id FROM r) AND seats_used > 0",
            sweep: "WITH r AS (DELETE FROM seat_reservations WHERE created_at < $1 RETURNING org_id),
                         n AS (SELECT org_id, count(*) AS n FROM r GROUP BY org_id)
                    UPDATE organizations o SET seats_used = GREATEST(o.seats_used - n.n, 0)
                      FROM n WHERE o.id = n.org_id RETURNING n.n",
        }),
    }
}

/// PostgreSQL's reads before an owner registration's transaction, as one statement on
/// [`super::Db::relaxed`] (`registration/ahead.rs`): count the rate-limit hits (`upsert`,
/// the rate limiter's statement over `n` buckets: `$1` window start, `$2…` buckets),
/// reserve a seat in organization `$(n+3)` as [`SeatsAhead::reserve`] does (at `$(n+4)`;
/// none when `$(n+3)` is NULL), and read challenge `$(n+2)`. Rows: `bucket, hits` per
/// bucket, `token, used_at` of the challenge, `reservation` of the seat. SQLite: `None`
/// (it counts inside the registration's transaction, [`counts_in_write`], and takes the
/// seat there).
pub fn registration_reads(backend: Backend, upsert: &str, n: usize) -> Option<String> {
    match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(format!(
            "WITH counted AS ({upsert}),
                  seat AS (UPDATE organizations SET seats_used = seats_used + 1
                            WHERE id = ${org} AND seats_used < seat_limit RETURNING id),
                  reserved AS (INSERT INTO seat_reservations (org_id, created_at) SELECT id, ${now} FROM seat RETURNING id)
             SELECT bucket, hits, CAST(NULL AS TEXT) AS token, CAST(NULL AS BIGINT) AS used_at,
                    CAST(NULL AS BIGINT) AS reservation FROM counted
             UNION ALL SELECT NULL, NULL, token, used_at, NULL FROM challenges WHERE id = ${challenge}
             UNION ALL SELECT NULL, NULL, NULL, NULL, id FROM reserved",
            challenge = n + 2,
            org = n + 3,
            now = n + 4,
        )),
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

/// The statement that takes a guard's transaction advisory lock `$1` ([`super::guard`]),
/// shared or exclusive. SQLite: none, its write transactions are one at a time.
pub fn guard_lock(backend: Backend, shared: bool) -> Option<&'static str> {
    match (backend, shared) {
        (Backend::Sqlite, _) => None,
        (Backend::Postgres, true) => Some("SELECT pg_advisory_xact_lock_shared($1)"),
        (Backend::Postgres, false) => Some("SELECT pg_advisory_xact_lock($1)"),
    }
}

/// [`begin_write`] and then [`guard_lock`] of key `key`, as one statement list (one round
/// trip on PostgreSQL, in the simple protocol; the key is a number, written as one).
pub fn begin_guarded(backend: Backend, shared: bool, key: i64) -> String {
    match guard_lock(backend, shared) {
        None => begin_write(backend).to_string(),
        Some(lock) => format!("{}; {}", begin_write(backend), lock.replace("$1", &key.to_string())),
    }
}

/// The query for the most transactions that can be in flight at once, every instance
/// together (the slack of a shared guard, [`super::guard`]). SQLite: none (one writer).
pub fn max_connections(backend: Backend) -> Option<&'static str> {
    match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some("SELECT CAST(current_setting('max_connections') AS BIGINT)"),
    }
}

/// The locking clause of a read that holds its row until the transaction ends, beside
/// other such readers (`SELECT … WHERE id = $1` + this): a run created or claimed for an
/// agent holds the agent's row so that a deactivate, revoke or delete, which lock it
/// [`for_update`] first, waits for it, or it for them. `KEY SHARE` is the lock that the
/// run's foreign key takes on the agent anyway, so holding it costs nothing more (a plain
/// `SHARE` from every create made each one add itself to the row's lockers). SQLite: none
/// (one writer).
pub fn for_key_share(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "",
        Backend::Postgres => " FOR KEY SHARE",
    }
}

/// PostgreSQL's statement that opens a claim (`runs/runner.rs`), in one round trip: holds
/// agent `$2`'s row [`for_key_share`] while it can run (`can_run`, on alias `a`; no row
/// when it cannot), and takes the guards of the running caps ([`super::guard`]) of
/// organization `$1` (key `$5`, cap `$4`) and of the agent (key `$6`, cap `$7`), in that
/// order: each exclusive when `$8` is 1 or its running count is within the slack `$3` of
/// its cap, else shared. Columns: whether each was taken exclusively (1 or 0). SQLite: none.
pub fn claim_guards(backend: Backend, can_run: &str) -> Option<String> {
    match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(format!(
            "SELECT c.org_x, c.agent_x,
                    CASE WHEN c.org_x = 1 THEN pg_advisory_xact_lock($5) ELSE pg_advisory_xact_lock_shared($5) END IS NULL,
                    CASE WHEN c.agent_x = 1 THEN pg_advisory_xact_lock($6) ELSE pg_advisory_xact_lock_shared($6) END IS NULL
             FROM agents a CROSS JOIN LATERAL (
               SELECT CAST(CASE WHEN $8 = 1 OR (SELECT COUNT(*) FROM runs WHERE org_id = $1 AND status = 'running') + $3 >= $4
                                THEN 1 ELSE 0 END AS BIGINT) AS org_x,
                      CAST(CASE WHEN $8 = 1 OR (SELECT COUNT(*) FROM runs WHERE agent_id = $2 AND status = 'running') + $3 >= $7
                                THEN 1 ELSE 0 END AS BIGINT) AS agent_x) c
             WHERE a.id = $2 AND {can_run}
             FOR KEY SHARE OF a"
        )),
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
        assert_eq!((for_key_share(Backend::Sqlite), for_key_share(Backend::Postgres)), ("", " FOR KEY SHARE"));
        assert!(seats_ahead(Backend::Sqlite).is_none() && seats_ahead(Backend::Postgres).is_some());
        assert!(registration_reads(Backend::Sqlite, "", 1).is_none());
        assert!(guard_lock(Backend::Sqlite, true).is_none() && max_connections(Backend::Sqlite).is_none());
        assert!(guard_lock(Backend::Postgres, true).is_some_and(|s| s.contains("_shared(")));
        assert!(guard_lock(Backend::Postgres, false).is_some_and(|s| !s.contains("shared")));
        assert_eq!(begin_guarded(Backend::Sqlite, true, 7), "BEGIN IMMEDIATE");
        assert_eq!(begin_guarded(Backend::Postgres, true, -7), "BEGIN; SELECT pg_advisory_xact_lock_shared(-7)");
        let pg = registration_reads(Backend::Postgres, "INSERT … $1 $2 $3", 2).unwrap();
        assert!(pg.contains("id = $4") && pg.contains("id = $5") && pg.contains("$6 FROM seat"));
    }
}
