//! Guards for the rules that count and then write ("at most N active runs", "at most 20
//! saved views"): across every instance, the count and the write must be one step.
//!
//! * SQLite: every write transaction begins `IMMEDIATE` and holds the database's single
//!   write lock, so a count inside it is exact. The guards take nothing.
//! * PostgreSQL (READ COMMITTED): a count does not see the inserts of transactions that
//!   have not committed, so two of them can both see room for one. Each guarded scope
//!   (an organization's active runs, a user's saved views, …) has a transaction advisory
//!   lock, released at commit or rollback:
//!   - [`Mode::Exclusive`]: the writers of the scope take turns; each counts after the
//!     last one committed. Small caps always do this.
//!   - [`Mode::Shared`]: for large caps, on the hot path. Writers run side by side, and a
//!     count read under the shared lock lets the write go ahead only when it is at least
//!     [`Db::slack`] below the cap ([`Db::far_below`]). Every writer in flight holds a
//!     connection, so fewer than `max_connections` writes can be unseen by that count,
//!     and the cap cannot be passed. Nearer the cap the writer starts again in
//!     exclusive mode, which waits for every shared holder to commit and keeps new
//!     ones out, so its count sees everything.
//!
//! Lock keys: the rule in the top byte, the scope's id below it (ids stay far below 2^56).
//! Transactions that take two guards take them in the order of [`Guard`]'s kinds, and
//! take guards before any row lock.

use super::{dialect, Db};
use sqlx::{Any, Transaction};

/// A guarded scope: the rule and the id it counts under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Guard {
    /// An organization's queued and running runs (`--run-active-limit-per-org`).
    ActiveRuns(i64),
    /// An organization's running runs (`--run-running-limit-per-org`).
    RunningInOrg(i64),
    /// An agent's running runs (`--run-running-limit-per-agent`).
    RunningOfAgent(i64),
    /// A user's saved views.
    SavedViews(i64),
    /// A user's membership of an organization: held shared by the writes that make the
    /// user an agent's owner there, exclusively by their removal.
    Membership {
        /// The organization.
        org: i64,
        /// The member.
        user: i64,
    },
}

impl Guard {
    /// The advisory lock's key.
    pub fn key(self) -> i64 {
        let (kind, id) = match self {
            Self::RunningInOrg(id) => (1, id),
            Self::RunningOfAgent(id) => (2, id),
            Self::ActiveRuns(id) => (3, id),
            Self::SavedViews(id) => (4, id),
            // Both ids mixed into one (a collision only makes two scopes take turns).
            Self::Membership { org, user } => (5, org.wrapping_mul(-0x61C8_8646_80B5_83EB) ^ user),
        };
        (kind << 56) | (id & ((1 << 56) - 1))
    }
}

/// How a guard is held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Beside other shared holders, far from the cap.
    Shared,
    /// Alone.
    Exclusive,
}

impl Db {
    /// Takes `guard` in `tx` until it ends (nothing on SQLite: see the module).
    pub async fn guard(&self, tx: &mut Transaction<'static, Any>, guard: Guard, mode: Mode) -> Result<(), sqlx::Error> {
        if let Some(sql) = dialect::guard_lock(self.backend, mode == Mode::Shared) {
            sqlx::query(sql).bind(guard.key()).execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// Starts a write transaction holding `guard` ([`Db::begin`] and then [`Db::guard`] in
    /// one round trip).
    pub async fn begin_guarded(&self, guard: Guard, mode: Mode) -> Result<Transaction<'static, Any>, sqlx::Error> {
        self.writer().begin_with(dialect::begin_guarded(self.backend, mode == Mode::Shared, guard.key())).await
    }

    /// The mode a large cap's writer tries first: shared on PostgreSQL; on SQLite the
    /// count is exact anyway.
    pub fn first_mode(&self) -> Mode {
        if self.slack > 0 {
            Mode::Shared
        } else {
            Mode::Exclusive
        }
    }

    /// The most writes that a count can miss: PostgreSQL's `max_connections`; 0 on SQLite.
    pub fn slack(&self) -> i64 {
        self.slack
    }

    /// Whether `count`, read under a shared guard, is far enough below `limit` for the
    /// write to go ahead without taking the guard exclusively.
    pub fn far_below(&self, count: i64, limit: i64) -> bool {
        count.saturating_add(self.slack) < limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_differ_by_rule_and_id() {
        let keys = [
            Guard::RunningInOrg(1),
            Guard::RunningOfAgent(1),
            Guard::ActiveRuns(1),
            Guard::ActiveRuns(2),
            Guard::SavedViews(1),
            Guard::Membership { org: 1, user: 1 },
            Guard::Membership { org: 1, user: 2 },
            Guard::Membership { org: 2, user: 1 },
        ]
        .map(Guard::key);
        let unique: std::collections::HashSet<_> = keys.iter().collect();
        assert_eq!(unique.len(), keys.len());
        assert_eq!(Guard::RunningInOrg(7).key(), (1 << 56) | 7);
    }
}
