//! The email outbox: SMTP delivery through a real SMTP server (an aiosmtpd sink), retries
//! against a dead port, and who may see which rows in `GET /api/v1/outbox`.

use agentry_services::mailer::Mailer;
use agentry_tests::{both, problem, problem_code, spawn_with, test_config, Backend, TestApp, PASSWORD};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};

/// The Python that has aiosmtpd: `AGENTRY_TEST_PYTHON`, else `python3`.
fn python() -> String {
    std::env::var("AGENTRY_TEST_PYTHON").ok().filter(|p| !p.is_empty()).unwrap_or_else(|| "python3".into())
}

/// A running `tests/smtp/sink.py`: an SMTP server writing each message to a folder.
pub struct Sink {
    _child: tokio::process::Child,
    dir: tempfile::TempDir,
    /// The port it listens on (127.0.0.1).
    pub port: u16,
}

impl Sink {
    /// Starts the sink. Fails (never skips) when aiosmtpd is missing.
    pub async fn start() -> Sink {
        let py = python();
        let ok = std::process::Command::new(&py)
            .args(["-c", "import aiosmtpd"])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        assert!(
            ok,
            "the SMTP tests need the Python package aiosmtpd: `{py} -c 'import aiosmtpd'` failed. \
             Install it (python3 -m venv target/venv && target/venv/bin/pip install aiosmtpd) and set \
             AGENTRY_TEST_PYTHON=target/venv/bin/python, or run scripts/test.sh, which does both."
        );
        let dir = tempfile::tempdir().unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("smtp/sink.py");
        let mut child = tokio::process::Command::new(&py)
            .arg(&script)
            .arg("--dir")
            .arg(dir.path())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {py} {}: {e}", script.display()));
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        tokio::time::timeout(Duration::from_secs(20), BufReader::new(stdout).read_line(&mut line))
            .await
            .expect("the SMTP sink did not start within 20 s")
            .unwrap();
        let port = line
            .trim()
            .strip_prefix("READY ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("sink said {line:?}"));
        Sink { _child: child, dir, port }
    }

    /// `smtp://127.0.0.1:port`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The messages received so far, in arrival order.
    pub fn messages(&self) -> Vec<String> {
        let mut files: Vec<(u64, PathBuf)> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .filter_map(|p| Some((p.file_stem()?.to_str()?.parse().ok()?, p)))
            .collect();
        files.sort();
        files.into_iter().map(|(_, p)| std::fs::read_to_string(p).unwrap()).collect()
    }

    /// Waits until at least `n` messages arrived; returns them.
    pub async fn wait_for(&self, n: usize) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let m = self.messages();
            if m.len() >= n {
                return m;
            }
            assert!(Instant::now() < deadline, "only {} of {n} emails reached the SMTP sink", m.len());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Quoted-printable soft line breaks and `=3D` undone, enough to search a body.
pub fn unfold(eml: &str) -> String {
    eml.replace("=\r\n", "").replace("=\n", "").replace("=3D", "=")
}

/// A server whose outbox is delivered to `smtp_url`.
pub async fn spawn_smtp(backend: Backend, smtp_url: &str) -> TestApp {
    spawn_with(backend, agentry_services::Config { smtp_url: Some(smtp_url.into()), ..test_config() }).await
}

/// Signs up a fresh user with a new client; returns (client, email).
pub async fn other_user(app: &TestApp) -> (reqwest::Client, String) {
    let c = agentry_tests::client();
    let email = format!("other-{}@example.com", uuid::Uuid::new_v4().simple());
    let res = c
        .post(app.url("/api/v1/auth/signup"))
        .header("origin", &app.base)
        .json(&json!({"email": email, "password": PASSWORD, "organization": "Other"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    (c, email)
}

/// Waits until outbox row `id` satisfies `done`; returns the row as the list shows it.
async fn wait_row(app: &TestApp, id: i64, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let page: Value = app.get("/api/v1/outbox?limit=200").await.json().await.unwrap();
        let row = page["items"].as_array().unwrap().iter().find(|r| r["id"] == id).cloned().expect("row visible");
        if done(&row) {
            return row;
        }
        assert!(Instant::now() < deadline, "outbox row never reached the expected state: {row}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn body_sealed(app: &TestApp, id: i64) -> Option<String> {
    sqlx::query_scalar("SELECT body_sealed FROM outbox WHERE id = $1")
        .bind(id)
        .fetch_one(&app.services.db().pool)
        .await
        .unwrap()
}

async fn delivered_over_smtp(backend: Backend) {
    let sink = Sink::start().await;
    let app = spawn_smtp(backend, &sink.url()).await;
    let email = app.signup().await;

    // The operator's check: a test email to yourself, delivered by the worker.
    let res = app.post("/api/v1/outbox/test", json!({})).await;
    assert_eq!(res.status(), 201);
    let queued: Value = res.json().await.unwrap();
    assert_eq!(queued["status"], "queued");
    assert_eq!(queued["to"], email);
    assert!(queued["body"].as_str().unwrap().contains("email delivery works"));
    let id = queued["id"].as_i64().unwrap();

    let msgs = sink.wait_for(1).await;
    let eml = unfold(&msgs[0]);
    assert!(eml.contains(&format!("X-Sink-Rcpt-To: {email}")), "{eml}");
    assert!(eml.contains("Subject: Agentry test email"), "{eml}");
    assert!(eml.contains("email delivery works"), "{eml}");
    assert!(eml.contains("agentry@localhost"), "From: {eml}");

    let row = wait_row(&app, id, |r| r["status"] == "sent").await;
    assert_eq!(row["attempts"], 1);
    assert!(row["body"].is_null(), "the body is wiped after delivery: {row}");
    assert!(row["sentAt"].is_string() && row["lastError"].is_null(), "{row}");
    assert_eq!(body_sealed(&app, id).await, None);

    // Several senders at once (two passes here plus the server's worker): every email
    // goes out exactly once.
    let mailer = Mailer::from_url(&sink.url(), "Agentry <agentry@localhost>").unwrap();
    let mut ids = Vec::new();
    for i in 0..6 {
        ids.push(
            app.services
                .enqueue_email(None, "test", &format!("bulk{i}@example.com"), "bulk", &format!("body {i}"))
                .await
                .unwrap(),
        );
    }
    let (a, b) = tokio::join!(app.services.deliver_due_emails(&mailer), app.services.deliver_due_emails(&mailer));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert!(a.sent + b.sent <= 6);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let sent: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE status = 'sent'")
            .fetch_one(&app.services.db().pool)
            .await
            .unwrap();
        if sent == 7 {
            break;
        }
        assert!(Instant::now() < deadline, "only {sent} of 7 sent");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Give a duplicate, if any, the time to arrive.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let msgs = sink.messages();
    assert_eq!(msgs.len(), 7, "each email is sent exactly once");
    for i in 0..6 {
        assert_eq!(msgs.iter().filter(|m| m.contains(&format!("X-Sink-Rcpt-To: bulk{i}@example.com"))).count(), 1);
    }
    let attempts: i64 =
        sqlx::query_scalar("SELECT MAX(attempts) FROM outbox").fetch_one(&app.services.db().pool).await.unwrap();
    assert_eq!(attempts, 1);
}

async fn dead_port_retries_and_keeps_the_row(backend: Backend) {
    // A port nobody listens on.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("smtp://127.0.0.1:{dead}");
    let app = spawn_smtp(backend, &url).await;
    app.signup().await;
    let res = app.post("/api/v1/outbox/test", json!({})).await;
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();

    // The server's worker tries, fails, and schedules a retry with backoff.
    let row = wait_row(&app, id, |r| r["attempts"].as_i64().unwrap() >= 1 && r["lastError"].is_string()).await;
    assert_eq!(row["status"], "queued");
    assert_eq!(row["attempts"], 1);
    assert!(!row["lastError"].as_str().unwrap().is_empty());
    assert!(row["body"].as_str().unwrap().contains("email delivery works"), "kept for the retry: {row}");
    let next: i64 = sqlx::query_scalar("SELECT next_attempt_at FROM outbox WHERE id = $1")
        .bind(id)
        .fetch_one(&app.services.db().pool)
        .await
        .unwrap();
    let now = app.services.now_ms();
    assert!(next > now + 20_000 && next < now + 31_000, "first retry in about 30 s: {}", next - now);

    // Not due: a pass does nothing.
    let mailer = Mailer::from_url(&url, "agentry@localhost").unwrap();
    let r = app.services.deliver_due_emails(&mailer).await.unwrap();
    assert_eq!((r.sent, r.retrying, r.failed), (0, 0, 0));

    // Make it due again and again: after 5 attempts in all it is `failed`, still there.
    for _ in 0..10 {
        sqlx::query("UPDATE outbox SET next_attempt_at = 0 WHERE id = $1 AND status = 'queued'")
            .bind(id)
            .execute(&app.services.db().pool)
            .await
            .unwrap();
        app.services.deliver_due_emails(&mailer).await.unwrap();
    }
    let row = wait_row(&app, id, |r| r["status"] == "failed").await;
    assert_eq!(row["attempts"], 5);
    assert!(row["lastError"].is_string() && row["sentAt"].is_null(), "{row}");
    assert!(row["body"].is_string(), "a failed email keeps its body: {row}");
    assert!(body_sealed(&app, id).await.is_some());
}

async fn smtp_credentials_never_reach_last_error(backend: Backend) {
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("smtp://mailuser:Sup3rSecretPw@127.0.0.1:{dead}");
    let app = spawn_smtp(backend, &url).await;
    app.signup().await;
    let id = app.post("/api/v1/outbox/test", json!({})).await.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let row = wait_row(&app, id, |r| r["lastError"].is_string()).await;
    let err = row["lastError"].as_str().unwrap();
    assert!(!err.contains("Sup3rSecretPw"), "{err}");
}

/// The invite flow end to end: `agentry agent register --invite-email` (the real CLI),
/// the invite email over SMTP with its one-time link, and the owner confirming with it.
async fn invite_email_over_smtp(backend: Backend) {
    let sink = Sink::start().await;
    let app = spawn_smtp(backend, &sink.url()).await;
    let owner = app.signup().await;
    let dir = tempfile::tempdir().unwrap();
    let out = crate::cli::agentry(
        &[
            "agent",
            "register",
            "--server",
            &app.base,
            "--invite-email",
            &owner,
            "--name",
            "mailed-bot",
            "--out",
            "a.json",
        ],
        &[],
        dir.path(),
    )
    .await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let eml = unfold(&sink.wait_for(1).await[0]);
    assert!(eml.contains(&format!("X-Sink-Rcpt-To: {owner}")), "{eml}");
    let at = eml.find("/invite/confirm?token=inv_").expect("confirm link in the email");
    let link_start = eml[..at].rfind("http").unwrap();
    assert!(eml[link_start..at].starts_with(&app.services.config().public_url), "{eml}");
    let token: String = eml[at + "/invite/confirm?token=".len()..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    assert!(token.len() > 40, "{token}");

    // Delivered: sent, body wiped, the link no longer readable in the outbox.
    let page: Value = app.get("/api/v1/outbox").await.json().await.unwrap();
    let id =
        page["items"].as_array().unwrap().iter().find(|r| r["kind"] == "agent_invite").unwrap()["id"].as_i64().unwrap();
    let row = wait_row(&app, id, |r| r["status"] == "sent").await;
    assert!(row["body"].is_null(), "{row}");
    assert_eq!(body_sealed(&app, id).await, None);

    // The emailed link works.
    let res = app.post("/api/v1/registration/invite/confirm", json!({"token": token})).await;
    assert_eq!(res.status(), 200);
    let confirmed: Value = res.json().await.unwrap();
    assert_eq!(confirmed["agent"]["registration"], "registered");
    assert!(confirmed["apiKey"].as_str().unwrap().starts_with("agk_"));
}

mod invite_over_smtp {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        invite_email_over_smtp(Backend::Sqlite).await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        invite_email_over_smtp(Backend::Postgres).await
    }
}

/// Two server instances on one database, each with its own mail worker, plus extra
/// passes from the test: every email reaches the SMTP server exactly once.
async fn two_instances_never_send_twice(backend: Backend) {
    let sink = Sink::start().await;
    let config = agentry_services::Config { smtp_url: Some(sink.url()), ..test_config() };
    let apps = agentry_tests::spawn_many(backend, config, 2).await;
    let n = 30;
    for i in 0..n {
        let app = &apps[i % 2];
        app.services
            .enqueue_email(None, "test", &format!("race{i}@example.com"), "race", &format!("body {i}"))
            .await
            .unwrap();
    }
    let mailer = Mailer::from_url(&sink.url(), "agentry@localhost").unwrap();
    let (a, b) =
        tokio::join!(apps[0].services.deliver_due_emails(&mailer), apps[1].services.deliver_due_emails(&mailer));
    a.unwrap();
    b.unwrap();
    sink.wait_for(n).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let sent: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE status = 'sent' AND attempts = 1")
            .fetch_one(&apps[0].services.db().pool)
            .await
            .unwrap();
        if sent == i64::try_from(n).unwrap() {
            break;
        }
        assert!(Instant::now() < deadline, "only {sent} of {n} marked sent after one attempt");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let msgs = sink.messages();
    assert_eq!(msgs.len(), n, "each email exactly once");
    for i in 0..n {
        let to = format!("X-Sink-Rcpt-To: race{i}@example.com\r\n");
        assert_eq!(msgs.iter().filter(|m| m.contains(&to)).count(), 1, "race{i}");
    }
}

mod two_instances {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        two_instances_never_send_twice(Backend::Sqlite).await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        two_instances_never_send_twice(Backend::Postgres).await
    }
}

mod delivery {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        delivered_over_smtp(Backend::Sqlite).await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        delivered_over_smtp(Backend::Postgres).await
    }
}

mod dead_port {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        dead_port_retries_and_keeps_the_row(Backend::Sqlite).await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        dead_port_retries_and_keeps_the_row(Backend::Postgres).await
    }
}

mod secrets_in_errors {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        smtp_credentials_never_reach_last_error(Backend::Sqlite).await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        smtp_credentials_never_reach_last_error(Backend::Postgres).await
    }
}

both!(without_smtp_emails_are_stored_and_listed, |app| {
    let email = app.signup().await;
    let res = app.post("/api/v1/outbox/test", json!({})).await;
    assert_eq!(res.status(), 201);
    let row: Value = res.json().await.unwrap();
    assert_eq!(row["status"], "stored");
    assert_eq!(row["to"], email);
    assert_eq!(row["kind"], "test");
    assert_eq!(row["attempts"], 0);
    let page: Value = app.get("/api/v1/outbox").await.json().await.unwrap();
    assert_eq!(page["total"], 1);
    assert_eq!(page["limit"], 50);
    assert_eq!(page["offset"], 0);
    assert_eq!(page["items"][0], row);
    // Sealed at rest.
    let sealed = body_sealed(&app, row["id"].as_i64().unwrap()).await.unwrap();
    assert!(!sealed.contains("delivery works"));
});

both!(outbox_visibility, |app| {
    let a = app.signup().await;
    let (b_client, b) = other_user(&app).await;
    let me: Value = app.get("/api/v1/me").await.json().await.unwrap();
    let org_a = me["currentOrganization"]["id"].as_i64().unwrap();
    let b_me: Value = b_client.get(app.url("/api/v1/me")).send().await.unwrap().json().await.unwrap();
    let org_b = b_me["currentOrganization"]["id"].as_i64().unwrap();
    assert_ne!(org_a, org_b);
    let s = &app.services;
    let r1 = s.enqueue_email(Some(org_a), "note", &a, "to a", "one").await.unwrap();
    let r2 = s.enqueue_email(Some(org_a), "note", "someone@example.com", "org a", "two").await.unwrap();
    let r3 = s.enqueue_email(Some(org_a), "note", &b.to_uppercase(), "to b from org a", "three").await.unwrap();
    let r4 = s.enqueue_email(Some(org_b), "note", "x@example.com", "org b", "four").await.unwrap();
    let _r5 = s.enqueue_email(None, "note", "nobody@example.com", "no org", "five").await.unwrap();
    let ids =
        |page: &Value| page["items"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect::<Vec<_>>();

    // Owner of A: own address and the whole organization, newest first, bodies opened.
    let page: Value = app.get("/api/v1/outbox").await.json().await.unwrap();
    assert_eq!(ids(&page), vec![r3, r2, r1]);
    assert_eq!(page["total"], 3);
    assert_eq!(page["items"][2]["body"], "one");
    assert_eq!(page["items"][2]["subject"], "to a");
    for key in ["id", "kind", "to", "subject", "body", "status", "attempts", "lastError", "createdAt", "sentAt"] {
        assert!(page["items"][0].get(key).is_some(), "missing {key}");
    }
    let page: Value = app.get("/api/v1/outbox?limit=2&offset=1").await.json().await.unwrap();
    assert_eq!(ids(&page), vec![r2, r1]);
    assert_eq!((page["total"].as_i64(), page["limit"].as_i64(), page["offset"].as_i64()), (Some(3), Some(2), Some(1)));
    let page: Value = app.get("/api/v1/outbox?limit=1000").await.json().await.unwrap();
    assert_eq!(page["limit"], 200);

    // Owner of B: the email to B (whatever its organization) and B's organization; never
    // A's other rows.
    let page: Value = b_client.get(app.url("/api/v1/outbox")).send().await.unwrap().json().await.unwrap();
    assert_eq!(ids(&page), vec![r4, r3]);
    assert_eq!(page["items"][1]["body"], "three");

    // B demoted to member: only the rows addressed to B.
    sqlx::query("UPDATE memberships SET role = 'member' WHERE user_id = (SELECT id FROM users WHERE email = $1)")
        .bind(&b)
        .execute(&s.db().pool)
        .await
        .unwrap();
    let page: Value = b_client.get(app.url("/api/v1/outbox")).send().await.unwrap().json().await.unwrap();
    assert_eq!(ids(&page), vec![r3]);
    assert_eq!(page["total"], 1);
    // Members may not send test emails.
    let res = b_client.post(app.url("/api/v1/outbox/test")).header("origin", &app.base).send().await.unwrap();
    problem_code(res, 403, "not_allowed").await;

    // A user API key works like the session.
    let key: Value = app.post("/api/v1/api-keys", json!({"name": "outbox"})).await.json().await.unwrap();
    let secret = key["secret"].as_str().unwrap();
    let res = agentry_tests::client().get(app.url("/api/v1/outbox")).bearer_auth(secret).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(ids(&res.json().await.unwrap()), vec![r3, r2, r1]);

    // Bad paging and no credentials.
    problem(app.get("/api/v1/outbox?limit=0").await, 400).await;
    problem(app.get("/api/v1/outbox?offset=-1").await, 400).await;
    problem(app.get("/api/v1/outbox?limit=abc").await, 400).await;
    problem(agentry_tests::client().get(app.url("/api/v1/outbox")).send().await.unwrap(), 401).await;
});
