//! Several statements of one write transaction in as few round trips as the backend
//! allows. Each statement is portable SQL with its own `$1…$n`; [`Batch::commit`] decides how
//! they travel, which is the only backend-specific part:
//!
//! * SQLite: one query string, one command to sqlx-sqlite's connection thread. sqlx-sqlite
//!   prepares and steps the statements one after the other and binds `$n` to the n-th
//!   argument of the whole string (`SqliteArguments::bind` in sqlx-sqlite 0.8.6), so the
//!   statements are renumbered by the arguments before them. On the single writer every
//!   round trip is time the writer is held, and one command costs about as much as one
//!   statement (`bench/roundtrip`). The transaction's `BEGIN IMMEDIATE` is the string's
//!   first statement.
//! * PostgreSQL: one simple-protocol query (the extended protocol takes one statement per
//!   query, so binding would cost a round trip per statement): the arguments are written
//!   into the statements as literals by one function ([`literal`], `PQescapeLiteral`'s
//!   rule), in one pass that never rescans what it wrote. PostgreSQL runs the statements
//!   in turn and stops at the first error.
//!
//! Either way the outcome is the same: the statements' results in order up to the first
//! failure, which is a statement that returned an error or whose check failed (a
//! conditional UPDATE that changed no row, a counter over its limit). Statements after it may
//! have run; the transaction is rolled back, so they leave nothing behind.

use super::{dialect, Backend, Db};
use futures_util::TryStreamExt;
use sqlx::any::AnyRow;
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, Either, Executor};

/// One argument value.
#[derive(Clone, Debug)]
pub(crate) enum Arg {
    /// A BIGINT (or NULL).
    Int(Option<i64>),
    /// A TEXT (or NULL).
    Text(Option<String>),
}

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::Int(Some(v))
    }
}
impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Self {
        Arg::Int(v)
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(Some(v))
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(Some(v.to_string()))
    }
}
impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Self {
        Arg::Text(v)
    }
}

/// A statement's test of its own outcome: false fails the batch there.
type Check = Box<dyn Fn(&Outcome) -> bool + Send + Sync>;

struct Stmt {
    sql: String,
    args: Vec<Arg>,
    check: Option<Check>,
}

impl Stmt {
    fn passes(&self, out: &Outcome) -> bool {
        self.check.as_ref().is_none_or(|check| check(out))
    }
}

/// What one statement did.
#[derive(Default)]
pub(crate) struct Outcome {
    /// Rows it returned (`RETURNING`).
    pub rows: Vec<AnyRow>,
    /// Rows it changed.
    pub changed: u64,
}

/// Why a batch stopped: the index of the statement that failed, and its error when it
/// returned one (`None`: the statement's check failed, e.g. a conditional UPDATE changed
/// nothing).
#[derive(Debug)]
pub(crate) struct Stopped {
    pub at: usize,
    pub error: Option<sqlx::Error>,
}

/// Statements to run in order inside one transaction.
#[derive(Default)]
pub(crate) struct Batch {
    stmts: Vec<Stmt>,
}

impl Batch {
    /// Adds a statement; its index in the outcomes.
    pub fn push(&mut self, sql: impl Into<String>, args: Vec<Arg>) -> usize {
        self.stmts.push(Stmt { sql: sql.into(), args, check: None });
        self.stmts.len() - 1
    }

    /// Adds a statement that fails the batch when it changes no row (a conditional UPDATE).
    pub fn push_must_change(&mut self, sql: impl Into<String>, args: Vec<Arg>) -> usize {
        self.push_checked(sql, args, |out| out.changed > 0)
    }

    /// Adds a statement that fails the batch when `check` says no about its outcome.
    pub fn push_checked(
        &mut self,
        sql: impl Into<String>,
        args: Vec<Arg>,
        check: impl Fn(&Outcome) -> bool + Send + Sync + 'static,
    ) -> usize {
        self.stmts.push(Stmt { sql: sql.into(), args, check: Some(Box::new(check)) });
        self.stmts.len() - 1
    }

