//! The runner protocol over HTTP (`/api/v1/runner/…`, an `agk_` key), and reading the
//! key from the credentials file.

use super::RunArgs;
use anyhow::Context;
use serde::Deserialize;
use serde_json::{json, Value};
use std::time::Duration;

/// How a call failed.
#[derive(Debug)]
pub enum Failure {
    /// 409: the lease lapsed and the run was claimed again, or it is over: stop.
    Lost(String),
    /// 401, 403, 404 and other answers that retrying will not change.
    Refused(String),
    /// The server could not be reached, or answered 408, 429 or 5xx: try again.
    Transient(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Lost(m) | Failure::Refused(m) | Failure::Transient(m) => f.write_str(m),
        }
    }
}

/// A claimed run.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Claimed {
    pub run: ClaimedRun,
    pub lease: String,
    pub lease_expires_at: chrono::DateTime<chrono::Utc>,
}

/// The fields of a claimed run the runner uses.
#[derive(Debug, Deserialize)]
pub struct ClaimedRun {
    pub id: i64,
    pub agent_id: i64,
    pub prompt: String,
    pub attempt: i64,
}

/// The heartbeat's answer.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ack {
    pub cancel_requested: bool,
}

/// The server and the agent's key.
#[derive(Clone)]
pub struct Api {
    client: reqwest::Client,
    server: String,
    key: String,
    agent: String,
}

impl Api {
    /// Reads the key (and, unless `--server` says, the server) from `--key-file`.
    pub fn from_args(args: &RunArgs) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(&args.key_file)
            .with_context(|| format!("could not read {}", args.key_file.display()))?;
        let (key, file_server, agent) = match serde_json::from_str::<Value>(&text) {
            Ok(creds) => (
                creds["apiKey"].as_str().map(str::to_string),
                creds["server"].as_str().map(str::to_string),
                creds["name"].as_str().or(creds["agentId"].as_str()).map(str::to_string),
            ),
            Err(_) => (Some(text.trim().to_string()), None, None),
        };
        let key = key.filter(|k| k.starts_with("agk_")).with_context(|| {
            format!(
                "{} holds no agent API key (agk_…); an invite-pending agent gets one once confirmed",
                args.key_file.display()
            )
        })?;
        let server = args.server.clone().or(file_server).context("no server: pass --server or set AGENTRY_SERVER")?;
        let client = reqwest::Client::builder().timeout(Duration::from_secs(60)).build()?;
        let agent = agent.unwrap_or_else(|| "(from key)".to_string());
        Ok(Self { client, server: server.trim_end_matches('/').to_string(), key, agent })
    }

    /// The server's base URL.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// The agent's name, for messages.
    pub fn agent_label(&self) -> &str {
        &self.agent
    }

    async fn post(&self, path: &str, body: Value) -> Result<Option<Value>, Failure> {
        let res = self
            .client
            .post(format!("{}{path}", self.server))
            .bearer_auth(&self.key)
            .json(&body)
            .send()
            .await
            .map_err(|e| Failure::Transient(format!("could not reach {}: {e}", self.server)))?;
        let status = res.status().as_u16();
        if status == 204 {
            return Ok(None);
        }
        let retry_after = res.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_string);
        let text = res.text().await.map_err(|e| Failure::Transient(format!("reading the answer: {e}")))?;
        if status == 200 {
            return serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| Failure::Transient(format!("the answer is not JSON: {e}")));
        }
        let msg = crate::agent_cli::problem_message(path, status, &text, retry_after.as_deref());
        Err(match status {
            409 => Failure::Lost(msg),
            408 | 429 | 500.. => Failure::Transient(msg),
            _ => Failure::Refused(msg),
        })
    }

    /// `POST /api/v1/runner/claim?wait=S`.
    pub async fn claim(&self, wait: u64) -> Result<Option<Claimed>, Failure> {
        let answer = self.post(&format!("/api/v1/runner/claim?wait={wait}"), json!({})).await?;
        answer
            .map(|v| serde_json::from_value(v).map_err(|e| Failure::Transient(format!("an odd claim: {e}"))))
            .transpose()
    }

    /// `POST /api/v1/runner/runs/{id}/progress`.
    pub async fn progress(&self, id: i64, lease: &str, message: Option<&str>, log: &[String]) -> Result<Ack, Failure> {
        let mut body = json!({"lease": lease});
        if let Some(m) = message {
            body["message"] = json!(m);
        }
        if !log.is_empty() {
            body["log"] = json!(log);
        }
        let answer = self.post(&format!("/api/v1/runner/runs/{id}/progress"), body).await?;
        serde_json::from_value(answer.unwrap_or_default())
            .map_err(|e| Failure::Transient(format!("an odd answer: {e}")))
    }

    /// `POST /api/v1/runner/runs/{id}/complete`.
    pub async fn complete(&self, id: i64, body: Value) -> Result<(), Failure> {
        self.post(&format!("/api/v1/runner/runs/{id}/complete"), body).await.map(|_| ())
    }

    /// `POST /api/v1/runner/runs/{id}/release`.
    pub async fn release(&self, id: i64, lease: &str) -> Result<(), Failure> {
        self.post(&format!("/api/v1/runner/runs/{id}/release"), json!({"lease": lease})).await.map(|_| ())
    }
}
