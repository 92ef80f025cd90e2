//! Shared, serialisable view types. Compiled for both the server and the wasm app, so
//! nothing here touches storage.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A member's role in an organization. Owner, admin and operator are the seeds'
/// "privileged operators".
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Full control, including billing and seats.
    Owner,
    /// Manages members and agents.
    Admin,
    /// Manages agents and invites.
    Operator,
    /// Uses agents they are granted.
    Member,
}

impl Role {
    /// The role's wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Operator => "operator",
            Role::Member => "member",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "owner" => Role::Owner,
            "admin" => Role::Admin,
            "operator" => Role::Operator,
            "member" => Role::Member,
            _ => return None,
        })
    }

    /// Owner, admin and operator: the seeds' "privileged operators".
    pub fn is_privileged(self) -> bool {
        matches!(self, Role::Owner | Role::Admin | Role::Operator)
    }

    /// Owner and admin: may revoke agents and change organization settings.
    pub fn is_admin(self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }
}

/// An organization as its members see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Organization {
    /// Stable numeric id.
    pub id: i64,
    /// Stable UUID; every `{org_id}` path accepts either form.
    pub uuid: String,
    /// Display name.
    pub name: String,
    /// Plan name; sets the default seat limit.
    pub plan: String,
    /// Agents that may hold a seat at once.
    pub seat_limit: i64,
    /// Seats held now.
    pub seats_used: i64,
}

/// A user's membership of one organization.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Membership {
    /// The organization.
    pub organization: Organization,
    /// The user's role in it.
    pub role: Role,
}

/// A user account, without secrets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// Stable numeric id.
    pub id: i64,
    /// Email address, stored lower-cased.
    pub email: String,
    /// When the account was created.
    pub created_at: DateTime<Utc>,
}

/// The signed-in principal: the answer of `GET /api/v1/me`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Me {
    /// The user.
    pub user: User,
    /// Every organization the user belongs to, with roles.
    pub memberships: Vec<Membership>,
    /// The organization this session or key acts in.
    pub current_organization: Organization,
    /// The user's role in the current organization.
    pub role: Role,
}

/// A user API key's metadata. The secret itself is shown once, at creation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ApiKey {
    /// Key id (not secret).
    pub id: i64,
    /// A label chosen by the user.
    pub name: String,
    /// The first characters of the key, to recognise it (`uak_abcd…`).
    pub prefix: String,
    /// The organization the key acts in.
    pub org_id: i64,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last authenticated a request.
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A freshly created user API key: the only time the secret is visible.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CreatedApiKey {
    /// The key's metadata.
    #[serde(flatten)]
    pub key: ApiKey,
    /// The secret, `uak_…`. Store it now: it is never shown again.
    pub secret: String,
}

/// An agent as listed on the agents page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AgentSummary {
    /// Stable numeric id.
    pub id: i64,
    /// Display name.
    pub name: String,
    /// `pending_invite | registered | revoked`.
    pub registration: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// Password rule, stated once for the API, the UI and the docs.
pub const PASSWORD_RULE: &str =
    "Passwords must be 10 to 128 characters long and must not consist of a single repeated character.";

/// Checks [`PASSWORD_RULE`]. Shared so the browser can check before it posts.
pub fn password_is_acceptable(password: &str) -> bool {
    let n = password.chars().count();
    let mut chars = password.chars();
    let first = chars.next();
    (10..=128).contains(&n) && !chars.all(|c| Some(c) == first)
}
