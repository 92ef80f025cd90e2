//! Member invitations: owners and admins invite an address to join with a role; the
//! recipient accepts with the emailed `mbr_` token while signed in as that address.
//!
//! - The token is 256-bit, stored as its SHA-256, and lives 7 days; a resend replaces it,
//!   so the old link dies. One open invitation per address and organization (a partial
//!   unique index).
//! - Admins invite operators and members; only owners invite owners and admins (the same
//!   rule as role changes, `members::may_change_role`).
//! - Nothing answers differently for an address with or without an account.

use crate::audit::{self, Event};
use crate::errors::ErrorCode;
use crate::members::may_change_role;
use crate::model::{InvitationList, InvitationPreview, InvitationStatus, MemberInvitation, Membership, Role};
use crate::outbox::Email as OutgoingEmail;
use crate::rate_limit::Limit;
use crate::store::{state, to_time};
use crate::vocab::{Email, MemberInviteToken};
use crate::{secrets, Principal, RequestMeta, ServiceError, Services};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

/// How long an invitation link works.
pub const INVITATION_TTL_MS: i64 = 7 * 24 * 3600 * 1000;

const SELECT: &str = "SELECT i.id, i.org_id, i.email, i.role, i.status, i.invited_by, u.email AS invited_by_email,
        i.created_at, i.sent_at, i.expires_at
    FROM member_invitations i JOIN users u ON u.id = i.invited_by";

fn not_found() -> ServiceError {
    ServiceError::new(ErrorCode::InvitationNotFound, "No such invitation in this organization.")
}

fn link_invalid() -> ServiceError {
    ServiceError::new(
        ErrorCode::InvitationNotFound,
        "This invitation link is not valid: it was used, cancelled, or replaced by a newer email.",
    )
}

fn invitation(row: &AnyRow, now: i64) -> Result<MemberInvitation, sqlx::Error> {
    let expires_at: i64 = row.try_get("expires_at")?;
    let mut status = state(row, "status", InvitationStatus::parse)?;
    if status == InvitationStatus::Pending && expires_at <= now {
        status = InvitationStatus::Expired;
    }
    Ok(MemberInvitation {
        id: row.try_get("id")?,
        org_id: row.try_get("org_id")?,
        email: row.try_get("email")?,
        role: state(row, "role", Role::parse)?,
        status,
        invited_by: row.try_get("invited_by")?,
        invited_by_email: row.try_get("invited_by_email")?,
        created_at: to_time(row.try_get("created_at")?),
        sent_at: to_time(row.try_get("sent_at")?),
        expires_at: to_time(expires_at),
    })
}

fn event<'a>(p: &Principal, org_id: i64, action: &'a str, id: i64, detail: serde_json::Value) -> Event<'a> {
    Event {
        org_id: Some(org_id),
        actor_user_id: Some(p.user_id),
        action,
        object_type: "invitation",
        object_id: id.to_string(),
        detail: Some(detail.to_string()),
        reason: None,
    }
}

impl Services {
    /// The caller's organization and role, when they may manage invitations there.
    async fn invitation_manager(&self, p: &Principal, org: &str) -> Result<(i64, Role), ServiceError> {
        let (org_id, role) = self.membership(p, org).await?;
        if !role.is_admin() {
            return Err(ServiceError::not_allowed("Only owners and admins manage invitations."));
        }
        Ok((org_id, role))
    }

