//! SMTP delivery of the outbox.
//!
//! Every email is an `outbox` row first (see `outbox.rs`). With an SMTP URL configured,
//! rows start `queued`; a background [`Worker`] (or one call of
//! [`Services::deliver_due_emails`]) delivers the due ones:
//!
//! 1. select `queued` rows whose `next_attempt_at` has come;
//! 2. claim each with one conditional UPDATE (compare-and-set on `attempts` and
//!    `next_attempt_at`, which also pushes `next_attempt_at` a lease ahead), so two server
//!    processes never send the same email twice, and a process that dies mid-send only
//!    delays the email by the lease;
//! 3. open the sealed body and send it with lettre;
//! 4. success: `sent`, `sent_at`, body wiped (`NULL`); failure: `last_error` (no secrets),
//!    exponential backoff, and `failed` after [`RetryPolicy::max_attempts`] attempts.
//!    A row is never deleted.

pub use crate::outbox::{OutboxItem, OutboxPage, DEFAULT_LIMIT, MAX_LIMIT};

use crate::{ServiceError, Services};
use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sqlx::Row;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// Process-wide wake-up for delivery workers: queueing an email rings it. Spurious
/// wake-ups (another server in the same process) only cost one poll.
static WAKE: Notify = Notify::const_new();
/// Counts wake-ups, so a worker notices one that came while it was busy.
static WAKES: AtomicU64 = AtomicU64::new(0);

/// Tells the delivery workers that an email was queued.
pub fn wake() {
    WAKES.fetch_add(1, Ordering::SeqCst);
    WAKE.notify_waiters();
}

/// How failed deliveries are retried.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// After this many failed attempts the row becomes `failed`.
    pub max_attempts: i64,
    /// Wait after the first failure; doubled after each further failure.
    pub base_backoff: Duration,
    /// Longest wait between attempts.
    pub max_backoff: Duration,
    /// How long a claimed row is reserved for the sender before another process may
    /// retry it (covers a crash mid-send).
    pub lease: Duration,
    /// Rows handled per poll.
    pub batch: i64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            base_backoff: Duration::from_secs(30),
            max_backoff: Duration::from_secs(3600),
            lease: Duration::from_secs(300),
            batch: 20,
        }
    }
}

impl RetryPolicy {
    /// The wait after the `attempts`-th failed attempt (1-based).
    pub fn backoff(&self, attempts: i64) -> Duration {
        let exp = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
        self.base_backoff.saturating_mul(2u32.saturating_pow(exp)).min(self.max_backoff)
    }
}

/// Errors building a [`Mailer`].
#[derive(Debug, thiserror::Error)]
pub enum MailerError {
    /// The SMTP URL is not usable.
    #[error("invalid SMTP URL {url}: {reason}")]
    Url {
        /// The URL with any password replaced by `***`.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// The From address does not parse.
    #[error("invalid mail From address {0:?}")]
    From(String),
}

/// An SMTP sender: lettre's async transport, the From address and the retry policy.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    policy: RetryPolicy,
    /// Strings that must never appear in `last_error` (the URL's user and password).
    secrets: Arc<Vec<String>>,
    /// The SMTP URL without its password, for logs.
    shown_url: Arc<str>,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("url", &self.shown_url)
            .field("from", &self.from.to_string())
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl Mailer {
    /// Builds a sender from an SMTP URL: `smtp://host:port` (plain),
    /// `smtp://host:587?tls=required` (STARTTLS, or `tls=opportunistic`),
    /// `smtps://user:pass@host` (implicit TLS). Credentials come from the URL.
    pub fn from_url(url: &str, from: &str) -> Result<Self, MailerError> {
        let bad = |reason: String| MailerError::Url { url: redact_url(url), reason };
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| bad(e.to_string()))?
            .timeout(Some(Duration::from_secs(30)))
            .build();
        let from: Mailbox = from.parse().map_err(|_| MailerError::From(from.to_string()))?;
        let (user, pass) = userinfo(url);
        let secrets = [user, pass].into_iter().flatten().filter(|s| s.len() >= 3).collect();
        Ok(Self {
            transport,
            from,
            policy: RetryPolicy::default(),
            secrets: Arc::new(secrets),
            shown_url: redact_url(url).into(),
        })
    }

    /// Replaces the retry policy.
    pub fn with_policy(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The retry policy.
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    async fn send(&self, to: &str, subject: &str, body: String) -> Result<(), String> {
        let to: Mailbox = to.parse().map_err(|_| "invalid recipient address".to_string())?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| format!("could not build the message: {e}"))?;
        self.transport.send(message).await.map(|_| ()).map_err(|e| self.scrub(&e.to_string()))
    }

