//! One run: the first heartbeat, then `sh -c CMD` in its own process group with the
//! prompt on stdin; its output lines go out as log (and the last one as the progress
//! message) at most every 250 ms, and a heartbeat at least every third of the lease. A
//! cancel asked on the server stops the command (SIGTERM, SIGKILL after `--grace`); a lost
//! lease kills it at once and posts nothing more. At the end, the exit status and the
//! output are posted; when the runner is stopping, the run is handed back instead.

use super::api::{Api, Claimed, Failure};
use super::RunArgs;
use agentry_services::model::LOG_LINE_MAX;
use serde_json::{json, Value};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, watch};
use tokio::time::{sleep_until, Instant};

/// How often output is sent.
const FLUSH: Duration = Duration::from_millis(250);
/// Output lines per progress call (the server's cap).
const LINES_PER_CALL: usize = 100;
/// Most bytes of output kept for the result (the end of it).
const OUTPUT_KEPT: usize = 256 * 1024;

/// What became of the run, as far as this runner is concerned.
enum End {
    Exited(ExitStatus),
    Lost(String),
}

/// Executes one claimed run to its end.
pub async fn execute(api: &Api, args: &RunArgs, claim: Claimed, mut stop: watch::Receiver<bool>) {
    let (id, lease) = (claim.run.id, claim.lease.clone());
    let tag = format!("run {id} (attempt {})", claim.run.attempt);
    let lease_len = (claim.lease_expires_at - chrono::Utc::now()).to_std().unwrap_or_default();
    let beat = (lease_len / 3).max(Duration::from_millis(300));
    eprintln!("agentry: {tag}: claimed");
    // The command starts only once the server has acknowledged a heartbeat.
    let cancelled_early = match api.progress(id, &lease, Some("starting"), &[]).await {
        Ok(ack) => ack.cancel_requested,
        Err(e) => {
            eprintln!("agentry: {tag}: not started: {e}");
            return;
        }
    };
    if cancelled_early {
        finish(
            api,
            &tag,
            id,
            json!({"lease": lease, "status": "failed", "error": {"message": "Cancelled before it started."}}),
        )
        .await;
        return;
    }
    let mut child = match spawn(args, &claim) {
        Ok(c) => c,
        Err(e) => {
            let error = json!({"message": format!("Could not start the command: {e}")});
            finish(api, &tag, id, json!({"lease": lease, "status": "failed", "error": error})).await;
            return;
        }
    };
    let (tx, mut rx) = mpsc::channel::<(bool, String)>(1024);
    if let Some(out) = child.stdout.take() {
        tokio::spawn(read_lines(out, false, tx.clone()));
    }
    if let Some(err) = child.stderr.take() {
        tokio::spawn(read_lines(err, true, tx.clone()));
    }
    drop(tx);
    if let Some(mut stdin) = child.stdin.take() {
        let prompt = claim.run.prompt.clone();
        tokio::spawn(async move {
            let _ = stdin.write_all(prompt.as_bytes()).await;
        });
    }
    let pid = child.id().and_then(|p| i32::try_from(p).ok());
    let mut out = Output::default();
    let mut next_beat = Instant::now() + beat;
    let mut flush = tokio::time::interval(FLUSH);
    let mut kill_at: Option<Instant> = None;
    let (mut cancelled, mut stopping) = (false, false);
    let end = loop {
        tokio::select! {
            status = child.wait() => break match status {
                Ok(s) => End::Exited(s),
                Err(e) => End::Lost(format!("waiting for the command failed: {e}")),
            },
            Some((is_err, line)) = rx.recv() => out.push(is_err, line),
            _ = flush.tick() => {
                if out.pending.is_empty() && Instant::now() < next_beat {
                    continue;
                }
                match send(api, id, &lease, &mut out).await {
                    Ok(cancel) => {
                        next_beat = Instant::now() + beat;
                        if cancel && !cancelled {
                            cancelled = true;
                            eprintln!("agentry: {tag}: cancel asked; stopping the command");
                            signal(pid, libc::SIGTERM);
                            kill_at.get_or_insert(Instant::now() + Duration::from_secs(args.grace));
                        }
                    }
                    Err(Failure::Transient(e)) => eprintln!("agentry: {tag}: heartbeat failed ({e}); trying again"),
                    Err(e) => {
                        signal(pid, libc::SIGKILL);
                        let _ = child.wait().await;
                        break End::Lost(e.to_string());
                    }
                }
            }
            () = sleep_until(kill_at.unwrap_or_else(Instant::now)), if kill_at.is_some() => {
                signal(pid, libc::SIGKILL);
                kill_at = None;
            }
            _ = stop.changed(), if !stopping => {
                stopping = true;
                signal(pid, libc::SIGTERM);
                kill_at.get_or_insert(Instant::now() + Duration::from_secs(args.grace));
            }
        }
    };
    let status = match end {
        End::Lost(why) => {
            eprintln!("agentry: {tag}: lost ({why}); its outcome is not posted");
            return;
        }
        End::Exited(status) => status,
    };
    // The rest of the output (a process the command left behind may hold the pipes open).
    let drain = Instant::now() + Duration::from_secs(2);
    while let Ok(Some((is_err, line))) = tokio::time::timeout_at(drain, rx.recv()).await {
        out.push(is_err, line);
    }
    while !out.pending.is_empty() {
        match send(api, id, &lease, &mut out).await {
            Ok(_) => {}
            Err(Failure::Transient(_)) => tokio::time::sleep(FLUSH).await,
            Err(e) => {
                eprintln!("agentry: {tag}: lost ({e}); its outcome is not posted");
                return;
            }
        }
    }
    if stopping && !cancelled {
        match api.release(id, &lease).await {
            Ok(()) => eprintln!("agentry: {tag}: handed back"),
            Err(e) => eprintln!("agentry: {tag}: handing back failed ({e}); its lease will lapse"),
        }
        return;
    }
    finish(api, &tag, id, outcome(&lease, status, cancelled, &out)).await;
}

