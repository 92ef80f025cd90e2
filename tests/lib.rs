//! Test harness: starts the real server on port 0 against a fresh SQLite file or a fresh
//! PostgreSQL database, and talks to it over real HTTP.
// Test harness: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod macros;

use agentry_server::{Application, Settings};
use agentry_services::Services;
use serde_json::{json, Value};
use std::time::Duration;

/// Which database a test runs on.
#[derive(Clone, Copy, Debug)]
pub enum Backend {
    /// A temporary SQLite file.
    Sqlite,
    /// A fresh database on the server named by `AGENTRY_TEST_POSTGRES_URL`.
    Postgres,
}

/// A running server and a cookie-keeping client.
pub struct TestApp {
    /// `http://127.0.0.1:port`.
    pub base: String,
    /// A client with a cookie store (a browser, more or less).
    pub client: reqwest::Client,
    /// The services behind the server, to look at storage.
    pub services: Services,
    /// The database it runs on.
    pub database_url: String,
    _dir: tempfile::TempDir,
}

/// Settings with a low, testable login limit, instant proof of work (difficulty 0 to 8,
/// invite floor 2, no adaptive bump) and registration limits high enough for races.
pub fn test_config() -> agentry_services::Config {
    agentry_services::Config {
        login_limit_per_email: 5,
        pow_min_difficulty: 0,
        pow_max_difficulty: 8,
        pow_invite_min_difficulty: 2,
        pow_adaptive_step: 0,
        challenge_limit_per_ip: 100_000,
        registration_limit_per_ip: 100_000,
        registration_limit_per_owner: 100_000,
        registration_limit_global: 1_000_000,
        ..Default::default()
    }
}

/// Starts a server on `backend`.
pub async fn spawn(backend: Backend) -> TestApp {
    spawn_with(backend, test_config()).await
}

/// Starts a server with the given services configuration.
pub async fn spawn_with(backend: Backend, config: agentry_services::Config) -> TestApp {
    spawn_trusting(backend, config, &[]).await
}

/// Starts a server that believes the forwarding headers of peers in `trusted_proxies`
/// (addresses or CIDRs, as `--trusted-proxies` takes them).
pub async fn spawn_trusting(backend: Backend, config: agentry_services::Config, trusted_proxies: &[&str]) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let database_url = match backend {
        Backend::Sqlite => format!("sqlite://{}/test.db", dir.path().display()),
        Backend::Postgres => fresh_postgres().await,
    };
    let settings = Settings {
        addr: "127.0.0.1:0".parse().unwrap(),
        database_url: database_url.clone(),
        site_root: dir.path().to_path_buf(),
        request_timeout: Duration::from_secs(30),
        max_body: 64 * 1024,
        trusted_proxies: trusted_proxies.iter().map(|s| agentry_server::client_ip::parse_cidr(s).unwrap()).collect(),
        services: config,
    };
    let app = Application::build(settings).await.unwrap();
    let base = format!("http://{}", app.addr());
    let services = app.services().clone();
    tokio::spawn(app.run_until_stopped());
    TestApp { base, client: client(), services, database_url, _dir: dir }
}

/// A new client with its own cookie jar.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).build().unwrap()
}

/// Starts `n` servers on ONE fresh database (PostgreSQL when `backend` is Postgres), as
/// separate instances would run in production. The first one runs the migrations.
pub async fn spawn_many(backend: Backend, config: agentry_services::Config, n: usize) -> Vec<TestApp> {
    let first = spawn_with(backend, config.clone()).await;
    let url = first.database_url.clone();
    let mut apps = vec![first];
    for _ in 1..n {
        apps.push(spawn_on(&url, config.clone()).await);
    }
    apps
}

/// Two instances on one fresh database whose clients share one cookie jar, so a session
/// signed in on one is the same person on the other (each request still carries its own
/// instance's origin): the setting of a race test.
pub async fn pair(backend: Backend, config: agentry_services::Config) -> Vec<TestApp> {
    let mut apps = spawn_many(backend, config, 2).await;
    let shared = apps[0].client.clone();
    apps[1].client = shared;
    apps
}

/// Starts a server on an existing database URL.
pub async fn spawn_on(database_url: &str, config: agentry_services::Config) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings {
        addr: "127.0.0.1:0".parse().unwrap(),
        database_url: database_url.to_string(),
        site_root: dir.path().to_path_buf(),
        request_timeout: Duration::from_secs(30),
        max_body: 64 * 1024,
        trusted_proxies: Vec::new(),
        services: config,
    };
    let app = Application::build(settings).await.unwrap();
    let base = format!("http://{}", app.addr());
    let services = app.services().clone();
    tokio::spawn(app.run_until_stopped());
    TestApp { base, client: client(), services, database_url: database_url.to_string(), _dir: dir }
}

