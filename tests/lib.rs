//! Test harness: starts the real server on port 0 against a fresh SQLite file or a fresh
//! PostgreSQL database, and talks to it over real HTTP.
#![allow(clippy::unwrap_used)]

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
    _dir: tempfile::TempDir,
}

/// Settings with a low, testable rate limit.
pub fn test_config() -> agentry_services::Config {
    agentry_services::Config { login_limit_per_email: 5, ..Default::default() }
}

/// Starts a server on `backend`.
pub async fn spawn(backend: Backend) -> TestApp {
    spawn_with(backend, test_config()).await
}

/// Starts a server with the given services configuration.
pub async fn spawn_with(backend: Backend, config: agentry_services::Config) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let database_url = match backend {
        Backend::Sqlite => format!("sqlite://{}/test.db", dir.path().display()),
        Backend::Postgres => fresh_postgres().await,
    };
    let settings = Settings {
        addr: "127.0.0.1:0".parse().unwrap(),
        database_url,
        site_root: dir.path().to_path_buf(),
        request_timeout: Duration::from_secs(30),
        max_body: 64 * 1024,
        services: config,
    };
    let app = Application::build(settings).await.unwrap();
    let base = format!("http://{}", app.addr());
    let services = app.services().clone();
    tokio::spawn(app.run_until_stopped());
    TestApp { base, client: client(), services, _dir: dir }
}

/// A new client with its own cookie jar.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).build().unwrap()
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
        let res = self.post("/api/v1/auth/signup", json!({"email": email, "password": PASSWORD, "organization": "Acme"})).await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        email
    }

    /// Counts rows of a table.
    pub async fn count(&self, table: &str) -> i64 {
        let row = sqlx::query(&format!("SELECT COUNT(*) AS n FROM {table}")).fetch_one(&self.services.db().pool).await.unwrap();
        sqlx::Row::try_get(&row, "n").unwrap()
    }
}

/// A password that meets the rule.
pub const PASSWORD: &str = "correct horse battery";

/// Asserts a problem+json answer with the given status; returns the body.
pub async fn problem(res: reqwest::Response, status: u16) -> Value {
    assert_eq!(res.status().as_u16(), status, "unexpected status");
    let ct = res.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    assert!(ct.starts_with("application/problem+json"), "content-type {ct}");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], status);
    assert!(body["type"].is_string() && body["title"].is_string() && body["detail"].is_string(), "{body}");
    body
}

/// Runs a test body once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! both {
    ($name:ident, |$app:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run($app: agentry_tests::TestApp) $body
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run(agentry_tests::spawn(agentry_tests::Backend::Sqlite).await).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                run(agentry_tests::spawn(agentry_tests::Backend::Postgres).await).await
            }
        }
    };
}