    /// Runs the statements in a write transaction of their own ([`Db::begin`]'s), which
    /// commits when every statement passed and rolls back otherwise: every statement's
    /// outcome, or where it stopped (an error of `BEGIN`, `COMMIT` or the pool stops at
    /// the number of statements).
    ///
    /// On SQLite the transaction's `BEGIN IMMEDIATE` travels at the head of the batch, so
    /// a batch that commits is two commands on the writer (the batch, `COMMIT`) besides
    /// the pool's release ping. sqlx does not see that transaction, so [`OpenWrite`]
    /// closes the connection (SQLite then rolls back) if the request is dropped before
    /// `COMMIT` or `ROLLBACK` answered, and the pool opens a fresh writer.
    pub async fn commit(self, db: &Db) -> Result<Vec<Outcome>, Stopped> {
        let end = self.stmts.len();
        let failed = move |e| Stopped { at: end, error: Some(e) };
        let mut open = OpenWrite(Some(db.writer().acquire().await.map_err(failed)?));
        let conn = open.conn().map_err(failed)?;
        let outcome = self.run_as_one(conn, db.backend).await;
        let finish = if outcome.is_ok() { "COMMIT" } else { "ROLLBACK" };
        let finished = sqlx::query(finish).execute(&mut *open.conn().map_err(failed)?).await;
        match (outcome, finished) {
            (outcome, Ok(_)) => {
                open.done();
                outcome
            }
            // `open` closes the connection: whatever is still open rolls back.
            (Ok(_), Err(e)) => Err(failed(e)),
            (Err(stopped), Err(_)) => Err(stopped),
        }
    }

    /// The transaction's BEGIN and every statement, as one command: on SQLite one query
    /// string with the statements renumbered and their arguments bound; on PostgreSQL one
    /// simple-protocol query with the arguments written as literals ([`literal`]).
    async fn run_as_one(self, conn: &mut AnyConnection, backend: Backend) -> Result<Vec<Outcome>, Stopped> {
        let mut sql = dialect::begin_write(backend).to_string();
        let mut offset = 0;
        for s in &self.stmts {
            sql.push_str(";\n");
            match backend {
                Backend::Sqlite => sql.push_str(&renumber(&s.sql, |n| format!("${}", n + offset))),
                Backend::Postgres => sql.push_str(&renumber(&s.sql, |n| {
                    s.args.get(n - 1).map_or_else(
                        // A statement that names an argument it was not given: left as `$n`,
                        // which PostgreSQL refuses in a simple query.
                        || format!("${n}"),
                        literal,
                    )
                })),
            }
            offset += s.args.len();
        }
        let raw;
        let bound;
        let mut stream = match backend {
            Backend::Sqlite => {
                let mut q = sqlx::query(&sql);
                for a in self.stmts.iter().flat_map(|s| s.args.iter().cloned()) {
                    q = bind(q, a);
                }
                bound = q;
                conn.fetch_many(bound)
            }
            Backend::Postgres => {
                raw = sqlx::raw_sql(&sql);
                conn.fetch_many(raw)
            }
        };
        let mut outcomes = Vec::with_capacity(self.stmts.len());
        let mut current = Outcome::default();
        let mut failed = None;
        let mut begun = false;
        loop {
            match stream.try_next().await {
                Ok(Some(Either::Right(row))) => current.rows.push(row),
                // The leading BEGIN's own result.
                Ok(Some(Either::Left(_))) if !begun => begun = true,
                Ok(Some(Either::Left(done))) => {
                    current.changed = done.rows_affected();
                    outcomes.push(std::mem::take(&mut current));
                }
                Ok(None) => break,
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        drop(stream);
        // The first failure in statement order decides, as if they had run one by one.
        if let Some(at) = self.stmts.iter().zip(&outcomes).position(|(s, out)| !s.passes(out)) {
            return Err(Stopped { at, error: None });
        }
        match failed {
            Some(e) => Err(Stopped { at: outcomes.len(), error: Some(e) }),
            None if outcomes.len() < self.stmts.len() => Err(Stopped {
                at: outcomes.len(),
                error: Some(sqlx::Error::Protocol("a statement of the batch returned no result".into())),
            }),
            None => Ok(outcomes),
        }
    }
}

/// The SQLite writer connection while a transaction that sqlx does not track is open on
/// it: dropped before [`OpenWrite::done`], it takes the connection out of the pool and
/// closes it, and SQLite rolls the transaction back.
struct OpenWrite(Option<PoolConnection<Any>>);

impl OpenWrite {
    fn conn(&mut self) -> Result<&mut AnyConnection, sqlx::Error> {
        self.0.as_deref_mut().ok_or(sqlx::Error::PoolClosed)
    }

    /// The transaction ended: the connection goes back to the pool.
    fn done(mut self) {
        drop(self.0.take());
    }
}

impl Drop for OpenWrite {
    fn drop(&mut self) {
        if let Some(conn) = self.0.take() {
            drop(conn.detach());
        }
    }
}

type Query<'q> = sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>;

fn bind(q: Query<'_>, a: Arg) -> Query<'_> {
    match a {
        Arg::Int(v) => q.bind(v),
        Arg::Text(v) => q.bind(v),
    }
}

/// Rewrites every `$n` of `sql` with `with(n)`, in one pass (so nothing `with` writes is
/// looked at again). The statements are ours: no `$` inside their string literals.
fn renumber(sql: &str, with: impl Fn(usize) -> String) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '$' {
            out.push(c);
            continue;
        }
        let mut n = String::new();
        while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
            n.push(*d);
            chars.next();
        }
        match n.parse::<usize>() {
            Ok(n) if n > 0 => out.push_str(&with(n)),
            _ => {
                out.push('$');
                out.push_str(&n);
            }
        }
    }
    out
}

