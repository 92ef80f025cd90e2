//! Organizations: the caller's list, creating one (the caller becomes its owner), reading
//! and renaming one. Every `{org_id}` is the numeric id or the UUID; an organization the
//! caller is not a member of is 404, never 403, so ids reveal nothing.
//!
//! A `uak_` key is bound to its organization: through one, every other organization is
//! invisible. A session may address any organization its user belongs to.

use crate::accounts::organization;
use crate::audit::{self, Event};
use crate::errors::ErrorCode;
use crate::model::{Membership, OrganizationList, Role};
use crate::rate_limit::Limit;
use crate::store::{dialect, state, Backend};
use crate::vocab::OrgName;
use crate::{Credential, Principal, RequestMeta, ServiceError, Services};
use sqlx::{Any, Row, Transaction};

/// The 404 for an organization the caller cannot see.
pub(crate) fn not_found() -> ServiceError {
    ServiceError::new(ErrorCode::OrganizationNotFound, "No such organization among your memberships.")
}

/// Changes to an organization, parsed (a merge patch: `None` leaves a member as it is).
#[derive(Debug, Default)]
pub struct OrganizationChanges {
    /// A new name.
    pub name: Option<OrgName>,
    /// A new default agent (`Some(None)` clears it).
    pub default_agent_id: Option<Option<i64>>,
}

impl Services {
    /// The caller's organizations, with their role in each.
    pub async fn list_organizations(&self, p: &Principal) -> Result<OrganizationList, ServiceError> {
        let mut value = self.memberships(p.user_id).await?;
        if let Credential::ApiKey(_) = p.credential {
            value.retain(|m| m.organization.id == p.org_id);
        }
        Ok(OrganizationList { value })
    }

    /// Creates an organization with the default plan; the caller becomes its owner. Rate
    /// limited per user.
    pub async fn create_organization(
        &self,
        p: &Principal,
        name: OrgName,
        meta: &RequestMeta,
    ) -> Result<Membership, ServiceError> {
        let limit = Limit::new(format!("org-create:user:{}", p.user_id), self.config().org_create_limit_per_user);
        self.limit(&[limit], meta, Some(p.user_id)).await?;
        let now = self.now_ms();
        let mut tx = self.db().begin().await?;
        let org_id = self.insert_organization(&mut tx, &name, p.user_id, now).await?;
        let event = event(org_id, p, "organization.created", None);
        audit::record(&mut *tx, meta, event, now).await?;
        tx.commit().await?;
        self.organization_of(p.user_id, org_id).await
    }

    /// One organization the caller belongs to, with their role.
    pub async fn get_organization(&self, p: &Principal, org: &str) -> Result<Membership, ServiceError> {
        let (org_id, _) = self.membership(p, org).await?;
        self.organization_of(p.user_id, org_id).await
    }

    /// Applies `changes` (owners and admins).
    pub async fn update_organization(
        &self,
        p: &Principal,
        org: &str,
        changes: OrganizationChanges,
        meta: &RequestMeta,
    ) -> Result<Membership, ServiceError> {
        let (org_id, role) = self.membership(p, org).await?;
        if !role.is_admin() {
            return Err(ServiceError::not_allowed("Only owners and admins may change the organization."));
        }
        if let Some(agent) = changes.default_agent_id {
            self.set_default_agent(p, org_id, agent, meta).await?;
        }
        if let Some(name) = changes.name {
            let now = self.now_ms();
            let mut tx = self.db().begin().await?;
            sqlx::query("UPDATE organizations SET name = $1 WHERE id = $2")
                .bind(name.as_str())
                .bind(org_id)
                .execute(&mut *tx)
                .await?;
            let detail = serde_json::json!({ "name": name.as_str() }).to_string();
            audit::record(&mut *tx, meta, event(org_id, p, "organization.updated", Some(detail)), now).await?;
            tx.commit().await?;
        }
        self.organization_of(p.user_id, org_id).await
    }

