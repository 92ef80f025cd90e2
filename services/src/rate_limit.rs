//! A fixed-window rate limiter kept in the database, so every instance shares it. All the
//! buckets one request counts against are hit in one atomic upsert: no read-modify-write
//! race between instances, and one statement per request however many limits apply. A use
//! case that writes anyway (registration) counts inside its own transaction after a
//! read-only precheck, so a successful request costs one commit.

use crate::audit::{self, Event};
use crate::clock::ms;
use crate::principal::RequestMeta;
use crate::store::batch::{Arg, Batch, Outcome};
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

/// The upsert that counts one hit on `n` buckets (`$1` window start, `$2…` buckets).
pub(crate) fn upsert_sql(n: usize) -> String {
    let values = (0..n).map(|i| format!("(${}, $1, 1)", i + 2)).collect::<Vec<_>>().join(", ");
    format!(
        "INSERT INTO rate_limits (bucket, window_start, hits) VALUES {values}
         ON CONFLICT (bucket) DO UPDATE SET
           hits = CASE WHEN excluded.window_start > rate_limits.window_start
                       THEN 1 ELSE rate_limits.hits + 1 END,
           window_start = CASE WHEN excluded.window_start > rate_limits.window_start
                               THEN excluded.window_start ELSE rate_limits.window_start END
         RETURNING bucket, hits"
    )
}

/// Counts one hit on every bucket; the new counts.
async fn count<'e, E>(exec: E, limits: &[Limit], start: i64) -> Result<Vec<(String, i64)>, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let sql = upsert_sql(limits.len());
    let mut q = sqlx::query(&sql).bind(start);
    for l in limits {
        q = q.bind(&l.bucket);
    }
    let rows = q.fetch_all(exec).await?;
    rows.iter().map(|r| Ok((r.try_get("bucket")?, r.try_get("hits")?))).collect()
}

/// The first limit whose bucket is over it (`hits > limit`, or `>=` with `at_least`).
fn over<'l>(limits: &'l [Limit], hits: &[(String, i64)], at_least: bool) -> Option<&'l Limit> {
    limits.iter().find(|l| {
        let h = hits.iter().find(|(b, _)| *b == l.bucket).map_or(0, |(_, h)| *h);
        let h = u64::try_from(h).unwrap_or(u64::MAX);
        if at_least {
            h >= l.limit
        } else {
            h > l.limit
        }
    })
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
        // Counters may be lost in a crash without harm, so their commit need not wait for
        // the disk: hot rows (`register:global`) are unlocked at once.
        let hits = count(self.db().relaxed(), limits, start).await?;
        match over(limits, &hits, false) {
            Some(l) => Err(self.limited(l, retry_after, meta, actor).await?),
            None => Ok(()),
        }
    }

    /// Audits a limit that was hit; the 429 to answer.
    async fn limited(
        &self,
        l: &Limit,
        retry_after: u64,
        meta: &RequestMeta,
        actor: Option<i64>,
    ) -> Result<ServiceError, ServiceError> {
        tracing::info!(bucket = l.bucket, "rate limit reached");
        let event = Event {
            org_id: None,
            actor_user_id: actor,
            action: "rate_limit.hit",
            object_type: "rate_limit",
            object_id: l.bucket.split(':').take(2).collect::<Vec<_>>().join(":"),
            detail: Some(l.bucket.clone()),
            reason: None,
        };
        audit::record(self.db().writer(), meta, event, self.now_ms()).await?;
        Ok(ServiceError::rate_limited(retry_after))
    }

    /// The start of the current window: the `window_start` a [`Services::precheck`] read
    /// selects (`SELECT bucket, hits FROM rate_limits WHERE window_start = … AND bucket IN
    /// (…)`; the caller reads it together with what else it needs).
    pub(crate) fn window_start(&self) -> i64 {
        window(self.now_ms(), self.config().rate_window).0
    }

    /// Whether a request would be refused now, with no write, from the buckets' `hits` in
    /// the current window: a bucket already at its limit is counted (and audited) as usual
    /// and answers 429. For use cases that count their hits inside their own transaction
    /// ([`Services::count_in`]).
    pub(crate) async fn precheck(
        &self,
        limits: &[Limit],
        hits: &[(String, i64)],
        meta: &RequestMeta,
        actor: Option<i64>,
    ) -> Result<(), ServiceError> {
        match over(limits, hits, true) {
            Some(_) => self.limit(limits, meta, actor).await,
            None => Ok(()),
        }
    }

    /// Judges hits already counted (`hits`, the buckets' new counts, by a statement built
    /// on [`upsert_sql`]): 429 when any is over its limit, the first one over audited.
    pub(crate) async fn judge_counted(
        &self,
        limits: &[Limit],
        hits: &[(String, i64)],
        meta: &RequestMeta,
        actor: Option<i64>,
    ) -> Result<(), ServiceError> {
        let (_, retry_after) = window(self.now_ms(), self.config().rate_window);
        match over(limits, hits, false) {
            Some(l) => Err(self.limited(l, retry_after, meta, actor).await?),
            None => Ok(()),
        }
    }

    /// Counts the hits inside the caller's transaction (one commit for the whole request);
    /// 429 when a bucket went over, and then the caller rolls back and counts again with
    /// [`Services::limit`], which audits it.
    pub(crate) async fn count_in(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        limits: &[Limit],
    ) -> Result<(), ServiceError> {
        if limits.is_empty() {
            return Ok(());
        }
        let (start, retry_after) = window(self.now_ms(), self.config().rate_window);
        let hits = count(&mut **tx, limits, start).await?;
        match over(limits, &hits, false) {
            Some(_) => Err(ServiceError::rate_limited(retry_after)),
            None => Ok(()),
        }
    }

    /// [`Services::count_in`] as a statement of a batch, which fails when a bucket went
    /// over its limit: the statement's index and the `Retry-After` seconds of the 429.
    /// Nothing when there are no limits.
    pub(crate) fn push_count(&self, batch: &mut Batch, limits: &[Limit]) -> Option<(usize, u64)> {
        if limits.is_empty() {
            return None;
        }
        let (start, retry_after) = window(self.now_ms(), self.config().rate_window);
        let mut args: Vec<Arg> = vec![start.into()];
        args.extend(limits.iter().map(|l| Arg::from(l.bucket.as_str())));
        let caps: Vec<Limit> = limits.iter().map(|l| Limit::new(l.bucket.clone(), l.limit)).collect();
        let check = move |out: &Outcome| {
            // A row that does not decode counts as over: fail closed.
            let hits: Result<Vec<(String, i64)>, sqlx::Error> =
                out.rows.iter().map(|r| Ok((r.try_get("bucket")?, r.try_get("hits")?))).collect();
            hits.is_ok_and(|hits| over(&caps, &hits, false).is_none())
        };
        Some((batch.push_checked(upsert_sql(limits.len()), args, check), retry_after))
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
