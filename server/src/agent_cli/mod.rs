//! `agentry agent register`: give an agent an identity from the command line.
//!
//! Generates an Ed25519 key pair, fetches a proof-of-work challenge, solves it natively on
//! every core (with a progress bar on a terminal), registers the public key, and writes the
//! credentials to a file only the current user can read (`out_file.rs`). See
//! docs/REGISTRATION.md. `agentry agent run`, the reference runner, is `runner_cli`.

mod out_file;
mod solve;

use anyhow::{anyhow, bail, Context};
use base64::Engine;
use clap::{ArgGroup, Args, Subcommand};
use ed25519_dalek::SigningKey;
use out_file::OutFile;
use serde::Deserialize;
use serde_json::{json, Value};
use solve::solve;
use std::path::PathBuf;
use std::time::Duration;

/// `agentry agent …`.
#[derive(Debug, Subcommand)]
pub enum AgentCommand {
    /// Register a new agent: key pair, proof of work, registration, credentials file.
    ///
    /// Authenticate as the owner with a user API key (`--api-key`, or env
    /// AGENTRY_API_KEY) or a single-use delegated token (`--delegated-token`, or env
    /// AGENTRY_DELEGATED_TOKEN) and the agent is registered at once with its API key;
    /// or pass `--invite-email` and the owner gets an email to confirm the agent.
    Register(RegisterArgs),
    /// Run the agent's runs: claim each one, execute a command with the prompt on its
    /// stdin, stream its output, and post the outcome (see `agentry agent run --help`).
    Run(crate::runner_cli::RunArgs),
}

/// Options of `agentry agent register`.
#[derive(Debug, Clone, Args)]
#[command(group(ArgGroup::new("credential").args(["api_key", "delegated_token", "invite_email"]).multiple(false)))]
pub struct RegisterArgs {
    /// Base URL of the Agentry server, e.g. https://agentry.example.com.
    #[arg(long, env = "AGENTRY_SERVER")]
    pub server: String,
    /// Your user API key (uak_…). Default: env AGENTRY_API_KEY.
    #[arg(long)]
    pub api_key: Option<String>,
    /// A delegated registration token (dlg_…). Default: env AGENTRY_DELEGATED_TOKEN.
    #[arg(long)]
    pub delegated_token: Option<String>,
    /// Register without credentials: the owner at this address confirms by email.
    #[arg(long, value_name = "EMAIL")]
    pub invite_email: Option<String>,
    /// The agent's name.
    #[arg(long)]
    pub name: String,
    /// A description of the agent.
    #[arg(long, default_value = "")]
    pub description: String,
    /// Where to write the credentials (JSON, mode 0600). Default:
    /// ./agentry-agent-<name>.json.
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
    /// Overwrite the credentials file if it exists.
    #[arg(long)]
    pub force: bool,
    /// Ask for this proof-of-work difficulty (the server clamps it).
    #[arg(long, value_name = "N")]
    pub difficulty: Option<u32>,
    /// Solver threads; 0 = every core.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub threads: usize,
    /// Also print the agent's API key on stdout.
    #[arg(long)]
    pub print_key: bool,
}

/// Runs an `agentry agent` command.
pub async fn run(cmd: AgentCommand) -> anyhow::Result<()> {
    match cmd {
        AgentCommand::Run(args) => crate::runner_cli::run(args).await,
        AgentCommand::Register(args) => {
            let finished = {
                let work = register(args);
                tokio::pin!(work);
                tokio::select! {
                    r = &mut work => Some(r),
                    _ = tokio::signal::ctrl_c() => None,
                }
                // Interrupted: dropping `work` here removes the unwritten credentials file.
            };
            match finished {
                Some(r) => r,
                None => {
                    eprintln!("agentry: interrupted");
                    // Do not wait for the solver threads.
                    std::process::exit(130)
                }
            }
        }
    }
}

/// How the registration is authorized.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Mode {
    ApiKey(String),
    Delegated(String),
    Invite(String),
}

