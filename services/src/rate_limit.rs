//! A fixed-window rate limiter kept in the database, so every instance shares it.

use crate::store::{now_ms, Db};
use crate::ServiceError;
use sqlx::Row;
use std::time::Duration;

/// Counts one hit on `bucket` and fails with 429 once `limit` hits fall in one window.
///
/// One atomic upsert per hit: no read-modify-write race between instances.
pub async fn hit(db: &Db, bucket: &str, limit: u64, window: Duration) -> Result<(), ServiceError> {
    let window_ms = i64::try_from(window.as_millis()).unwrap_or(i64::MAX).max(1);
    let now = now_ms();
    let start = now - now.rem_euclid(window_ms);
    let row = sqlx::query(
        "INSERT INTO rate_limits (bucket, window_start, hits) VALUES ($1, $2, 1)
         ON CONFLICT (bucket) DO UPDATE SET
           hits = CASE WHEN rate_limits.window_start = excluded.window_start
                       THEN rate_limits.hits + 1 ELSE 1 END,
           window_start = excluded.window_start
         RETURNING hits",
    )
    .bind(bucket)
    .bind(start)
    .fetch_one(&db.pool)
    .await?;
    let hits: i64 = row.try_get("hits")?;
    if u64::try_from(hits).unwrap_or(u64::MAX) > limit {
        let retry_after = u64::try_from((start + window_ms - now + 999) / 1000).unwrap_or(1).max(1);
        tracing::info!(bucket, hits, "rate limit reached");
        return Err(ServiceError::RateLimited { retry_after });
    }
    Ok(())
}
