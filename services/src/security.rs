//! Account security (OWASP ASVS level 2): changing the password, seeing and ending
//! sessions, and resetting a forgotten password by email.
//!
//! - Changing the password needs the current one and ends every other session.
//! - A reset request answers the same for known and unknown addresses, and does the same
//!   work before answering (the lookup and the email happen after the answer, in the
//!   background), so neither the answer nor its timing tells whether an account exists.
//! - A reset token is 256-bit, stored as its SHA-256, lives one hour, and is spent by one
//!   conditional UPDATE; using it ends every session of the account.

use crate::accounts::{blocking, hash_password};
use crate::audit::{self, Event};
use crate::errors::ErrorCode;
use crate::model::{RevokedSessions, SessionInfo, SessionList};
use crate::outbox::Email;
use crate::rate_limit::Limit;
use crate::store::{opt_time, to_time};
use crate::vocab::{Email as EmailAddress, Password};
use crate::{secrets, Credential, Principal, RequestMeta, ServiceError, Services};
use sqlx::Row;

/// How long a reset link works, in milliseconds.
const RESET_TTL_MS: i64 = 3600 * 1000;

/// An event about the user `user_id` that they did themselves.
pub(crate) fn user_event(user_id: i64, org_id: Option<i64>, action: &str) -> Event<'_> {
    Event {
        org_id,
        actor_user_id: Some(user_id),
        action,
        object_type: "user",
        object_id: user_id.to_string(),
        detail: None,
        reason: None,
    }
}

