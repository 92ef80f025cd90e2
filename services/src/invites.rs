//! Agent invites: confirmation by the invited owner, the pending list, resend, cancel.

use crate::agents::store::{agent_row, insert_agent_key, retire, Retirement, AGENT_RETURNING};
use crate::audit::{self, Event};
use crate::errors::ErrorCode;
use crate::model::{
    AgentInviteCancelResponse, AgentInviteResendResponse, AgentRegistrationResponse, InviteStatus, PendingAgentInvite,
    PendingAgentInvitesResponse, RegistrationState,
};
use crate::outbox::Email;
use crate::principal::{Principal, RequestMeta};
use crate::rate_limit::Limit;
use crate::store::{state, to_time};
use crate::vocab::{InviteToken, Reason};
use crate::{seats, secrets, ServiceError, Services};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

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

/// An invite email to queue.
pub(crate) struct InviteEmail<'a> {
    pub org: Option<i64>,
    pub to: &'a str,
    pub agent_name: &'a str,
    pub token: &'a str,
    pub expires: i64,
}

fn not_found() -> ServiceError {
    ServiceError::new(ErrorCode::InviteNotFound, "No pending invite for this agent.")
}

fn not_pending(detail: String) -> ServiceError {
    ServiceError::new(ErrorCode::InviteNotPending, detail)
}

impl Services {
    /// Queues the invite email (inside the caller's transaction).
    pub(crate) async fn queue_invite_email(
        &self,
        tx: &mut Transaction<'static, Any>,
        m: InviteEmail<'_>,
    ) -> Result<i64, ServiceError> {
        let link = format!("{}/invite/confirm?token={}", self.config().public_url.trim_end_matches('/'), m.token);
        let body = format!(
            "An agent named \"{}\" asked to be registered with you as its owner.\n\n\
             Confirm it here (the link works once, until {}):\n{link}\n\n\
             If you did not expect this, ignore this email: nothing happens without your confirmation.\n",
            m.agent_name,
            to_time(m.expires).to_rfc3339()
        );
        let email = Email {
            org_id: m.org,
            kind: "agent_invite",
            to: m.to,
            subject: "Confirm your new Agentry agent",
            body: &body,
        };
        self.queue_email(&mut **tx, email).await
    }

