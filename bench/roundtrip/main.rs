//! sqlx round-trip micro-benchmark: what one statement, one pool acquisition and one
//! transaction cost on this machine, through the `Any` driver (what Agentry uses) and the
//! native driver, on SQLite (WAL, `synchronous = NORMAL`) or PostgreSQL. Sequential, one
//! connection: the cost a single writer pays per round trip.
//!
//! ```sh
//! cargo run --release -p agentry-tests --bin roundtrip-bench -- sqlite 5000
//! cargo run --release -p agentry-tests --bin roundtrip-bench -- postgres://postgres@127.0.0.1:55450/postgres 5000
//! ```
// A measuring program: unwraps abort a broken run, and `as f64` only formats rates.
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::as_conversions)]

use sqlx::{Any, Connection, Executor, Pool};
use std::time::Instant;

const SETUP: &str = "CREATE TABLE IF NOT EXISTS rt (id BIGINT PRIMARY KEY, n BIGINT NOT NULL)";
const UPDATE: &str = "UPDATE rt SET n = n + 1 WHERE id = $1";
/// Six statements in one string (SQLite runs them in one worker command).
const BATCH6: &str = "UPDATE rt SET n = n + 1 WHERE id = $1; UPDATE rt SET n = n + 1 WHERE id = $1;
 UPDATE rt SET n = n + 1 WHERE id = $1; UPDATE rt SET n = n + 1 WHERE id = $1;
 UPDATE rt SET n = n + 1 WHERE id = $1; UPDATE rt SET n = n + 1 WHERE id = $1";

/// Runs `$body` `$n` times after a tenth as warm-up; prints the mean.
macro_rules! time {
    ($label:expr, $n:expr, $body:block) => {{
        for _ in 0..$n / 10 $body
        let t = Instant::now();
        for _ in 0..$n $body
        println!("{:<62} {:>8.1} µs", $label, t.elapsed().as_secs_f64() * 1e6 / $n as f64);
    }};
}

#[tokio::main]
async fn main() {
    sqlx::any::install_default_drivers();
    let args: Vec<String> = std::env::args().collect();
    let target = args.get(1).cloned().unwrap_or_else(|| "sqlite".into());
    let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(5000);
    let dir = tempfile::tempdir().unwrap();
    let url =
        if target == "sqlite" { format!("sqlite://{}/rt.db?mode=rwc", dir.path().display()) } else { target.clone() };
    let sqlite = target == "sqlite";
    let pool = |test: bool| {
        let url = url.clone();
        async move {
            sqlx::any::AnyPoolOptions::new()
                .max_connections(1)
                .test_before_acquire(test)
                .after_connect(move |c, _| {
                    Box::pin(async move {
                        if sqlite {
                            c.execute("PRAGMA journal_mode = WAL").await?;
                            c.execute("PRAGMA synchronous = NORMAL").await?;
                        }
                        Ok(())
                    })
                })
                .connect(&url)
                .await
                .unwrap()
        }
    };
    let p: Pool<Any> = pool(true).await;
    p.execute(SETUP).await.unwrap();
    p.execute("DELETE FROM rt").await.unwrap();
    p.execute("INSERT INTO rt (id, n) VALUES (1, 0)").await.unwrap();
    println!("backend: {}, {n} operations each, sequential", if sqlite { "sqlite" } else { "postgres" });

    time!("Any pool (1 conn): UPDATE (acquire+ping, exec, release+ping)", n, {
        sqlx::query(UPDATE).bind(1i64).execute(&p).await.unwrap();
    });
    let p2 = pool(false).await;
    time!("Any pool, test_before_acquire(false): UPDATE", n, {
        sqlx::query(UPDATE).bind(1i64).execute(&p2).await.unwrap();
    });
    drop(p2);
    time!("Any pool: empty BEGIN + COMMIT (pool acquire included)", n, {
        p.begin().await.unwrap().commit().await.unwrap();
    });
    let mut c = p.acquire().await.unwrap();
    time!("Any connection: SELECT 1", n, {
        sqlx::query("SELECT 1").execute(&mut *c).await.unwrap();
    });
    time!("Any connection: UPDATE (autocommit)", n, {
        sqlx::query(UPDATE).bind(1i64).execute(&mut *c).await.unwrap();
    });
    time!("Any connection: ping", n, {
        c.ping().await.unwrap();
    });
    time!("Any connection: BEGIN, 6 x UPDATE, COMMIT (8 round trips)", n / 4, {
        let mut tx = c.begin().await.unwrap();
        for _ in 0..6 {
            sqlx::query(UPDATE).bind(1i64).execute(&mut *tx).await.unwrap();
        }
        tx.commit().await.unwrap();
    });
    if sqlite {
        time!("Any connection: BEGIN, the 6 UPDATEs in one string, COMMIT", n / 4, {
            let mut tx = c.begin().await.unwrap();
            sqlx::query(BATCH6).bind(1i64).execute(&mut *tx).await.unwrap();
            tx.commit().await.unwrap();
        });
    }
    drop(c);
    drop(p);
    if sqlite {
        let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
        c.execute("PRAGMA synchronous = NORMAL").await.unwrap();
        time!("native SqliteConnection: UPDATE (autocommit)", n, {
            sqlx::query(UPDATE).bind(1i64).execute(&mut c).await.unwrap();
        });
        time!("native SqliteConnection: SELECT 1", n, {
            sqlx::query("SELECT 1").execute(&mut c).await.unwrap();
        });
    } else {
        let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
        time!("native PgConnection: UPDATE (autocommit, durable)", n, {
            sqlx::query(UPDATE).bind(1i64).execute(&mut c).await.unwrap();
        });
        time!("native PgConnection: SELECT 1", n, {
            sqlx::query("SELECT 1").execute(&mut c).await.unwrap();
        });
    }
}
