//! Registration load benchmark: a real server (in process, real HTTP on 127.0.0.1) on
//! SQLite or PostgreSQL. Measures challenges issued per second, registrations per second at
//! the minimum difficulty (0), and verify + consume per second, with the split of time
//! between `pow_wasm::verify` and storage.
//!
//! ```sh
//! cargo run -p agentry-tests --bin registration-bench -- sqlite
//! cargo run -p agentry-tests --bin registration-bench -- postgres://postgres@127.0.0.1:55433/postgres
//! ```
//! Optional second and third arguments: requests per phase (default 2000) and concurrency
//! (default 16).
// A measuring program: unwraps abort a broken run, and `as f64` only formats rates.
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::as_conversions)]

use agentry_server::{Application, Settings};
use agentry_services::{Principal, RequestMeta, Services};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let target = args.get(1).cloned().unwrap_or_else(|| "sqlite".into());
    let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(2000);
    let conc: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(16);
    let dir = tempfile::tempdir().unwrap();
    let database_url = if target == "sqlite" {
        format!("sqlite://{}/bench.db", dir.path().display())
    } else {
        fresh_postgres(&target).await
    };
    let config = agentry_services::Config {
        pow_min_difficulty: 0,
        pow_max_difficulty: 8,
        pow_invite_min_difficulty: 0,
        pow_adaptive_step: 0,
        challenge_limit_per_ip: u64::MAX / 2,
        registration_limit_per_ip: u64::MAX / 2,
        registration_limit_per_owner: u64::MAX / 2,
        registration_limit_global: u64::MAX / 2,
        ..Default::default()
    };
    let settings = Settings {
        addr: "127.0.0.1:0".parse().unwrap(),
        database_url,
        site_root: dir.path().to_path_buf(),
        request_timeout: Duration::from_secs(60),
        max_body: 64 * 1024,
        trusted_proxies: Vec::new(),
        services: config,
    };
    let app = Application::build(settings).await.unwrap();
    let base = format!("http://{}", app.addr());
    let services = app.services().clone();
    tokio::spawn(app.run_until_stopped());
    let http = reqwest::Client::builder().pool_max_idle_per_host(conc).build().unwrap();

    // An owner with a big seat limit and a user API key.
    let email = format!("bench-{}@example.com", uuid::Uuid::new_v4().simple());
    let me: Value = http
        .post(format!("{base}/api/v1/auth/signup"))
        .json(&json!({"email": email, "password": "correct horse battery", "organization": "Bench"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let org = me["currentOrganization"]["id"].as_i64().unwrap();
    sqlx::query("UPDATE organizations SET seat_limit = 1000000000 WHERE id = $1")
        .bind(org)
        .execute(&services.db().pool)
        .await
        .unwrap();
    let login = reqwest::Client::builder().cookie_store(true).build().unwrap();
    login
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": email, "password": "correct horse battery"}))
        .send()
        .await
        .unwrap();
    let key: Value = login
        .post(format!("{base}/api/v1/api-keys"))
        .header("origin", &base)
        .json(&json!({"name": "bench"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = key["secret"].as_str().unwrap().to_string();
    println!("backend: {:?}, {n} requests per phase, concurrency {conc}", services.backend());

    // 1. Challenges issued per second.
    let t = Instant::now();
    let challenges = run(n, conc, |_| {
        let (http, base, key) = (http.clone(), base.clone(), key.clone());
        async move {
            let res = http.get(format!("{base}/api/v1/registration/challenge")).bearer_auth(&key).send().await.unwrap();
            assert_eq!(res.status(), 201);
            res.json::<Value>().await.unwrap()
        }
    })
    .await;
    let secs = t.elapsed().as_secs_f64();
    println!("challenges issued: {:.0}/s ({n} in {secs:.2} s)", n as f64 / secs);

    // 2. Registrations per second at difficulty 0 (solutions prepared beforehand).
    let bodies: Vec<Value> = challenges
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut seed = [0u8; 32];
            seed[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
            let pk = ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key().to_bytes();
            let pk_b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, pk);
            json!({"challengeId": c["id"], "solution": {"nonces": solve(c, &pk)}, "publicKey": pk_b64, "name": format!("bench-{i}")})
        })
        .collect();
    let t = Instant::now();
    run(n, conc, |i| {
        let (http, base, key, body) = (http.clone(), base.clone(), key.clone(), bodies[i].clone());
        async move {
            let res = http
                .post(format!("{base}/api/v1/registration/agent"))
                .bearer_auth(&key)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        }
    })
    .await;
    let reg_secs = t.elapsed().as_secs_f64();
    println!(
        "registrations: {:.0}/s ({n} in {reg_secs:.2} s, {:.2} ms each at concurrency {conc})",
        n as f64 / reg_secs,
        reg_secs * 1000.0 / n as f64 * conc as f64
    );

    // 3. Verify + consume, in the services layer (no HTTP): time in pow verify vs storage.
    let owner = owner_principal(&services, org).await;
    let meta = RequestMeta::default();
    let mut prepared = Vec::new();
    for _ in 0..n {
        let eight = agentry_services::vocab::Difficulty::parse(8).unwrap();
        let c = services.issue_challenge(Some(&owner), Some(eight), false, &meta).await.unwrap();
        let c = serde_json::to_value(c).unwrap();
        let pk = [7u8; 32];
        let nonces: Vec<u64> = solve(&c, &pk).iter().map(|s| s.parse().unwrap()).collect();
        prepared.push((c["id"].as_str().unwrap().to_string(), c["token"].as_str().unwrap().to_string(), nonces, pk));
    }
    let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap();
    let (mut verify_t, mut consume_t) = (Duration::ZERO, Duration::ZERO);
    let t = Instant::now();
    for (id, token, nonces, pk) in &prepared {
        let v = Instant::now();
        pow_wasm::verify(services.secret(), token, pk, nonces, now).unwrap();
        verify_t += v.elapsed();
        let s = Instant::now();
        let done = sqlx::query("UPDATE challenges SET used_at = $1 WHERE id = $2 AND used_at IS NULL")
            .bind(chrono::Utc::now().timestamp_millis())
            .bind(id)
            .execute(&services.db().pool)
            .await
            .unwrap()
            .rows_affected();
        assert_eq!(done, 1);
        consume_t += s.elapsed();
    }
    let total = t.elapsed().as_secs_f64();
    println!(
        "verify+consume (sequential): {:.0}/s; verify {:.2} µs, consume {:.1} µs per op; pow verify share {:.2} %",
        n as f64 / total,
        verify_t.as_secs_f64() * 1e6 / n as f64,
        consume_t.as_secs_f64() * 1e6 / n as f64,
        100.0 * verify_t.as_secs_f64() / (verify_t + consume_t).as_secs_f64()
    );
    println!(
        "pow verify share of a registration's server time: {:.3} % ({:.2} µs of {:.2} ms)",
        100.0 * (verify_t.as_secs_f64() / n as f64) / (reg_secs / n as f64 * conc as f64),
        verify_t.as_secs_f64() * 1e6 / n as f64,
        reg_secs * 1000.0 / n as f64 * conc as f64
    );
}

/// Runs `f(0..n)` with at most `conc` in flight; results in index order.
async fn run<F, Fut, T>(n: usize, conc: usize, f: F) -> Vec<T>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    use futures::stream::StreamExt;
    futures::stream::iter((0..n).map(|i| tokio::spawn(f(i)))).buffered(conc).map(|r| r.unwrap()).collect().await
}

fn solve(c: &Value, pk: &[u8]) -> Vec<String> {
    let target = pow_wasm::parse_target(c["target"].as_str().unwrap()).unwrap();
    let k = usize::try_from(c["solutions"].as_u64().unwrap()).unwrap();
    let cc = pow_wasm::derive(c["token"].as_str().unwrap().as_bytes(), pk);
    let mut out = Vec::new();
    pow_wasm::solve_range(&cc, target, 0, u64::MAX / 2, &mut out, k);
    out.iter().map(u64::to_string).collect()
}

async fn owner_principal(services: &Services, org: i64) -> Principal {
    let row = sqlx::query("SELECT user_id FROM memberships WHERE org_id = $1")
        .bind(org)
        .fetch_one(&services.db().pool)
        .await
        .unwrap();
    Principal {
        user_id: sqlx::Row::try_get(&row, "user_id").unwrap(),
        org_id: org,
        role: agentry_services::model::Role::Owner,
        credential: agentry_services::Credential::Session(0),
    }
}

async fn fresh_postgres(admin: &str) -> String {
    sqlx::any::install_default_drivers();
    let name = format!("agentry_bench_{}", uuid::Uuid::new_v4().simple());
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(admin).await.unwrap();
    sqlx::Executor::execute(&mut conn, format!("CREATE DATABASE {name}").as_str()).await.unwrap();
    let (prefix, _) = admin.rsplit_once('/').unwrap();
    format!("{prefix}/{name}")
}
