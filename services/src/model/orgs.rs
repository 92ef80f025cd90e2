//! Organizations and their members, as `/api/v1/organizations/…` shows them.

use super::{Membership, Role};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// `GET /api/v1/organizations`: the caller's organizations, with their role in each.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct OrganizationList {
    /// Ordered by name, then id.
    pub value: Vec<Membership>,
}

/// `POST /api/v1/organizations`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateOrganizationRequest {
    /// The new organization's name; the caller becomes its owner.
    #[cfg_attr(feature = "server", schema(schema_with = crate::schemas::org_name))]
    pub name: String,
}

/// `PATCH /api/v1/organizations/{org_id}` (JSON merge patch, RFC 7396): members left out
/// stay as they are.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrganizationPatch {
    /// A new name (`null` is refused: an organization always has one).
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "present")]
    #[cfg_attr(feature = "server", schema(schema_with = crate::schemas::org_name))]
    pub name: Option<String>,
    /// The agent that runs a run created without `agent_id` (a live agent of this
    /// organization); `null` clears it.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "nullable")]
    #[cfg_attr(feature = "server", schema(value_type = Option<i64>, minimum = 1))]
    pub default_agent_id: Option<Option<i64>>,
}

/// A present member: `null` is `Some(None)` (clear), a value `Some(Some(v))`.
fn nullable<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
    Option::<i64>::deserialize(d).map(Some)
}

/// One member of an organization.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Member {
    /// The user's id.
    pub user_id: i64,
    /// The user's email.
    pub email: String,
    /// Their role here.
    pub role: Role,
    /// When they joined.
    pub joined_at: DateTime<Utc>,
}

/// `GET /api/v1/organizations/{org_id}/members`: one page, in the directory's envelope.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct MemberPage {
    /// Members ordered by when they joined, then by user id.
    pub value: Vec<Member>,
    /// Members in all.
    #[serde(rename = "@odata.count")]
    pub count: i64,
    /// The next page, when there is one.
    #[serde(rename = "@odata.nextLink", default, skip_serializing_if = "Option::is_none")]
    pub next_link: Option<String>,
}

/// `PATCH /api/v1/organizations/{org_id}/members/{user_id}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RoleChange {
    /// The member's new role.
    pub role: Role,
}

/// A member that may be left out but, when given, is not `null`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    String::deserialize(d).map(Some)
}

/// One plan of the catalogue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PlanInfo {
    /// The plan's name.
    pub name: String,
    /// Its seats; `null` when agreed per organization.
    pub seat_limit: Option<i64>,
    /// Whether a change to it must name a `seatLimit`.
    pub custom: bool,
}

/// `GET /api/v1/plans`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct PlanList {
    /// The catalogue, in its configured order.
    pub value: Vec<PlanInfo>,
}

/// `PUT /api/v1/organizations/{org_id}/plan`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlanChange {
    /// The plan's name (see `GET /api/v1/plans`).
    #[cfg_attr(feature = "server", schema(min_length = 1, max_length = 64))]
    pub plan: String,
    /// A seat limit other than the plan's; required for a custom plan.
    #[serde(default, deserialize_with = "super::integral")]
    #[cfg_attr(feature = "server", schema(minimum = 0, maximum = 1_000_000))]
    pub seat_limit: Option<i64>,
}

/// What a plan change did, or (dry run) would do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PlanChangePreview {
    /// True when nothing was changed.
    pub dry_run: bool,
    /// The plan before.
    pub plan_before: String,
    /// The plan after.
    pub plan_after: String,
    /// The seat limit before.
    pub seat_limit_before: i64,
    /// The seat limit after.
    pub seat_limit_after: i64,
    /// Seats in use.
    pub seats_used: i64,
    /// The organization after the change (absent on a dry run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<Membership>,
}
