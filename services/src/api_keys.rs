//! User API keys: `uak_` + 256 random bits, shown once, stored as SHA-256.

use crate::agents::store::SHOWN_PREFIX_LEN;
use crate::audit::{self, Event};
use crate::errors::ErrorCode;
use crate::model::{ApiKey, CreatedApiKey};
use crate::principal::{Principal, RequestMeta};
use crate::store::{opt_time, to_time};
use crate::vocab::KeyName;
use crate::{secrets, ServiceError, Services};
use sqlx::any::AnyRow;
use sqlx::Row;

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
    pub async fn create_api_key(
        &self,
        p: &Principal,
        name: &KeyName,
        meta: &RequestMeta,
    ) -> Result<CreatedApiKey, ServiceError> {
        let secret = secrets::generate(secrets::USER_API_KEY_PREFIX);
        let prefix: String = secret.chars().take(SHOWN_PREFIX_LEN).collect();
        let now = self.now_ms();
        let mut tx = self.db().begin().await?;
        let row = sqlx::query(
            "INSERT INTO api_keys (key_hash, prefix, name, user_id, org_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)
             RETURNING id, name, prefix, org_id, created_at, last_used_at, revoked_at",
        )
        .bind(secrets::hash(&secret))
        .bind(&prefix)
        .bind(name.as_str())
        .bind(p.user_id)
        .bind(p.org_id)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let key = api_key(&row)?;
        let detail = serde_json::json!({ "name": key.name, "prefix": key.prefix }).to_string();
        audit::record(&mut *tx, meta, key_event(p, "api_key.created", key.id, detail), now).await?;
        tx.commit().await?;
        Ok(CreatedApiKey { key, secret })
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
    pub async fn revoke_api_key(&self, p: &Principal, key_id: i64, meta: &RequestMeta) -> Result<ApiKey, ServiceError> {
        let now = self.now_ms();
        let mut tx = self.db().begin().await?;
        let row = sqlx::query(
            "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2 AND user_id = $3
             RETURNING id, name, prefix, org_id, created_at, last_used_at, revoked_at",
        )
        .bind(now)
        .bind(key_id)
        .bind(p.user_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| ServiceError::new(ErrorCode::ApiKeyNotFound, "No such API key."))?;
        let key = api_key(&row)?;
        let detail = serde_json::json!({ "name": key.name, "prefix": key.prefix }).to_string();
        audit::record(&mut *tx, meta, key_event(p, "api_key.revoked", key.id, detail), now).await?;
        tx.commit().await?;
        Ok(key)
    }
}

/// An audit event about the caller's key `id`, in the caller's current organization.
fn key_event<'a>(p: &Principal, action: &'a str, id: i64, detail: String) -> Event<'a> {
    Event {
        org_id: Some(p.org_id),
        actor_user_id: Some(p.user_id),
        action,
        object_type: "api_key",
        object_id: id.to_string(),
        detail: Some(detail),
        reason: None,
    }
}