impl Services {
    /// Changes the caller's password after checking the current one, and ends every other
    /// session of theirs. Attempts are rate limited per account.
    pub async fn change_password(
        &self,
        p: &Principal,
        current: &str,
        new: Password,
        meta: &RequestMeta,
    ) -> Result<(), ServiceError> {
        let limit = Limit::new(format!("password:user:{}", p.user_id), self.config().password_reset_limit_per_account);
        self.limit(&[limit], meta, Some(p.user_id)).await?;
        let stored: String = sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
            .bind(p.user_id)
            .fetch_optional(&self.db().pool)
            .await?
            .ok_or_else(ServiceError::unauthorized)?;
        let current = current.to_string();
        if !blocking(move || secrets::verify_password(&current, &stored)).await? {
            return Err(ServiceError::new(ErrorCode::WrongPassword, "The current password is not right."));
        }
        let hash = hash_password(new).await?;
        let keep = match p.credential {
            Credential::Session(id) => id,
            _ => 0,
        };
        let now = self.now_ms();
        let mut tx = self.db().begin().await?;
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(&hash)
            .bind(p.user_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2")
            .bind(p.user_id)
            .bind(keep)
            .execute(&mut *tx)
            .await?;
        audit::record(&mut *tx, meta, user_event(p.user_id, Some(p.org_id), "user.password_changed"), now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The caller's live sessions, newest first.
    pub async fn list_sessions(&self, p: &Principal) -> Result<SessionList, ServiceError> {
        let rows = sqlx::query(
            "SELECT id, created_at, last_used_at, expires_at, ip, user_agent FROM sessions
             WHERE user_id = $1 AND expires_at > $2 ORDER BY created_at DESC, id DESC",
        )
        .bind(p.user_id)
        .bind(self.now_ms())
        .fetch_all(&self.db().pool)
        .await?;
        let current = match p.credential {
            Credential::Session(id) => Some(id),
            _ => None,
        };
        let value = rows
            .iter()
            .map(|r| {
                let id: i64 = r.try_get("id")?;
                Ok(SessionInfo {
                    id,
                    created_at: to_time(r.try_get("created_at")?),
                    last_used_at: opt_time(r, "last_used_at")?,
                    expires_at: to_time(r.try_get("expires_at")?),
                    ip: r.try_get("ip")?,
                    user_agent: r.try_get("user_agent")?,
                    current: current == Some(id),
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        Ok(SessionList { value })
    }

    /// Ends one of the caller's sessions (the current one too, which is a log-out).
    pub async fn revoke_session(&self, p: &Principal, id: i64, meta: &RequestMeta) -> Result<(), ServiceError> {
        let mut tx = self.db().begin().await?;
        let done = sqlx::query("DELETE FROM sessions WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(p.user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if done == 0 {
            return Err(ServiceError::new(ErrorCode::SessionNotFound, "No such session of yours."));
        }
        audit::record(&mut *tx, meta, user_event(p.user_id, Some(p.org_id), "user.session_revoked"), self.now_ms())
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Ends every session of the caller's but the one making the request.
    pub async fn revoke_other_sessions(
        &self,
        p: &Principal,
        meta: &RequestMeta,
    ) -> Result<RevokedSessions, ServiceError> {
        let keep = match p.credential {
            Credential::Session(id) => id,
            _ => 0,
        };
        let mut tx = self.db().begin().await?;
        let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2")
            .bind(p.user_id)
            .bind(keep)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let event = user_event(p.user_id, Some(p.org_id), "user.sessions_revoked");
        audit::record(&mut *tx, meta, event, self.now_ms()).await?;
        tx.commit().await?;
        Ok(RevokedSessions { revoked: i64::try_from(done).unwrap_or(i64::MAX) })
    }

    /// Emails a reset link to `email` if an account uses it. Answers the same either way,
    /// after the same work: the rest happens in the background.
    pub async fn request_password_reset(&self, email: EmailAddress, meta: &RequestMeta) -> Result<(), ServiceError> {
        let cfg = self.config();
        let mut limits = vec![Limit::new(
            format!("reset:email:{}", secrets::hash(email.as_str())),
            cfg.password_reset_limit_per_account,
        )];
        if let Some(ip) = meta.ip {
            limits.push(Limit::new(format!("reset:ip:{ip}"), cfg.password_reset_limit_per_ip));
        }
        self.limit(&limits, meta, None).await?;
        let services = self.clone();
        let meta = meta.clone();
        tokio::spawn(async move {
            if let Err(e) = services.send_reset_link(email.as_str(), &meta).await {
                tracing::error!(error = %e, cause = ?e.cause(), "password reset email failed");
            }
        });
        Ok(())
    }

    async fn send_reset_link(&self, email: &str, meta: &RequestMeta) -> Result<(), ServiceError> {
        let user_id: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
            .bind(email)
            .fetch_optional(&self.db().pool)
            .await?;
        let Some(user_id) = user_id else { return Ok(()) };
        let token = secrets::generate(secrets::PASSWORD_RESET_PREFIX);
        let now = self.now_ms();
        let mut tx = self.db().begin().await?;
        sqlx::query(
            "INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(secrets::hash(&token))
        .bind(user_id)
        .bind(now)
        .bind(now + RESET_TTL_MS)
        .execute(&mut *tx)
        .await?;
        let body = format!(
            "Someone asked to reset the password of your Agentry account ({email}).\n\n\
             To choose a new password, open this link within an hour:\n{}/reset-password?token={token}\n\n\
             If it was not you, ignore this email: your password stays as it is.\n",
            self.config().public_url
        );
        let mail = Email {
            org_id: None,
            kind: "password_reset",
            to: email,
            subject: "Reset your Agentry password",
            body: &body,
        };
        self.queue_email(&mut *tx, mail).await?;
        audit::record(&mut *tx, meta, user_event(user_id, None, "user.password_reset_requested"), now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets a new password with a reset token, spending it; every session of the account
    /// ends, and the account's other reset links die.
    pub async fn confirm_password_reset(
        &self,
        token: &str,
        new: Password,
        meta: &RequestMeta,
    ) -> Result<(), ServiceError> {
        let invalid = || {
            ServiceError::new(ErrorCode::ResetTokenInvalid, "This reset link is not valid any more. Ask for a new one.")
        };
        if !token.starts_with(secrets::PASSWORD_RESET_PREFIX) {
            return Err(invalid());
        }
        let hash = hash_password(new).await?;
        let now = self.now_ms();
        let mut tx = self.db().begin().await?;
        let user_id: Option<i64> = sqlx::query_scalar(
            "UPDATE password_resets SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1
             RETURNING user_id",
        )
        .bind(now)
        .bind(secrets::hash(token))
        .fetch_optional(&mut *tx)
        .await?;
        let user_id = user_id.ok_or_else(invalid)?;
        sqlx::query("UPDATE password_resets SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL")
            .bind(now)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(&hash)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
        audit::record(&mut *tx, meta, user_event(user_id, None, "user.password_reset"), now).await?;
        tx.commit().await?;
        Ok(())
    }
}
