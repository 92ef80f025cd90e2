//! Helpers of the crash tests (`crash.rs`): a private PostgreSQL cluster with fsync on,
//! `agentry serve` as a real process, a write load that records what was acknowledged,
//! and the checks that every acknowledged write is still there.
use crate::cli::agentry_bin;
use agentry_tests::{keypair, registration, PASSWORD};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A free TCP port on 127.0.0.1 (free when asked; the server binds it moments later).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The newest `/usr/lib/postgresql/*/bin` holding `initdb`, as scripts/test.sh picks it.
fn pg_bin() -> PathBuf {
    let entries = std::fs::read_dir("/usr/lib/postgresql").expect("PostgreSQL server binaries in /usr/lib/postgresql");
    let mut found: Vec<(Vec<u64>, PathBuf)> = entries
        .flatten()
        .map(|e| {
            let version = e.file_name().to_string_lossy().split('.').map(|p| p.parse().unwrap_or(0)).collect();
            (version, e.path().join("bin"))
        })
        .filter(|(_, bin)| bin.join("initdb").is_file())
        .collect();
    found.sort();
    found.pop().expect("no /usr/lib/postgresql/*/bin/initdb").1
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A PostgreSQL cluster of this test alone, `fsync=on` and `synchronous_commit=on`, in a
/// temporary directory: stopped (`-m immediate`) and removed when dropped.
pub struct PgCluster {
    bin: PathBuf,
    dir: tempfile::TempDir,
    root: bool,
    /// Its TCP port on 127.0.0.1.
    pub port: u16,
}

impl PgCluster {
    /// initdb (trust, superuser `postgres`), start, and create the database `agentry`.
    pub async fn start() -> Self {
        let root = is_root();
        let dir = tempfile::tempdir().unwrap();
        if root {
            // As scripts/test.sh: PostgreSQL refuses to run as root, so its files are postgres's.
            assert!(Command::new("chown").arg("postgres").arg(dir.path()).status().unwrap().success());
        }
        let pg = Self { bin: pg_bin(), dir, root, port: free_port() };
        let data = pg.data();
        pg.run("initdb", &["-D", &data, "-A", "trust", "-U", "postgres"]);
        pg.start_again();
        sqlx::any::install_default_drivers();
        let admin = format!("postgres://postgres@127.0.0.1:{}/postgres", pg.port);
        let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin).await.unwrap();
        sqlx::Executor::execute(&mut conn, "CREATE DATABASE agentry").await.unwrap();
        for (setting, want) in [("fsync", "on"), ("synchronous_commit", "on")] {
            let got: String = sqlx::query_scalar(&format!("SHOW {setting}")).fetch_one(&mut conn).await.unwrap();
            assert_eq!(got, want, "{setting} of the private cluster");
        }
        pg
    }

    /// The URL of the database `agentry`.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/agentry", self.port)
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    /// Runs one of the server binaries, as postgres when we are root.
    fn try_run(&self, program: &str, args: &[&str]) -> Output {
        let mut cmd = if self.root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(self.bin.join(program));
            c
        } else {
            Command::new(self.bin.join(program))
        };
        cmd.args(args).stdin(Stdio::null()).output().unwrap()
    }

    fn run(&self, program: &str, args: &[&str]) {
        let out = self.try_run(program, args);
        let log = std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default();
        assert!(out.status.success(), "{program} {args:?}: {}\n{log}", String::from_utf8_lossy(&out.stderr));
    }

    /// Starts the cluster (again, on the same data directory) and waits until it accepts.
    pub fn start_again(&self) {
        let dir = self.dir.path().display();
        let opts =
            format!("-p {} -k {dir} -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on", self.port);
        self.run("pg_ctl", &["-D", &self.data(), "-l", &format!("{dir}/log"), "-w", "-o", &opts, "start"]);
    }

    /// `pg_ctl -m immediate stop`: the postmaster and its backends quit without a
    /// checkpoint; the next start replays the WAL, as after a crash.
    pub fn stop_immediate(&self) {
        self.run("pg_ctl", &["-D", &self.data(), "-m", "immediate", "stop"]);
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let _ = self.try_run("pg_ctl", &["-D", &self.data(), "-m", "immediate", "stop"]);
    }
}

/// Limits high enough that the load is never refused, and instant proof of work.
const SERVE_ENV: &[(&str, &str)] = &[
    ("AGENTRY_SIGNUP_LIMIT_PER_IP", "1000000"),
    ("AGENTRY_LOGIN_LIMIT_PER_IP", "1000000"),
    ("AGENTRY_LOGIN_LIMIT_PER_EMAIL", "1000"),
    ("AGENTRY_ORG_CREATE_LIMIT_PER_USER", "1000000"),
    ("AGENTRY_RUN_CREATE_LIMIT_PER_ORG", "1000000"),
    ("AGENTRY_RUN_CREATE_LIMIT_PER_USER", "1000000"),
    ("AGENTRY_RUN_ACTIVE_LIMIT_PER_ORG", "1000000"),
    ("AGENTRY_CHALLENGE_LIMIT_PER_IP", "100000"),
    ("AGENTRY_REGISTRATION_LIMIT_PER_IP", "100000"),
    ("AGENTRY_REGISTRATION_LIMIT_PER_OWNER", "100000"),
    ("AGENTRY_POW_MIN_DIFFICULTY", "0"),
    ("AGENTRY_POW_MAX_DIFFICULTY", "8"),
    ("AGENTRY_POW_INVITE_MIN_DIFFICULTY", "2"),
    ("AGENTRY_POW_ADAPTIVE_STEP", "0"),
];

