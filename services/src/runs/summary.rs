//! An organization's runs at a glance: queued, running, failed in the last day, and the
//! age of the oldest queued run. Counts over the whole organization (they name no run).

use crate::model::RunSummary;
use crate::principal::Principal;
use crate::store::to_time;
use crate::{ServiceError, Services};

/// A day, in milliseconds.
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

impl Services {
    /// `GET /api/v1/organizations/{id}/run-summary`: members only (404 otherwise).
    pub async fn run_summary(&self, p: &Principal, org: &str) -> Result<RunSummary, ServiceError> {
        let p = self.in_org(p, org).await?;
        let (queued, running, oldest): (i64, i64, Option<i64>) = sqlx::query_as(
            "SELECT COALESCE(SUM(CASE WHEN status = 'queued' THEN 1 ELSE 0 END), 0),
                    COALESCE(SUM(CASE WHEN status = 'running' THEN 1 ELSE 0 END), 0),
                    MIN(CASE WHEN status = 'queued' THEN created_at END)
             FROM runs WHERE org_id = $1 AND status IN ('queued', 'running')",
        )
        .bind(p.org_id)
        .fetch_one(&self.db().pool)
        .await?;
        let failed: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM runs WHERE org_id = $1 AND status IN ('failed', 'timed_out') AND finished_at >= $2",
        )
        .bind(p.org_id)
        .bind(self.now_ms() - DAY_MS)
        .fetch_one(&self.db().pool)
        .await?;
        Ok(RunSummary { queued, running, failed_last_day: failed, oldest_queued_at: oldest.map(to_time) })
    }
}