/// `sh -c CMD` in a process group of its own (so signals reach whatever it starts).
fn spawn(args: &RunArgs, claim: &Claimed) -> std::io::Result<tokio::process::Child> {
    let mut cmd = tokio::process::Command::new("sh");
    cmd.arg("-c")
        .arg(&args.exec)
        .env("AGENTRY_RUN_ID", claim.run.id.to_string())
        .env("AGENTRY_RUN_ATTEMPT", claim.run.attempt.to_string())
        .env("AGENTRY_AGENT_ID", claim.run.agent_id.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    #[cfg(unix)]
    cmd.process_group(0);
    cmd.spawn()
}

/// Sends `sig` to the command's process group.
fn signal(pid: Option<i32>, sig: i32) {
    #[cfg(unix)]
    if let Some(pid) = pid {
        // SAFETY: kill(2) with a negative pid signals that process group; no memory is shared.
        unsafe {
            libc::kill(-pid, sig);
        }
    }
}

/// The command's output: lines not yet sent, and the end of each stream, kept.
#[derive(Default)]
struct Output {
    pending: Vec<String>,
    last: Option<String>,
    stdout: String,
    stderr: String,
    cut: bool,
}

impl Output {
    fn push(&mut self, is_err: bool, line: String) {
        let kept = if is_err { &mut self.stderr } else { &mut self.stdout };
        kept.push_str(&line);
        kept.push('\n');
        if kept.len() > OUTPUT_KEPT {
            let mut from = kept.len() - OUTPUT_KEPT;
            while !kept.is_char_boundary(from) {
                from += 1;
            }
            kept.drain(..from);
            self.cut = true;
        }
        if !line.trim().is_empty() {
            self.last = Some(line.chars().take(200).collect());
        }
        self.pending.push(line);
    }
}

/// One progress call with up to [`LINES_PER_CALL`] pending lines; whether a cancel was asked.
async fn send(api: &Api, id: i64, lease: &str, out: &mut Output) -> Result<bool, Failure> {
    let n = out.pending.len().min(LINES_PER_CALL);
    let ack = api.progress(id, lease, out.last.as_deref(), &out.pending[..n]).await?;
    out.pending.drain(..n);
    Ok(ack.cancel_requested)
}

/// The `complete` body for the command's exit.
fn outcome(lease: &str, status: ExitStatus, cancelled: bool, out: &Output) -> Value {
    if status.success() && !cancelled {
        return json!({"lease": lease, "status": "completed",
            "result": {"exit_code": 0, "output": out.stdout, "output_truncated": out.cut}});
    }
    #[cfg(unix)]
    let sig = std::os::unix::process::ExitStatusExt::signal(&status);
    #[cfg(not(unix))]
    let sig: Option<i32> = None;
    let message = match (cancelled, status.code(), sig) {
        (true, ..) => "Cancelled.".to_string(),
        (false, Some(code), _) => format!("The command exited with status {code}."),
        (false, None, Some(sig)) => format!("The command was killed by signal {sig}."),
        (false, None, None) => "The command failed.".to_string(),
    };
    json!({"lease": lease, "status": "failed", "error": {
        "message": message, "exit_code": status.code(), "signal": sig,
        "output": out.stdout, "stderr": out.stderr, "output_truncated": out.cut}})
}

/// Posts `complete`, retrying while the server is unreachable (the lease bounds it).
async fn finish(api: &Api, tag: &str, id: i64, body: Value) {
    for attempt in 1..=8 {
        match api.complete(id, body.clone()).await {
            Ok(()) => {
                eprintln!("agentry: {tag}: {}", body["status"].as_str().unwrap_or("done"));
                return;
            }
            Err(Failure::Transient(e)) => {
                eprintln!("agentry: {tag}: posting the outcome failed ({e}); trying again");
                tokio::time::sleep(super::backoff(attempt)).await;
            }
            Err(e) => {
                eprintln!("agentry: {tag}: lost ({e}); its outcome is not posted");
                return;
            }
        }
    }
}

/// Sends the lines of `r` (each cut to [`LOG_LINE_MAX`] bytes) until it closes.
async fn read_lines<R: AsyncRead + Unpin>(mut r: R, is_err: bool, tx: mpsc::Sender<(bool, String)>) {
    let mut buf = vec![0u8; 8192];
    let mut line: Vec<u8> = Vec::new();
    loop {
        let n = match r.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        for &b in &buf[..n] {
            if b == b'\n' || line.len() >= LOG_LINE_MAX {
                let text = String::from_utf8_lossy(&line).trim_end_matches('\r').to_string();
                line.clear();
                if tx.send((is_err, text)).await.is_err() {
                    return;
                }
                if b == b'\n' {
                    continue;
                }
            }
            line.push(b);
        }
    }
    if !line.is_empty() {
        let _ = tx.send((is_err, String::from_utf8_lossy(&line).to_string())).await;
    }
}
