//! Agent directory benchmark (issue 10): against a running server (`bench/directory/run.sh`
//! starts a release one on SQLite or on a private PostgreSQL with fsync on), seed N agents
//! in one organization, then drive each operation on an open loop at a fixed rate and
//! report p50/p99/max from the scheduled times:
//!
//! * `filtered`: `GET /api/v1/agents?$filter=…&$orderby=name desc&$select=…&$top=50`;
//! * `cursor`: the `@odata.nextLink`s of that list (every page of it, collected first),
//!   in a fixed random order;
//! * `get`: `GET /api/v1/agents/{id}`, random live ids;
//! * `patch`: `PATCH /api/v1/agents/{id}` with `{"description": …}` as a merge patch.
//!
//! ```sh
//! directory-bench SERVER_URL DATABASE_URL [--agents 100000] [--rate 1000] [--secs 20]
//!     [--ops get,cursor,filtered,patch] [--compare] [--rounds 1] [--plans] [--cap 1000]
//! ```
//! `--compare` measures each operation without the indexes of migration 0008 (dropped)
//! and with them (created again as the migration does), alternating, `--rounds` times, in
//! one run on one database. `--plans` prints the read queries' plans in each state.
// A measuring program: unwraps abort a broken run, and `as` only converts counts and rates.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout, clippy::as_conversions)]

mod load;
mod seed;

use load::{mix, MakeRequest, Stats};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

const FILTER: &str = "status eq 'draft' and startswith(name,'agent-1')";
const ORDERBY: &str = "name desc";
const SELECT: &str = "id,name,status";
const TOP: i64 = 50;

struct Args {
    server: String,
    database: String,
    agents: i64,
    rate: u32,
    secs: u64,
    ops: Vec<String>,
    compare: bool,
    rounds: u32,
    plans: bool,
    cap: usize,
}

fn args() -> Args {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: directory-bench SERVER_URL DATABASE_URL [--agents N] [--rate R] [--secs S] \
                 [--ops get,cursor,filtered,patch] [--compare] [--rounds K] [--plans] [--cap N]";
    let mut a = Args {
        server: raw.first().expect(usage).trim_end_matches('/').to_string(),
        database: raw.get(1).expect(usage).clone(),
        agents: 100_000,
        rate: 1000,
        secs: 20,
        ops: ["get", "cursor", "filtered", "patch"].map(String::from).to_vec(),
        compare: false,
        rounds: 1,
        plans: false,
        cap: 1000,
    };
    let mut it = raw.iter().skip(2);
    while let Some(flag) = it.next() {
        let mut value = || it.next().expect(usage).clone();
        match flag.as_str() {
            "--agents" => a.agents = value().parse().expect(usage),
            "--rate" => a.rate = value().parse().expect(usage),
            "--secs" => a.secs = value().parse().expect(usage),
            "--ops" => a.ops = value().split(',').map(String::from).collect(),
            "--rounds" => a.rounds = value().parse().expect(usage),
            "--cap" => a.cap = value().parse().expect(usage),
            "--compare" => a.compare = true,
            "--plans" => a.plans = true,
            _ => panic!("{usage}"),
        }
    }
    a
}

