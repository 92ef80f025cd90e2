//! Agents: the organization's list, revocation and key rotation. Storage is `store.rs`;
//! agent-key authentication is `credentials.rs`.

mod changes;
mod directory;
mod list;
mod record;
mod schedule;
pub(crate) mod store;
mod transfers;
mod variations;

pub use changes::ACCESS_USERS_MAX;
pub use directory::{if_match_revisions, AgentView};
pub use transfers::{TRANSFER_MESSAGE_MAX, TRANSFER_TTL_MS};
pub use variations::{View, VERSION_NAME_MAX, VERSION_NOTES_MAX};

use crate::audit::{self, Event};
use crate::errors::ErrorCode;
use crate::model::{AgentKeyRotationResponse, AgentRevokeResponse, AgentSummary, RegisteredAgent, RegistrationState};
use crate::principal::{Principal, RequestMeta};
use crate::store::{state, to_time};
use crate::vocab::Reason;
use crate::{ServiceError, Services};
use sqlx::Row;
use store::{agent_row, insert_agent_key, retire, Retirement, AGENT_COLS};

fn not_found() -> ServiceError {
    ServiceError::new(ErrorCode::AgentNotFound, "No such agent.")
}

impl Services {
    /// The agents of the caller's current organization, oldest first.
    pub async fn list_agents(&self, p: &Principal) -> Result<Vec<AgentSummary>, ServiceError> {
        let rows = sqlx::query(
            "SELECT id, name, registration, created_at, owner_id, holds_seat FROM agents
             WHERE org_id = $1 AND registration IS NOT NULL AND deleted_at IS NULL ORDER BY id",
        )
        .bind(p.org_id)
        .fetch_all(&self.db().pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AgentSummary {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    registration: state(r, "registration", RegistrationState::parse)?,
                    created_at: to_time(r.try_get("created_at")?),
                    owner_id: r.try_get("owner_id")?,
                    holds_seat: r.try_get::<i64, _>("holds_seat")? == 1,
                })
            })
            .collect()
    }

    /// An agent of the caller's organization, or 404.
    async fn org_agent(&self, p: &Principal, agent_id: i64) -> Result<RegisteredAgent, ServiceError> {
        let row = sqlx::query(&format!(
            "SELECT {AGENT_COLS} FROM agents a WHERE a.id = $1 AND a.org_id = $2 AND a.deleted_at IS NULL"
        ))
        .bind(agent_id)
        .bind(p.org_id)
        .fetch_optional(&self.db().pool)
        .await?
        .ok_or_else(not_found)?;
        if row.try_get::<Option<String>, _>("registration")?.is_none() {
            return Err(ServiceError::new(
                ErrorCode::AgentNotRegistered,
                "This agent has no identity yet: register one for it (POST /api/v1/registration/agent with agentId).",
            ));
        }
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
        reason: Option<Reason>,
        meta: &RequestMeta,
    ) -> Result<AgentRevokeResponse, ServiceError> {
        let agent = self.org_agent(p, agent_id).await?;
        if !(p.role.is_admin() || agent.owner_id == Some(p.user_id)) {
            return Err(ServiceError::not_allowed("Only the agent's owner or an owner/admin may revoke it."));
        }
        let now = self.now_ms();
        let mut tx = self.db().begin().await?;
        // Locked first, like every change that stops an agent: a run being created or
        // claimed for it holds the row (`runs::active_while_runnable`), and is waited for.
        let lock =
            format!("SELECT id FROM agents WHERE id = $1{}", crate::store::dialect::for_update(self.db().backend));
        sqlx::query(&lock).bind(agent_id).execute(&mut *tx).await?;
        let revoked_keys =
            sqlx::query("UPDATE agent_keys SET revoked_at = $1 WHERE agent_id = $2 AND revoked_at IS NULL")
                .bind(now)
                .bind(agent_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        let retirement = Retirement {
            reason_key: "revokeReason",
            by_key: "revokedBy",
            reason: reason.as_ref(),
            by: p.user_id,
            needs_pending_invite: false,
        };
        retire(&mut tx, agent_id, retirement, now).await?;
        let reason = reason.map(String::from);
        let event = Event {
            org_id: Some(p.org_id),
            actor_user_id: Some(p.user_id),
            action: "agent.revoked",
            object_type: "agent",
            object_id: agent_id.to_string(),
            detail: Some(serde_json::json!({ "reason": reason, "revokedKeys": revoked_keys }).to_string()),
            reason: reason.clone(),
        };
        audit::record(&mut *tx, meta, event, now).await?;
        tx.commit().await?;
        self.after_agent_stopped(agent_id).await;
        Ok(AgentRevokeResponse {
            agent_id,
            registration: RegistrationState::Revoked,
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
            return Err(ServiceError::not_allowed(
                "Only the agent's owner or an owner/admin/operator may rotate its keys.",
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
        if agent.registration != RegistrationState::Registered {
            return Err(ServiceError::new(ErrorCode::AgentNotRegistered, "Only registered agents have keys."));
        }
        let now = self.now_ms();
        let grace_end = now + crate::clock::ms(self.config().agent_key_grace);
        let mut tx = self.db().begin().await?;
        let shortened = sqlx::query(
            "UPDATE agent_keys SET expires_at = $1 WHERE agent_id = $2 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $1)",
        )
        .bind(grace_end)
        .bind(agent_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let (secret, key_id) = insert_agent_key(&mut tx, agent_id, now).await?;
        let event = Event {
            org_id: agent.org_id,
            actor_user_id: actor,
            action: "agent.key_rotated",
            object_type: "agent",
            object_id: agent_id.to_string(),
            detail: Some(serde_json::json!({ "keyId": key_id, "byAgent": actor.is_none() }).to_string()),
            reason: None,
        };
        audit::record(&mut *tx, meta, event, now).await?;
        tx.commit().await?;
        Ok(AgentKeyRotationResponse {
            api_key: secret,
            key_id,
            previous_keys_expire_at: (shortened > 0).then(|| to_time(grace_end)),
        })
    }
}
