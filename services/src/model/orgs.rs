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
