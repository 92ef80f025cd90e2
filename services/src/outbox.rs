//! The email outbox: every email is a row first. Delivery (SMTP, when configured) is the
//! mailer's job; without SMTP the rows stay `stored` and the outbox page shows them.
//!
//! Bodies can carry one-time links, so they are sealed at rest with ChaCha20-Poly1305
//! under a key derived from the server secret, and wiped once SMTP delivery succeeds.

use crate::store::now_ms;
use crate::{ServiceError, Services};
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

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
        let now = now_ms();
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
        Ok(id)
    }

    fn outbox_cipher(&self) -> ChaCha20Poly1305 {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.secret()).expect("HMAC takes any key length");
        mac.update(b"agentry-outbox/v1");
        let key = mac.finalize().into_bytes();
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