/// `agentry serve` as a process of its own, its output kept in a file; killed on drop.
pub struct Server {
    child: tokio::process::Child,
    /// `http://127.0.0.1:port`.
    pub base: String,
    dir: tempfile::TempDir,
}

impl Server {
    /// Starts a server on `database_url` with the HMAC key `secret`; waits for /healthz.
    pub async fn start(database_url: &str, secret: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("log")).unwrap();
        let mut cmd = tokio::process::Command::new(agentry_bin());
        cmd.arg("serve")
            .env("DATABASE_URL", database_url)
            .env("AGENTRY_ADDR", format!("127.0.0.1:{port}"))
            .env("AGENTRY_SITE_ROOT", dir.path())
            .env("AGENTRY_SECRET", secret)
            .env_remove("AGENTRY_PUBLIC_URL")
            .env_remove("AGENTRY_SMTP_URL")
            .envs(SERVE_ENV.iter().copied())
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .kill_on_drop(true);
        let mut server = Self { child: cmd.spawn().unwrap(), base: format!("http://127.0.0.1:{port}"), dir };
        let deadline = Instant::now() + Duration::from_secs(60);
        while !server.answers("/healthz").await {
            if let Some(status) = server.child.try_wait().unwrap() {
                panic!("agentry serve exited ({status}):\n{}", server.log());
            }
            assert!(Instant::now() < deadline, "agentry serve never answered /healthz:\n{}", server.log());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        server
    }

    /// Whether GET `path` answers 200.
    pub async fn answers(&self, path: &str) -> bool {
        let res = reqwest::Client::new().get(format!("{}{path}", self.base)).timeout(Duration::from_secs(5)).send();
        res.await.is_ok_and(|r| r.status() == 200)
    }

    /// SIGKILL, and reaps the process.
    pub async fn kill(&mut self) {
        self.child.kill().await.unwrap();
    }

    /// Its output so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
    }
}

/// A browser of one instance: its own cookie jar, and that instance's `origin` on POSTs.
#[derive(Clone)]
pub struct Browser {
    client: reqwest::Client,
    base: String,
}

impl Browser {
    pub fn new(base: &str) -> Self {
        Self { client: agentry_tests::client(), base: base.to_string() }
    }

    pub fn post(&self, path: &str, body: Value) -> reqwest::RequestBuilder {
        self.client.post(format!("{}{path}", self.base)).header("origin", &self.base).json(&body)
    }

    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.get(format!("{}{path}", self.base))
    }
}

/// The outcome of a write: acknowledged (the success status and the whole body
/// received), refused with another status, or failed in transport (not acknowledged).
enum Outcome {
    Acked(Value),
    Refused,
    Failed,
}

async fn send(req: reqwest::RequestBuilder, want: u16, refused: &mut Vec<String>) -> Outcome {
    let Ok(res) = req.send().await else { return Outcome::Failed };
    let status = res.status().as_u16();
    let Ok(body) = res.bytes().await else { return Outcome::Failed };
    if status != want {
        refused.push(format!("{status}: {}", String::from_utf8_lossy(&body)));
        return Outcome::Refused;
    }
    Outcome::Acked(if body.is_empty() { Value::Null } else { serde_json::from_slice(&body).unwrap() })
}

/// The owner of the load on instance A: signed in, their organization, a runnable agent.
pub struct Owner {
    pub browser: Browser,
    pub email: String,
    pub org: i64,
    pub agent: i64,
    pub agent_key: String,
}

