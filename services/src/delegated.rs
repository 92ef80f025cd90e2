//! Delegated registration tokens (`dlg_`): minted by an owner's session for a CI job,
//! single use, optionally bound to a name prefix and a maximum difficulty. Authentication
//! is `credentials.rs`; the registration that spends one consumes it atomically
//! (`registration.rs`).

use crate::agents::store::SHOWN_PREFIX_LEN;
use crate::audit::{self, Event};
use crate::inputs::DelegatedTokenSpec;
use crate::model::DelegatedTokenResponse;
use crate::principal::{Credential, Principal, RequestMeta};
use crate::rate_limit::Limit;
use crate::store::to_time;
use crate::{seats, secrets, ServiceError, Services};

impl Services {
    /// Mints a single-use delegated registration token. Sessions only; 403 when the
    /// organization has no free seat now.
    #[tracing::instrument(skip_all)]
    pub async fn issue_delegated_token(
        &self,
        p: &Principal,
        spec: DelegatedTokenSpec,
        meta: &RequestMeta,
    ) -> Result<DelegatedTokenResponse, ServiceError> {
        if !matches!(p.credential, Credential::Session(_)) {
            return Err(ServiceError::unauthorized());
        }
        let limit = Limit::new(format!("register:owner:{}", p.user_id), self.config().registration_limit_per_owner);
        self.limit(&[limit], meta, Some(p.user_id)).await?;
        let (used, limit) = self.seat_usage(p).await?;
        if used >= limit {
            return Err(seats::no_free_seat());
        }
        let secret = secrets::generate(secrets::DELEGATED_PREFIX);
        let now = self.now_ms();
        let expires = now + spec.ttl.seconds() * 1000;
        let name_prefix = spec.name_prefix.map(String::from);
        let max_difficulty = spec.max_difficulty.map(|d| i64::from(d.bits()));
        let mut tx = self.db().begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO delegated_tokens (token_hash, prefix, user_id, org_id, name_prefix, max_difficulty, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(secrets::hash(&secret))
        .bind(secret.chars().take(SHOWN_PREFIX_LEN).collect::<String>())
        .bind(p.user_id)
        .bind(p.org_id)
        .bind(name_prefix.clone())
        .bind(max_difficulty)
        .bind(now)
        .bind(expires)
        .fetch_one(&mut *tx)
        .await?;
        let event = Event {
            org_id: Some(p.org_id),
            actor_user_id: Some(p.user_id),
            action: "delegated_token.issued",
            object_type: "delegated_token",
            object_id: id.to_string(),
            detail: None,
            reason: None,
        };
        audit::record(&mut *tx, meta, event, now).await?;
        tx.commit().await?;
        Ok(DelegatedTokenResponse { token: secret, expires_at: to_time(expires), name_prefix, max_difficulty })
    }
}
