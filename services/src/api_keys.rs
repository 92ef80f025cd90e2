//! User API keys: `uak_` + 256 random bits, shown once, stored as SHA-256.

use crate::model::{ApiKey, CreatedApiKey, Role};
use crate::principal::{Credential, Principal};
use crate::store::{now_ms, opt_time, to_time};
use crate::{secrets, ServiceError, Services};
use sqlx::any::AnyRow;
use sqlx::Row;

/// Characters of the secret kept in clear to recognise a key in lists.
const SHOWN_PREFIX_LEN: usize = 8;

fn api_key(row: &AnyRow) -> Result<ApiKey, sqlx::Error> {
    Ok(ApiKey {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        prefix: row.try_get("prefix")?,
        org_id: row.try_get("org_id")?,
        created_at: to_time(row.try_get("created_at")?),
        last_used_at: opt_time(row, "last_used_at")?,
        revoked_at: opt_time(row, "revoked_at")?,
    })
}

impl Services {
    /// Mints a key for the caller, acting in the caller's current organization.
    pub async fn create_api_key(&self, p: &Principal, name: &str) -> Result<CreatedApiKey, ServiceError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(ServiceError::field("name", "The key name must be 1 to 100 characters."));
        }
        let secret = secrets::generate(secrets::USER_API_KEY_PREFIX);
        let prefix: String = secret.chars().take(SHOWN_PREFIX_LEN).collect();
        let row = sqlx::query(
            "INSERT INTO api_keys (key_hash, prefix, name, user_id, org_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)
             RETURNING id, name, prefix, org_id, created_at, last_used_at, revoked_at",
        )
        .bind(secrets::hash(&secret))
        .bind(&prefix)
        .bind(name)
        .bind(p.user_id)
        .bind(p.org_id)
        .bind(now_ms())
        .fetch_one(&self.db().pool)
        .await?;
        Ok(CreatedApiKey { key: api_key(&row)?, secret })
    }

    /// The caller's keys, newest first, revoked ones included.
    pub async fn list_api_keys(&self, p: &Principal) -> Result<Vec<ApiKey>, ServiceError> {
        let rows = sqlx::query("SELECT id, name, prefix, org_id, created_at, last_used_at, revoked_at FROM api_keys WHERE user_id = $1 ORDER BY id DESC")
            .bind(p.user_id)
            .fetch_all(&self.db().pool)
            .await?;
        rows.iter().map(|r| api_key(r).map_err(ServiceError::from)).collect()
    }

    /// Revokes one of the caller's keys. Another user's key id is a 404, not a 403, so ids
    /// reveal nothing.
    pub async fn revoke_api_key(&self, p: &Principal, key_id: i64) -> Result<ApiKey, ServiceError> {
        let row = sqlx::query(
            "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2 AND user_id = $3
             RETURNING id, name, prefix, org_id, created_at, last_used_at, revoked_at",
        )
        .bind(now_ms())
        .bind(key_id)
        .bind(p.user_id)
        .fetch_optional(&self.db().pool)
        .await?
        .ok_or_else(|| ServiceError::NotFound("No such API key.".into()))?;
        Ok(api_key(&row)?)
    }

    /// The principal behind a `uak_` key; 401 when unknown, revoked, or the user left the
    /// organization. Records `last_used_at`.
    pub async fn authenticate_api_key(&self, secret: &str) -> Result<Principal, ServiceError> {
        if !secret.starts_with(secrets::USER_API_KEY_PREFIX) {
            return Err(ServiceError::Unauthorized);
        }
        let hash = secrets::hash(secret);
        let row = sqlx::query(
            "UPDATE api_keys SET last_used_at = $1 WHERE key_hash = $2 AND revoked_at IS NULL
             RETURNING id, key_hash, user_id, org_id",
        )
        .bind(now_ms())
        .bind(&hash)
        .fetch_optional(&self.db().pool)
        .await?
        .ok_or(ServiceError::Unauthorized)?;
        // The lookup is by hash; compare again in constant time so no code path depends on
        // a variable-time string comparison of secret material.
        if !secrets::ct_eq(row.try_get::<String, _>("key_hash")?.as_bytes(), hash.as_bytes()) {
            return Err(ServiceError::Unauthorized);
        }
        let (user_id, org_id): (i64, i64) = (row.try_get("user_id")?, row.try_get("org_id")?);
        let role = sqlx::query("SELECT role FROM memberships WHERE user_id = $1 AND org_id = $2")
            .bind(user_id)
            .bind(org_id)
            .fetch_optional(&self.db().pool)
            .await?
            .ok_or(ServiceError::Unauthorized)?;
        let role = Role::parse(&role.try_get::<String, _>("role")?).ok_or(ServiceError::Unauthorized)?;
        Ok(Principal { user_id, org_id, role, credential: Credential::ApiKey(row.try_get("id")?) })
    }
}
