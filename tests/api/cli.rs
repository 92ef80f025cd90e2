//! `agentry agent register`: the built binary against a test server, in its three modes
//! (user API key, delegated token, invite email).
//!
//! The binary is `AGENTRY_BIN`, else `target/debug/agentry` (scripts/test.sh builds it
//! first with `cargo build -p agentry-server`).

use agentry_tests::{both, TestApp};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Output;

/// The `agentry` binary; fails clearly when it has not been built.
pub fn agentry_bin() -> PathBuf {
    let path = std::env::var_os("AGENTRY_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/debug/agentry"));
    assert!(
        path.is_file(),
        "the CLI tests run the agentry binary, but {} does not exist: build it first with \
         `cargo build -p agentry-server` (scripts/test.sh does), or set AGENTRY_BIN",
        path.display()
    );
    path
}

/// Runs `agentry` with `args` and extra environment variables; the registration env vars
/// of the calling shell are never inherited.
pub async fn agentry(args: &[&str], env: &[(&str, &str)], dir: &Path) -> Output {
    let mut cmd = tokio::process::Command::new(agentry_bin());
    cmd.args(args)
        .current_dir(dir)
        .env_remove("AGENTRY_API_KEY")
        .env_remove("AGENTRY_DELEGATED_TOKEN")
        .env_remove("AGENTRY_SERVER")
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = tokio::time::timeout(std::time::Duration::from_secs(120), cmd.output())
        .await
        .expect("agentry agent register took over 2 minutes")
        .unwrap();
    out
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Reads a credentials file, checking it is private to its owner.
fn credentials(path: &Path) -> Value {
    let meta = std::fs::metadata(path).unwrap_or_else(|e| panic!("{} missing: {e}", path.display()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(meta.permissions().mode() & 0o777, 0o600, "credentials file mode");
    }
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// 32 bytes in standard base64: 43 characters and one `=`.
fn is_b64_32(v: &Value) -> bool {
    v.as_str().is_some_and(|s| s.len() == 44 && s.ends_with('=') && !s[..43].contains('='))
}

async fn agent_self(app: &TestApp, key: &str) -> reqwest::Response {
    agentry_tests::client().get(app.url("/api/v1/agents/self")).bearer_auth(key).send().await.unwrap()
}

both!(registers_with_a_user_api_key, |app| {
    app.signup().await;
    let key: Value = app.post("/api/v1/api-keys", json!({"name": "cli"})).await.json().await.unwrap();
    let key = key["secret"].as_str().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let out = agentry(
        &[
            "agent",
            "register",
            "--server",
            &app.base,
            "--api-key",
            &key,
            "--name",
            "cli-bot",
            "--description",
            "made by the CLI",
            "--difficulty",
            "4",
            "--threads",
            "2",
        ],
        &[],
        dir.path(),
    )
    .await;
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "stdout: {stdout}\nstderr: {stderr}");
    // The default file name, in the working directory, mode 0600.
    let creds = credentials(&dir.path().join("agentry-agent-cli-bot.json"));
    assert_eq!(creds["server"], app.base.as_str());
    assert_eq!(creds["name"], "cli-bot");
    assert_eq!(creds["registration"], "registered");
    assert!(creds["agentId"].is_i64(), "{creds}");
    assert!(is_b64_32(&creds["publicKey"]) && is_b64_32(&creds["privateKey"]), "{creds}");
    assert_ne!(creds["publicKey"], creds["privateKey"]);
    let agk = creds["apiKey"].as_str().unwrap();
    assert!(agk.starts_with("agk_"), "{creds}");
    // The key is never printed without --print-key.
    assert!(!stdout.contains(agk) && !stderr.contains(agk) && !stdout.contains(creds["privateKey"].as_str().unwrap()));
    assert!(stdout.contains("cli-bot") && stdout.contains("registered"), "{stdout}");
    // The key works.
    let res = agent_self(&app, agk).await;
    assert_eq!(res.status(), 200);
    let me: Value = res.json().await.unwrap();
    assert_eq!(me["id"], creds["agentId"]);
    assert_eq!(me["publicKey"], creds["publicKey"]);

    // An existing file is never overwritten without --force, and nothing is registered.
    let before = std::fs::read(dir.path().join("agentry-agent-cli-bot.json")).unwrap();
    let agents = app.count("agents").await;
    let out =
        agentry(&["agent", "register", "--server", &app.base, "--api-key", &key, "--name", "cli-bot"], &[], dir.path())
            .await;
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("already exists"), "{}", text(&out.stderr));
    assert_eq!(std::fs::read(dir.path().join("agentry-agent-cli-bot.json")).unwrap(), before);
    assert_eq!(app.count("agents").await, agents);

    // --force replaces it; --out and --print-key; the key from the environment.
    let out = agentry(
        &[
            "agent",
            "register",
            "--server",
            &app.base,
            "--name",
            "cli-bot-2",
            "--out",
            "agentry-agent-cli-bot.json",
            "--force",
            "--print-key",
        ],
        &[("AGENTRY_API_KEY", &key)],
        dir.path(),
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let creds2 = credentials(&dir.path().join("agentry-agent-cli-bot.json"));
    assert_eq!(creds2["name"], "cli-bot-2");
    assert!(text(&out.stdout).contains(creds2["apiKey"].as_str().unwrap()));
    assert_ne!(creds2["agentId"], creds["agentId"]);
    assert!(std::fs::read_dir(dir.path()).unwrap().count() == 1, "no temporary file left behind");

    // A wrong key: a clear message, a non-zero exit, no file.
    let out = agentry(
        &["agent", "register", "--server", &app.base, "--api-key", "uak_wrong", "--name", "nope", "--out", "nope.json"],
        &[],
        dir.path(),
    )
    .await;
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("401"), "{err}");
    assert!(!dir.path().join("nope.json").exists());
});

both!(registers_with_a_delegated_token, |app| {
    app.signup().await;
    let res = app.post("/api/v1/registration/delegated-token", json!({"namePrefix": "ci-"})).await;
    assert_eq!(res.status(), 201);
    let token = res.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("dlg_"));
    let dir = tempfile::tempdir().unwrap();
    let out = agentry(
        &[
            "agent",
            "register",
            "--server",
            &app.base,
            "--delegated-token",
            &token,
            "--name",
            "ci-runner",
            "--out",
            "ci.json",
        ],
        &[],
        dir.path(),
    )
    .await;
    assert!(out.status.success(), "stdout: {}\nstderr: {}", text(&out.stdout), text(&out.stderr));
    let creds = credentials(&dir.path().join("ci.json"));
    assert_eq!(creds["registration"], "registered");
    assert_eq!(creds["name"], "ci-runner");
    assert_eq!(agent_self(&app, creds["apiKey"].as_str().unwrap()).await.status(), 200);

    // Single use: the same token again (from the environment this time) fails clearly.
    let out = agentry(
        &["agent", "register", "--server", &app.base, "--name", "ci-runner-2", "--out", "ci2.json"],
        &[("AGENTRY_DELEGATED_TOKEN", &token)],
        dir.path(),
    )
    .await;
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("failed: 4"), "{err}");
    assert!(!dir.path().join("ci2.json").exists());
});

