//! `GET /metrics`: this instance's counters and histograms, and gauges read from the
//! database at each scrape, in the OpenMetrics text format Prometheus reads.
//!
//! * `agentry_runs_queued{org_id, agent_id}`, `agentry_runs_running{org_id}`: queue depth.
//! * `agentry_runs_oldest_queued_age_seconds`: the age of the oldest queued run.
//! * `agentry_run_claim_wait_seconds`: from a run becoming due to its claim.
//! * `agentry_run_lease_expiries_total`, `agentry_run_retries_total`,
//!   `agentry_run_cancels_total`: lapsed leases, runs queued again (a lapsed lease or a
//!   retryable failure), cancels asked.
//! * `agentry_http_request_duration_seconds{method, route, status}`: every request, by
//!   its route's pattern (so ids do not multiply the series).

use crate::{ServiceError, Services};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;

/// The labels of an HTTP request.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    /// GET, POST, …
    pub method: String,
    /// The route's pattern, like `/api/v1/agents/{id}`; `unmatched` for the rest.
    pub route: String,
    /// The response's status code.
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AgentLabels {
    org_id: i64,
    agent_id: i64,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OrgLabels {
    org_id: i64,
}

/// The instance's metrics.
pub struct Metrics {
    registry: Registry,
    pub(crate) claim_wait: Histogram,
    pub(crate) lease_expiries: Counter,
    pub(crate) retries: Counter,
    pub(crate) cancels: Counter,
    http: Family<HttpLabels, Histogram>,
    queued: Family<AgentLabels, Gauge>,
    running: Family<OrgLabels, Gauge>,
    oldest_queued: Gauge<f64, AtomicU64>,
    /// One scrape at a time rebuilds the gauges.
    scrape: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("agentry");
        let claim_wait = Histogram::new(exponential_buckets(0.001, 2.5, 14));
        let http = Family::<HttpLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.0005, 2.5, 14))
        });
        let m = Metrics {
            registry: Registry::default(),
            claim_wait: claim_wait.clone(),
            lease_expiries: Counter::default(),
            retries: Counter::default(),
            cancels: Counter::default(),
            http: http.clone(),
            queued: Family::default(),
            running: Family::default(),
            oldest_queued: Gauge::default(),
            scrape: tokio::sync::Mutex::new(()),
        };
        registry.register("runs_queued", "Queued runs, by organization and agent", m.queued.clone());
        registry.register("runs_running", "Running runs, by organization", m.running.clone());
        registry.register(
            "runs_oldest_queued_age_seconds",
            "Age of the oldest queued run (0 when none is queued)",
            m.oldest_queued.clone(),
        );
        registry.register("run_claim_wait_seconds", "From a run becoming due to its claim", claim_wait);
        registry.register("run_lease_expiries", "Leases that lapsed without a heartbeat", m.lease_expiries.clone());
        registry.register(
            "run_retries",
            "Runs queued again after a lapsed lease or a retryable failure",
            m.retries.clone(),
        );
        registry.register("run_cancels", "Cancels asked of queued or running runs", m.cancels.clone());
        registry.register("http_request_duration_seconds", "HTTP requests, by route and status", http);
        Metrics { registry, ..m }
    }
}

impl Metrics {
    /// Records one HTTP request.
    pub fn observe_http(&self, labels: HttpLabels, seconds: f64) {
        self.http.get_or_create(&labels).observe(seconds);
    }
}

impl Services {
    /// The OpenMetrics text of this instance, with the queue gauges read now.
    pub async fn render_metrics(&self) -> Result<String, ServiceError> {
        let m = self.metrics();
        let _one = m.scrape.lock().await;
        let queued: Vec<(i64, i64, i64)> = sqlx::query_as(
            "SELECT org_id, agent_id, COUNT(*) FROM runs WHERE status = 'queued' GROUP BY org_id, agent_id",
        )
        .fetch_all(&self.db().pool)
        .await?;
        let running: Vec<(i64, i64)> =
            sqlx::query_as("SELECT org_id, COUNT(*) FROM runs WHERE status = 'running' GROUP BY org_id")
                .fetch_all(&self.db().pool)
                .await?;
        let oldest: Option<i64> = sqlx::query_scalar("SELECT MIN(created_at) FROM runs WHERE status = 'queued'")
            .fetch_one(&self.db().pool)
            .await?;
        m.queued.clear();
        for (org_id, agent_id, n) in queued {
            m.queued.get_or_create(&AgentLabels { org_id, agent_id }).set(n);
        }
        m.running.clear();
        for (org_id, n) in running {
            m.running.get_or_create(&OrgLabels { org_id }).set(n);
        }
        let age_ms = oldest.map_or(0, |t| (self.now_ms() - t).max(0));
        m.oldest_queued.set(std::time::Duration::from_millis(u64::try_from(age_ms).unwrap_or(0)).as_secs_f64());
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &m.registry).map_err(ServiceError::internal)?;
        Ok(text)
    }
}
