//! Runs benchmark (issue 11): against a running server (`bench/runs/run.sh` starts a
//! release one on SQLite, or on a private PostgreSQL with fsync on):
//!
//! 1. **creates**: `POST /v1/organizations/{org}/agent/run`, `--concurrency` at a time,
//!    until `--creates` runs are queued: runs created per second, p50/p99.
//! 2. **claims**: `--claimers` workers each claim (`wait=0`) and complete at once, until
//!    `--claims` runs are done: claim and complete latency p50/p99, completions per second
//!    of the protocol alone.
//! 3. **end to end**: `--e2e` runs queued, then `--runners` processes of the reference
//!    runner (`agentry agent run --exec true --concurrency C`) execute them: completed runs
//!    per second, from the runners' start to the last completion.
//!
//! ```sh
//! runs-bench SERVER_URL AGENTRY_BIN [--creates 5000] [--concurrency 32] [--claims 3000]
//!     [--claimers 8] [--e2e 3000] [--runners 4] [--runner-concurrency 8]
//! ```
// A measuring program: unwraps abort a broken run, and `as` only converts counts and rates.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout, clippy::as_conversions)]

use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Args {
    server: String,
    bin: String,
    creates: u64,
    concurrency: u64,
    claims: u64,
    claimers: u64,
    e2e: u64,
    runners: u64,
    runner_concurrency: u64,
}

fn args() -> Args {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: runs-bench SERVER_URL AGENTRY_BIN [--creates N] [--concurrency C] [--claims N] \
                 [--claimers K] [--e2e N] [--runners R] [--runner-concurrency C]";
    let mut a = Args {
        server: raw.first().expect(usage).trim_end_matches('/').to_string(),
        bin: raw.get(1).expect(usage).clone(),
        creates: 5000,
        concurrency: 32,
        claims: 3000,
        claimers: 8,
        e2e: 3000,
        runners: 4,
        runner_concurrency: 8,
    };
    let mut it = raw.iter().skip(2);
    while let Some(flag) = it.next() {
        let v: u64 = it.next().expect(usage).parse().expect(usage);
        match flag.as_str() {
            "--creates" => a.creates = v,
            "--concurrency" => a.concurrency = v,
            "--claims" => a.claims = v,
            "--claimers" => a.claimers = v,
            "--e2e" => a.e2e = v,
            "--runners" => a.runners = v,
            "--runner-concurrency" => a.runner_concurrency = v,
            _ => panic!("{usage}"),
        }
    }
    a
}