    /// An error message fit to store: no credentials, bounded length.
    fn scrub(&self, message: &str) -> String {
        let mut out = message.to_string();
        for s in self.secrets.iter() {
            out = out.replace(s.as_str(), "***");
        }
        out.chars().take(500).collect()
    }
}

/// What one delivery pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Rows delivered.
    pub sent: usize,
    /// Rows that failed and will be retried.
    pub retrying: usize,
    /// Rows that failed for good.
    pub failed: usize,
    /// Due rows another process claimed first.
    pub skipped: usize,
}

impl Services {
    /// Delivers every due `queued` email once (one pass of the worker). Safe to run from
    /// several processes at once: each row is claimed atomically before it is sent.
    pub async fn deliver_due_emails(&self, mailer: &Mailer) -> Result<DeliveryReport, ServiceError> {
        let policy = mailer.policy();
        let now = self.now_ms();
        let rows = sqlx::query(
            "SELECT id, to_addr, subject, body_sealed, attempts, next_attempt_at FROM outbox
             WHERE status = 'queued' AND next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $2",
        )
        .bind(now)
        .bind(policy.batch)
        .fetch_all(&self.db().pool)
        .await?;
        let mut report = DeliveryReport::default();
        for row in rows {
            let id: i64 = row.try_get("id")?;
            let attempts: i64 = row.try_get("attempts")?;
            let due: i64 = row.try_get("next_attempt_at")?;
            // The claim: only one process can move this row from (attempts, due) on.
            let lease_until = self.now_ms() + millis(policy.lease);
            let claimed = sqlx::query(
                "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $1
                 WHERE id = $2 AND status = 'queued' AND attempts = $3 AND next_attempt_at = $4",
            )
            .bind(lease_until)
            .bind(id)
            .bind(attempts)
            .bind(due)
            .execute(self.db().writer())
            .await?
            .rows_affected()
                == 1;
            if !claimed {
                report.skipped += 1;
                continue;
            }
            let attempt = attempts + 1;
            let to: String = row.try_get("to_addr")?;
            let subject: String = row.try_get("subject")?;
            let body = row.try_get::<Option<String>, _>("body_sealed")?.as_deref().and_then(|s| self.open_sealed(s));
            let result = match body {
                Some(body) => mailer.send(&to, &subject, body).await,
                None => Err("the body cannot be opened (was the server secret changed?)".to_string()),
            };
            match result {
                Ok(()) => {
                    sqlx::query(
                        "UPDATE outbox SET status = 'sent', sent_at = $1, body_sealed = NULL, last_error = NULL
                         WHERE id = $2 AND status = 'queued' AND attempts = $3",
                    )
                    .bind(self.now_ms())
                    .bind(id)
                    .bind(attempt)
                    .execute(self.db().writer())
                    .await?;
                    tracing::info!(outbox_id = id, attempt, "email delivered");
                    report.sent += 1;
                }
                Err(error) => {
                    let give_up = attempt >= policy.max_attempts;
                    let next = self.now_ms() + millis(policy.backoff(attempt));
                    sqlx::query(
                        "UPDATE outbox SET status = $1, last_error = $2, next_attempt_at = $3
                         WHERE id = $4 AND status = 'queued' AND attempts = $5",
                    )
                    .bind(if give_up { "failed" } else { "queued" })
                    .bind(&error)
                    .bind(next)
                    .bind(id)
                    .bind(attempt)
                    .execute(self.db().writer())
                    .await?;
                    if give_up {
                        tracing::error!(outbox_id = id, attempt, %error, "email delivery failed for good");
                        report.failed += 1;
                    } else {
                        tracing::warn!(outbox_id = id, attempt, %error, "email delivery failed; will retry");
                        report.retrying += 1;
                    }
                }
            }
        }
        Ok(report)
    }
}

/// A running delivery worker; [`Worker::stop`] ends it.
pub struct Worker {
    stop: Arc<Notify>,
    task: tokio::task::JoinHandle<()>,
}

