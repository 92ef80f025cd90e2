//! Agent invites: confirmation by the invited owner, the pending list, resend, cancel.

use crate::agents::clean_reason;
use crate::audit::{self, Event};
use crate::model::{
    AgentInviteCancelResponse, AgentInviteResendResponse, AgentRegistrationResponse, PendingAgentInvite,
    PendingAgentInvitesResponse,
};
use crate::principal::{Principal, RequestMeta};
use crate::registration::{free_seat, insert_agent_key, reserve_seat, AGENT_COLS};
use crate::store::{now_ms, to_time};
use crate::{secrets, ServiceError, Services};
use sqlx::any::AnyRow;
use sqlx::Row;

/// Filters of `GET /api/v1/agents/pending`.
#[derive(Clone, Debug, Default)]
pub struct PendingQuery {
    /// Include invites past their expiry (default true).
    pub include_expired: Option<bool>,
    /// Only invites to this address.
    pub email: Option<String>,
    /// Page size (default 50, capped at 200).
    pub limit: Option<i64>,
    /// Offset (default 0).
    pub offset: Option<i64>,
}

/// A pending invite row, as the permission checks need it.
struct PendingInvite {
    id: i64,
    org_id: Option<i64>,
    email: String,
}

fn not_found() -> ServiceError {
    ServiceError::NotFound("No pending invite for this agent.".into())
}

