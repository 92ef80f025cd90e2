//! The open-loop load generator: requests leave on a fixed timetable (one every
//! `1/rate` s) whatever the answers do, and each latency is measured from the time the
//! request was *scheduled*, so a slow answer delays no later request and a server that
//! falls behind shows its queue in the figures (no coordinated omission).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Builds the `i`-th request of a phase.
pub type MakeRequest = Arc<dyn Fn(u64) -> reqwest::RequestBuilder + Send + Sync>;

/// One scheduled request: latency from its scheduled time (µs), how late its task began
/// (µs), and whether it answered 2xx. `None`: not sent (too many in flight) or failed.
#[derive(Clone, Copy)]
struct Sample {
    latency_us: Option<u64>,
    start_lag_us: u64,
}

/// What one phase measured.
pub struct Stats {
    pub ok: u64,
    /// Non-2xx answers and transport errors.
    pub failed: u64,
    /// Not sent: `cap` requests were already in flight (the server is far behind).
    pub dropped: u64,
    /// Latencies from the scheduled time, µs, sorted; failed and dropped ones count as
    /// infinitely slow.
    latencies: Vec<u64>,
    /// 2xx answers per second over the phase (from the first scheduled time to the last
    /// answer).
    pub achieved: f64,
    /// 99th percentile of how late a request's task started, µs (client-side delay,
    /// included in the latencies).
    pub start_lag_p99_us: u64,
}

impl Stats {
    /// The `q` quantile in ms; `None` when it falls on a failed or dropped request.
    pub fn quantile_ms(&self, q: f64) -> Option<f64> {
        if self.latencies.is_empty() {
            return None;
        }
        let rank = ((q * self.latencies.len() as f64).ceil() as usize).clamp(1, self.latencies.len());
        let v = self.latencies[rank - 1];
        (v != u64::MAX).then(|| v as f64 / 1000.0)
    }

    /// The slowest 2xx answer, ms.
    pub fn max_ok_ms(&self) -> f64 {
        self.latencies.iter().rev().find(|&&v| v != u64::MAX).map_or(0.0, |&v| v as f64 / 1000.0)
    }
}

/// `n` requests one after the other (a warm-up, and the latency of a request alone);
/// returns the median in ms. Panics on a non-2xx answer: the phase would be meaningless.
pub async fn sequential(make: &MakeRequest, n: u64, offset: u64) -> f64 {
    let mut lat = Vec::new();
    for i in 0..n {
        let t = Instant::now();
        let res = make(offset + i).send().await.unwrap();
        let status = res.status();
        let body = res.text().await.unwrap();
        assert!(status.is_success(), "{status}: {body}");
        lat.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    lat.sort_by(f64::total_cmp);
    lat[lat.len() / 2]
}

/// `rate` requests per second for `secs` seconds on an open loop; at most `cap` in
/// flight. A dedicated OS thread keeps the timetable (a tokio timer has 1 ms ticks) and
/// hands each request to the runtime.
pub async fn open_loop(make: MakeRequest, rate: u32, secs: u64, cap: usize, offset: u64) -> Stats {
    let n = u64::from(rate) * secs;
    let period = Duration::from_secs_f64(1.0 / f64::from(rate));
    let handle = tokio::runtime::Handle::current();
    let samples = Arc::new(Mutex::new(Vec::with_capacity(n as usize)));
    let in_flight = Arc::new(AtomicUsize::new(0));
    let last_done = Arc::new(Mutex::new(Instant::now()));
    let dropped = Arc::new(AtomicU64::new(0));
    let start = Instant::now() + Duration::from_millis(20);
    let (s, f, d, l) = (samples.clone(), in_flight.clone(), dropped.clone(), last_done.clone());
    let scheduler = std::thread::spawn(move || {
        for i in 0..n {
            let at = start + period.mul_f64(i as f64);
            let now = Instant::now();
            if at > now {
                std::thread::sleep(at - now);
            }
            if f.load(Ordering::SeqCst) >= cap {
                d.fetch_add(1, Ordering::Relaxed);
                s.lock().unwrap().push(Sample { latency_us: None, start_lag_us: 0 });
                continue;
            }
            f.fetch_add(1, Ordering::SeqCst);
            let req = make(offset + i);
            let (s, f, l) = (s.clone(), f.clone(), l.clone());
            handle.spawn(async move {
                let began = Instant::now();
                let ok = match req.send().await {
                    Ok(res) => {
                        let status = res.status();
                        res.bytes().await.is_ok() && status.is_success()
                    }
                    Err(_) => false,
                };
                let done = Instant::now();
                let sample = Sample {
                    latency_us: ok.then(|| (done - at).as_micros() as u64),
                    start_lag_us: began.saturating_duration_since(at).as_micros() as u64,
                };
                s.lock().unwrap().push(sample);
                *l.lock().unwrap() = done;
                f.fetch_sub(1, Ordering::SeqCst);
            });
        }
    });
    tokio::task::spawn_blocking(move || scheduler.join().unwrap()).await.unwrap();
    // Let the requests in flight finish (a minute at most; the rest count as failed).
    let deadline = Instant::now() + Duration::from_secs(60);
    while in_flight.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let samples = samples.lock().unwrap().clone();
    let ok = samples.iter().filter(|s| s.latency_us.is_some()).count() as u64;
    let dropped = dropped.load(Ordering::Relaxed);
    let mut latencies: Vec<u64> = samples.iter().map(|s| s.latency_us.unwrap_or(u64::MAX)).collect();
    latencies.resize(n as usize, u64::MAX);
    latencies.sort_unstable();
    let mut lags: Vec<u64> = samples.iter().filter(|s| s.latency_us.is_some()).map(|s| s.start_lag_us).collect();
    lags.sort_unstable();
    let elapsed = last_done.lock().unwrap().saturating_duration_since(start).as_secs_f64().max(secs as f64);
    Stats {
        ok,
        failed: n - ok - dropped,
        dropped,
        latencies,
        achieved: ok as f64 / elapsed,
        start_lag_p99_us: lags.get((lags.len() * 99 / 100).min(lags.len().saturating_sub(1))).copied().unwrap_or(0),
    }
}

/// CPU time (user + system, ms) of the processes `pids` and of every process whose parent
/// is `parent` (PostgreSQL's backends under the postmaster), read from `/proc` (Linux; 100
/// clock ticks per second).
pub fn cpu_ms(pids: &[u32], parent: Option<u32>) -> f64 {
    let read = |path: std::path::PathBuf| -> Option<(u32, u64)> {
        let stat = std::fs::read_to_string(path).ok()?;
        let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
        Some((
            fields.get(1)?.parse().ok()?,
            fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?,
        ))
    };
    let mut ticks = 0;
    for pid in pids {
        ticks += read(format!("/proc/{pid}/stat").into()).map_or(0, |(_, t)| t);
    }
    if let Some(parent) = parent {
        for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            if let Some((ppid, t)) = read(entry.path().join("stat")) {
                if ppid == parent {
                    ticks += t;
                }
            }
        }
    }
    ticks as f64 * 10.0
}

/// A small deterministic mixer (SplitMix64): request `i` of a phase picks the same id or
/// link in every run.
pub fn mix(i: u64) -> u64 {
    let mut z = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
