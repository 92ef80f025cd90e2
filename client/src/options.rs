//! How a client connects: the server, the credential, the time limit and the retry policy.

use std::fmt;
use std::time::Duration;

/// The default server (`agentry serve`'s default address).
pub const DEFAULT_BASE_URL: &str = "http://127.0.0.1:3000";

/// Exponential backoff between retries: attempt `n` (0-based) waits a random time between
/// half and all of `min(max, initial × 2ⁿ)` ("equal jitter"), or what `Retry-After` asks
/// when that is longer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryBackoff {
    /// The first retry's ceiling.
    pub initial: Duration,
    /// No computed wait exceeds this.
    pub max: Duration,
    /// A `Retry-After` longer than this is not waited for: the error is returned at once
    /// (as [`Error::RateLimited`](crate::Error::RateLimited) with its `retry_after` for a 429).
    pub max_retry_after: Duration,
}

impl Default for RetryBackoff {
    fn default() -> Self {
        Self {
            initial: Duration::from_millis(200),
            max: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

/// Options of an [`AgentsClient`](crate::AgentsClient).
///
/// ```
/// use agentry_client::ClientOptions;
/// use std::time::Duration;
/// let opts = ClientOptions::new("uak_example")
///     .base_url("https://agentry.example")
///     .timeout(Duration::from_secs(10))
///     .max_retries(3);
/// assert_eq!(opts.max_retries, 3);
/// // The key never shows in debug output.
/// assert!(!format!("{opts:?}").contains("uak_example"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ClientOptions {
    /// A user API key (`uak_…`), sent as `Authorization: Bearer`.
    pub api_key: String,
    /// The server's base URL, e.g. `https://agentry.example` (without `/api/v1`).
    pub base_url: String,
    /// The time limit of one attempt (connect, send, and read the whole answer).
    pub timeout: Duration,
    /// Retries after the first attempt (0: never retry). Only idempotent requests retry
    /// (see [`crate::retry`]).
    pub max_retries: u32,
    /// The waits between retries.
    pub retry_backoff: RetryBackoff,
}

impl ClientOptions {
    /// Options for `api_key` against [`DEFAULT_BASE_URL`], 30 s per attempt, 2 retries.
    pub fn new(api_key: impl Into<String>) -> Self {
        Self {
            api_key: api_key.into(),
            base_url: DEFAULT_BASE_URL.to_string(),
            timeout: Duration::from_secs(30),
            max_retries: 2,
            retry_backoff: RetryBackoff::default(),
        }
    }

    /// Sets the server's base URL.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// Sets the time limit of one attempt.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets how many times a failed idempotent request is retried.
    pub fn max_retries(mut self, n: u32) -> Self {
        self.max_retries = n;
        self
    }

    /// Sets the backoff between retries.
    pub fn retry_backoff(mut self, backoff: RetryBackoff) -> Self {
        self.retry_backoff = backoff;
        self
    }
}

impl fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientOptions")
            .field("api_key", &"[redacted]")
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("max_retries", &self.max_retries)
            .field("retry_backoff", &self.retry_backoff)
            .finish()
    }
}
