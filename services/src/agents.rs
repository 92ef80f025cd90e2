//! Agents: the organization's list, revocation, key rotation, and agent-key
//! authentication.

use crate::audit::{self, Event};
use crate::model::{AgentKeyRotationResponse, AgentRevokeResponse, AgentSummary, RegisteredAgent};
use crate::principal::{Principal, RequestMeta};
use crate::registration::{agent_row, free_seat, insert_agent_key, AGENT_COLS};
use crate::store::{now_ms, to_time};
use crate::{secrets, ServiceError, Services};
use sqlx::Row;

fn not_found() -> ServiceError {
    ServiceError::NotFound("No such agent.".into())
}

impl Services {
    /// The agents of the caller's current organization, oldest first.
    pub async fn list_agents(&self, p: &Principal) -> Result<Vec<AgentSummary>, ServiceError> {
        let rows = sqlx::query(
            "SELECT id, name, registration, created_at, owner_id, holds_seat FROM agents WHERE org_id = $1 ORDER BY id",
        )
        .bind(p.org_id)
        .fetch_all(&self.db().pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AgentSummary {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    registration: r.try_get("registration")?,
                    created_at: to_time(r.try_get("created_at")?),
                    owner_id: r.try_get("owner_id")?,
                    holds_seat: r.try_get::<i64, _>("holds_seat")? == 1,
                })
            })
            .collect()
    }

    /// An agent of the caller's organization, or 404.
    async fn org_agent(&self, p: &Principal, agent_id: i64) -> Result<RegisteredAgent, ServiceError> {
        let row = sqlx::query(&format!("SELECT {AGENT_COLS} FROM agents WHERE id = $1 AND org_id = $2"))
            .bind(agent_id)
            .bind(p.org_id)
            .fetch_optional(&self.db().pool)
            .await?
            .ok_or_else(not_found)?;
        Ok(agent_row(&row)?)
    }

    /// Revokes an agent: every key, its seat, any pending invite. The agent's owner or an
    /// owner/admin of its organization; 404 for other organizations' agents. Revoking
    /// twice is harmless (`revokedKeys: 0`).
    #[tracing::instrument(skip_all)]
    pub async fn revoke_agent(
        &self,
        p: &Principal,
        agent_id: i64,
        reason: Option<&str>,
        meta: &RequestMeta,
    ) -> Result<AgentRevokeResponse, ServiceError> {
        let reason = clean_reason(reason)?;
        let agent = self.org_agent(p, agent_id).await?;
        if !(p.role.is_admin() || agent.owner_id == Some(p.user_id)) {
            return Err(ServiceError::Forbidden("Only the agent's owner or an owner/admin may revoke it.".into()));
        }
        let now = now_ms();
        let mut tx = self.db().pool.begin().await?;
        let revoked_keys =
            sqlx::query("UPDATE agent_keys SET revoked_at = $1 WHERE agent_id = $2 AND revoked_at IS NULL")
                .bind(now)
                .bind(agent_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        free_seat(&mut tx, agent_id).await?;
        sqlx::query("UPDATE invites SET status = 'cancelled', cancelled_at = $1, cancel_reason = $2 WHERE agent_id = $3 AND status = 'pending'")
            .bind(now)
            .bind(reason.clone())
            .bind(agent_id)
            .execute(&mut *tx)
            .await?;
        let metadata: String = sqlx::query("SELECT metadata FROM agents WHERE id = $1")
            .bind(agent_id)
            .fetch_one(&mut *tx)
            .await?
            .try_get("metadata")?;
        let mut md: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&metadata).unwrap_or_default();
        if agent.registration != "revoked" {
            md.insert("revokeReason".into(), reason.clone().map_or(serde_json::Value::Null, serde_json::Value::String));
            md.insert("revokedBy".into(), p.user_id.into());
        }
        sqlx::query(
            "UPDATE agents SET registration = 'revoked', revoked_at = COALESCE(revoked_at, $1), updated_at = $1, metadata = $2 WHERE id = $3",
        )
        .bind(now)
        .bind(serde_json::Value::Object(md).to_string())
        .bind(agent_id)
        .execute(&mut *tx)
        .await?;
        let event = Event {
            org_id: Some(p.org_id),
            actor_user_id: Some(p.user_id),
            action: "agent.revoked",
            object_type: "agent",
            object_id: agent_id.to_string(),
            detail: Some(serde_json::json!({ "reason": reason, "revokedKeys": revoked_keys }).to_string()),
        };
        audit::record(&mut *tx, meta, event).await?;
        tx.commit().await?;
        Ok(AgentRevokeResponse {
            agent_id,
            registration: "revoked".into(),
            revoked_keys: i64::try_from(revoked_keys).unwrap_or(i64::MAX),
        })
    }

    /// Mints a new key for a registered agent; older live keys keep working until the end
    /// of the grace period. The agent's owner or a privileged member of its organization.
    #[tracing::instrument(skip_all)]
    pub async fn rotate_agent_key(
        &self,
        p: &Principal,
        agent_id: i64,
        meta: &RequestMeta,
    ) -> Result<AgentKeyRotationResponse, ServiceError> {
        let agent = self.org_agent(p, agent_id).await?;
        if !(p.role.is_privileged() || agent.owner_id == Some(p.user_id)) {
            return Err(ServiceError::Forbidden(
                "Only the agent's owner or an owner/admin/operator may rotate its keys.".into(),
            ));
        }
        self.rotate_key(&agent, Some(p.user_id), meta).await
    }

    /// An agent rotates its own key (authenticated by a current `agk_` key). Another
    /// agent's id is a 404.
    #[tracing::instrument(skip_all)]
    pub async fn rotate_own_agent_key(
        &self,
        me: &RegisteredAgent,
        agent_id: i64,
        meta: &RequestMeta,
    ) -> Result<AgentKeyRotationResponse, ServiceError> {
        if me.id != agent_id {
            return Err(not_found());
        }
        self.rotate_key(me, None, meta).await
    }

    async fn rotate_key(
        &self,
        agent: &RegisteredAgent,
        actor: Option<i64>,
        meta: &RequestMeta,
    ) -> Result<AgentKeyRotationResponse, ServiceError> {
        let agent_id = agent.id;
        if agent.registration != "registered" {
            return Err(ServiceError::Conflict {
                code: "agent_not_registered",
                detail: "Only registered agents have keys.".into(),
            });
        }
        let now = now_ms();
        let grace_end = now + i64::try_from(self.config().agent_key_grace.as_millis()).unwrap_or(i64::MAX / 4);
        let mut tx = self.db().pool.begin().await?;
        let shortened = sqlx::query(
            "UPDATE agent_keys SET expires_at = $1 WHERE agent_id = $2 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $1)",
        )
        .bind(grace_end)
        .bind(agent_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let (secret, key_id) = insert_agent_key(&mut tx, agent_id, None).await?;
        let event = Event {
            org_id: agent.org_id,
            actor_user_id: actor,
            action: "agent.key_rotated",
            object_type: "agent",
            object_id: agent_id.to_string(),
            detail: Some(serde_json::json!({ "keyId": key_id, "byAgent": actor.is_none() }).to_string()),
        };
        audit::record(&mut *tx, meta, event).await?;
        tx.commit().await?;
        Ok(AgentKeyRotationResponse {
            api_key: secret,
            key_id,
            previous_keys_expire_at: (shortened > 0).then(|| to_time(grace_end)),
        })
    }

    /// The agent behind an `agk_` key; 401 when unknown, revoked, past its grace period,
    /// or the agent is not registered. Records `last_used_at`.
    pub async fn authenticate_agent_key(&self, secret: &str) -> Result<RegisteredAgent, ServiceError> {
        if !secret.starts_with(secrets::AGENT_KEY_PREFIX) {
            return Err(ServiceError::Unauthorized);
        }
        let hash = secrets::hash(secret);
        let now = now_ms();
        let row = sqlx::query(
            "UPDATE agent_keys SET last_used_at = $1 WHERE key_hash = $2 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $1)
             RETURNING agent_id, key_hash",
        )
        .bind(now)
        .bind(&hash)
        .fetch_optional(&self.db().pool)
        .await?
        .ok_or(ServiceError::Unauthorized)?;
        if !secrets::ct_eq(row.try_get::<String, _>("key_hash")?.as_bytes(), hash.as_bytes()) {
            return Err(ServiceError::Unauthorized);
        }
        let agent =
            sqlx::query(&format!("SELECT {AGENT_COLS} FROM agents WHERE id = $1 AND registration = 'registered'"))
                .bind(row.try_get::<i64, _>("agent_id")?)
                .fetch_optional(&self.db().pool)
                .await?
                .ok_or(ServiceError::Unauthorized)?;
        Ok(agent_row(&agent)?)
    }
}

/// A revoke or cancel reason: trimmed, empty means none, at most 500 characters.
pub(crate) fn clean_reason(reason: Option<&str>) -> Result<Option<String>, ServiceError> {
    let reason = reason.map(str::trim).filter(|r| !r.is_empty()).map(str::to_string);
    if reason.as_ref().is_some_and(|r| r.chars().count() > 500) {
        return Err(ServiceError::field("reason", "The reason must be at most 500 characters."));
    }
    Ok(reason)
}
