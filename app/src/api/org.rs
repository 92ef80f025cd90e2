//! Server functions of the organization page: the current organization's members (with
//! what the viewer may do to each), renaming, the plan catalogue and plan changes, role
//! changes and removal. Each acts in the session's current organization (the header's
//! switcher changes it), parses its input with the vocabulary's parsers, calls one
//! services method, and maps the error in `ctx::fail`, like `server/src/routes/orgs.rs`.

use crate::error::AppError;
use agentry_services::model::{Member, Membership, PlanChangePreview, PlanList, Role};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::ctx;

/// One member as the organization page lists them, with the controls the viewer's role
/// permits on them (the services check again on every change).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberRow {
    /// The member.
    pub member: Member,
    /// Whether the member is the viewer.
    pub is_you: bool,
    /// Roles the viewer may move this member to, their current one included; empty when
    /// the viewer may not change this member's role.
    pub assignable: Vec<Role>,
    /// Whether the viewer may remove this member (for the viewer's own row: leave).
    pub removable: bool,
}

/// The first page of the current organization's members.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Members {
    /// Oldest first.
    pub rows: Vec<MemberRow>,
    /// Members in all (more than `rows` when there is a next page).
    pub count: i64,
}

/// The current organization's members, or `None` when nobody is signed in.
#[server(prefix = "/fn", endpoint = "members")]
pub async fn list_members() -> Result<Option<Members>, AppError> {
    let services = ctx::services()?;
    let Some(principal) = ctx::principal(&services).await? else {
        return Ok(None);
    };
    let org = principal.org_id.to_string();
    let page = services.list_members(&principal, &org, None, None).await.map_err(ctx::fail)?;
    let actor = principal.role;
    let rows = page
        .value
        .into_iter()
        .map(|member| {
            let is_you = member.user_id == principal.user_id;
            let from = member.role;
            let assignable =
                if Role::ALL.iter().any(|&to| to != from && agentry_services::may_change_role(actor, from, to)) {
                    Role::ALL
                        .iter()
                        .copied()
                        .filter(|&to| to == from || agentry_services::may_change_role(actor, from, to))
                        .collect()
                } else {
                    Vec::new()
                };
            let removable = agentry_services::may_remove(actor, from, is_you);
            MemberRow { member, is_you, assignable, removable }
        })
        .collect();
    Ok(Some(Members { rows, count: page.count }))
}

/// Renames the current organization (owners and admins).
#[server(prefix = "/fn", endpoint = "rename-organization")]
pub async fn rename_organization(name: String) -> Result<Membership, AppError> {
    use agentry_services::vocab::{field, OrgName};
    let name = field("name", OrgName::parse(&name)).map_err(ctx::invalid)?;
    let services = ctx::services()?;
    let principal = ctx::require_principal(&services).await?;
    let meta = ctx::request_meta().await;
    let changes = agentry_services::OrganizationChanges { name: Some(name), default_agent_id: None };
    services.update_organization(&principal, &principal.org_id.to_string(), changes, &meta).await.map_err(ctx::fail)
}

/// The plan catalogue.
#[server(prefix = "/fn", endpoint = "plans")]
pub async fn list_plans() -> Result<PlanList, AppError> {
    Ok(ctx::services()?.list_plans())
}

/// Changes the current organization's plan (owners), or with `dry_run` answers what the
/// change would do. `seat_limit` is blank for the plan's own limit.
#[server(prefix = "/fn", endpoint = "change-plan")]
pub async fn change_plan(plan: String, seat_limit: String, dry_run: bool) -> Result<PlanChangePreview, AppError> {
    let seat_limit = match seat_limit.trim() {
        "" => None,
        n => Some(n.parse::<i64>().map_err(|_| {
            ctx::invalid(vec![agentry_services::FieldError::new("seatLimit", "The seat limit must be a whole number.")])
        })?),
    };
    let services = ctx::services()?;
    let principal = ctx::require_principal(&services).await?;
    let meta = ctx::request_meta().await;
    let request = agentry_services::PlanRequest { plan, seat_limit, dry_run };
    services.change_plan(&principal, &principal.org_id.to_string(), request, &meta).await.map_err(ctx::fail)
}

/// Gives member `user_id` of the current organization the role `role`. A plain form post
/// returns to the page it came from.
#[server(prefix = "/fn", endpoint = "change-member-role")]
pub async fn change_member_role(user_id: i64, role: String) -> Result<Member, AppError> {
    let role = Role::parse(&role)
        .ok_or_else(|| ctx::invalid(vec![agentry_services::FieldError::new("role", "Choose one of the roles.")]))?;
    let services = ctx::services()?;
    let principal = ctx::require_principal(&services).await?;
    let meta = ctx::request_meta().await;
    let org = principal.org_id.to_string();
    services.change_member_role(&principal, &org, user_id, role, &meta).await.map_err(ctx::fail)
}

/// Removes member `user_id` from the current organization (or lets the viewer leave),
/// handing the agents they own to `reassign_to` when given. Without it, a member who owns
/// agents is refused with `member_owns_agents`, naming them.
#[server(prefix = "/fn", endpoint = "remove-member")]
pub async fn remove_member(user_id: i64, reassign_to: Option<i64>) -> Result<(), AppError> {
    let services = ctx::services()?;
    let principal = ctx::require_principal(&services).await?;
    let meta = ctx::request_meta().await;
    let org = principal.org_id.to_string();
    services.remove_member(&principal, &org, user_id, reassign_to, &meta).await.map_err(ctx::fail)
}
