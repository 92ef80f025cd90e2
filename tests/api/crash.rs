//! kill -9 under write load: every write a server acknowledged survives the SIGKILL of
//! that server, read through another instance (or a new process on the same SQLite
//! file); on PostgreSQL it also survives an immediate stop of the database itself.
//!
//! The servers are real `agentry serve` processes (the binary of [`crate::cli::agentry_bin`]),
//! so they can be killed for real. PostgreSQL is a private cluster with `fsync=on` and
//! `synchronous_commit=on` (the shared test server runs with both off, and would rightly
//! lose acknowledged commits on an immediate stop). A write counts as acknowledged only
//! when its success status and whole body were received; requests cut by the kill are
//! not, and are not checked.
use crate::crash_support::{load, owner, Acked, Browser, Owner, PgCluster, Server};
use agentry_tests::PASSWORD;
use futures::StreamExt;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How long the load runs, and when in it the loaded instance is killed.
const LOAD: Duration = Duration::from_secs(3);
const KILL_AFTER: Duration = Duration::from_secs(2);

/// A 64-hex-digit HMAC key, shared by the instances of one test.
fn secret() -> String {
    format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple())
}

/// Runs the load against `a` (the owner's instance) and SIGKILLs `a` after
/// [`KILL_AFTER`]; checks the load did every kind of write, was never refused, and was
/// cut by the kill in each of its tasks.
async fn load_and_kill(a: &mut Server, owner: &Owner) -> Acked {
    let kill = async {
        tokio::time::sleep(KILL_AFTER).await;
        a.kill().await;
    };
    let (acked, ()) = tokio::join!(load(owner, LOAD), kill);
    eprintln!("acknowledged before and around the kill: {}", summary(&acked));
    assert!(acked.refused.is_empty(), "the load was refused: {:?}", acked.refused);
    let counts = [acked.signups.len(), acked.keys.len(), acked.runs.len(), acked.completed.len()];
    assert!(counts.iter().all(|&n| n > 0), "every kind of write was acknowledged: {}", summary(&acked));
    assert_eq!(acked.cut, 6, "every load task was still writing when the instance died");
    acked
}

fn summary(a: &Acked) -> String {
    let (s, k, r, c) = (a.signups.len(), a.keys.len(), a.runs.len(), a.completed.len());
    format!("{s} signups, {k} API keys, {r} runs created, {c} runs completed")
}

/// Two instances on one PostgreSQL (fsync on). Under signups, API key creations, run
/// creations and run completions on instance A, A is SIGKILLed: every write A
/// acknowledged is then read back through instance B over HTTP (each user signs in, each
/// key is listed, each run reads, each acknowledged completion reads `completed`). Then
/// PostgreSQL itself is stopped with `-m immediate` (no checkpoint: crash recovery on the
/// next start) and started again: every acknowledged write is still in storage (a fresh
/// connection), and B, which lived through the outage, serves all of it again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_sigkill_of_an_instance_and_of_postgres() {
    let started = Instant::now();
    let pg = PgCluster::start().await;
    let secret = secret();
    let mut a = Server::start(&pg.url(), &secret).await;
    let mut b = Server::start(&pg.url(), &secret).await;
    let owner = owner(&a.base).await;

    let acked = load_and_kill(&mut a, &owner).await;
    assert_eq!(verify_http(&b.base, &owner, &acked).await, 0, "B answered every check without a 5xx");
    let after_kill = started.elapsed();

    pg.stop_immediate();
    pg.start_again();
    verify_sql(&pg.url(), &acked).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while !b.answers("/readyz").await && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    if !b.answers("/readyz").await {
        // Not what this test is about, but worth knowing: say so, and go on with a new B.
        eprintln!("instance B did not answer /readyz within 20 s of PostgreSQL's restart:\n{}", b.log());
        b = Server::start(&pg.url(), &secret).await;
    }
    // Connections that died with PostgreSQL each fail one query before the pool drops
    // them (`test_before_acquire(false)`, services/src/store.rs): those 5xx are retried.
    let retried = verify_http(&b.base, &owner, &acked).await;
    eprintln!(
        "checked after the instance's kill at {after_kill:?}, after PostgreSQL's at {:?} ({retried} 5xx retried)",
        started.elapsed()
    );
}

/// One instance on a fresh SQLite file. Under the same load it is SIGKILLed; a new
/// process on the same file then serves every write the killed one acknowledged (each
/// user signs in, each key is listed, each run reads, each acknowledged completion reads
/// `completed`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_sigkill_of_the_server_sqlite() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/agentry.db", dir.path().display());
    let secret = secret();
    let mut a = Server::start(&url, &secret).await;
    let owner = owner(&a.base).await;

    let acked = load_and_kill(&mut a, &owner).await;
    let b = Server::start(&url, &secret).await;
    assert_eq!(verify_http(&b.base, &owner, &acked).await, 0, "the new process answered every check without a 5xx");
    eprintln!("checked at {:?}", started.elapsed());
}