impl Mode {
    fn from_args(args: &RegisterArgs) -> anyhow::Result<Mode> {
        let env = |name: &str| std::env::var(name).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let mode = if let Some(k) = &args.api_key {
            Mode::ApiKey(k.trim().to_string())
        } else if let Some(t) = &args.delegated_token {
            Mode::Delegated(t.trim().to_string())
        } else if let Some(e) = &args.invite_email {
            Mode::Invite(e.trim().to_string())
        } else {
            match (env("AGENTRY_API_KEY"), env("AGENTRY_DELEGATED_TOKEN")) {
                (Some(_), Some(_)) => bail!(
                    "both AGENTRY_API_KEY and AGENTRY_DELEGATED_TOKEN are set; pass --api-key or --delegated-token to choose"
                ),
                (Some(k), None) => Mode::ApiKey(k),
                (None, Some(t)) => Mode::Delegated(t),
                (None, None) => bail!(
                    "say who owns the agent: --api-key uak_… (or env AGENTRY_API_KEY), --delegated-token dlg_… \
                     (or env AGENTRY_DELEGATED_TOKEN), or --invite-email OWNER@EXAMPLE.COM"
                ),
            }
        };
        match &mode {
            Mode::ApiKey(k) if !k.starts_with("uak_") => bail!("the API key must be a user API key (uak_…)"),
            Mode::Delegated(t) if !t.starts_with("dlg_") => bail!("the delegated token must start with dlg_"),
            Mode::Invite(e) if !e.contains('@') => bail!("--invite-email must be an email address"),
            _ => Ok(mode),
        }
    }

    fn bearer(&self) -> Option<&str> {
        match self {
            Mode::ApiKey(s) | Mode::Delegated(s) => Some(s),
            Mode::Invite(_) => None,
        }
    }
}

/// `GET /api/v1/registration/challenge`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Challenge {
    id: String,
    token: String,
    algorithm: String,
    difficulty: u32,
    target: String,
    solutions: usize,
}

/// The default credentials file for an agent name: `./agentry-agent-<name>.json`, with
/// anything but letters, digits, `.`, `_` and `-` replaced by `-`.
pub fn default_out(name: &str) -> PathBuf {
    let safe: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '-' }).collect();
    PathBuf::from(format!("agentry-agent-{}.json", safe.trim_start_matches('.')))
}

async fn register(args: RegisterArgs) -> anyhow::Result<()> {
    let mode = Mode::from_args(&args)?;
    let server = args.server.trim().trim_end_matches('/').to_string();
    if !(server.starts_with("http://") || server.starts_with("https://")) {
        bail!("--server must be an http:// or https:// URL (got {server:?})");
    }
    if args.name.trim().is_empty() {
        bail!("--name must not be empty");
    }
    let out = args.out.clone().unwrap_or_else(|| default_out(args.name.trim()));
    // Claim the output file before any work, so a registration never succeeds with
    // nowhere to put its key.
    let mut file = OutFile::create(&out, args.force)?;

    let signing = SigningKey::generate(&mut rand::rngs::OsRng);
    let public = signing.verifying_key().to_bytes();
    let b64 = base64::engine::general_purpose::STANDARD;

    let http = reqwest::Client::builder()
        .user_agent(concat!("agentry-cli/", env!("CARGO_PKG_VERSION")))
        .timeout(Duration::from_secs(60))
        .build()?;

    // 1. The challenge.
    let mut req = http.get(format!("{server}/api/v1/registration/challenge"));
    let mut query: Vec<(&str, String)> = Vec::new();
    if let Some(d) = args.difficulty {
        query.push(("difficulty", d.to_string()));
    }
    if matches!(mode, Mode::Invite(_)) {
        query.push(("invite", "true".into()));
    }
    req = req.query(&query);
    if let Some(b) = mode.bearer() {
        req = req.bearer_auth(b);
    }
    let res = req.send().await.with_context(|| format!("could not reach {server}"))?;
    let challenge: Challenge = serde_json::from_value(expect(res, "getting a challenge", 201).await?)
        .context("the server's challenge is not what this CLI understands")?;
    if challenge.algorithm != "sha256" {
        bail!("the server wants proof-of-work algorithm {:?}; this CLI only knows sha256", challenge.algorithm);
    }
    let target = pow_wasm::parse_target(&challenge.target)
        .ok_or_else(|| anyhow!("the challenge's target {:?} is malformed", challenge.target))?;
    if challenge.solutions == 0 || challenge.solutions > usize::from(pow_wasm::MAX_K) {
        bail!("the challenge asks for {} solutions, outside 1..={}", challenge.solutions, pow_wasm::MAX_K);
    }

    // 2. The work.
    let nonces = solve(&challenge, &public, target, args.threads).await?;

    // 3. The registration.
    let mut body = json!({
        "challengeId": challenge.id,
        "solution": {"nonces": nonces.iter().map(|n| pow_wasm::format_nonce(*n)).collect::<Vec<_>>()},
        "publicKey": b64.encode(public),
        "name": args.name.trim(),
        "description": args.description,
    });
    if let Mode::Invite(email) = &mode {
        body["ownerEmail"] = json!(email);
    }
    let mut req = http.post(format!("{server}/api/v1/registration/agent")).json(&body);
    if let Some(b) = mode.bearer() {
        req = req.bearer_auth(b);
    }
    let res = req.send().await.with_context(|| format!("could not reach {server}"))?;
    let answer = expect(res, "registering the agent", 201).await?;
    let agent = &answer["agent"];
    let registration =
        agent["registration"].as_str().or_else(|| answer["status"].as_str()).unwrap_or("unknown").to_string();
    let api_key = answer["apiKey"].as_str().map(str::to_string);

    // 4. The credentials.
    let mut creds = json!({
        "server": server,
        "agentId": agent["id"],
        "name": agent["name"].as_str().unwrap_or(args.name.trim()),
        "registration": registration,
        "publicKey": b64.encode(public),
        "privateKey": b64.encode(signing.to_bytes()),
    });
    if let Some(k) = &api_key {
        creds["apiKey"] = json!(k);
    }
    if let Some(id) = answer.get("keyId") {
        creds["keyId"] = id.clone();
    }
    if let Mode::Invite(email) = &mode {
        creds["ownerEmail"] = json!(email);
    }
    file.write(&creds)?;

    let id = agent["id"].as_i64().map_or_else(|| "?".to_string(), |i| i.to_string());
    let name = creds["name"].as_str().unwrap_or_default().to_string();
    match &mode {
        Mode::Invite(email) => {
            println!("Agent \"{name}\" (id {id}) is pending: an invite went to {email}.");
            println!("Once they confirm it, the owner receives the agent's API key.");
        }
        _ => println!("Agent \"{name}\" (id {id}) is {registration} on {server}."),
    }
    println!(
        "Credentials (key pair{}) written to {} (mode 0600).",
        if api_key.is_some() { ", API key" } else { "" },
        out.display()
    );
    if args.print_key {
        if let Some(k) = &api_key {
            println!("API key: {k}");
        }
    }
    Ok(())
}