/// An argument as a PostgreSQL literal, for a simple-protocol query: what
/// `PQescapeLiteral` writes when `standard_conforming_strings` is on (which the connection
/// sets when it opens, see `store.rs`): a string in single quotes with each quote
/// doubled, and nothing else special. Numbers are digits (negative ones in parentheses, so
/// `-` never meets another `-`); NULLs carry their type.
fn literal(a: &Arg) -> String {
    match a {
        Arg::Int(Some(v)) if *v < 0 => format!("({v})"),
        Arg::Int(Some(v)) => v.to_string(),
        Arg::Int(None) => "CAST(NULL AS BIGINT)".into(),
        Arg::Text(Some(t)) => format!("'{}'", t.replace('\'', "''")),
        Arg::Text(None) => "CAST(NULL AS TEXT)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::{literal, renumber, Arg, Batch};
    use crate::store::Db;
    use futures_util::FutureExt;
    use std::time::Duration;

    fn insert(n: i64) -> Batch {
        let mut b = Batch::default();
        b.push("INSERT INTO t (n) VALUES ($1)", vec![n.into()]);
        b.push_must_change("UPDATE t SET n = n WHERE n = $1", vec![n.into()]);
        b
    }

    #[tokio::test]
    async fn a_batch_dropped_mid_transaction_leaves_all_or_nothing_and_a_working_writer() {
        let path = std::env::temp_dir().join(format!("agentry-batch-{}.db", uuid::Uuid::new_v4()));
        let db = Db::open(&format!("sqlite://{}", path.display()), 2).await.unwrap();
        sqlx::query("CREATE TABLE t (n BIGINT)").execute(db.writer()).await.unwrap();
        // Dropped after 0, 1, 2, … polls: before the writer is acquired, with BEGIN and
        // the batch sent, with COMMIT sent.
        for polls in 0..12 {
            let mut fut = std::pin::pin!(insert(1).commit(&db));
            for _ in 0..polls {
                if (&mut fut).now_or_never().is_some() {
                    break;
                }
                tokio::time::sleep(Duration::from_micros(200)).await;
            }
        }
        // A failing batch rolls back; a passing one commits on the same writer.
        let mut failing = insert(3);
        failing.push_must_change("UPDATE t SET n = n WHERE n = -1", vec![]);
        assert_eq!(failing.commit(&db).await.err().map(|s| (s.at, s.error.is_none())), Some((2, true)));
        assert!(insert(2).commit(&db).await.is_ok());
        let count =
            |n: i64| sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM t WHERE n = $1").bind(n).fetch_one(&db.pool);
        assert_eq!((count(2).await.unwrap(), count(3).await.unwrap()), (1, 0));
        assert!(count(1).await.unwrap() <= 12);
        drop(db);
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn parameters_are_renumbered_by_the_arguments_before_them() {
        let by = |k: usize| move |n: usize| format!("${}", n + k);
        assert_eq!(renumber("UPDATE t SET a = $1 WHERE b = $12", by(0)), "UPDATE t SET a = $1 WHERE b = $12");
        assert_eq!(
            renumber("UPDATE t SET a = $1 WHERE b = $12 AND c = $2", by(3)),
            "UPDATE t SET a = $4 WHERE b = $15 AND c = $5"
        );
        assert_eq!(renumber("SELECT '$'", by(2)), "SELECT '$'");
        assert_eq!(renumber("SELECT $0", by(2)), "SELECT $0");
    }

    #[test]
    fn literals_are_quoted_once_and_never_rescanned() {
        let args: Vec<Arg> =
            vec![r"it's $2 -- ; \'".into(), (-5i64).into(), Option::<i64>::None.into(), Option::<String>::None.into()];
        let sql = renumber("SELECT $1, 1-$2, $3, $4", |n| literal(&args[n - 1]));
        assert_eq!(sql, r"SELECT 'it''s $2 -- ; \''', 1-(-5), CAST(NULL AS BIGINT), CAST(NULL AS TEXT)");
    }
}