    /// Confirms an invite: binds the pending agent to the confirming user (who must be the
    /// recipient) and provisions its first key.
    #[tracing::instrument(skip_all)]
    pub async fn confirm_invite(
        &self,
        p: &Principal,
        token: &InviteToken,
        meta: &RequestMeta,
    ) -> Result<AgentRegistrationResponse, ServiceError> {
        let row = sqlx::query(
            "SELECT i.id, i.agent_id, i.org_id, i.email, i.status, i.expires_at, a.registration
             FROM invites i JOIN agents a ON a.id = i.agent_id WHERE i.token_hash = $1",
        )
        .bind(secrets::hash(token.expose()))
        .fetch_optional(&self.db().pool)
        .await?
        .ok_or_else(|| ServiceError::new(ErrorCode::InviteNotFound, "No such invite."))?;
        let invite_id: i64 = row.try_get("id")?;
        let agent_id: i64 = row.try_get("agent_id")?;
        let status = state(&row, "status", InviteStatus::parse)?;
        if status != InviteStatus::Pending
            || state(&row, "registration", RegistrationState::parse)? != RegistrationState::PendingInvite
        {
            return Err(not_pending(format!("This invite is {status}; the agent is no longer pending.")));
        }
        let now = self.now_ms();
        if row.try_get::<i64, _>("expires_at")? <= now {
            return Err(ServiceError::new(
                ErrorCode::InviteExpired,
                "This invite has expired. Ask for it to be resent.",
            ));
        }
        let email: String = row.try_get("email")?;
        if self.user_email(p.user_id).await? != email {
            return Err(ServiceError::new(ErrorCode::NotInviteRecipient, "This invite is addressed to someone else."));
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

        let mut tx = self.db().begin().await?;
        // The confirming user becomes its owner in `org`: they must still be a member.
        crate::members::hold_caller(&mut tx, self.db(), org, p.user_id).await?;
        // The link read above must still be the invite's (a resend replaces it) and unexpired.
        let claimed = sqlx::query(
            "UPDATE invites SET status = 'claimed', claimed_at = $1, claimed_by = $2
             WHERE id = $3 AND status = 'pending' AND token_hash = $4 AND expires_at > $1",
        )
        .bind(now)
        .bind(p.user_id)
        .bind(invite_id)
        .bind(secrets::hash(token.expose()))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if claimed == 0 {
            return Err(not_pending("This invite was already claimed, cancelled or resent.".into()));
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
            seats::free(&mut tx, agent_id).await?;
            seats::reserve(&mut tx, org).await?;
        }
        let agent = sqlx::query(&format!(
            "UPDATE agents SET registration = 'registered', org_id = $1, owner_id = $2, holds_seat = 1, updated_at = $3
             WHERE id = $4 AND registration = 'pending_invite' RETURNING {AGENT_RETURNING}"
        ))
        .bind(org)
        .bind(p.user_id)
        .bind(now)
        .bind(agent_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| ServiceError::new(ErrorCode::AgentNotPending, "The agent is no longer pending."))?;
        let agent = agent_row(&agent)?;
        let (secret, key_id) = insert_agent_key(&mut tx, agent_id, now).await?;
        let event = Event {
            org_id: Some(org),
            actor_user_id: Some(p.user_id),
            action: "agent.invite_confirmed",
            object_type: "agent",
            object_id: agent_id.to_string(),
            detail: None,
            reason: None,
        };
        audit::record(&mut *tx, meta, event, now).await?;
        tx.commit().await?;
        Ok(AgentRegistrationResponse {
            agent,
            api_key: Some(secret),
            key_id: Some(key_id),
            status: RegistrationState::Registered,
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
        let me = self.user_email(p.user_id).await?;
        let now = self.now_ms();
        let privileged = p.role.is_privileged();
        if !privileged {
            let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM invites WHERE email = $1 AND status = 'pending'")
                .bind(&me)
                .fetch_one(&self.db().pool)
                .await?
                .try_get("n")?;
            if n == 0 {
                return Err(ServiceError::not_allowed("Only owners, admins and operators may list pending invites."));
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
        let recipient = self.user_email(p.user_id).await? == inv.email;
        let same_org = inv.org_id == Some(p.org_id);
        if recipient || (same_org && p.role.is_privileged()) {
            Ok(inv)
        } else if same_org {
            Err(ServiceError::not_allowed("Only owners, admins, operators or the recipient may manage this invite."))
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
        let limit = Limit::new(format!("resend:agent:{agent_id}"), self.config().invite_resend_limit_per_agent);
        self.limit(&[limit], meta, Some(p.user_id)).await?;
        let token = secrets::generate(secrets::INVITE_PREFIX);
        let now = self.now_ms();
        let expires = now + crate::clock::ms(self.config().invite_ttl);
        let mut tx = self.db().begin().await?;
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
        let mail = InviteEmail { org: inv.org_id, to: &inv.email, agent_name: &name, token: &token, expires };
        self.queue_invite_email(&mut tx, mail).await?;
        let event = Event {
            org_id: inv.org_id,
            actor_user_id: Some(p.user_id),
            action: "agent.invite_resent",
            object_type: "agent",
            object_id: agent_id.to_string(),
            detail: None,
            reason: None,
        };
        audit::record(&mut *tx, meta, event, now).await?;
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
        reason: Option<Reason>,
        meta: &RequestMeta,
    ) -> Result<AgentInviteCancelResponse, ServiceError> {
        let inv = self.pending_invite_for(p, agent_id).await?;
        let now = self.now_ms();
        let mut tx = self.db().begin().await?;
        let retirement = Retirement {
            reason_key: "inviteCancelReason",
            by_key: "inviteCancelledBy",
            reason: reason.as_ref(),
            by: p.user_id,
            needs_pending_invite: true,
        };
        if !retire(&mut tx, agent_id, retirement, now).await? {
            return Err(not_found());
        }
        let reason = reason.map(String::from);
        let event = Event {
            org_id: inv.org_id,
            actor_user_id: Some(p.user_id),
            action: "agent.invite_cancelled",
            object_type: "agent",
            object_id: agent_id.to_string(),
            detail: Some(serde_json::json!({ "reason": reason }).to_string()),
            reason: reason.clone(),
        };
        audit::record(&mut *tx, meta, event, now).await?;
        tx.commit().await?;
        Ok(AgentInviteCancelResponse { agent_id, status: InviteStatus::Cancelled, reason })
    }
}

fn pending_row(r: &AnyRow, now: i64) -> Result<PendingAgentInvite, sqlx::Error> {
    let expires: i64 = r.try_get("expires_at")?;
    Ok(PendingAgentInvite {
        agent_id: r.try_get("agent_id")?,
        agent_name: r.try_get("name")?,
        email: r.try_get("email")?,
        org_id: r.try_get("org_id")?,
        status: state(r, "status", InviteStatus::parse)?,
        created_at: to_time(r.try_get("created_at")?),
        expires_at: to_time(expires),
        expired: expires <= now,
        resend_count: r.try_get("resend_count")?,
    })
}
