//! The retry policy: which requests may be sent again, after which failures, and how long
//! to wait in between.
//!
//! A request is retried only when sending it twice does no more than sending it once:
//!
//! | method | retried |
//! |---|---|
//! | `GET`, `HEAD`, `OPTIONS`, `PUT`, `DELETE` | always (idempotent by definition) |
//! | `PATCH` | only with `If-Match`: a replay after a lost answer meets a changed ETag and is refused (412) instead of applied twice |
//! | `POST` | only with an `Idempotency-Key`: the server answers a replay with the stored result |
//!
//! and only after a failure that may pass: a timeout, a connection that failed or broke,
//! or the statuses 408, 429, 500, 502, 503 and 504. The wait grows exponentially with
//! jitter ([`RetryBackoff`]) and is never shorter than the server's `Retry-After`.

use crate::options::RetryBackoff;
use chrono::{DateTime, Utc};
use reqwest::Method;
use std::time::Duration;

/// May a request with this method and these headers be sent more than once?
pub fn is_idempotent(method: &Method, has_idempotency_key: bool, has_if_match: bool) -> bool {
    match *method {
        Method::GET | Method::HEAD | Method::OPTIONS | Method::PUT | Method::DELETE | Method::TRACE => true,
        Method::PATCH => has_if_match,
        Method::POST => has_idempotency_key,
        _ => false,
    }
}

/// Is an answer with this status worth another try?
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
}

/// Is a transport failure worth another try (a timeout, a refused or broken connection,
/// an answer cut off)? Not: a request that could not be built, a redirect loop.
pub(crate) fn is_retryable_transport(e: &reqwest::Error) -> bool {
    e.is_timeout() || e.is_connect() || e.is_request() || e.is_body()
}

/// The ceiling of attempt `attempt`'s wait (0-based): `min(max, initial × 2^attempt)`.
pub fn backoff_ceiling(backoff: &RetryBackoff, attempt: u32) -> Duration {
    let factor = 2u32.checked_pow(attempt).unwrap_or(u32::MAX);
    backoff.initial.checked_mul(factor).unwrap_or(backoff.max).min(backoff.max)
}

/// The computed wait before retry `attempt` (0-based): between half and all of the
/// ceiling, placed by `jitter` (in `[0, 1]`; clamped).
pub fn backoff_delay(backoff: &RetryBackoff, attempt: u32, jitter: f64) -> Duration {
    let ceiling = backoff_ceiling(backoff, attempt);
    let half = ceiling / 2;
    let jitter = if jitter.is_finite() { jitter.clamp(0.0, 1.0) } else { 0.0 };
    half + (ceiling - half).mul_f64(jitter)
}

/// The retry policy of a client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// The waits.
    pub backoff: RetryBackoff,
}

impl RetryPolicy {
    /// After attempt `attempt` (0-based) failed: the wait before the next one, or `None`
    /// when there is none (the request is not idempotent, the failure will not pass, the
    /// retries are used up, or `Retry-After` asks for longer than
    /// [`RetryBackoff::max_retry_after`]).
    pub fn next_delay(
        &self,
        attempt: u32,
        idempotent: bool,
        retryable_failure: bool,
        retry_after: Option<Duration>,
        jitter: f64,
    ) -> Option<Duration> {
        if !idempotent || !retryable_failure || attempt >= self.max_retries {
            return None;
        }
        let computed = backoff_delay(&self.backoff, attempt, jitter);
        match retry_after {
            Some(wait) if wait > self.backoff.max_retry_after => None,
            Some(wait) => Some(wait.max(computed)),
            None => Some(computed),
        }
    }
}