/// Signs up an owner on `base` and registers (and if need be deploys) an agent of theirs.
pub async fn owner(base: &str) -> Owner {
    let browser = Browser::new(base);
    let email = format!("owner-{}@example.com", uuid::Uuid::new_v4().simple());
    let body = json!({"email": email, "password": PASSWORD, "organization": "Crash"});
    let res = browser.post("/api/v1/auth/signup", body).send().await.unwrap();
    assert_eq!(res.status(), 201);
    let org = res.json::<Value>().await.unwrap()["currentOrganization"]["id"].as_i64().unwrap();
    let res = browser.get("/api/v1/registration/challenge").send().await.unwrap();
    assert_eq!(res.status(), 201);
    let (_, pk) = keypair();
    let body = registration(&res.json().await.unwrap(), &pk, "crash-runner");
    let res = browser.post("/api/v1/registration/agent", body).send().await.unwrap();
    assert_eq!(res.status(), 201);
    let r: Value = res.json().await.unwrap();
    let agent = r["agent"]["id"].as_i64().unwrap();
    let agent_key = r["apiKey"].as_str().unwrap().to_string();
    let a: Value = browser.get(&format!("/api/agents/{agent}")).send().await.unwrap().json().await.unwrap();
    if a["status"] != "active" {
        let draft = json!({"trigger": "manual", "workflowStructure": {"steps": [{"id": "only", "kind": "code"}]}});
        let res = browser.client.put(format!("{base}/api/agents/{agent}/draft")).header("origin", base).json(&draft);
        assert_eq!(res.send().await.unwrap().status(), 200);
        assert_eq!(browser.post(&format!("/api/agents/{agent}/deploy"), json!({})).send().await.unwrap().status(), 200);
    }
    Owner { browser, email, org, agent, agent_key }
}

/// Claims the agent's oldest queued run (no wait) and completes it: the completion's
/// outcome, or `Refused` when nothing was queued (204).
async fn claim_and_complete(client: &reqwest::Client, base: &str, key: &str, refused: &mut Vec<String>) -> Outcome {
    let claim = client.post(format!("{base}/api/v1/runner/claim?wait=0")).bearer_auth(key).json(&json!({}));
    let mut not_claimed = Vec::new();
    let outcome = send(claim, 200, &mut not_claimed).await;
    refused.extend(not_claimed.into_iter().filter(|m| !m.starts_with("204")));
    let Outcome::Acked(c) = outcome else { return outcome };
    let id = c["run"]["id"].as_i64().unwrap();
    let done = json!({"lease": c["lease"], "status": "completed", "result": {"id": id}});
    let url = format!("{base}/api/v1/runner/runs/{id}/complete");
    send(client.post(url).bearer_auth(key).json(&done), 200, refused).await
}

/// What the server acknowledged.
#[derive(Debug, Default)]
pub struct Acked {
    /// Signups: (email, user id).
    pub signups: Vec<(String, i64)>,
    /// API key ids (the owner's).
    pub keys: Vec<i64>,
    /// Ids of created runs.
    pub runs: Vec<i64>,
    /// Ids of runs whose completion was acknowledged.
    pub completed: Vec<i64>,
    /// Answers with an unexpected status (the load should never be refused).
    pub refused: Vec<String>,
    /// Load tasks that ended on a transport error (their server died), not the deadline.
    pub cut: usize,
}

impl Acked {
    fn merge(&mut self, o: Acked) {
        self.signups.extend(o.signups);
        self.keys.extend(o.keys);
        self.runs.extend(o.runs);
        self.completed.extend(o.completed);
        self.refused.extend(o.refused);
        self.cut += o.cut;
    }
}

/// Writes to the owner's instance from six tasks (two signing up, one creating API keys,
/// two creating runs, one claiming and completing them) until `duration` has passed; a
/// task stops at its first transport error (its server is gone).
pub async fn load(owner: &Owner, duration: Duration) -> Acked {
    let deadline = Instant::now() + duration;
    let mut tasks = tokio::task::JoinSet::new();
    for kind in ["signup", "signup", "key", "run", "run", "complete"] {
        let (b, org, agent, key) = (owner.browser.clone(), owner.org, owner.agent, owner.agent_key.clone());
        tasks.spawn(async move {
            let (mut a, runner) = (Acked::default(), reqwest::Client::new());
            while Instant::now() < deadline {
                let email = format!("crash-{}@example.com", uuid::Uuid::new_v4().simple());
                let outcome = match kind {
                    "signup" => {
                        let body = json!({"email": email, "password": PASSWORD, "organization": "Load"});
                        send(Browser::new(&b.base).post("/api/v1/auth/signup", body), 201, &mut a.refused).await
                    }
                    "key" => send(b.post("/api/v1/api-keys", json!({"name": "load"})), 201, &mut a.refused).await,
                    "run" => {
                        let path = format!("/v1/organizations/{org}/agent/run");
                        send(b.post(&path, json!({"prompt": "p", "agent_id": agent})), 200, &mut a.refused).await
                    }
                    _ => claim_and_complete(&runner, &b.base, &key, &mut a.refused).await,
                };
                match outcome {
                    Outcome::Failed => {
                        a.cut += 1;
                        break;
                    }
                    Outcome::Refused => tokio::time::sleep(Duration::from_millis(20)).await,
                    Outcome::Acked(v) => match kind {
                        "signup" => a.signups.push((email, v["user"]["id"].as_i64().unwrap())),
                        "key" => a.keys.push(v["id"].as_i64().unwrap()),
                        "run" => a.runs.push(v["id"].as_i64().unwrap()),
                        _ => a.completed.push(v["id"].as_i64().unwrap()),
                    },
                }
            }
            a
        });
    }
    let mut all = Acked::default();
    while let Some(a) = tasks.join_next().await {
        all.merge(a.unwrap());
    }
    all
}