    /// Invites `email` to join `org` as `role`, and emails the link.
    pub async fn invite_member(
        &self,
        p: &Principal,
        org: &str,
        email: &Email,
        role: Role,
        meta: &RequestMeta,
    ) -> Result<MemberInvitation, ServiceError> {
        let (org_id, actor) = self.invitation_manager(p, org).await?;
        if !may_change_role(actor, Role::Member, role) {
            return Err(ServiceError::not_allowed(
                "Admins invite operators and members; only owners invite owners and admins.",
            ));
        }
        self.limit_invitation_emails(org_id, meta, p).await?;
        let now = self.now_ms();
        let token = secrets::generate(secrets::MEMBER_INVITE_PREFIX);
        let mut tx = self.db().begin().await?;
        let member: Option<i64> = sqlx::query_scalar(
            "SELECT m.user_id FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 AND u.email = $2",
        )
        .bind(org_id)
        .bind(email.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        if member.is_some() {
            return Err(ServiceError::new(ErrorCode::AlreadyMember, "This address is already a member."));
        }
        let open: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM member_invitations WHERE org_id = $1 AND email = $2 AND status = 'pending'",
        )
        .bind(org_id)
        .bind(email.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(id) = open {
            return Err(pending(id));
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO member_invitations (org_id, email, role, token_hash, status, invited_by, created_at, sent_at, expires_at)
             VALUES ($1, $2, $3, $4, 'pending', $5, $6, $6, $7) RETURNING id",
        )
        .bind(org_id)
        .bind(email.as_str())
        .bind(role.as_str())
        .bind(secrets::hash(&token))
        .bind(p.user_id)
        .bind(now)
        .bind(now + INVITATION_TTL_MS)
        .fetch_one(&mut *tx)
        .await?;
        let invitation = self.invitation_in(&mut tx, org_id, id, now).await?;
        self.queue_invitation_email(&mut tx, &invitation, &token).await?;
        let detail = serde_json::json!({ "email": email.as_str(), "role": role.as_str() });
        audit::record(&mut *tx, meta, event(p, org_id, "member.invited", id, detail), now).await?;
        tx.commit().await?;
        Ok(invitation)
    }

    /// The organization's open invitations (pending and expired), newest first.
    pub async fn list_invitations(&self, p: &Principal, org: &str) -> Result<InvitationList, ServiceError> {
        let (org_id, _) = self.invitation_manager(p, org).await?;
        let rows = sqlx::query(&format!("{SELECT} WHERE i.org_id = $1 AND i.status = 'pending' ORDER BY i.id DESC"))
            .bind(org_id)
            .fetch_all(&self.db().pool)
            .await?;
        let now = self.now_ms();
        Ok(InvitationList { value: rows.iter().map(|r| invitation(r, now)).collect::<Result<_, _>>()? })
    }

    /// Emails a new link for an open invitation (expired ones too) and kills the old one.
    pub async fn resend_invitation(
        &self,
        p: &Principal,
        org: &str,
        id: i64,
        meta: &RequestMeta,
    ) -> Result<MemberInvitation, ServiceError> {
        let (org_id, _) = self.invitation_manager(p, org).await?;
        self.limit_invitation_emails(org_id, meta, p).await?;
        let now = self.now_ms();
        let token = secrets::generate(secrets::MEMBER_INVITE_PREFIX);
        let mut tx = self.db().begin().await?;
        let done = sqlx::query(
            "UPDATE member_invitations SET token_hash = $1, sent_at = $2, expires_at = $3
             WHERE id = $4 AND org_id = $5 AND status = 'pending'",
        )
        .bind(secrets::hash(&token))
        .bind(now)
        .bind(now + INVITATION_TTL_MS)
        .bind(id)
        .bind(org_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(self.why_not_open(&mut tx, org_id, id).await);
        }
        let invitation = self.invitation_in(&mut tx, org_id, id, now).await?;
        self.queue_invitation_email(&mut tx, &invitation, &token).await?;
        let detail = serde_json::json!({ "email": invitation.email });
        audit::record(&mut *tx, meta, event(p, org_id, "member.invitation_resent", id, detail), now).await?;
        tx.commit().await?;
        Ok(invitation)
    }

    /// Cancels an open invitation; its link dies.
    pub async fn cancel_invitation(
        &self,
        p: &Principal,
        org: &str,
        id: i64,
        meta: &RequestMeta,
    ) -> Result<MemberInvitation, ServiceError> {
        let (org_id, _) = self.invitation_manager(p, org).await?;
        let now = self.now_ms();
        let mut tx = self.db().begin().await?;
        let done = sqlx::query(
            "UPDATE member_invitations SET status = 'cancelled', closed_at = $1
             WHERE id = $2 AND org_id = $3 AND status = 'pending'",
        )
        .bind(now)
        .bind(id)
        .bind(org_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(self.why_not_open(&mut tx, org_id, id).await);
        }
        let invitation = self.invitation_in(&mut tx, org_id, id, now).await?;
        let detail = serde_json::json!({ "email": invitation.email });
        audit::record(&mut *tx, meta, event(p, org_id, "member.invitation_cancelled", id, detail), now).await?;
        tx.commit().await?;
        Ok(invitation)
    }

    /// What a link offers, for the join page; `None` when it is not (or no longer) valid.
    pub async fn preview_invitation(
        &self,
        token: &MemberInviteToken,
    ) -> Result<Option<InvitationPreview>, ServiceError> {
        let row = sqlx::query(
            "SELECT o.name, i.role, i.email, u.email AS invited_by_email, i.expires_at
             FROM member_invitations i JOIN organizations o ON o.id = i.org_id JOIN users u ON u.id = i.invited_by
             WHERE i.token_hash = $1 AND i.status = 'pending'",
        )
        .bind(secrets::hash(token.expose()))
        .fetch_optional(&self.db().pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let expires_at: i64 = row.try_get("expires_at")?;
        let expired = expires_at <= self.now_ms();
        Ok(Some(InvitationPreview {
            organization: row.try_get("name")?,
            role: state(&row, "role", Role::parse)?,
            email: row.try_get("email")?,
            invited_by_email: row.try_get("invited_by_email")?,
            status: if expired { InvitationStatus::Expired } else { InvitationStatus::Pending },
            expires_at: to_time(expires_at),
        }))
    }

    /// Joins the organization an invitation is for, as the signed-in user whose email it
    /// was sent to (ignoring case). The link is spent by one conditional UPDATE.
    pub async fn accept_invitation(
        &self,
        p: &Principal,
        token: &MemberInviteToken,
        meta: &RequestMeta,
    ) -> Result<Membership, ServiceError> {
        let now = self.now_ms();
        let hash = secrets::hash(token.expose());
        let mut tx = self.db().begin().await?;
        let row = sqlx::query(
            "SELECT id, org_id, email, role, expires_at FROM member_invitations WHERE token_hash = $1 AND status = 'pending'",
        )
        .bind(&hash)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(link_invalid)?;
        let (id, org_id): (i64, i64) = (row.try_get("id")?, row.try_get("org_id")?);
        let role = state(&row, "role", Role::parse)?;
        if row.try_get::<i64, _>("expires_at")? <= now {
            return Err(ServiceError::new(
                ErrorCode::InvitationExpired,
                "This invitation has expired. Ask an owner or admin of the organization to resend it.",
            ));
        }
        let to: String = row.try_get("email")?;
        let mine: String =
            sqlx::query_scalar("SELECT email FROM users WHERE id = $1").bind(p.user_id).fetch_one(&mut *tx).await?;
        if !to.eq_ignore_ascii_case(&mine) {
            return Err(ServiceError::new(
                ErrorCode::NotInviteRecipient,
                "This invitation was sent to another address. Sign in with the address it was sent to.",
            ));
        }
        let member: Option<i64> =
            sqlx::query_scalar("SELECT user_id FROM memberships WHERE org_id = $1 AND user_id = $2")
                .bind(org_id)
                .bind(p.user_id)
                .fetch_optional(&mut *tx)
                .await?;
        if member.is_some() {
            return Err(ServiceError::new(ErrorCode::AlreadyMember, "You are already a member of this organization."));
        }
        let spent = sqlx::query(
            "UPDATE member_invitations SET status = 'accepted', accepted_by = $1, closed_at = $2
             WHERE id = $3 AND token_hash = $4 AND status = 'pending'",
        )
        .bind(p.user_id)
        .bind(now)
        .bind(id)
        .bind(&hash)
        .execute(&mut *tx)
        .await?;
        if spent.rows_affected() == 0 {
            return Err(link_invalid());
        }
        sqlx::query("INSERT INTO memberships (user_id, org_id, role, created_at) VALUES ($1, $2, $3, $4)")
            .bind(p.user_id)
            .bind(org_id)
            .bind(role.as_str())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let detail = serde_json::json!({ "invitationId": id, "role": role.as_str() });
        let e = Event {
            org_id: Some(org_id),
            actor_user_id: Some(p.user_id),
            action: "member.joined",
            object_type: "member",
            object_id: p.user_id.to_string(),
            detail: Some(detail.to_string()),
            reason: None,
        };
        audit::record(&mut *tx, meta, e, now).await?;
        tx.commit().await?;
        self.organization_of(p.user_id, org_id).await
    }

    async fn invitation_in(
        &self,
        tx: &mut Transaction<'static, Any>,
        org_id: i64,
        id: i64,
        now: i64,
    ) -> Result<MemberInvitation, ServiceError> {
        let row = sqlx::query(&format!("{SELECT} WHERE i.id = $1 AND i.org_id = $2"))
            .bind(id)
            .bind(org_id)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or_else(not_found)?;
        Ok(invitation(&row, now)?)
    }

    /// Why invitation `id` could not be changed: not found here, or no longer open.
    async fn why_not_open(&self, tx: &mut Transaction<'static, Any>, org_id: i64, id: i64) -> ServiceError {
        match self.invitation_in(tx, org_id, id, self.now_ms()).await {
            Ok(i) => ServiceError::new(
                ErrorCode::InvitationNotPending,
                format!("This invitation was already {}.", i.status.as_str()),
            ),
            Err(e) => e,
        }
    }

    /// Invitation emails (new and resent) are limited per organization.
    async fn limit_invitation_emails(
        &self,
        org_id: i64,
        meta: &RequestMeta,
        p: &Principal,
    ) -> Result<(), ServiceError> {
        let limit = Limit::new(format!("member-invite:org:{org_id}"), self.config().member_invite_limit_per_org);
        self.limit(&[limit], meta, Some(p.user_id)).await
    }

    async fn queue_invitation_email(
        &self,
        tx: &mut Transaction<'static, Any>,
        i: &MemberInvitation,
        token: &str,
    ) -> Result<i64, ServiceError> {
        let org: String = sqlx::query_scalar("SELECT name FROM organizations WHERE id = $1")
            .bind(i.org_id)
            .fetch_one(&mut **tx)
            .await?;
        let body = format!(
            "{} invited you to join the organization \"{org}\" on Agentry as {}.\n\n\
             Join here (the link works once, until {}):\n{}/join?token={token}\n\n\
             If you have no Agentry account yet, you can create one from that page with this address.\n\
             If you did not expect this, ignore this email.\n",
            i.invited_by_email,
            i.role.as_str(),
            i.expires_at.to_rfc3339(),
            self.config().public_url.trim_end_matches('/'),
        );
        let subject = format!("Join {org} on Agentry");
        let mail = OutgoingEmail {
            org_id: Some(i.org_id),
            kind: "member_invitation",
            to: &i.email,
            subject: &subject,
            body: &body,
        };
        self.queue_email(&mut **tx, mail).await
    }
}

/// An open invitation to this address exists.
fn pending(id: i64) -> ServiceError {
    ServiceError::new(ErrorCode::InvitationPending, "An invitation to this address is already open: resend it instead.")
        .with_extension("invitationId", serde_json::json!(id))
}