/// The JSON body of a response with the expected status; otherwise an error made from its
/// problem document.
async fn expect(res: reqwest::Response, doing: &str, status: u16) -> anyhow::Result<Value> {
    let code = res.status();
    let retry_after = res.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_string);
    let text = res.text().await.unwrap_or_default();
    if code.as_u16() == status {
        return serde_json::from_str(&text).with_context(|| format!("{doing}: the server's answer is not JSON"));
    }
    Err(anyhow!(problem_message(doing, code.as_u16(), &text, retry_after.as_deref())))
}

/// A clear one-line message for a failed request, from its problem+json body if any.
pub fn problem_message(doing: &str, status: u16, body: &str, retry_after: Option<&str>) -> String {
    let problem: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let title = problem["title"].as_str().map(str::to_string).unwrap_or_else(|| {
        reqwest::StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason()).unwrap_or("error").to_string()
    });
    let mut msg = format!("{doing} failed: {status} {title}");
    if let Some(detail) = problem["detail"].as_str().filter(|d| !d.is_empty()) {
        msg.push_str(&format!(": {detail}"));
    }
    if let Some(errors) = problem["errors"].as_array() {
        for e in errors {
            if let (Some(f), Some(m)) = (e["field"].as_str(), e["message"].as_str()) {
                msg.push_str(&format!("\n  {f}: {m}"));
            }
        }
    }
    let hint = match status {
        401 => Some(
            "the API key or delegated token was not accepted (revoked, expired, already used, or mistyped)".to_string(),
        ),
        403 => Some("the owner's organization may have no free seat, or the token does not allow this".to_string()),
        404 if problem.is_null() => Some("is --server the Agentry server's base URL?".to_string()),
        429 => Some(match retry_after {
            Some(s) => format!("rate limited: try again in {s} s"),
            None => "rate limited: try again later".to_string(),
        }),
        _ => None,
    };
    if let Some(h) = hint {
        msg.push_str(&format!("\n  hint: {h}"));
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_file_names_are_safe() {
        assert_eq!(default_out("build-bot"), PathBuf::from("agentry-agent-build-bot.json"));
        assert_eq!(default_out("../x y"), PathBuf::from("agentry-agent--x-y.json"));
    }

    #[test]
    fn problems_become_clear_messages() {
        let body = r#"{"type":"https://agentry.dev/problems/forbidden","title":"Forbidden","status":403,"detail":"No free seat."}"#;
        let m = problem_message("registering the agent", 403, body, None);
        assert!(m.starts_with("registering the agent failed: 403 Forbidden: No free seat."), "{m}");
        assert!(m.contains("seat"));
        let m = problem_message("getting a challenge", 429, "", Some("12"));
        assert!(m.contains("429 Too Many Requests") && m.contains("try again in 12 s"), "{m}");
    }
}
