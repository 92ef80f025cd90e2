//! `agentry agent run`, the reference runner: the built binary against test servers.
//! Its command is `sh -s`, so each run's prompt is the shell script it executes.
use crate::cli::agentry_bin;
use crate::run_support::{create_run, log_lines, runnable_agent_with_lease, wait_for_run};
use agentry_tests::{both, TestApp};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

/// A runner subprocess, its stderr kept in a file.
struct Runner {
    child: tokio::process::Child,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Runner {
    async fn start(base: &str, key: &str, extra: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let key_file = dir.path().join("key");
        std::fs::write(&key_file, key).unwrap();
        let log = dir.path().join("stderr");
        let mut cmd = tokio::process::Command::new(agentry_bin());
        cmd.args(["agent", "run", "--key-file", key_file.to_str().unwrap(), "--server", base, "--exec", "sh -s"])
            .args(["--grace", "2"])
            .args(extra)
            .env_remove("AGENTRY_SERVER")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .kill_on_drop(true);
        Self { child: cmd.spawn().unwrap(), log, _dir: dir }
    }

    fn signal(&self, sig: &str) {
        let pid = self.child.id().unwrap().to_string();
        assert!(std::process::Command::new("kill").args([sig, &pid]).status().unwrap().success());
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGINT, then its exit status (it must exit within 10 s).
    async fn interrupt(mut self) -> (std::process::ExitStatus, String) {
        self.signal("-INT");
        let status = tokio::time::timeout(Duration::from_secs(10), self.child.wait())
            .await
            .expect("the runner exits within 10 s of SIGINT")
            .unwrap();
        (status, self.stderr())
    }
}

async fn run_of(app: &TestApp, org: i64, agent: i64, script: &str) -> i64 {
    let res = create_run(app, org, json!({"prompt": script, "agent_id": agent})).await;
    assert_eq!(res.status(), 200);
    res.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

async fn started(app: &TestApp, id: i64) {
    for _ in 0..300 {
        if log_lines(app, id).await.iter().any(|l| l == "started") {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("run {id} never printed \"started\"");
}

both!(the_runner_executes_runs_streams_their_output_and_posts_the_outcome, |app| {
    app.signup().await;
    let org = app.org_id().await;
    let (agent, key) = runnable_agent_with_lease(&app, "shell", 3).await;
    let runner = Runner::start(&app.base, &key, &["--concurrency", "2"]).await;
    let ok = run_of(&app, org, agent, "echo hello; echo oops >&2; printf 'no newline'").await;
    let bad = run_of(&app, org, agent, "echo about to fail; exit 3").await;
    let done = wait_for_run(&app, org, ok, "completed", |r| r["status"] == "completed").await;
    assert_eq!(done["result"]["exit_code"], 0);
    assert_eq!(done["result"]["output"], "hello\nno newline\n");
    assert!(done["progress"]["message"].is_string());
    let mut lines = log_lines(&app, ok).await;
    lines.sort();
    assert_eq!(lines, ["hello", "no newline", "oops"]);
    let failed = wait_for_run(&app, org, bad, "failed", |r| r["status"] == "failed").await;
    assert_eq!((failed["error"]["exit_code"].as_i64(), failed["attempt"].as_i64()), (Some(3), Some(1)), "{failed}");
    assert!(failed["error"]["message"].as_str().unwrap().contains("status 3"));
    let (status, stderr) = runner.interrupt().await;
    assert!(status.success(), "{stderr}");
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_runner_loses_its_run_to_another_and_a_frozen_one_is_fenced() {
    let app = agentry_tests::spawn(agentry_tests::Backend::Sqlite).await;
    app.signup().await;
    let org = app.org_id().await;
    let (agent, key) = runnable_agent_with_lease(&app, "fragile", 2).await;

    // SIGKILL mid-run: the lease lapses, the run is queued again, another runner does it.
    let first = Runner::start(&app.base, &key, &[]).await;
    let id = run_of(&app, org, agent, "echo started; sleep 3; echo finished attempt $AGENTRY_RUN_ATTEMPT").await;
    started(&app, id).await;
    first.signal("-KILL");
    let second = Runner::start(&app.base, &key, &[]).await;
    let done = wait_for_run(&app, org, id, "completed", |r| r["status"] == "completed").await;
    assert_eq!(done["attempt"], 2, "{done}");
    assert_eq!(done["result"]["output"], "started\nfinished attempt 2\n");
    let attempts: Value =
        app.get(&format!("/v1/organizations/{org}/agent/run/{id}/attempts")).await.json().await.unwrap();
    let outcomes: Vec<&str> =
        attempts["value"].as_array().unwrap().iter().map(|a| a["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["lease_expired", "completed"]);
    let (status, stderr) = second.interrupt().await;
    assert!(status.success(), "{stderr}");

    // SIGSTOP mid-run: the lease lapses and another runner finishes the run; woken up,
    // the first one's late report gets 409 and changes nothing.
    let frozen = Runner::start(&app.base, &key, &[]).await;
    let id = run_of(&app, org, agent, "echo started; sleep 2; echo done by $AGENTRY_RUN_ATTEMPT").await;
    started(&app, id).await;
    frozen.signal("-STOP");
    wait_for_run(&app, org, id, "queued again", |r| r["status"] == "queued" && r["attempt"] == 1).await;
    let rescuer = Runner::start(&app.base, &key, &[]).await;
    let done = wait_for_run(&app, org, id, "completed", |r| r["status"] == "completed").await;
    assert_eq!(done["result"]["output"], "started\ndone by 2\n");
    frozen.signal("-CONT");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !frozen.stderr().contains("lost") {
        assert!(std::time::Instant::now() < deadline, "the frozen runner never learned: {}", frozen.stderr());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(frozen.stderr().contains("409"), "{}", frozen.stderr());
    let after: Value = app.get(&format!("/v1/organizations/{org}/agent/run/{id}")).await.json().await.unwrap();
    assert_eq!((after["status"].as_str(), &after["result"]), (Some("completed"), &done["result"]));
    for r in [frozen, rescuer] {
        let (status, stderr) = r.interrupt().await;
        assert!(status.success(), "{stderr}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_stops_the_command_and_sigint_hands_the_run_back() {
    let app = agentry_tests::spawn(agentry_tests::Backend::Sqlite).await;
    app.signup().await;
    let org = app.org_id().await;
    let (agent, key) = runnable_agent_with_lease(&app, "stoppable", 3).await;
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("pid");

    // Cancel a running run: the runner stops the command, and the run ends cancelled.
    let runner = Runner::start(&app.base, &key, &[]).await;
    let script = format!("echo $$ > {}; echo started; exec sleep 60", pid_file.display());
    let id = run_of(&app, org, agent, &script).await;
    started(&app, id).await;
    let pid = std::fs::read_to_string(&pid_file).unwrap().trim().to_string();
    let res = app.post(&format!("/v1/organizations/{org}/agent/run/{id}/cancel"), json!({})).await;
    assert_eq!(res.status(), 200);
    let done = wait_for_run(&app, org, id, "cancelled", |r| r["status"] == "cancelled").await;
    assert!(done["finished_at"].is_string());
    // Dead, or a zombie nobody reaps (its parent, the runner's `sh -c`, is gone too).
    let alive = || {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .is_ok_and(|stat| stat.rsplit_once(") ").is_some_and(|(_, rest)| !rest.starts_with('Z')))
    };
    assert!(!alive(), "the command (pid {pid}) was stopped: {}", runner.stderr());

    // SIGINT: the runner stops the command, hands the run back, and exits cleanly.
    let id = run_of(&app, org, agent, "echo started; sleep 60").await;
    started(&app, id).await;
    let (status, stderr) = runner.interrupt().await;
    assert!(status.success(), "{stderr}");
    assert!(stderr.contains("handed back"), "{stderr}");
    let back: Value = app.get(&format!("/v1/organizations/{org}/agent/run/{id}")).await.json().await.unwrap();
    assert_eq!((back["status"].as_str(), back["attempt"].as_i64()), (Some("queued"), Some(1)), "{back}");
    let attempts: Value =
        app.get(&format!("/v1/organizations/{org}/agent/run/{id}/attempts")).await.json().await.unwrap();
    assert_eq!(attempts["value"][0]["outcome"], "lease_released");
}

/// Two server processes' worth of instances on one PostgreSQL, four runners (two on
/// each), 1,000 runs: every run completes exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_runs_over_two_instances_and_four_runners_complete_exactly_once() {
    let apps = agentry_tests::spawn_many(agentry_tests::Backend::Postgres, agentry_tests::test_config(), 2).await;
    let app = &apps[0];
    app.signup().await;
    let org = app.org_id().await;
    let (agent, key) = runnable_agent_with_lease(app, "busy", 30).await;
    let runners: Vec<Runner> = {
        let mut v = Vec::new();
        for i in 0..4 {
            v.push(Runner::start(&apps[i % 2].base, &key, &["--concurrency", "4"]).await);
        }
        v
    };
    const N: i64 = 1000;
    let creates = (0..N).map(|i| create_run(app, org, json!({"prompt": format!("echo {i}"), "agent_id": agent})));
    for res in futures::future::join_all(creates).await {
        assert_eq!(res.status(), 200);
    }
    let pool = &app.services.db().pool;
    let deadline = std::time::Instant::now() + Duration::from_secs(300);
    loop {
        let done: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM runs WHERE status = 'completed'").fetch_one(pool).await.unwrap();
        if done == N {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{done} of {N} runs completed in 5 minutes");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let attempts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM run_attempts").fetch_one(pool).await.unwrap();
    let completions: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM run_events WHERE kind = 'completed'").fetch_one(pool).await.unwrap();
    let twice: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM runs WHERE attempt <> 1").fetch_one(pool).await.unwrap();
    assert_eq!((attempts, completions, twice), (N, N, 0), "each run claimed once and completed once");
    let outputs: Vec<String> = sqlx::query_scalar("SELECT result FROM runs").fetch_all(pool).await.unwrap();
    let mut seen: Vec<i64> = outputs
        .iter()
        .map(|r| serde_json::from_str::<Value>(r).unwrap()["output"].as_str().unwrap().trim().parse().unwrap())
        .collect();
    seen.sort_unstable();
    assert_eq!(seen, (0..N).collect::<Vec<_>>(), "every run's own output");
    for r in runners {
        let (status, stderr) = r.interrupt().await;
        assert!(status.success(), "{stderr}");
    }
}