/// A `Retry-After` value: delay-seconds or an HTTP date (RFC 9110), as a wait from `now`
/// (zero for a date in the past). `None` when it is neither.
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = DateTime::parse_from_rfc2822(value).ok()?.with_timezone(&Utc);
    Some((when - now).to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(max_retries: u32) -> RetryPolicy {
        RetryPolicy {
            max_retries,
            backoff: RetryBackoff {
                initial: Duration::from_millis(100),
                max: Duration::from_secs(2),
                max_retry_after: Duration::from_secs(30),
            },
        }
    }

    #[test]
    fn only_idempotent_requests_retry() {
        for m in [Method::GET, Method::HEAD, Method::PUT, Method::DELETE, Method::OPTIONS] {
            assert!(is_idempotent(&m, false, false), "{m}");
        }
        assert!(!is_idempotent(&Method::POST, false, false));
        assert!(!is_idempotent(&Method::POST, false, true), "If-Match does not make a POST replayable");
        assert!(is_idempotent(&Method::POST, true, false));
        assert!(!is_idempotent(&Method::PATCH, false, false));
        assert!(is_idempotent(&Method::PATCH, false, true));
        assert!(!is_idempotent(&Method::CONNECT, true, true));

        let p = policy(3);
        assert!(p.next_delay(0, true, true, None, 0.5).is_some());
        assert_eq!(p.next_delay(0, false, true, None, 0.5), None, "not idempotent");
        assert_eq!(p.next_delay(0, true, false, None, 0.5), None, "a failure that will not pass");
        assert_eq!(p.next_delay(3, true, true, None, 0.5), None, "retries used up");
        assert_eq!(policy(0).next_delay(0, true, true, None, 0.5), None, "retries off");
    }

    #[test]
    fn which_statuses_retry() {
        for s in [408, 429, 500, 502, 503, 504] {
            assert!(is_retryable_status(s), "{s}");
        }
        for s in [200, 304, 400, 401, 403, 404, 409, 412, 415, 422, 501] {
            assert!(!is_retryable_status(s), "{s}");
        }
    }

    #[test]
    fn backoff_grows_then_stops_at_the_cap() {
        let b = policy(10).backoff;
        let ceilings: Vec<u128> = (0..8).map(|n| backoff_ceiling(&b, n).as_millis()).collect();
        assert_eq!(ceilings, [100, 200, 400, 800, 1600, 2000, 2000, 2000]);
        // The same jitter never waits less on a later attempt.
        for j in [0.0, 0.3, 1.0] {
            let waits: Vec<Duration> = (0..8).map(|n| backoff_delay(&b, n, j)).collect();
            assert!(waits.windows(2).all(|w| w[0] <= w[1]), "{waits:?}");
        }
        // Huge attempt numbers saturate instead of overflowing.
        assert_eq!(backoff_ceiling(&b, 40), Duration::from_secs(2));
        assert_eq!(backoff_ceiling(&b, u32::MAX), Duration::from_secs(2));
    }

    #[test]
    fn jitter_stays_within_half_and_all_of_the_ceiling() {
        let b = policy(10).backoff;
        for attempt in 0..6 {
            let ceiling = backoff_ceiling(&b, attempt);
            assert_eq!(backoff_delay(&b, attempt, 0.0), ceiling / 2);
            assert_eq!(backoff_delay(&b, attempt, 1.0), ceiling);
            for _ in 0..200 {
                let d = backoff_delay(&b, attempt, rand::random::<f64>());
                assert!(d >= ceiling / 2 && d <= ceiling, "{d:?} outside [{:?}, {ceiling:?}]", ceiling / 2);
            }
            // Out-of-range jitter is clamped, never a panic or a longer wait.
            assert_eq!(backoff_delay(&b, attempt, 7.0), ceiling);
            assert_eq!(backoff_delay(&b, attempt, -1.0), ceiling / 2);
            assert_eq!(backoff_delay(&b, attempt, f64::NAN), ceiling / 2);
        }
    }

    #[test]
    fn retry_after_is_honoured() {
        let p = policy(5);
        // Longer than the backoff: waited in full.
        assert_eq!(p.next_delay(0, true, true, Some(Duration::from_secs(3)), 1.0), Some(Duration::from_secs(3)));
        // Shorter than the backoff: the backoff wins.
        assert_eq!(p.next_delay(3, true, true, Some(Duration::ZERO), 1.0), Some(Duration::from_millis(800)));
        // Longer than we are willing to wait: no retry; the caller sees the error.
        assert_eq!(p.next_delay(0, true, true, Some(Duration::from_secs(31)), 0.5), None);
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = DateTime::parse_from_rfc3339("2026-05-01T10:00:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("Fri, 01 May 2026 10:00:30 GMT", now), Some(Duration::from_secs(30)));
        assert_eq!(parse_retry_after("Fri, 01 May 2026 09:00:00 GMT", now), Some(Duration::ZERO), "in the past");
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
    }
}