both!(registers_by_invite_email, |app| {
    let owner = app.signup().await;
    let dir = tempfile::tempdir().unwrap();
    let outbox_before = app.count("outbox").await;
    let out = agentry(
        &[
            "agent",
            "register",
            "--server",
            &app.base,
            "--invite-email",
            &owner,
            "--name",
            "invited-bot",
            "--out",
            "invited.json",
        ],
        &[],
        dir.path(),
    )
    .await;
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "stdout: {stdout}\nstderr: {}", text(&out.stderr));
    let creds = credentials(&dir.path().join("invited.json"));
    assert_eq!(creds["registration"], "pending_invite");
    assert!(creds.get("apiKey").is_none(), "no key before confirmation: {creds}");
    assert!(is_b64_32(&creds["privateKey"]));
    assert!(stdout.contains(&owner) && stdout.contains("pending"), "{stdout}");
    // The invite email is in the outbox, addressed to the owner, with the confirm link.
    assert_eq!(app.count("outbox").await, outbox_before + 1);
    let page: Value = app.get("/api/v1/outbox").await.json().await.unwrap();
    let invite =
        page["items"].as_array().unwrap().iter().find(|r| r["kind"] == "agent_invite").cloned().expect("invite email");
    assert_eq!(invite["to"], owner.as_str());
    assert!(invite["body"].as_str().unwrap().contains("/invite/confirm?token=inv_"), "{invite}");
});

both!(cli_usage_errors_are_clear, |app| {
    let dir = tempfile::tempdir().unwrap();
    // No credential at all.
    let out = agentry(&["agent", "register", "--server", &app.base, "--name", "x"], &[], dir.path()).await;
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("--invite-email"), "{}", text(&out.stderr));
    // Two credentials.
    let out = agentry(
        &[
            "agent",
            "register",
            "--server",
            &app.base,
            "--name",
            "x",
            "--api-key",
            "uak_a",
            "--invite-email",
            "a@example.com",
        ],
        &[],
        dir.path(),
    )
    .await;
    assert!(!out.status.success());
    // An unreachable server.
    let out = agentry(
        &["agent", "register", "--server", "http://127.0.0.1:9", "--name", "x", "--invite-email", "a@example.com"],
        &[],
        dir.path(),
    )
    .await;
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("could not reach"), "{}", text(&out.stderr));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "no file left behind");
});

both!(a_full_organization_is_explained, |app| {
    app.signup().await;
    let key = app.user_key().await;
    let org = app.org_id().await;
    app.set_seat_limit(org, 0).await;
    let dir = tempfile::tempdir().unwrap();
    let out =
        agentry(&["agent", "register", "--server", &app.base, "--api-key", &key, "--name", "full"], &[], dir.path())
            .await;
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("403") && err.contains("seat"), "{err}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "no file left behind");
});
