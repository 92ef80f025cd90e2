//! A fixed-window rate limiter kept in the database, so every instance shares it. All the
//! buckets one request counts against are hit in one atomic upsert: no read-modify-write
//! race between instances, and one write per request however many limits apply.

use crate::audit::{self, Event};
use crate::clock::ms;
use crate::principal::RequestMeta;
use crate::{ServiceError, Services};
use sqlx::Row;
use std::time::Duration;

/// One limit: at most `limit` hits on `bucket` per window.
pub struct Limit {
    /// The bucket, e.g. `register:ip:203.0.113.0/24`. Never a secret.
    pub bucket: String,
    /// Hits allowed per window.
    pub limit: u64,
}

impl Limit {
    /// A limit on a bucket.
    pub fn new(bucket: impl Into<String>, limit: u64) -> Self {
        Self { bucket: bucket.into(), limit }
    }
}

/// The start of the window `now` falls in, and the seconds until the next one.
fn window(now: i64, window: Duration) -> (i64, u64) {
    let window_ms = ms(window).max(1);
    let start = now - now.rem_euclid(window_ms);
    let retry = u64::try_from((start + window_ms - now + 999) / 1000).unwrap_or(1).max(1);
    (start, retry)
}

impl Services {
    /// Counts one hit on every bucket in `limits` (one statement), in the configured
    /// window; 429 when any is over its limit. The first one over is audited.
    pub(crate) async fn limit(
        &self,
        limits: &[Limit],
        meta: &RequestMeta,
        actor: Option<i64>,
    ) -> Result<(), ServiceError> {
        self.limit_in(limits, self.config().rate_window, meta, actor).await
    }

    /// [`Services::limit`] with its own window.
    pub(crate) async fn limit_in(
        &self,
        limits: &[Limit],
        window_len: Duration,
        meta: &RequestMeta,
        actor: Option<i64>,
    ) -> Result<(), ServiceError> {
        if limits.is_empty() {
            return Ok(());
        }
        let (start, retry_after) = window(self.now_ms(), window_len);
        let values = (0..limits.len()).map(|i| format!("(${}, $1, 1)", i + 2)).collect::<Vec<_>>().join(", ");
        let sql = format!(
            "INSERT INTO rate_limits (bucket, window_start, hits) VALUES {values}
             ON CONFLICT (bucket) DO UPDATE SET
               hits = CASE WHEN rate_limits.window_start = excluded.window_start
                           THEN rate_limits.hits + 1 ELSE 1 END,
               window_start = excluded.window_start
             RETURNING bucket, hits"
        );
        let mut q = sqlx::query(&sql).bind(start);
        for l in limits {
            q = q.bind(&l.bucket);
        }
        let rows = q.fetch_all(self.db().writer()).await?;
        for l in limits {
            let hits = rows
                .iter()
                .find(|r| r.try_get::<String, _>("bucket").is_ok_and(|b| b == l.bucket))
                .map(|r| r.try_get::<i64, _>("hits"))
                .transpose()?
                .unwrap_or(0);
            if u64::try_from(hits).unwrap_or(u64::MAX) > l.limit {
                tracing::info!(bucket = l.bucket, hits, "rate limit reached");
                let event = Event {
                    org_id: None,
                    actor_user_id: actor,
                    action: "rate_limit.hit",
                    object_type: "rate_limit",
                    object_id: l.bucket.split(':').take(2).collect::<Vec<_>>().join(":"),
                    detail: Some(l.bucket.clone()),
                };
                audit::record(self.db().writer(), meta, event, self.now_ms()).await?;
                return Err(ServiceError::rate_limited(retry_after));
            }
        }
        Ok(())
    }

    /// The hits counted on `buckets` in the current window, the largest.
    pub(crate) async fn most_hits(&self, buckets: &[String]) -> Result<u64, ServiceError> {
        let (start, _) = window(self.now_ms(), self.config().rate_window);
        let mut most = 0u64;
        for b in buckets {
            let hits: Option<i64> =
                sqlx::query_scalar("SELECT hits FROM rate_limits WHERE bucket = $1 AND window_start = $2")
                    .bind(b)
                    .bind(start)
                    .fetch_optional(&self.db().pool)
                    .await?;
            most = most.max(hits.and_then(|h| u64::try_from(h).ok()).unwrap_or(0));
        }
        Ok(most)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_aligned_and_retry_is_at_least_a_second() {
        assert_eq!(window(1_000_500, Duration::from_secs(300)), (900_000, 200));
        assert_eq!(window(1_199_999, Duration::from_secs(300)), (900_000, 1));
    }
}