impl Worker {
    /// Starts a worker that delivers due emails every `poll_interval`, and soon after an
    /// email is queued in this process.
    pub fn spawn(services: Services, mailer: Mailer, poll_interval: Duration) -> Self {
        let stop = Arc::new(Notify::new());
        let stopped = stop.clone();
        tracing::info!(smtp = %mailer.shown_url, poll_interval_ms = u64::try_from(poll_interval.as_millis()).unwrap_or(u64::MAX), "mail worker started");
        let task = tokio::spawn(async move {
            let poll_interval = poll_interval.max(Duration::from_millis(10));
            let mut woken = false;
            loop {
                let seen = WAKES.load(Ordering::SeqCst);
                let full = match services.deliver_due_emails(&mailer).await {
                    // A full batch: there may be more due right now.
                    Ok(r) => {
                        i64::try_from(r.sent + r.retrying + r.failed + r.skipped).unwrap_or(i64::MAX)
                            >= mailer.policy().batch
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "outbox poll failed");
                        false
                    }
                };
                // Woken while busy, or just answered a wake-up whose transaction may have
                // committed only after we looked: look again soon.
                let soon = WAKES.load(Ordering::SeqCst) != seen || std::mem::take(&mut woken);
                let wait = if full {
                    Duration::ZERO
                } else if soon {
                    poll_interval.min(Duration::from_secs(1))
                } else {
                    poll_interval
                };
                tokio::select! {
                    biased;
                    _ = stopped.notified() => break,
                    _ = WAKE.notified() => {
                        woken = true;
                        // Let the queueing transaction commit before looking.
                        tokio::select! {
                            _ = stopped.notified() => break,
                            _ = tokio::time::sleep(Duration::from_millis(150)) => {}
                        }
                    }
                    _ = tokio::time::sleep(wait) => {}
                }
            }
            tracing::debug!("mail worker stopped");
        });
        Self { stop, task }
    }

    /// Stops the worker after the email it is sending, if any.
    pub async fn stop(self) {
        self.stop.notify_one();
        let _ = self.task.await;
    }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 2)
}

/// `(user, password)` of a URL's authority, percent-decoded well enough to redact.
fn userinfo(url: &str) -> (Option<String>, Option<String>) {
    let Some((_, rest)) = url.split_once("://") else { return (None, None) };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let Some((info, _)) = authority.rsplit_once('@') else { return (None, None) };
    let (user, pass) = match info.split_once(':') {
        Some((u, p)) => (u, Some(p)),
        None => (info, None),
    };
    let decode = |s: &str| {
        let mut out = Vec::new();
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'%' && i + 2 < b.len() {
                let hex = |c: u8| char::from(c).to_digit(16).and_then(|d| u8::try_from(d).ok());
                if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                    out.push(h * 16 + l);
                    i += 3;
                    continue;
                }
            }
            out.push(b[i]);
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    };
    (Some(decode(user)).filter(|u| !u.is_empty()), pass.map(decode))
}

/// The URL with its password replaced by `***`, for messages.
fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return "<unparsable>".into() };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    match authority.rsplit_once('@') {
        Some((info, host)) => {
            let user = info.split_once(':').map_or(info, |(u, _)| u);
            format!("{scheme}://{user}:***@{host}{tail}")
        }
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_redacted_and_credentials_found() {
        assert_eq!(
            redact_url("smtps://bob:s3cret@mail.example.com:465?x=1"),
            "smtps://bob:***@mail.example.com:465?x=1"
        );
        assert_eq!(redact_url("smtp://127.0.0.1:2525"), "smtp://127.0.0.1:2525");
        assert_eq!(userinfo("smtps://bob:p%40ss@host"), (Some("bob".into()), Some("p@ss".into())));
        assert_eq!(userinfo("smtp://host:25"), (None, None));
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff(1), Duration::from_secs(30));
        assert_eq!(p.backoff(2), Duration::from_secs(60));
        assert_eq!(p.backoff(4), Duration::from_secs(240));
        assert_eq!(p.backoff(40), Duration::from_secs(3600));
    }

    #[test]
    fn mailer_urls() {
        assert!(Mailer::from_url("smtp://127.0.0.1:2525", "Agentry <agentry@localhost>").is_ok());
        assert!(Mailer::from_url("smtps://u:p@mail.example.com", "agentry@example.com").is_ok());
        assert!(Mailer::from_url("smtp://mail.example.com:587?tls=required", "agentry@example.com").is_ok());
        let err = Mailer::from_url("ftp://u:hunter22@x", "a@b.c")
            .map(|_| ())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("invalid SMTP URL") && !err.contains("hunter22"), "{err}");
        assert!(Mailer::from_url("smtp://127.0.0.1:2525", "not an address").is_err());
        let shown = format!("{:?}", Mailer::from_url("smtps://u:hunter22@mail.example.com", "a@b.c").ok());
        assert!(shown.contains("mail.example.com") && !shown.contains("hunter22"), "{shown}");
    }
}
