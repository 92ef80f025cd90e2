//! Sends queued webhook deliveries, signed per Standard Webhooks: `webhook-id`
//! (`msg_<id>`, the same on every attempt, for the receiver's deduplication),
//! `webhook-timestamp` (unix seconds) and `webhook-signature` (`v1,` and the base64
//! HMAC-SHA256 of `id.timestamp.body` under the secret's decoded bytes).
//!
//! A delivery is taken by a compare-and-swap of its `next_attempt_at` (pushed past the
//! attempt's timeout), so instances never send it at once. A 2xx answer delivers it;
//! anything else is retried after 5 s, 30 s, 2 min, 10 min, 30 min, 1 h and 2 h; after the
//! eighth attempt it is `dead`, listed for its managers, until redelivered.

use super::webhooks::DELIVERY_COLS;
use crate::{ServiceError, Services};
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use sqlx::Row;
use std::time::Duration;

/// Delays before the 2nd, 3rd, … attempt, in seconds.
const BACKOFF_S: [i64; 7] = [5, 30, 120, 600, 1800, 3600, 7200];
/// How long one attempt may take.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// Deliveries one pass sends (concurrently).
const BATCH: i64 = 32;

/// The `webhook-signature` value of `body` for message `id` at `timestamp`, under the
/// `whsec_…` secret.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> String {
    let key = base64::engine::general_purpose::STANDARD.decode(secret.trim_start_matches("whsec_")).unwrap_or_default();
    // HMAC takes keys of any length.
    let mac = <Hmac<Sha256> as Mac>::new_from_slice(&key)
        .map(|m| m.chain_update(format!("{id}.{timestamp}.{body}")).finalize().into_bytes())
        .unwrap_or_default();
    format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(mac))
}

impl Services {
    /// Sends the deliveries that are due; the number delivered.
    pub async fn deliver_webhooks(&self) -> Result<u64, ServiceError> {
        let now = self.now_ms();
        let rows = sqlx::query(&format!(
            "SELECT d.{}, w.url, w.secret_sealed FROM webhook_deliveries d
             JOIN agent_webhooks w ON w.agent_id = d.agent_id
             WHERE d.status = 'pending' AND d.next_attempt_at <= $1 ORDER BY d.next_attempt_at LIMIT {BATCH}",
            DELIVERY_COLS.replace(", ", ", d.")
        ))
        .bind(now)
        .fetch_all(&self.db().pool)
        .await?;
        let mut sends = Vec::new();
        for row in &rows {
            let id: i64 = row.try_get("id")?;
            let due: i64 = row.try_get("next_attempt_at")?;
            // Take it: push its next attempt past this one's timeout.
            let taken = sqlx::query(
                "UPDATE webhook_deliveries SET next_attempt_at = $1 WHERE id = $2 AND status = 'pending' AND next_attempt_at = $3",
            )
            .bind(now + 2 * 1000 * i64::try_from(ATTEMPT_TIMEOUT.as_secs()).unwrap_or(10))
            .bind(id)
            .bind(due)
            .execute(&self.db().pool)
            .await?
            .rows_affected();
            if taken == 0 {
                continue;
            }
            let secret = self.open_sealed(&row.try_get::<String, _>("secret_sealed")?).unwrap_or_default();
            let (url, payload): (String, String) = (row.try_get("url")?, row.try_get("payload")?);
            let attempts: i64 = row.try_get("attempts")?;
            sends.push(self.attempt(id, attempts, url, secret, payload));
        }
        let delivered = futures_util::future::join_all(sends).await;
        Ok(delivered.into_iter().filter(|d| matches!(d, Ok(true))).count().try_into().unwrap_or(0))
    }

    /// One attempt of delivery `id`; whether it was delivered.
    async fn attempt(
        &self,
        id: i64,
        attempts: i64,
        url: String,
        secret: String,
        payload: String,
    ) -> Result<bool, ServiceError> {
        let msg = format!("msg_{id}");
        let ts = self.now_ms() / 1000;
        let sent = http_client()
            .post(&url)
            .header("content-type", "application/json")
            .header("user-agent", "Agentry-Webhooks/1")
            .header("webhook-id", &msg)
            .header("webhook-timestamp", ts.to_string())
            .header("webhook-signature", sign(&secret, &msg, ts, &payload))
            .body(payload)
            .send()
            .await;
        let (status, error) = match sent {
            Ok(res) if res.status().is_success() => (Some(i64::from(res.status().as_u16())), None),
            Ok(res) => {
                (Some(i64::from(res.status().as_u16())), Some(format!("The receiver answered {}.", res.status())))
            }
            Err(e) => (None, Some(format!("Could not deliver: {}", without_url(&e)))),
        };
        let now = self.now_ms();
        let tries = attempts + 1;
        let (state, next) = match (&error, usize::try_from(attempts).ok().and_then(|a| BACKOFF_S.get(a))) {
            (None, _) => ("delivered", now),
            (Some(_), Some(delay)) => ("pending", now + delay * 1000),
            (Some(_), None) => ("dead", now),
        };
        sqlx::query(
            "UPDATE webhook_deliveries SET status = $1, attempts = $2, next_attempt_at = $3, last_status = $4,
                    last_error = $5, delivered_at = CASE WHEN $1 = 'delivered' THEN $6 ELSE delivered_at END
             WHERE id = $7",
        )
        .bind(state)
        .bind(tries)
        .bind(next)
        .bind(status)
        .bind(&error)
        .bind(now)
        .bind(id)
        .execute(&self.db().pool)
        .await?;
        if state == "dead" {
            tracing::warn!(delivery = id, "a webhook delivery failed on every attempt; it is in the dead-letter list");
        }
        Ok(error.is_none())
    }
}

/// A request error's message without its URL (which may carry a token in its query).
fn without_url(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "the request failed"
    };
    kind.to_string()
}

/// One client for every delivery: no redirects (a receiver answers where it is).
fn http_client() -> &'static reqwest::Client {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .timeout(ATTEMPT_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default()
    })
}