    /// Sets (or clears) the organization's default agent: a live agent of it, else 422.
    async fn set_default_agent(
        &self,
        p: &Principal,
        org_id: i64,
        agent: Option<i64>,
        meta: &RequestMeta,
    ) -> Result<(), ServiceError> {
        let now = self.now_ms();
        let mut tx = self.db().begin().await?;
        if let Some(id) = agent {
            let live: Option<i64> =
                sqlx::query_scalar("SELECT id FROM agents WHERE id = $1 AND org_id = $2 AND deleted_at IS NULL")
                    .bind(id)
                    .bind(org_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            if live.is_none() {
                return Err(ServiceError::new(
                    ErrorCode::InvalidBody,
                    format!("No live agent {id} in this organization."),
                )
                .with_fields(vec![crate::FieldError::new(
                    "defaultAgentId",
                    "Name a live agent of this organization.",
                )]));
            }
        }
        sqlx::query("UPDATE organizations SET default_agent_id = $1 WHERE id = $2")
            .bind(agent)
            .bind(org_id)
            .execute(&mut *tx)
            .await?;
        let detail = serde_json::json!({ "defaultAgentId": agent }).to_string();
        audit::record(&mut *tx, meta, event(org_id, p, "organization.updated", Some(detail)), now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Inserts an organization on the default plan with `owner` as its owner; its id.
    pub(crate) async fn insert_organization(
        &self,
        tx: &mut Transaction<'static, Any>,
        name: &OrgName,
        owner: i64,
        now: i64,
    ) -> Result<i64, ServiceError> {
        let (plan, seats) = self.default_plan();
        let org_id: i64 = sqlx::query_scalar(
            "INSERT INTO organizations (uuid, name, plan, seat_limit, seats_used, created_at)
             VALUES ($1, $2, $3, $4, 0, $5) RETURNING id",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(name.as_str())
        .bind(plan)
        .bind(seats)
        .bind(now)
        .fetch_one(&mut **tx)
        .await?;
        sqlx::query("INSERT INTO memberships (user_id, org_id, role, created_at) VALUES ($1, $2, 'owner', $3)")
            .bind(owner)
            .bind(org_id)
            .bind(now)
            .execute(&mut **tx)
            .await?;
        Ok(org_id)
    }

    /// The organization `org` (numeric id or UUID) if the caller may address it, and the
    /// caller's role there; 404 otherwise.
    pub(crate) async fn membership(&self, p: &Principal, org: &str) -> Result<(i64, Role), ServiceError> {
        let row = sqlx::query(
            "SELECT m.org_id, m.role FROM memberships m JOIN organizations o ON o.id = m.org_id
             WHERE m.user_id = $1 AND (o.uuid = $2 OR CAST(o.id AS TEXT) = $2)",
        )
        .bind(p.user_id)
        .bind(org.trim())
        .fetch_optional(&self.db().pool)
        .await?
        .ok_or_else(not_found)?;
        let org_id: i64 = row.try_get("org_id")?;
        if matches!(p.credential, Credential::ApiKey(_)) && org_id != p.org_id {
            return Err(not_found());
        }
        Ok((org_id, state(&row, "role", Role::parse)?))
    }

    /// The user's membership of `org_id`.
    pub(crate) async fn organization_of(&self, user_id: i64, org_id: i64) -> Result<Membership, ServiceError> {
        let row = sqlx::query(
            "SELECT o.id, o.uuid, o.name, o.plan, o.seat_limit, o.seats_used, o.default_agent_id, m.role FROM memberships m
             JOIN organizations o ON o.id = m.org_id WHERE m.user_id = $1 AND m.org_id = $2",
        )
        .bind(user_id)
        .bind(org_id)
        .fetch_optional(&self.db().pool)
        .await?
        .ok_or_else(not_found)?;
        Ok(Membership { organization: organization(&row)?, role: state(&row, "role", Role::parse)? })
    }
}

/// Locks the organization's row for the rest of `tx`, so changes to its members are
/// serialised (the last-owner rule is checked under this lock). 404 when it is gone.
pub(crate) async fn lock(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    org_id: i64,
) -> Result<(), ServiceError> {
    let sql = format!("SELECT id FROM organizations WHERE id = $1{}", dialect::for_update(backend));
    sqlx::query(&sql).bind(org_id).fetch_optional(&mut **tx).await?.ok_or_else(not_found)?;
    Ok(())
}

/// An audit event about organization `org_id`, by the principal.
pub(crate) fn event<'a>(org_id: i64, p: &Principal, action: &'a str, detail: Option<String>) -> Event<'a> {
    Event {
        org_id: Some(org_id),
        actor_user_id: Some(p.user_id),
        action,
        object_type: "organization",
        object_id: org_id.to_string(),
        detail,
        reason: None,
    }
}
