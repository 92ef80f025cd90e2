//! Members of an organization: the list, role changes and removal.
//!
//! The rules, checked under a lock on the organization's row so concurrent changes are
//! serialised (`organizations::lock`):
//! - only owners grant or take away `owner` (and `admin`); admins manage operators and
//!   members; operators and members change nobody;
//! - anyone may leave; the last owner can never be demoted, removed, or leave (409);
//! - a member who owns agents is removed only with `reassign_to`, which moves the agents
//!   in the same transaction (409 listing them otherwise).
//!
//! Roles are read from the membership on every request, so a change applies to the
//! member's very next request; removal also revokes their keys and ends their sessions
//! in the organization.

use crate::audit::{self, Event};
use crate::errors::ErrorCode;
use crate::model::{Member, MemberPage, Role};
use crate::organizations::lock;
use crate::store::batch::Batch;
use crate::store::guard::{Guard, Mode};
use crate::store::{dialect, state, to_time, Backend, Db};
use crate::{Principal, RequestMeta, ServiceError, Services};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

/// Default page size of the member list.
pub const DEFAULT_TOP: i64 = 50;
/// Largest page size of the member list.
pub const MAX_TOP: i64 = 200;

pub use crate::states::{may_change_role, may_remove};

fn member_not_found() -> ServiceError {
    ServiceError::new(ErrorCode::MemberNotFound, "No such member in this organization.")
}

fn last_owner() -> ServiceError {
    ServiceError::new(ErrorCode::LastOwner, "An organization needs an owner: make another member an owner first.")
}

fn member(row: &AnyRow) -> Result<Member, sqlx::Error> {
    Ok(Member {
        user_id: row.try_get("user_id")?,
        email: row.try_get("email")?,
        role: state(row, "role", Role::parse)?,
        joined_at: to_time(row.try_get("created_at")?),
    })
}

impl Services {
    /// A page of members (any member may look), oldest first.
    pub async fn list_members(
        &self,
        p: &Principal,
        org: &str,
        top: Option<i64>,
        skip: Option<i64>,
    ) -> Result<MemberPage, ServiceError> {
        let (org_id, _) = self.membership(p, org).await?;
        let top = top.unwrap_or(DEFAULT_TOP).clamp(1, MAX_TOP);
        let skip = skip.unwrap_or(0).max(0);
        let pool = &self.db().pool;
        let rows = sqlx::query(
            "SELECT m.user_id, u.email, m.role, m.created_at FROM memberships m JOIN users u ON u.id = m.user_id
             WHERE m.org_id = $1 ORDER BY m.created_at, m.user_id LIMIT $2 OFFSET $3",
        )
        .bind(org_id)
        .bind(top)
        .bind(skip)
        .fetch_all(pool)
        .await?;
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM memberships WHERE org_id = $1")
            .bind(org_id)
            .fetch_one(pool)
            .await?;
        let value = rows.iter().map(member).collect::<Result<Vec<_>, _>>()?;
        let next = skip.saturating_add(top);
        let next_link =
            (next < count).then(|| format!("/api/v1/organizations/{org_id}/members?$top={top}&$skip={next}"));
        Ok(MemberPage { value, count, next_link })
    }

