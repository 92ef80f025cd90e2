//! Multi-threaded native solver (std only).

use crate::Solver;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Nonces per work unit handed to a thread (a few milliseconds of work).
const CHUNK: u64 = 1 << 16;
/// Minimum interval between progress reports.
const REPORT_EVERY: Duration = Duration::from_millis(50);

/// A progress report from [`solve`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Progress {
    /// Nonces tried so far.
    pub attempts: u64,
    /// Valid nonces found so far (may exceed `k` briefly; capped in the result).
    pub found: usize,
    /// Nonces wanted.
    pub k: usize,
    /// Time since the solve started.
    pub elapsed: Duration,
    /// Average hash rate so far.
    pub hashes_per_second: f64,
}

struct State {
    next: u64,
    inflight: Vec<u64>,
    found: Vec<u64>,
    attempts: u64,
    done: bool,
    last_report: Instant,
}

impl State {
    /// Have we got the `k` smallest valid nonces? True once `k` are found and no chunk
    /// that could hold a smaller one is still being searched.
    fn complete(&self, k: usize) -> bool {
        self.found.len() >= k && self.inflight.iter().all(|&s| s > self.found[k - 1])
    }
}

/// Find the `k` smallest valid nonces (scanning up from 0) with `threads` OS threads
/// (`0` = all available cores), calling `progress` at most every ~50 ms and once at the
/// end. The result is sorted and identical to a single-threaded [`crate::solve_range`]
/// from 0. Returns an empty vector for `k == 0` or `target == 0` (unsolvable); if threads
/// cannot be spawned (e.g. on wasm), the calling thread does all the work.
pub fn solve(c: &[u8; 32], target: u64, k: usize, threads: usize, progress: impl Fn(Progress) + Sync) -> Vec<u64> {
    if k == 0 || target == 0 {
        return Vec::new();
    }
    let threads = if threads == 0 { std::thread::available_parallelism().map_or(1, |n| n.get()) } else { threads };
    let solver = Solver::new(c, target);
    let started = Instant::now();
    let state = Mutex::new(State {
        next: 0,
        inflight: Vec::new(),
        found: Vec::new(),
        attempts: 0,
        done: false,
        last_report: started,
    });
    let report = |st: &State| Progress {
        attempts: st.attempts,
        found: st.found.len().min(k),
        k,
        elapsed: started.elapsed(),
        hashes_per_second: st.attempts as f64 / started.elapsed().as_secs_f64().max(1e-9),
    };
    let work = || {
        let mut local = Vec::new();
        loop {
            let start = {
                let Ok(mut st) = state.lock() else { return };
                if st.done || st.complete(k) || st.next == u64::MAX {
                    st.done = true;
                    return;
                }
                let s = st.next;
                st.next = s.saturating_add(CHUNK);
                st.inflight.push(s);
                s
            };
            local.clear();
            let tried = solver.search(start, CHUNK, &mut local, usize::MAX);
            let snapshot = {
                let Ok(mut st) = state.lock() else { return };
                st.inflight.retain(|&s| s != start);
                st.attempts += tried;
                if !local.is_empty() {
                    st.found.extend_from_slice(&local);
                    st.found.sort_unstable();
                    st.found.truncate(k.max(1) * 2);
                }
                if st.last_report.elapsed() >= REPORT_EVERY {
                    st.last_report = Instant::now();
                    Some(report(&st))
                } else {
                    None
                }
            };
            if let Some(p) = snapshot {
                progress(p);
            }
        }
    };
    std::thread::scope(|s| {
        for _ in 1..threads {
            if std::thread::Builder::new().spawn_scoped(s, work).is_err() {
                break;
            }
        }
        work();
    });
    let Ok(mut st) = state.into_inner() else {
        return Vec::new();
    };
    st.found.truncate(k);
    progress(report(&st));
    st.found
}