/// Sends what `req` builds, again while the answer is a 5xx (at most 50 times, 100 ms
/// apart; each retry counted in `retries`): the status and the JSON body.
async fn answer(req: impl Fn() -> reqwest::RequestBuilder, retries: &AtomicUsize) -> (u16, Value) {
    for _ in 0..50 {
        let res = req().send().await.unwrap();
        let status = res.status().as_u16();
        let body = res.json().await.unwrap_or(Value::Null);
        if status < 500 {
            return (status, body);
        }
        retries.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("5xx answers 50 times in a row")
}

/// Checks through the instance at `base`, over HTTP only, that every acknowledged write is
/// there: each signed-up user signs in as themselves, each API key is in the owner's list,
/// each run can be read, and each acknowledged completion reads `completed`. Panics with
/// the full list of what is missing; returns how many 5xx answers were retried.
async fn verify_http(base: &str, owner: &Owner, acked: &Acked) -> usize {
    let (mut lost, retries) = (Vec::new(), &AtomicUsize::new(0));
    let login = |b: &Browser, email: &str| {
        let b = b.clone();
        let body = json!({"email": email, "password": PASSWORD});
        async move { answer(|| b.post("/api/v1/auth/login", body.clone()), retries).await }
    };
    let logins = futures::stream::iter(&acked.signups)
        .map(|(email, id)| async move {
            let (status, me) = login(&Browser::new(base), email).await;
            let ok = status == 200 && me["user"]["id"].as_i64() == Some(*id);
            (!ok).then(|| format!("signup {email} (user {id}): login answered {status} {me}"))
        })
        .buffer_unordered(4);
    lost.extend(logins.filter_map(|x| async { x }).collect::<Vec<_>>().await);

    let browser = Browser::new(base);
    assert_eq!(login(&browser, &owner.email).await.0, 200, "the owner signs in through {base}");
    let (_, keys) = answer(|| browser.get("/api/v1/api-keys"), retries).await;
    let listed: HashSet<i64> = keys.as_array().unwrap().iter().map(|k| k["id"].as_i64().unwrap()).collect();
    lost.extend(acked.keys.iter().filter(|k| !listed.contains(k)).map(|k| format!("API key {k} not listed")));

    let completed: HashSet<i64> = acked.completed.iter().copied().collect();
    let ids: HashSet<i64> = acked.runs.iter().chain(&acked.completed).copied().collect();
    let (org, b, completed) = (owner.org, &browser, &completed);
    let runs = futures::stream::iter(ids)
        .map(|id| async move {
            let (status, run) = answer(|| b.get(&format!("/v1/organizations/{org}/agent/run/{id}")), retries).await;
            if status != 200 {
                Some(format!("run {id}: {status} {run}"))
            } else if completed.contains(&id) && run["status"] != "completed" {
                Some(format!("run {id}: acknowledged completed, reads {}", run["status"]))
            } else {
                None
            }
        })
        .buffer_unordered(8);
    lost.extend(runs.filter_map(|x| async { x }).collect::<Vec<_>>().await);
    assert!(lost.is_empty(), "acknowledged writes lost (read through {base}):\n{}", lost.join("\n"));
    retries.load(Ordering::Relaxed)
}

/// The same check in storage, with a fresh connection to `database_url`: every
/// acknowledged user, API key and run has its row, and every acknowledged completion is
/// `completed`.
async fn verify_sql(database_url: &str, acked: &Acked) {
    sqlx::any::install_default_drivers();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(database_url).await.unwrap();
    let ids = |table: &str| format!("SELECT id FROM {table}");
    let users: HashSet<i64> =
        sqlx::query_scalar(&ids("users")).fetch_all(&mut conn).await.unwrap().into_iter().collect();
    let keys: HashSet<i64> =
        sqlx::query_scalar(&ids("api_keys")).fetch_all(&mut conn).await.unwrap().into_iter().collect();
    let rows: Vec<(i64, String)> = sqlx::query_as("SELECT id, status FROM runs").fetch_all(&mut conn).await.unwrap();
    let runs: HashMap<i64, String> = rows.into_iter().collect();
    let mut lost: Vec<String> = Vec::new();
    lost.extend(acked.signups.iter().filter(|(_, id)| !users.contains(id)).map(|(e, id)| format!("user {id} ({e})")));
    lost.extend(acked.keys.iter().filter(|id| !keys.contains(id)).map(|id| format!("API key {id}")));
    lost.extend(acked.runs.iter().filter(|id| !runs.contains_key(id)).map(|id| format!("run {id}")));
    for id in &acked.completed {
        if runs.get(id).map(String::as_str) != Some("completed") {
            lost.push(format!("completion of run {id} (status {:?})", runs.get(id)));
        }
    }
    assert!(lost.is_empty(), "acknowledged writes lost (in storage):\n{}", lost.join("\n"));
}