/// Latencies in µs, sorted; their p50/p99 in ms.
fn quantiles(mut v: Vec<u64>) -> (f64, f64) {
    v.sort_unstable();
    let q = |q: f64| v[((q * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1] as f64 / 1000.0;
    (q(0.50), q(0.99))
}

async fn ok(res: reqwest::Response, doing: &str) -> Value {
    let status = res.status();
    let text = res.text().await.unwrap();
    assert!(status.is_success(), "{doing}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// An owner, their `uak_` key, the organization, and an active agent with its `agk_` key file.
async fn setup(a: &Args, dir: &std::path::Path) -> (String, i64, i64, std::path::PathBuf) {
    let s = &a.server;
    let browser = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let email = format!("bench-{}@example.com", std::process::id());
    let body = json!({"email": email, "password": "bench password one", "organization": "Bench"});
    ok(browser.post(format!("{s}/api/v1/auth/signup")).header("origin", s).json(&body).send().await.unwrap(), "signup")
        .await;
    let key = ok(
        browser
            .post(format!("{s}/api/v1/api-keys"))
            .header("origin", s)
            .json(&json!({"name": "bench"}))
            .send()
            .await
            .unwrap(),
        "api key",
    )
    .await["secret"]
        .as_str()
        .unwrap()
        .to_string();
    let api = reqwest::Client::new();
    let me = ok(api.get(format!("{s}/api/v1/me")).bearer_auth(&key).send().await.unwrap(), "me").await;
    let org = me["currentOrganization"]["id"].as_i64().expect("the caller's organization id");
    let creds = dir.join("agent.json");
    let out = std::process::Command::new(&a.bin)
        .args(["agent", "register", "--server", s, "--api-key", &key, "--name", "bench-runner", "--out"])
        .arg(&creds)
        .output()
        .unwrap();
    assert!(out.status.success(), "register: {}", String::from_utf8_lossy(&out.stderr));
    let agent = serde_json::from_slice::<Value>(&std::fs::read(&creds).unwrap()).unwrap()["agentId"].as_i64().unwrap();
    let draft = json!({"trigger": "manual", "workflowStructure": {"steps": [{"id": "only", "kind": "code"}]}});
    ok(
        api.put(format!("{s}/api/v1/agents/{agent}/draft")).bearer_auth(&key).json(&draft).send().await.unwrap(),
        "draft",
    )
    .await;
    ok(
        api.post(format!("{s}/api/v1/agents/{agent}/deploy")).bearer_auth(&key).json(&json!({})).send().await.unwrap(),
        "deploy",
    )
    .await;
    (key, org, agent, creds)
}

/// `n` creates, `c` at a time: (creates per second, latencies).
async fn create(a: &Args, key: &str, org: i64, agent: i64, n: u64, c: u64) -> (f64, Vec<u64>) {
    let api = reqwest::Client::new();
    let next = Arc::new(AtomicU64::new(0));
    let lat = Arc::new(Mutex::new(Vec::with_capacity(n as usize)));
    let url = format!("{}/v1/organizations/{org}/agent/run", a.server);
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..c {
        let (api, next, lat, url, key) = (api.clone(), next.clone(), lat.clone(), url.clone(), key.to_string());
        tasks.push(tokio::spawn(async move {
            while next.fetch_add(1, Ordering::SeqCst) < n {
                let t = Instant::now();
                let body = json!({"prompt": "benchmark run", "agent_id": agent});
                ok(api.post(&url).bearer_auth(&key).json(&body).send().await.unwrap(), "create").await;
                lat.lock().unwrap().push(t.elapsed().as_micros() as u64);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let rate = n as f64 / t0.elapsed().as_secs_f64();
    (rate, Arc::try_unwrap(lat).unwrap().into_inner().unwrap())
}

/// Claim-and-complete workers until `n` runs are done: (per second, claim µs, complete µs).
async fn claims(a: &Args, agent_key: &str, n: u64, k: u64) -> (f64, Vec<u64>, Vec<u64>) {
    let api = reqwest::Client::new();
    let done = Arc::new(AtomicU64::new(0));
    let lat = Arc::new(Mutex::new((Vec::new(), Vec::new())));
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..k {
        let (api, done, lat, s, key) =
            (api.clone(), done.clone(), lat.clone(), a.server.clone(), agent_key.to_string());
        tasks.push(tokio::spawn(async move {
            while done.fetch_add(1, Ordering::SeqCst) < n {
                let t = Instant::now();
                let res = api.post(format!("{s}/api/v1/runner/claim?wait=0")).bearer_auth(&key).send().await.unwrap();
                let claim_us = t.elapsed().as_micros() as u64;
                assert_eq!(res.status(), 200, "the queue ran dry: create more runs than claims");
                let c: Value = res.json().await.unwrap();
                let id = c["run"]["id"].as_i64().unwrap();
                let t = Instant::now();
                let body = json!({"lease": c["lease"], "status": "completed", "result": {}});
                ok(
                    api.post(format!("{s}/api/v1/runner/runs/{id}/complete"))
                        .bearer_auth(&key)
                        .json(&body)
                        .send()
                        .await
                        .unwrap(),
                    "complete",
                )
                .await;
                let mut l = lat.lock().unwrap();
                l.0.push(claim_us);
                l.1.push(t.elapsed().as_micros() as u64);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let rate = n as f64 / t0.elapsed().as_secs_f64();
    let (c, d) = Arc::try_unwrap(lat).unwrap().into_inner().unwrap();
    (rate, c, d)
}

#[tokio::main]
async fn main() {
    let a = args();
    let dir = tempfile::tempdir().unwrap();
    let (key, org, agent, creds) = setup(&a, dir.path()).await;
    let agent_key = serde_json::from_slice::<Value>(&std::fs::read(&creds).unwrap()).unwrap()["apiKey"]
        .as_str()
        .unwrap()
        .to_string();
    println!("setup: organization {org}, agent {agent}");

    let (rate, lat) = create(&a, &key, org, agent, a.creates, a.concurrency).await;
    let (p50, p99) = quantiles(lat);
    println!("creates: {} runs, {} at a time: {rate:.0}/s; p50 {p50:.2} ms, p99 {p99:.2} ms", a.creates, a.concurrency);

    let (rate, claim, complete) = claims(&a, &agent_key, a.claims.min(a.creates), a.claimers).await;
    let ((c50, c99), (d50, d99)) = (quantiles(claim), quantiles(complete));
    println!(
        "claims: {} claimed and completed by {} workers: {rate:.0}/s; claim p50 {c50:.2} ms, p99 {c99:.2} ms; \
         complete p50 {d50:.2} ms, p99 {d99:.2} ms",
        a.claims.min(a.creates),
        a.claimers
    );

    // End to end: the rest of the queue plus `e2e` new runs, executed by real runners.
    let left = a.creates - a.claims.min(a.creates);
    create(&a, &key, org, agent, a.e2e, a.concurrency).await;
    let total = left + a.e2e;
    let t0 = Instant::now();
    let mut runners = Vec::new();
    for _ in 0..a.runners {
        let child = std::process::Command::new(&a.bin)
            .args(["agent", "run", "--key-file"])
            .arg(&creds)
            .args(["--server", &a.server, "--exec", "true", "--concurrency", &a.runner_concurrency.to_string()])
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        runners.push(child);
    }
    let api = reqwest::Client::new();
    let summary_url = format!("{}/api/v1/organizations/{org}/run-summary", a.server);
    loop {
        let s = ok(api.get(&summary_url).bearer_auth(&key).send().await.unwrap(), "summary").await;
        if s["queued"] == 0 && s["running"] == 0 {
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(600), "not done in 10 minutes: {s}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let secs = t0.elapsed().as_secs_f64();
    for mut r in runners {
        let _ = std::process::Command::new("kill").args(["-INT", &r.id().to_string()]).status();
        let _ = r.wait();
    }
    println!(
        "end to end: {total} runs by {} runners x {} (exec true): {:.0} completed/s ({secs:.1} s)",
        a.runners,
        a.runner_concurrency,
        total as f64 / secs
    );
}