    /// Gives member `user_id` the role `role`.
    pub async fn change_member_role(
        &self,
        p: &Principal,
        org: &str,
        user_id: i64,
        role: Role,
        meta: &RequestMeta,
    ) -> Result<Member, ServiceError> {
        let (org_id, _) = self.membership(p, org).await?;
        let mut tx = self.db().begin().await?;
        lock(&mut tx, self.db().backend, org_id).await?;
        let actor = role_in(&mut tx, org_id, p.user_id).await?.ok_or_else(crate::organizations::not_found)?;
        let from = role_in(&mut tx, org_id, user_id).await?.ok_or_else(member_not_found)?;
        if !may_change_role(actor, from, role) {
            return Err(ServiceError::not_allowed(
                "Only owners grant or take away the owner and admin roles; admins manage operators and members.",
            ));
        }
        if from == Role::Owner && role != Role::Owner && owners(&mut tx, org_id).await? <= 1 {
            return Err(last_owner());
        }
        sqlx::query("UPDATE memberships SET role = $1 WHERE org_id = $2 AND user_id = $3")
            .bind(role.as_str())
            .bind(org_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        let detail = serde_json::json!({ "from": from.as_str(), "to": role.as_str() }).to_string();
        let e = event(p, org_id, "member.role_changed", user_id, Some(detail));
        audit::record(&mut *tx, meta, e, self.now_ms()).await?;
        let row = sqlx::query(
            "SELECT m.user_id, u.email, m.role, m.created_at FROM memberships m JOIN users u ON u.id = m.user_id
             WHERE m.org_id = $1 AND m.user_id = $2",
        )
        .bind(org_id)
        .bind(user_id)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(member(&row)?)
    }

    /// Removes member `user_id` (or lets the caller leave), moving the agents they own to
    /// `reassign_to` when given.
    pub async fn remove_member(
        &self,
        p: &Principal,
        org: &str,
        user_id: i64,
        reassign_to: Option<i64>,
        meta: &RequestMeta,
    ) -> Result<(), ServiceError> {
        let (org_id, _) = self.membership(p, org).await?;
        let now = self.now_ms();
        let mut tx = self.db().begin().await?;
        // Held exclusively, so that a write making them an agent's owner either committed
        // before (and `reassign` sees the agent) or waits and then finds them gone.
        let held = Guard::Membership { org: org_id, user: user_id };
        self.db().guard(&mut tx, held, Mode::Exclusive).await?;
        lock(&mut tx, self.db().backend, org_id).await?;
        let actor = role_in(&mut tx, org_id, p.user_id).await?.ok_or_else(crate::organizations::not_found)?;
        let target = role_in(&mut tx, org_id, user_id).await?.ok_or_else(member_not_found)?;
        let own = user_id == p.user_id;
        if !may_remove(actor, target, own) {
            return Err(ServiceError::not_allowed("Owners remove anyone; admins remove operators and members."));
        }
        if target == Role::Owner && owners(&mut tx, org_id).await? <= 1 {
            return Err(last_owner());
        }
        reassign(&mut tx, org_id, user_id, reassign_to, now).await?;
        // Transfers to a member who leaves, or of agents they owned, can no longer complete.
        sqlx::query(
            "UPDATE agent_transfers SET status = 'cancelled', resolved_at = $1, resolved_by = $2
             WHERE org_id = $3 AND status = 'pending' AND (to_user_id = $4 OR from_user_id = $4)",
        )
        .bind(now)
        .bind(p.user_id)
        .bind(org_id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM memberships WHERE org_id = $1 AND user_id = $2")
            .bind(org_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE org_id = $2 AND user_id = $3 AND revoked_at IS NULL")
            .bind(now)
            .bind(org_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE org_id = $1 AND user_id = $2")
            .bind(org_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        let action = if own { "member.left" } else { "member.removed" };
        let detail = reassign_to.map(|to| serde_json::json!({ "agentsReassignedTo": to }).to_string());
        audit::record(&mut *tx, meta, event(p, org_id, action, user_id, detail), now).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Whether `user_id` is a member of `org_id`, holding the membership until `tx` ends:
/// the writes that make a user an agent's owner in an organization take its
/// [`Guard::Membership`] shared (before any row lock), a removal exclusively, so the
/// removal either sees their agents or makes them find the member gone.
pub(crate) async fn hold_membership(
    tx: &mut Transaction<'static, Any>,
    db: &Db,
    org_id: i64,
    user_id: i64,
) -> Result<bool, ServiceError> {
    db.guard(tx, Guard::Membership { org: org_id, user: user_id }, Mode::Shared).await?;
    Ok(role_in(tx, org_id, user_id).await?.is_some())
}

/// Holds the caller's membership of their organization until `tx` ends; 401 when they
/// are no longer a member (removed while this request was on its way).
pub(crate) async fn hold_caller(
    tx: &mut Transaction<'static, Any>,
    db: &Db,
    org_id: i64,
    user_id: i64,
) -> Result<(), ServiceError> {
    if hold_membership(tx, db, org_id, user_id).await? {
        Ok(())
    } else {
        Err(ServiceError::unauthorized())
    }
}

/// [`hold_membership`] as statements of a batch (`registration/owned.rs`): the guard's
/// lock (none on SQLite) and the read, whose empty answer fails the batch. The index of
/// the read.
pub(crate) fn push_hold_membership(batch: &mut Batch, backend: Backend, org_id: i64, user_id: i64) -> usize {
    if let Some(sql) = dialect::guard_lock(backend, true) {
        batch.push(sql, vec![Guard::Membership { org: org_id, user: user_id }.key().into()]);
    }
    let sql = "SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2";
    batch.push_checked(sql, vec![org_id.into(), user_id.into()], |out| !out.rows.is_empty())
}

/// `user_id`'s role in `org_id`, if a member.
async fn role_in(tx: &mut Transaction<'static, Any>, org_id: i64, user_id: i64) -> Result<Option<Role>, ServiceError> {
    let row = sqlx::query("SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2")
        .bind(org_id)
        .bind(user_id)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(row.map(|r| state(&r, "role", Role::parse)).transpose()?)
}

async fn owners(tx: &mut Transaction<'static, Any>, org_id: i64) -> Result<i64, ServiceError> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM memberships WHERE org_id = $1 AND role = 'owner'")
        .bind(org_id)
        .fetch_one(&mut **tx)
        .await?)
}

/// Moves the agents `user_id` owns in `org_id` to `to`; without `to`, 409 listing them
/// (when there are any).
async fn reassign(
    tx: &mut Transaction<'static, Any>,
    org_id: i64,
    user_id: i64,
    to: Option<i64>,
    now: i64,
) -> Result<(), ServiceError> {
    let owned = sqlx::query(
        "SELECT id, name FROM agents WHERE org_id = $1 AND owner_id = $2 AND COALESCE(registration, '') <> 'revoked' AND deleted_at IS NULL ORDER BY id",
    )
    .bind(org_id)
    .bind(user_id)
    .fetch_all(&mut **tx)
    .await?;
    if owned.is_empty() {
        return Ok(());
    }
    let Some(to) = to else {
        let agents = owned
            .iter()
            .map(|r| {
                Ok(serde_json::json!({ "id": r.try_get::<i64, _>("id")?, "name": r.try_get::<String, _>("name")? }))
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        return Err(ServiceError::new(
            ErrorCode::MemberOwnsAgents,
            format!("This member owns {} agent(s); reassign them first (?reassignTo={{user_id}}).", agents.len()),
        )
        .with_extension("agents", serde_json::Value::Array(agents)));
    };
    if to == user_id || role_in(tx, org_id, to).await?.is_none() {
        return Err(ServiceError::field("reassignTo", "reassignTo must be another member of this organization."));
    }
    sqlx::query(
        "UPDATE agents SET owner_id = $1, updated_at = $2, revision = revision + 1 WHERE org_id = $3 AND owner_id = $4",
    )
    .bind(to)
    .bind(now)
    .bind(org_id)
    .bind(user_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// An audit event about member `user_id` of `org_id`, by the principal.
fn event<'a>(p: &Principal, org_id: i64, action: &'a str, user_id: i64, detail: Option<String>) -> Event<'a> {
    Event {
        org_id: Some(org_id),
        actor_user_id: Some(p.user_id),
        action,
        object_type: "user",
        object_id: user_id.to_string(),
        detail,
        reason: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_owners_touch_owners_and_admins() {
        use Role::*;
        assert!(may_change_role(Owner, Member, Owner));
        assert!(may_change_role(Owner, Owner, Member));
        assert!(may_change_role(Admin, Member, Operator));
        assert!(!may_change_role(Admin, Member, Admin));
        assert!(!may_change_role(Admin, Admin, Member));
        assert!(!may_change_role(Admin, Owner, Member));
        assert!(!may_change_role(Operator, Member, Operator));
        assert!(!may_change_role(Member, Member, Member));
    }

    #[test]
    fn anyone_may_leave_but_only_managers_remove() {
        use Role::*;
        assert!(may_remove(Member, Member, true));
        assert!(may_remove(Owner, Admin, false));
        assert!(may_remove(Admin, Operator, false));
        assert!(!may_remove(Admin, Admin, false));
        assert!(!may_remove(Operator, Member, false));
    }
}
