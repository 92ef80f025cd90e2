//! `agentry agent run`: the reference runner. It claims the agent's runs (a long poll),
//! and for each one, once its first heartbeat is acknowledged, runs `sh -c CMD` with the
//! prompt on stdin, streams the output lines as progress and log, heartbeats at a third of
//! the lease, stops the command on cancel (SIGTERM, then SIGKILL after the grace period),
//! and posts the exit status and output. Network failures are retried with jittered
//! backoff. SIGINT or SIGTERM stop it cleanly: no new claims, the commands are stopped,
//! and their runs are handed back (released) to be claimed again.
//!
//! * `api.rs`: the runner protocol over HTTP, and the credentials file.
//! * `job.rs`: one run: the command, its output, heartbeats, cancel.

mod api;
mod job;

use api::{Api, Failure};
use clap::Args;
use rand::Rng;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Options of `agentry agent run`.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// The agent's credentials file (written by `agentry agent register`), or a file that
    /// holds only its API key (agk_…).
    #[arg(long, value_name = "PATH")]
    pub key_file: PathBuf,
    /// The command each run executes, with `sh -c`: the prompt is on its stdin, and
    /// AGENTRY_RUN_ID, AGENTRY_RUN_ATTEMPT and AGENTRY_AGENT_ID in its environment. Exit 0
    /// completes the run with its standard output; anything else fails it.
    #[arg(long, value_name = "CMD")]
    pub exec: String,
    /// Base URL of the Agentry server. Default: the credentials file's `server`.
    #[arg(long, env = "AGENTRY_SERVER")]
    pub server: Option<String>,
    /// How many runs to execute at once.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
    /// Seconds a cancelled (or interrupted) command has between SIGTERM and SIGKILL.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub grace: u64,
    /// Exit after this many runs (scripts and tests). Default: until interrupted.
    #[arg(long, value_name = "N")]
    pub max_runs: Option<u64>,
}

/// Runs `agentry agent run` until interrupted (or `--max-runs`).
pub async fn run(args: RunArgs) -> anyhow::Result<()> {
    let api = Api::from_args(&args)?;
    let (stop_tx, stop) = watch::channel(false);
    tokio::spawn(async move {
        interrupted().await;
        eprintln!("agentry: stopping: handing back running runs");
        let _ = stop_tx.send(true);
    });
    eprintln!("agentry: runner for agent {} on {}, {} at a time", api.agent_label(), api.server(), args.concurrency);
    let started = Arc::new(AtomicU64::new(0));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..args.concurrency {
        workers.spawn(worker(api.clone(), args.clone(), stop.clone(), started.clone()));
    }
    let mut result = Ok(());
    while let Some(done) = workers.join_next().await {
        if let Ok(Err(e)) = done {
            result = Err(e);
        }
    }
    result
}

/// One claim loop.
async fn worker(
    api: Api,
    args: RunArgs,
    mut stop: watch::Receiver<bool>,
    started: Arc<AtomicU64>,
) -> anyhow::Result<()> {
    let mut failures = 0u32;
    loop {
        if *stop.borrow() {
            return Ok(());
        }
        if args.max_runs.is_some_and(|max| started.load(Ordering::SeqCst) >= max) {
            return Ok(());
        }
        let claim = tokio::select! {
            c = api.claim(30) => c,
            _ = stop.changed() => return Ok(()),
        };
        match claim {
            Ok(Some(claim)) => {
                failures = 0;
                if args.max_runs.is_some_and(|max| started.fetch_add(1, Ordering::SeqCst) >= max) {
                    // One claim too many (another worker reached the limit): hand it back.
                    let _ = api.release(claim.run.id, &claim.lease).await;
                    return Ok(());
                }
                job::execute(&api, &args, claim, stop.clone()).await;
            }
            Ok(None) => failures = 0,
            Err(Failure::Refused(msg)) => anyhow::bail!("{msg}"),
            Err(e) => {
                failures += 1;
                let wait = backoff(failures);
                eprintln!("agentry: claim failed ({e}); retrying in {:.1}s", wait.as_secs_f64());
                tokio::select! {
                    () = tokio::time::sleep(wait) => {}
                    _ = stop.changed() => return Ok(()),
                }
            }
        }
    }
}

/// Exponential backoff with full jitter: up to 0.5 s, 1 s, 2 s, … 30 s.
pub(crate) fn backoff(failures: u32) -> Duration {
    let cap = (500u64 << failures.saturating_sub(1).min(6)).min(30_000);
    Duration::from_millis(rand::thread_rng().gen_range(cap / 4..=cap))
}

/// SIGINT or SIGTERM.
async fn interrupted() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) {
            (Ok(mut int), Ok(mut term)) => {
                tokio::select! { _ = int.recv() => {}, _ = term.recv() => {} }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