/// Signs up an owner and returns (organization id, `uak_` key).
async fn owner(server: &str) -> (i64, String) {
    let email = format!("dir-bench-{}@example.com", uuid::Uuid::new_v4().simple());
    let login = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let creds = json!({"email": email, "password": "correct horse battery"});
    let me: Value = login
        .post(format!("{server}/api/v1/auth/signup"))
        .json(&json!({"email": email, "password": "correct horse battery", "organization": "Directory bench"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let org = me["currentOrganization"]["id"].as_i64().expect("signup answered an organization");
    login.post(format!("{server}/api/v1/auth/login")).json(&creds).send().await.unwrap();
    let key: Value = login
        .post(format!("{server}/api/v1/api-keys"))
        .header("origin", server)
        .json(&json!({"name": "directory bench"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (org, key["secret"].as_str().expect("an API key").to_string())
}

/// Every `@odata.nextLink` of the benchmark's list, page after page, as absolute URLs.
async fn next_links(http: &reqwest::Client, server: &str, key: &str) -> Vec<String> {
    let mut links = Vec::new();
    let mut page: Value = http
        .get(format!("{server}/api/v1/agents"))
        .query(&[("$filter", FILTER), ("$orderby", ORDERBY), ("$select", SELECT), ("$top", &TOP.to_string())])
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    while let Some(link) = page["@odata.nextLink"].as_str() {
        let url = if link.starts_with("http") { link.to_string() } else { format!("{server}{link}") };
        links.push(url.clone());
        page = http.get(&url).bearer_auth(key).send().await.unwrap().json().await.unwrap();
    }
    links
}

/// The sort value and id a cursor carries (its payload is base64url JSON before the MAC).
fn cursor_position(link: &str) -> (String, i64) {
    use base64::Engine;
    let token = link.split("%24skiptoken=").nth(1).or_else(|| link.split("$skiptoken=").nth(1)).unwrap();
    let payload = token.split(['.', '&']).next().unwrap();
    let json: Value =
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    (json["k"][0].as_str().unwrap().to_string(), json["id"].as_i64().unwrap())
}

fn ms(v: Option<f64>) -> String {
    v.map_or_else(|| "∞ (failed/dropped)".into(), |v| format!("{v:.2}"))
}

struct Row {
    indexes: &'static str,
    round: u32,
    op: String,
    stats: Stats,
    alone_ms: f64,
    /// CPU ms per 2xx answer: server, database (PostgreSQL's backends), this client.
    cpu: [f64; 3],
}

/// CPU ms so far of the server (`BENCH_SERVER_PID`), PostgreSQL's backends (children of
/// `BENCH_PG_PID`) and this process; zeros for what is not known.
fn cpu_now() -> [f64; 3] {
    let pid = |name: &str| std::env::var(name).ok().and_then(|v| v.trim().parse::<u32>().ok());
    [
        pid("BENCH_SERVER_PID").map_or(0.0, |p| load::cpu_ms(&[p], None)),
        pid("BENCH_PG_PID").map_or(0.0, |p| load::cpu_ms(&[], Some(p))),
        load::cpu_ms(&[std::process::id()], None),
    ]
}

#[tokio::main]
async fn main() {
    let a = args();
    sqlx::any::install_default_drivers();
    let postgres = a.database.starts_with("postgres");
    let db = sqlx::any::AnyPoolOptions::new()
        .max_connections(2)
        .after_connect(move |c, _| {
            Box::pin(async move {
                if !postgres {
                    sqlx::Executor::execute(c, "PRAGMA busy_timeout = 10000").await?;
                }
                Ok(())
            })
        })
        .connect(&a.database)
        .await
        .unwrap();
    let (org, key) = owner(&a.server).await;
    let user: i64 =
        sqlx::query_scalar("SELECT user_id FROM memberships WHERE org_id = $1").bind(org).fetch_one(&db).await.unwrap();
    let t = Instant::now();
    seed::seed(&db, org, user, a.agents, chrono::Utc::now().timestamp_millis()).await;
    seed::settle(&db, postgres).await;
    println!(
        "backend: {}; seeded {} agents in {:.1} s",
        if postgres { "postgres" } else { "sqlite" },
        a.agents,
        t.elapsed().as_secs_f64()
    );
    let ids: Arc<Vec<i64>> = Arc::new(
        sqlx::query_scalar("SELECT id FROM agents WHERE org_id = $1 AND deleted_at IS NULL ORDER BY id")
            .bind(org)
            .fetch_all(&db)
            .await
            .unwrap(),
    );
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(a.cap)
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let links = Arc::new(next_links(&http, &a.server, &key).await);
    println!("{} live agents; the list has {} pages after the first (cursor pool)", ids.len(), links.len());
    let states: Vec<(&'static str, Option<bool>)> = if a.compare {
        vec![("without 0008", Some(false)), ("with 0008", Some(true))]
    } else {
        vec![("as migrated", None)]
    };
    let mut rows = Vec::new();
    let mut offset = 0u64;
    for round in 1..=a.rounds {
        for (label, present) in &states {
            if let Some(present) = present {
                let names = seed::set_new_indexes(&db, postgres, *present).await;
                println!(
                    "\n== round {round}: {label} ({} {})",
                    if *present { "created" } else { "dropped" },
                    names.join(", ")
                );
            }
            if a.plans && round == 1 {
                let position = cursor_position(links.first().expect("more than one page"));
                let page = seed::Page { filter: FILTER, orderby: ORDERBY, top: TOP };
                let now = chrono::Utc::now().timestamp_millis();
                let qs = seed::read_queries(postgres, &page, org, now, (&position.0, position.1), ids[ids.len() / 2]);
                seed::print_plans(&db, postgres, &qs).await;
            }
            for op in &a.ops {
                let make = request_maker(op, &http, &a.server, &key, &ids, &links);
                let alone_ms = load::sequential(&make, 200, offset).await;
                offset += 1_000_000;
                tokio::time::sleep(Duration::from_secs(1)).await;
                let before = cpu_now();
                let stats = load::open_loop(make, a.rate, a.secs, a.cap, offset).await;
                let after = cpu_now();
                let cpu = [0, 1, 2].map(|i| (after[i] - before[i]) / stats.ok.max(1) as f64);
                offset += 1_000_000;
                println!(
                    "{op:>9} ({label}): p50 {} p99 {} max {:.2} ms; {:.0}/s achieved; ok {} failed {} dropped {}; \
                     alone p50 {alone_ms:.2} ms; start lag p99 {:.2} ms; CPU ms per answer: server {:.2}, \
                     database {:.2}, client {:.2}",
                    ms(stats.quantile_ms(0.5)),
                    ms(stats.quantile_ms(0.99)),
                    stats.max_ok_ms(),
                    stats.achieved,
                    stats.ok,
                    stats.failed,
                    stats.dropped,
                    stats.start_lag_p99_us as f64 / 1000.0,
                    cpu[0],
                    cpu[1],
                    cpu[2],
                );
                rows.push(Row { indexes: label, round, op: op.clone(), stats, alone_ms, cpu });
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        }
    }
    println!(
        "\n| indexes | round | operation | p50 ms | p99 ms | max ms | achieved /s | ok / failed / dropped | alone p50 ms \
         | CPU ms per answer (server + db + client) |"
    );
    println!("|---|---:|---|---:|---:|---:|---:|---|---:|---|");
    for r in &rows {
        println!(
            "| {} | {} | {} | {} | {} | {:.1} | {:.0} | {} / {} / {} | {:.2} | {:.2} + {:.2} + {:.2} |",
            r.indexes,
            r.round,
            r.op,
            ms(r.stats.quantile_ms(0.5)),
            ms(r.stats.quantile_ms(0.99)),
            r.stats.max_ok_ms(),
            r.stats.achieved,
            r.stats.ok,
            r.stats.failed,
            r.stats.dropped,
            r.alone_ms,
            r.cpu[0],
            r.cpu[1],
            r.cpu[2]
        );
    }
}

fn request_maker(
    op: &str,
    http: &reqwest::Client,
    server: &str,
    key: &str,
    ids: &Arc<Vec<i64>>,
    links: &Arc<Vec<String>>,
) -> MakeRequest {
    let (http, server, key, ids, links) =
        (http.clone(), server.to_string(), key.to_string(), ids.clone(), links.clone());
    match op {
        "filtered" => Arc::new(move |_| {
            http.get(format!("{server}/api/v1/agents"))
                .query(&[("$filter", FILTER), ("$orderby", ORDERBY), ("$select", SELECT), ("$top", "50")])
                .bearer_auth(&key)
        }),
        "cursor" => Arc::new(move |i| http.get(&links[(mix(i) % links.len() as u64) as usize]).bearer_auth(&key)),
        "get" => Arc::new(move |i| {
            let id = ids[(mix(i) % ids.len() as u64) as usize];
            http.get(format!("{server}/api/v1/agents/{id}")).bearer_auth(&key)
        }),
        "patch" => Arc::new(move |i| {
            let id = ids[(mix(i) % ids.len() as u64) as usize];
            http.patch(format!("{server}/api/v1/agents/{id}"))
                .bearer_auth(&key)
                .header("content-type", "application/merge-patch+json")
                .body(format!("{{\"description\":\"bench {i}\"}}"))
        }),
        other => panic!("unknown operation {other}; one of get, cursor, filtered, patch"),
    }
}
