//! Solving `agentry agent register`'s proof of work natively on every core, with a
//! progress bar (rate, ETA) on a terminal.

use super::Challenge;
use anyhow::bail;
use std::io::IsTerminal;
use std::time::Duration;

/// A count as a float, for display only (rounding above 2^53 does not matter there).
#[allow(clippy::as_conversions)]
fn approx(n: u64) -> f64 {
    n as f64
}

/// Solves the challenge on a blocking thread pool, with a progress bar on a terminal.
pub(super) async fn solve(
    challenge: &Challenge,
    public: &[u8; 32],
    target: u64,
    threads: usize,
) -> anyhow::Result<Vec<u64>> {
    let c = pow_wasm::derive(challenge.token.as_bytes(), public);
    let k = challenge.solutions;
    // Expected attempts: k / P(valid), P(valid) = target / 2^64.
    let expected = u64::try_from((u128::try_from(k).unwrap_or(1) << 64) / u128::from(target.max(1)))
        .unwrap_or(u64::MAX)
        .clamp(1, 1_000_000_000_000_000_000);
    let bar = if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(expected);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} proof of work [{bar:30}] {percent:>3}%  {msg}  ETA {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        Some(bar)
    } else {
        None
    };
    eprintln!(
        "Solving the proof of work: difficulty {}, {k} solutions (~{} hashes)…",
        challenge.difficulty,
        human(approx(expected))
    );
    let progress_bar = bar.clone();
    let (nonces, last) = tokio::task::spawn_blocking(move || {
        let last = std::sync::Mutex::new(None::<pow_wasm::Progress>);
        let nonces = pow_wasm::solve(&c, target, k, threads, |p| {
            if let Some(bar) = &progress_bar {
                bar.set_position(p.attempts.min(expected.saturating_sub(1)));
                bar.set_message(format!("{}H/s, {}/{} found", human(p.hashes_per_second), p.found, p.k));
            }
            if let Ok(mut l) = last.lock() {
                *l = Some(p);
            }
        });
        (nonces, last.into_inner().ok().flatten())
    })
    .await?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    if nonces.len() != k {
        bail!("the proof of work could not be solved (target {:016x})", target);
    }
    if let Some(p) = last {
        eprintln!(
            "Solved in {:.1} s ({} hashes, {}H/s).",
            p.elapsed.as_secs_f64(),
            human(approx(p.attempts)),
            human(p.hashes_per_second)
        );
    }
    Ok(nonces)
}

/// `12.3 M`, `456 k`.
fn human(x: f64) -> String {
    match x {
        x if x >= 1e9 => format!("{:.1} G", x / 1e9),
        x if x >= 1e6 => format!("{:.1} M", x / 1e6),
        x if x >= 1e3 => format!("{:.1} k", x / 1e3),
        x => format!("{x:.0} "),
    }
}