impl Services {
    async fn recipient_email(&self, user_id: i64) -> Result<String, ServiceError> {
        let row = sqlx::query("SELECT email FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&self.db().pool)
            .await?
            .ok_or(ServiceError::Unauthorized)?;
        Ok(row.try_get("email")?)
    }

    /// Confirms an invite: binds the pending agent to the confirming user (who must be the
    /// recipient) and provisions its first key.
    #[tracing::instrument(skip_all)]
    pub async fn confirm_invite(
        &self,
        p: &Principal,
        token: Option<&str>,
        meta: &RequestMeta,
    ) -> Result<AgentRegistrationResponse, ServiceError> {
        let token = token.map(str::trim).unwrap_or("");
        if !token.starts_with(secrets::INVITE_PREFIX) || token.len() < secrets::INVITE_PREFIX.len() + 16 {
            return Err(ServiceError::field("token", "The invite token is missing or malformed (inv_…)."));
        }
        let hash = secrets::hash(token);
        let row = sqlx::query(
            "SELECT i.id, i.agent_id, i.org_id, i.email, i.token_hash, i.status, i.expires_at, a.registration
             FROM invites i JOIN agents a ON a.id = i.agent_id WHERE i.token_hash = $1",
        )
        .bind(&hash)
        .fetch_optional(&self.db().pool)
        .await?
        .ok_or_else(|| ServiceError::NotFound("No such invite.".into()))?;
        if !secrets::ct_eq(row.try_get::<String, _>("token_hash")?.as_bytes(), hash.as_bytes()) {
            return Err(ServiceError::NotFound("No such invite.".into()));
        }
        let invite_id: i64 = row.try_get("id")?;
        let agent_id: i64 = row.try_get("agent_id")?;
        let status: String = row.try_get("status")?;
        if status != "pending" || row.try_get::<String, _>("registration")? != "pending_invite" {
            return Err(ServiceError::Conflict {
                code: "invite_not_pending",
                detail: format!("This invite is {status}; the agent is no longer pending."),
            });
        }
        let now = now_ms();
        if row.try_get::<i64, _>("expires_at")? <= now {
            return Err(ServiceError::Gone("This invite has expired. Ask for it to be resent.".into()));
        }
        let email: String = row.try_get("email")?;
        let mine = self.recipient_email(p.user_id).await?;
        if !secrets::ct_eq(mine.as_bytes(), email.as_bytes()) {
            return Err(ServiceError::Forbidden("This invite is addressed to someone else.".into()));
        }
        // The invite's organization when the recipient belongs to it; otherwise the
        // organization the confirming session acts in.
        let invite_org: Option<i64> = row.try_get("org_id")?;
        let member_of_invite_org = match invite_org {
            Some(org) => sqlx::query("SELECT role FROM memberships WHERE user_id = $1 AND org_id = $2")
                .bind(p.user_id)
                .bind(org)
                .fetch_optional(&self.db().pool)
                .await?
                .is_some(),
            None => false,
        };
        let org = if member_of_invite_org { invite_org.unwrap_or(p.org_id) } else { p.org_id };

        let mut tx = self.db().pool.begin().await?;
        let claimed = sqlx::query(
            "UPDATE invites SET status = 'claimed', claimed_at = $1, claimed_by = $2 WHERE id = $3 AND status = 'pending'",
        )
        .bind(now)
        .bind(p.user_id)
        .bind(invite_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if claimed == 0 {
            return Err(ServiceError::Conflict {
                code: "invite_not_pending",
                detail: "This invite was already claimed or cancelled.".into(),
            });
        }
        let holds_in_org = sqlx::query("SELECT holds_seat, org_id FROM agents WHERE id = $1")
            .bind(agent_id)
            .fetch_one(&mut *tx)
            .await
            .map(|r| {
                r.try_get::<i64, _>("holds_seat").unwrap_or(0) == 1
                    && r.try_get::<Option<i64>, _>("org_id").ok().flatten() == Some(org)
            })?;
        if !holds_in_org {
            free_seat(&mut tx, agent_id).await?;
            reserve_seat(&mut tx, org).await?;
        }
        let agent = sqlx::query(&format!(
            "UPDATE agents SET registration = 'registered', org_id = $1, owner_id = $2, holds_seat = 1, updated_at = $3
             WHERE id = $4 AND registration = 'pending_invite' RETURNING {AGENT_COLS}"
        ))
        .bind(org)
        .bind(p.user_id)
        .bind(now)
        .bind(agent_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| ServiceError::Conflict {
            code: "agent_not_pending",
            detail: "The agent is no longer pending.".into(),
        })?;
        let agent = crate::registration::agent_row(&agent)?;
        let (secret, key_id) = insert_agent_key(&mut tx, agent_id, None).await?;
        let event = Event {
            org_id: Some(org),
            actor_user_id: Some(p.user_id),
            action: "agent.invite_confirmed",
            object_type: "agent",
            object_id: agent_id.to_string(),
            detail: None,
        };
        audit::record(&mut *tx, meta, event).await?;
        tx.commit().await?;
        Ok(AgentRegistrationResponse {
            agent,
            api_key: Some(secret),
            key_id: Some(key_id),
            status: "registered".into(),
            invite_expires_at: None,
        })
    }

    /// Pending invites: privileged roles see their organization's (and their own); anyone
    /// else sees those addressed to their email, and 403 when there are none.
    pub async fn pending_invites(
        &self,
        p: &Principal,
        q: &PendingQuery,
    ) -> Result<PendingAgentInvitesResponse, ServiceError> {
        let limit = q.limit.unwrap_or(50).clamp(1, 200);
        let offset = q.offset.unwrap_or(0).max(0);
        let me = self.recipient_email(p.user_id).await?;
        let now = now_ms();
        let privileged = p.role.is_privileged();
        if !privileged {
            let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM invites WHERE email = $1 AND status = 'pending'")
                .bind(&me)
                .fetch_one(&self.db().pool)
                .await?
                .try_get("n")?;
            if n == 0 {
                return Err(ServiceError::Forbidden(
                    "Only owners, admins and operators may list pending invites.".into(),
                ));
            }
        }
        // $1 org (or -1 for none), $2 my email, $3 now, $4 include expired (1/0), $5 email filter ('' = any).
        let scope = "FROM invites i JOIN agents a ON a.id = i.agent_id
             WHERE i.status = 'pending' AND (i.org_id = $1 OR i.email = $2)
               AND ($4 = 1 OR i.expires_at > $3) AND ($5 = '' OR i.email = $5)";
        let org = if privileged { p.org_id } else { -1 };
        let include = i64::from(q.include_expired.unwrap_or(true));
        let email_filter = q.email.as_deref().map(|e| e.trim().to_lowercase()).unwrap_or_default();
        let total: i64 = sqlx::query(&format!("SELECT COUNT(*) AS n {scope}"))
            .bind(org)
            .bind(&me)
            .bind(now)
            .bind(include)
            .bind(&email_filter)
            .fetch_one(&self.db().pool)
            .await?
            .try_get("n")?;
        let rows = sqlx::query(&format!(
            "SELECT i.agent_id, a.name, i.email, i.org_id, i.status, i.created_at, i.expires_at, i.resend_count {scope}
             ORDER BY i.id LIMIT $6 OFFSET $7"
        ))
        .bind(org)
        .bind(&me)
        .bind(now)
        .bind(include)
        .bind(&email_filter)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.db().pool)
        .await?;
        let invites = rows.iter().map(|r| pending_row(r, now)).collect::<Result<Vec<_>, _>>()?;
        Ok(PendingAgentInvitesResponse { invites, total, limit, offset })
    }

    /// The pending invite of `agent_id`, if the caller may act on it: privileged members of
    /// its organization, or its recipient. Not visible at all: 404; visible to a member of
    /// the organization without the right: 403.
    async fn pending_invite_for(&self, p: &Principal, agent_id: i64) -> Result<PendingInvite, ServiceError> {
        let row = sqlx::query(
            "SELECT id, org_id, email FROM invites WHERE agent_id = $1 AND status = 'pending' ORDER BY id DESC",
        )
        .bind(agent_id)
        .fetch_optional(&self.db().pool)
        .await?
        .ok_or_else(not_found)?;
        let inv =
            PendingInvite { id: row.try_get("id")?, org_id: row.try_get("org_id")?, email: row.try_get("email")? };
        let recipient = self.recipient_email(p.user_id).await? == inv.email;
        let same_org = inv.org_id == Some(p.org_id);
        if recipient || (same_org && p.role.is_privileged()) {
            Ok(inv)
        } else if same_org {
            Err(ServiceError::Forbidden(
                "Only owners, admins, operators or the recipient may manage this invite.".into(),
            ))
        } else {
            Err(not_found())
        }
    }

    /// Issues a new invite token (the old one stops working), extends the expiry, and
    /// queues the email again.
    #[tracing::instrument(skip_all)]
    pub async fn resend_invite(
        &self,
        p: &Principal,
        agent_id: i64,
        meta: &RequestMeta,
    ) -> Result<AgentInviteResendResponse, ServiceError> {
        let inv = self.pending_invite_for(p, agent_id).await?;
        self.limit(
            &format!("resend:agent:{agent_id}"),
            self.config().invite_resend_limit_per_agent,
            meta,
            Some(p.user_id),
        )
        .await?;
        let token = secrets::generate(secrets::INVITE_PREFIX);
        let now = now_ms();
        let expires = now + i64::try_from(self.config().invite_ttl.as_millis()).unwrap_or(i64::MAX / 4);
        let mut tx = self.db().pool.begin().await?;
        let row = sqlx::query(
            "UPDATE invites SET token_hash = $1, expires_at = $2, resent_at = $3, resend_count = resend_count + 1
             WHERE id = $4 AND status = 'pending' RETURNING resend_count",
        )
        .bind(secrets::hash(&token))
        .bind(expires)
        .bind(now)
        .bind(inv.id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(not_found)?;
        let resend_count: i64 = row.try_get("resend_count")?;
        let name: String = sqlx::query("SELECT name FROM agents WHERE id = $1")
            .bind(agent_id)
            .fetch_one(&mut *tx)
            .await?
            .try_get("name")?;
        self.queue_invite_email(&mut tx, inv.org_id, &inv.email, &name, &token, expires).await?;
        let event = Event {
            org_id: inv.org_id,
            actor_user_id: Some(p.user_id),
            action: "agent.invite_resent",
            object_type: "agent",
            object_id: agent_id.to_string(),
            detail: None,
        };
        audit::record(&mut *tx, meta, event).await?;
        tx.commit().await?;
        Ok(AgentInviteResendResponse { agent_id, email: inv.email, expires_at: to_time(expires), resend_count })
    }

    /// Cancels a pending invite: the agent is revoked, its seat freed, and the reason kept
    /// in `agents.metadata.inviteCancelReason` and the audit log.
    #[tracing::instrument(skip_all)]
    pub async fn cancel_invite(
        &self,
        p: &Principal,
        agent_id: i64,
        reason: Option<&str>,
        meta: &RequestMeta,
    ) -> Result<AgentInviteCancelResponse, ServiceError> {
        let reason = clean_reason(reason)?;
        let inv = self.pending_invite_for(p, agent_id).await?;
        let now = now_ms();
        let mut tx = self.db().pool.begin().await?;
        let done = sqlx::query(
            "UPDATE invites SET status = 'cancelled', cancelled_at = $1, cancel_reason = $2 WHERE id = $3 AND status = 'pending'",
        )
        .bind(now)
        .bind(reason.clone())
        .bind(inv.id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done == 0 {
            return Err(not_found());
        }
        free_seat(&mut tx, agent_id).await?;
        let metadata: String = sqlx::query("SELECT metadata FROM agents WHERE id = $1")
            .bind(agent_id)
            .fetch_one(&mut *tx)
            .await?
            .try_get("metadata")?;
        let mut md: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&metadata).unwrap_or_default();
        md.insert(
            "inviteCancelReason".into(),
            reason.clone().map_or(serde_json::Value::Null, serde_json::Value::String),
        );
        md.insert("inviteCancelledBy".into(), p.user_id.into());
        sqlx::query(
            "UPDATE agents SET registration = 'revoked', revoked_at = $1, updated_at = $1, metadata = $2
             WHERE id = $3 AND registration = 'pending_invite'",
        )
        .bind(now)
        .bind(serde_json::Value::Object(md).to_string())
        .bind(agent_id)
        .execute(&mut *tx)
        .await?;
        let event = Event {
            org_id: inv.org_id,
            actor_user_id: Some(p.user_id),
            action: "agent.invite_cancelled",
            object_type: "agent",
            object_id: agent_id.to_string(),
            detail: Some(serde_json::json!({ "reason": reason }).to_string()),
        };
        audit::record(&mut *tx, meta, event).await?;
        tx.commit().await?;
        Ok(AgentInviteCancelResponse { agent_id, status: "cancelled".into(), reason })
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
}

fn pending_row(r: &AnyRow, now: i64) -> Result<PendingAgentInvite, sqlx::Error> {
    let expires: i64 = r.try_get("expires_at")?;
    Ok(PendingAgentInvite {
        agent_id: r.try_get("agent_id")?,
        agent_name: r.try_get("name")?,
        email: r.try_get("email")?,
        org_id: r.try_get("org_id")?,
        status: r.try_get("status")?,
        created_at: to_time(r.try_get("created_at")?),
        expires_at: to_time(expires),
        expired: expires <= now,
        resend_count: r.try_get("resend_count")?,
    })
}