async fn fresh_postgres() -> String {
    let admin = std::env::var("AGENTRY_TEST_POSTGRES_URL")
        .expect("AGENTRY_TEST_POSTGRES_URL must name a PostgreSQL server (the README's test command starts one)");
    sqlx::any::install_default_drivers();
    let name = format!("agentry_test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin).await.unwrap();
    sqlx::Executor::execute(&mut conn, format!("CREATE DATABASE {name}").as_str()).await.unwrap();
    let (prefix, _) = admin.rsplit_once('/').unwrap();
    format!("{prefix}/{name}")
}

impl TestApp {
    /// `base` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// POSTs JSON with this app's client, as the app's own origin.
    pub async fn post(&self, path: &str, body: Value) -> reqwest::Response {
        self.client.post(self.url(path)).header("origin", &self.base).json(&body).send().await.unwrap()
    }

    /// GETs with this app's client.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    /// Signs up a fresh user with this app's client; returns the email.
    pub async fn signup(&self) -> String {
        let email = format!("user-{}@example.com", uuid::Uuid::new_v4().simple());
        let res = self
            .post("/api/v1/auth/signup", json!({"email": email, "password": PASSWORD, "organization": "Acme"}))
            .await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        email
    }

    /// Counts rows of a table.
    pub async fn count(&self, table: &str) -> i64 {
        let row = sqlx::query(&format!("SELECT COUNT(*) AS n FROM {table}"))
            .fetch_one(&self.services.db().pool)
            .await
            .unwrap();
        sqlx::Row::try_get(&row, "n").unwrap()
    }
}

/// Another user, with an organization of their own and their own cookie client.
pub struct User {
    /// Their browser, signed in.
    pub client: reqwest::Client,
    /// Their user id.
    pub id: i64,
    /// Their email.
    pub email: String,
}

/// Signs up a new user on `app` with a client of their own.
pub async fn user(app: &TestApp) -> User {
    user_with_email(app, &format!("u-{}@example.com", uuid::Uuid::new_v4().simple())).await
}

/// Signs up a new user with `email` on `app`, with a client of their own.
pub async fn user_with_email(app: &TestApp, email: &str) -> User {
    let client = client();
    let res = client
        .post(app.url("/api/v1/auth/signup"))
        .header("origin", &app.base)
        .json(&json!({"email": email, "password": PASSWORD, "organization": "Own"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let me: Value = res.json().await.unwrap();
    User { client, id: me["user"]["id"].as_i64().unwrap(), email: email.to_lowercase() }
}

/// Adds `user` to `org` with `role`, in storage (member invitations come with their API).
pub async fn join(app: &TestApp, org: i64, user: &User, role: &str) {
    sqlx::query("INSERT INTO memberships (user_id, org_id, role, created_at) VALUES ($1, $2, $3, 0)")
        .bind(user.id)
        .bind(org)
        .bind(role)
        .execute(&app.services.db().pool)
        .await
        .unwrap();
}

/// A new user who joins `org` as `role` (in storage) and switches their session to it.
pub async fn member_of(app: &TestApp, org: i64, role: &str) -> User {
    let u = user(app).await;
    join(app, org, &u, role).await;
    let res = u
        .client
        .post(app.url("/api/v1/me/organization"))
        .header("origin", &app.base)
        .json(&json!({"organization": org.to_string()}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    u
}

/// Who sends a request.
#[derive(Clone, Debug)]
pub enum Who {
    /// Nobody: no credential.
    Anon,
    /// The app's cookie client (its session), with the app's origin.
    Session,
    /// `Authorization: Bearer` with this secret (`uak_`, `dlg_`, `agk_`).
    Bearer(String),
}

impl TestApp {
    /// A request as `who`.
    pub fn req(&self, method: reqwest::Method, path: &str, who: &Who) -> reqwest::RequestBuilder {
        match who {
            Who::Anon => client().request(method, self.url(path)),
            Who::Session => self.client.request(method, self.url(path)).header("origin", &self.base),
            Who::Bearer(s) => client().request(method, self.url(path)).bearer_auth(s),
        }
    }

    /// Creates a user API key with the app's session.
    pub async fn user_key(&self) -> String {
        let res = self.post("/api/v1/api-keys", json!({"name": "test"})).await;
        assert_eq!(res.status(), 201);
        let v: Value = res.json().await.unwrap();
        v["secret"].as_str().unwrap().to_string()
    }

    /// Fetches a challenge as `who` (`query` like `"?invite=true"`); asserts 201.
    pub async fn challenge(&self, who: &Who, query: &str) -> Value {
        let res = self
            .req(reqwest::Method::GET, &format!("/api/v1/registration/challenge{query}"), who)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        res.json().await.unwrap()
    }

    /// Gets a challenge and registers a fresh agent as `who`; returns the response.
    pub async fn register_as(&self, who: &Who, name: &str) -> reqwest::Response {
        let c = self.challenge(who, "").await;
        let (_, pk) = keypair();
        self.req(reqwest::Method::POST, "/api/v1/registration/agent", who)
            .json(&registration(&c, &pk, name))
            .send()
            .await
            .unwrap()
    }

    /// The id of the user's current organization (via `/api/v1/me` with the session).
    pub async fn org_id(&self) -> i64 {
        let me: Value = self.get("/api/v1/me").await.json().await.unwrap();
        me["currentOrganization"]["id"].as_i64().unwrap()
    }

    /// An organization's `seats_used`, read from storage.
    pub async fn seats_used(&self, org_id: i64) -> i64 {
        let row = sqlx::query("SELECT seats_used FROM organizations WHERE id = $1")
            .bind(org_id)
            .fetch_one(&self.services.db().pool)
            .await
            .unwrap();
        sqlx::Row::try_get(&row, "seats_used").unwrap()
    }

    /// Sets an organization's seat limit directly in storage.
    pub async fn set_seat_limit(&self, org_id: i64, limit: i64) {
        sqlx::query("UPDATE organizations SET seat_limit = $1 WHERE id = $2")
            .bind(limit)
            .bind(org_id)
            .execute(&self.services.db().pool)
            .await
            .unwrap();
    }

    /// The newest outbox email to `to`, opened: (id, body).
    pub async fn last_email(&self, to: &str) -> Option<(i64, String)> {
        let row = sqlx::query("SELECT id FROM outbox WHERE to_addr = $1 ORDER BY id DESC")
            .bind(to)
            .fetch_optional(&self.services.db().pool)
            .await
            .unwrap()?;
        let id: i64 = sqlx::Row::try_get(&row, "id").unwrap();
        Some((id, self.services.open_outbox_body(id).await.unwrap()?))
    }

    /// The invite token of the newest email to `to`.
    pub async fn invite_token(&self, to: &str) -> String {
        self.emailed_token(to, "inv_").await
    }

    /// The token with `prefix` in the newest email to `to`.
    pub async fn emailed_token(&self, to: &str, prefix: &str) -> String {
        let (_, body) = self.last_email(to).await.expect("an email");
        let at = body.find(&format!("token={prefix}")).expect("a link with a token") + "token=".len();
        body[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-').collect()
    }
}

/// A fresh Ed25519 key pair: the signing key and the base64 public key.
pub fn keypair() -> (ed25519_dalek::SigningKey, String) {
    let mut seed = [0u8; 32];
    seed[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    seed[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    let sk = ed25519_dalek::SigningKey::from_bytes(&seed);
    let pk = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, sk.verifying_key().as_bytes());
    (sk, pk)
}

/// Solves a challenge natively for a base64 public key: the nonces as decimal strings.
pub fn solve(challenge: &Value, public_key_b64: &str) -> Vec<String> {
    let pk = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, public_key_b64).unwrap();
    let token = challenge["token"].as_str().unwrap();
    let target = pow_wasm::parse_target(challenge["target"].as_str().unwrap()).unwrap();
    let k = usize::try_from(challenge["solutions"].as_u64().unwrap()).unwrap();
    let c = pow_wasm::derive(token.as_bytes(), &pk);
    let mut out = Vec::new();
    pow_wasm::solve_range(&c, target, 0, u64::MAX / 2, &mut out, k);
    out.into_iter().map(|n| n.to_string()).collect()
}

/// A registration body for a challenge, solved for `public_key_b64`.
pub fn registration(challenge: &Value, public_key_b64: &str, name: &str) -> Value {
    json!({
        "challengeId": challenge["id"],
        "solution": {"nonces": solve(challenge, public_key_b64)},
        "publicKey": public_key_b64,
        "name": name,
    })
}

/// A password that meets the rule.
pub const PASSWORD: &str = "correct horse battery";

/// Asserts a problem+json answer with the given status; returns the body.
/// Asserts a problem of the catalogue `code` (and its status); returns the body.
pub async fn problem_code(res: reqwest::Response, status: u16, code: &str) -> Value {
    let body = problem(res, status).await;
    assert_eq!(body["type"], format!("https://agentry.dev/problems/{code}"), "{body}");
    body
}

pub async fn problem(res: reqwest::Response, status: u16) -> Value {
    assert_eq!(res.status().as_u16(), status, "unexpected status");
    let ct = res.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    assert!(ct.starts_with("application/problem+json"), "content-type {ct}");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], status);
    assert!(body["type"].is_string() && body["title"].is_string() && body["detail"].is_string(), "{body}");
    body
}
