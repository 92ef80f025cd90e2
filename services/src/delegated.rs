//! Delegated registration tokens (`dlg_`): minted by an owner's session for a CI job,
//! single use, optionally bound to a name prefix and a maximum difficulty. The registration
//! that spends one consumes it atomically (see `registration.rs`).

use crate::audit::{self, Event};
use crate::model::{DelegatedTokenRequest, DelegatedTokenResponse, Role};
use crate::principal::{Credential, Principal, RequestMeta};
use crate::registration::{no_seat, DelegatedLimits, SHOWN_PREFIX_LEN};
use crate::store::{now_ms, to_time};
use crate::{secrets, ServiceError, Services};
use sqlx::Row;

impl Services {
    /// Mints a single-use delegated registration token. Sessions only; 403 when the
    /// organization has no free seat now.
    #[tracing::instrument(skip_all)]
    pub async fn issue_delegated_token(
        &self,
        p: &Principal,
        req: &DelegatedTokenRequest,
        meta: &RequestMeta,
    ) -> Result<DelegatedTokenResponse, ServiceError> {
        if !matches!(p.credential, Credential::Session(_)) {
            return Err(ServiceError::Unauthorized);
        }
        let ttl = req.ttl_seconds.unwrap_or(900);
        if !(60..=3600).contains(&ttl) {
            return Err(ServiceError::field("ttlSeconds", "ttlSeconds must be between 60 and 3600."));
        }
        let name_prefix = req.name_prefix.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        if name_prefix.as_ref().is_some_and(|n| n.chars().count() > 50) {
            return Err(ServiceError::field("namePrefix", "namePrefix must be at most 50 characters."));
        }
        if req.max_difficulty.is_some_and(|d| !(0..=i64::from(pow_wasm::MAX_DIFFICULTY)).contains(&d)) {
            return Err(ServiceError::field("maxDifficulty", "maxDifficulty must be between 0 and 32."));
        }
        self.limit(
            &format!("register:owner:{}", p.user_id),
            self.config().registration_limit_per_owner,
            meta,
            Some(p.user_id),
        )
        .await?;
        let (used, limit) = self.seat_usage(p).await?;
        if used >= limit {
            return Err(no_seat());
        }
        let secret = secrets::generate(secrets::DELEGATED_PREFIX);
        let now = now_ms();
        let expires = now + ttl * 1000;
        let id: i64 = sqlx::query(
            "INSERT INTO delegated_tokens (token_hash, prefix, user_id, org_id, name_prefix, max_difficulty, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(secrets::hash(&secret))
        .bind(secret.chars().take(SHOWN_PREFIX_LEN).collect::<String>())
        .bind(p.user_id)
        .bind(p.org_id)
        .bind(name_prefix.clone())
        .bind(req.max_difficulty)
        .bind(now)
        .bind(expires)
        .fetch_one(&self.db().pool)
        .await?
        .try_get("id")?;
        let event = Event {
            org_id: Some(p.org_id),
            actor_user_id: Some(p.user_id),
            action: "delegated_token.issued",
            object_type: "delegated_token",
            object_id: id.to_string(),
            detail: None,
        };
        audit::record(&self.db().pool, meta, event).await?;
        Ok(DelegatedTokenResponse {
            token: secret,
            expires_at: to_time(expires),
            name_prefix,
            max_difficulty: req.max_difficulty,
        })
    }

    /// The principal behind a `dlg_` token: its owner, acting in the token's organization.
    /// 401 when unknown, spent or expired. The token is consumed by the registration.
    pub async fn authenticate_delegated(&self, secret: &str) -> Result<Principal, ServiceError> {
        if !secret.starts_with(secrets::DELEGATED_PREFIX) {
            return Err(ServiceError::Unauthorized);
        }
        let hash = secrets::hash(secret);
        let row = sqlx::query(
            "SELECT t.id, t.token_hash, t.user_id, t.org_id, m.role FROM delegated_tokens t
             JOIN memberships m ON m.user_id = t.user_id AND m.org_id = t.org_id
             WHERE t.token_hash = $1 AND t.used_at IS NULL AND t.expires_at > $2",
        )
        .bind(&hash)
        .bind(now_ms())
        .fetch_optional(&self.db().pool)
        .await?
        .ok_or(ServiceError::Unauthorized)?;
        if !secrets::ct_eq(row.try_get::<String, _>("token_hash")?.as_bytes(), hash.as_bytes()) {
            return Err(ServiceError::Unauthorized);
        }
        Ok(Principal {
            user_id: row.try_get("user_id")?,
            org_id: row.try_get("org_id")?,
            role: Role::parse(&row.try_get::<String, _>("role")?).ok_or(ServiceError::Unauthorized)?,
            credential: Credential::Delegated(row.try_get("id")?),
        })
    }

    pub(crate) async fn delegated_limits(&self, p: &Principal) -> Result<Option<DelegatedLimits>, ServiceError> {
        let Credential::Delegated(id) = p.credential else { return Ok(None) };
        let row = sqlx::query("SELECT name_prefix, max_difficulty FROM delegated_tokens WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.db().pool)
            .await?
            .ok_or(ServiceError::Unauthorized)?;
        Ok(Some(DelegatedLimits {
            name_prefix: row.try_get("name_prefix")?,
            max_difficulty: row.try_get("max_difficulty")?,
        }))
    }
}
