//! The email outbox: every email is a row first. Delivery (SMTP, when configured) is the
//! mailer's job; without SMTP the rows stay `stored` and the outbox page shows them.
//!
//! Bodies can carry one-time links, so they are sealed at rest with ChaCha20-Poly1305
//! under a key derived from the server secret, and wiped once SMTP delivery succeeds.

pub use crate::model::{OutboxItem, OutboxPage};
use crate::rate_limit::Limit;
use crate::store::{opt_time, to_time};
use crate::{Principal, RequestMeta, ServiceError, Services};
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use sqlx::any::AnyRow;
use sqlx::Row;

/// Default page size of the outbox list.
pub const DEFAULT_LIMIT: i64 = 50;
/// Largest page size of the outbox list.
pub const MAX_LIMIT: i64 = 200;

/// The columns [`Services::outbox_item`] reads.
const COLUMNS: &str = "id, kind, to_addr, subject, body_sealed, status, attempts, last_error, created_at, sent_at";

/// One email to queue.
pub(crate) struct Email<'a> {
    pub org_id: Option<i64>,
    /// What kind of email this is, e.g. `agent_invite`.
    pub kind: &'a str,
    pub to: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
}

impl Services {
    /// Queues an email inside the caller's transaction, so it exists exactly when the
    /// change that caused it commits. Returns the outbox id.
    pub(crate) async fn queue_email<'e, E>(&self, exec: E, email: Email<'_>) -> Result<i64, ServiceError>
    where
        E: sqlx::Executor<'e, Database = sqlx::Any>,
    {
        let status = if self.config().smtp_url.is_some() { "queued" } else { "stored" };
        let now = self.now_ms();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO outbox (org_id, kind, to_addr, subject, body_sealed, status, attempts, next_attempt_at, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $7) RETURNING id",
        )
        .bind(email.org_id)
        .bind(email.kind)
        .bind(email.to)
        .bind(email.subject)
        .bind(self.seal(email.body))
        .bind(status)
        .bind(now)
        .fetch_one(exec)
        .await?;
        if status == "queued" {
            // The caller's transaction has not committed yet; the worker waits a moment
            // after a wake-up and polls again later anyway.
            crate::mailer::wake();
        }
        Ok(id)
    }

    /// Queues one email on its own (outside any other change). For operator tooling and
    /// tests; use cases that cause an email queue it inside their own transaction.
    pub async fn enqueue_email(
        &self,
        org_id: Option<i64>,
        kind: &str,
        to: &str,
        subject: &str,
        body: &str,
    ) -> Result<i64, ServiceError> {
        self.queue_email(self.db().writer(), Email { org_id, kind, to, subject, body }).await
    }

    /// Queues a short test email to the caller's own address, so an owner or admin can
    /// check the SMTP settings. Returns the outbox row.
    pub async fn send_test_email(&self, p: &Principal) -> Result<OutboxItem, ServiceError> {
        if !p.role.is_admin() {
            return Err(ServiceError::not_allowed("Only owners and admins can send a test email."));
        }
        let limit = Limit::new(format!("test-email:{}", p.user_id), self.config().test_email_limit_per_hour);
        self.limit_in(&[limit], std::time::Duration::from_secs(3600), &RequestMeta::default(), Some(p.user_id)).await?;
        let to = self.user_email(p.user_id).await?;
        let body = format!(
            "This is a test email from Agentry ({}).\n\nIf you can read this, email delivery works.\n",
            self.config().public_url
        );
        let id = self.enqueue_email(Some(p.org_id), "test", &to, "Agentry test email", &body).await?;
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM outbox WHERE id = $1"))
            .bind(id)
            .fetch_one(&self.db().pool)
            .await?;
        self.outbox_item(&row)
    }

    /// The outbox rows the caller may see, newest first: those addressed to the caller's
    /// own email and, for owners and admins, every row of their current organization.
    /// Bodies are opened (`None` once wiped after delivery).
    pub async fn list_outbox(
        &self,
        p: &Principal,
        limit: Option<i64>,
        offset: Option<i64>,
    ) -> Result<OutboxPage, ServiceError> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if limit < 1 {
            return Err(ServiceError::field("limit", "limit must be a positive integer."));
        }
        let limit = limit.min(MAX_LIMIT);
        let offset = offset.unwrap_or(0);
        if offset < 0 {
            return Err(ServiceError::field("offset", "offset must not be negative."));
        }
        let email = self.user_email(p.user_id).await?;
        let privileged = p.role.is_admin();
        // Non-privileged callers match on their address only; `org_id = -1` never holds.
        let org = if privileged { p.org_id } else { -1 };
        let filter = "(LOWER(to_addr) = $1 OR org_id = $2)";
        let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM outbox WHERE {filter}"))
            .bind(&email)
            .bind(org)
            .fetch_one(&self.db().pool)
            .await?;
        let rows =
            sqlx::query(&format!("SELECT {COLUMNS} FROM outbox WHERE {filter} ORDER BY id DESC LIMIT $3 OFFSET $4"))
                .bind(&email)
                .bind(org)
                .bind(limit)
                .bind(offset)
                .fetch_all(&self.db().pool)
                .await?;
        let items = rows.iter().map(|r| self.outbox_item(r)).collect::<Result<Vec<_>, _>>()?;
        Ok(OutboxPage { items, total, limit, offset })
    }

    /// Opens one outbox body (sealed at rest). For operators' tooling and tests.
    pub async fn open_outbox_body(&self, outbox_id: i64) -> Result<Option<String>, ServiceError> {
        let row = sqlx::query("SELECT body_sealed FROM outbox WHERE id = $1")
            .bind(outbox_id)
            .fetch_optional(&self.db().pool)
            .await?;
        Ok(row
            .and_then(|r| r.try_get::<Option<String>, _>("body_sealed").ok().flatten())
            .and_then(|b| self.open_sealed(&b)))
    }

    fn outbox_item(&self, row: &AnyRow) -> Result<OutboxItem, ServiceError> {
        let sealed: Option<String> = row.try_get("body_sealed")?;
        Ok(OutboxItem {
            id: row.try_get("id")?,
            kind: row.try_get("kind")?,
            to: row.try_get("to_addr")?,
            subject: row.try_get("subject")?,
            body: sealed.as_deref().and_then(|s| self.open_sealed(s)),
            status: row.try_get("status")?,
            attempts: row.try_get("attempts")?,
            last_error: row.try_get("last_error")?,
            created_at: to_time(row.try_get("created_at")?),
            sent_at: opt_time(row, "sent_at")?,
        })
    }

    fn outbox_cipher(&self) -> ChaCha20Poly1305 {
        // HMAC-SHA256 as a key derivation; a derive error cannot happen (HMAC takes keys of
        // any length), and would only leave the key all zeros.
        let key = <Hmac<Sha256> as Mac>::new_from_slice(self.secret())
            .map(|mac| mac.chain_update(b"agentry-outbox/v1").finalize().into_bytes())
            .unwrap_or_default();
        ChaCha20Poly1305::new(Key::from_slice(&key))
    }

    /// Seals a body: base64url(nonce ‖ ciphertext).
    pub(crate) fn seal(&self, plaintext: &str) -> String {
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let mut out = nonce.to_vec();
        // Encryption with a fresh nonce cannot fail for inputs this small.
        out.extend(self.outbox_cipher().encrypt(Nonce::from_slice(&nonce), plaintext.as_bytes()).unwrap_or_default());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(out)
    }

    /// Opens a sealed body; `None` when it was sealed under another secret or is damaged.
    pub(crate) fn open_sealed(&self, sealed: &str) -> Option<String> {
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(sealed).ok()?;
        if raw.len() < 12 {
            return None;
        }
        let (nonce, ct) = raw.split_at(12);
        let pt = self.outbox_cipher().decrypt(Nonce::from_slice(nonce), ct).ok()?;
        String::from_utf8(pt).ok()
    }
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn sealed_bodies_round_trip_and_hide_the_plaintext() {
        let dir = std::env::temp_dir().join(format!("agentry-outbox-{}", uuid::Uuid::new_v4()));
        let url = format!("sqlite://{}/t.db", dir.display());
        let s = crate::Services::open(&url, crate::Config::default()).await.expect("open");
        let body = "Confirm: https://x/invite/confirm?token=inv_secret";
        let sealed = s.seal(body);
        assert!(!sealed.contains("inv_secret"));
        assert_eq!(s.open_sealed(&sealed).as_deref(), Some(body));
        assert_eq!(s.open_sealed("garbage"), None);
        let _ = std::fs::remove_dir_all(dir);
    }
}
