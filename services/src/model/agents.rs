//! The agent directory's wire types (seeds 002 and 003): the Agent object, its list page,
//! access configuration, variations and ownership transfers.

use super::Role;
use crate::states::{AgentSource, AgentStatus, AgentType, RegistrationState, TransferStatus};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Who a rule admits: members with one of `roles`, and the listed `users`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccessRule {
    /// Roles admitted.
    #[serde(default)]
    pub roles: Vec<Role>,
    /// User ids admitted (members of the organization), at most 100.
    #[serde(default, deserialize_with = "super::integrals")]
    #[cfg_attr(feature = "server", schema(max_items = 100))]
    pub users: Vec<i64>,
}

/// Who in the organization may use an agent (run it, view its history) and who may
/// manage it (edit, delete, deploy, toggle, transfer). The agent's owner and the
/// organization's owners and admins can always manage it; managers can always use it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccessConfig {
    /// Who may use the agent.
    #[serde(rename = "use", default)]
    pub use_: AccessRule,
    /// Who may manage the agent.
    #[serde(default)]
    pub manage: AccessRule,
}

impl Default for AccessConfig {
    /// Every member may use an agent; owners, admins and operators may manage it.
    fn default() -> Self {
        Self {
            use_: AccessRule { roles: Role::ALL.to_vec(), users: vec![] },
            manage: AccessRule { roles: vec![Role::Owner, Role::Admin, Role::Operator], users: vec![] },
        }
    }
}

impl AccessConfig {
    /// May a member with `role` (user `user_id`) manage an agent owned by `owner_id`?
    pub fn can_manage(&self, role: Role, user_id: i64, owner_id: Option<i64>) -> bool {
        role.is_admin()
            || owner_id == Some(user_id)
            || self.manage.roles.contains(&role)
            || self.manage.users.contains(&user_id)
    }

    /// May they use it?
    pub fn can_use(&self, role: Role, user_id: i64, owner_id: Option<i64>) -> bool {
        self.can_manage(role, user_id, owner_id)
            || self.use_.roles.contains(&role)
            || self.use_.users.contains(&user_id)
    }
}

/// Most characters of a version's name.
pub const VERSION_NAME_MAX: usize = 100;
/// Most characters of a version's notes.
pub const VERSION_NOTES_MAX: usize = 2000;
/// Most characters of an ownership transfer's note to the recipient.
pub const TRANSFER_MESSAGE_MAX: usize = 1000;

/// A transfer waiting for its recipient, as it shows on the agent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PendingOwnershipTransfer {
    /// The transfer's id (UUID).
    pub id: String,
    /// The owner when it was requested.
    pub from_user_id: Option<i64>,
    /// The recipient.
    pub to_user_id: i64,
    /// Who asked.
    pub requested_by: i64,
    /// The requester's note to the recipient.
    pub message: Option<String>,
    /// When it was requested.
    pub created_at: DateTime<Utc>,
    /// When it lapses (7 days after the request).
    pub expires_at: DateTime<Utc>,
}

/// A definition: what runs, and when.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct VariationDetail {
    /// `"manual"` or `{"cron": "0 9 * * 1-5", "timezone": "Europe/Berlin"}`.
    pub trigger: Value,
    /// `{"steps": [{"id", "kind", "config"}], "edges": [{"from", "to"}]}`.
    pub workflow_structure: Value,
    /// A JSON object choosing models, tools and sub-agents.
    pub agent_selection: Value,
}

/// An agent (seed 003), as the caller sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Agent {
    /// Numeric agent id (stable per organization; never reused after delete).
    pub id: i64,
    /// URL-safe slug, unique among the organization's live agents.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// What the agent does.
    pub description: String,
    /// The agent's contact address (seed 002's `email=` finds it), if any.
    pub email: Option<String>,
    /// `draft` (never deployed), `active` (deployed) or `deleted`.
    pub status: AgentStatus,
    /// `task` (one step) or `workflow` (a graph); fixed at creation.
    #[serde(rename = "type")]
    pub agent_type: AgentType,
    /// The organization's UUID.
    pub org_id: String,
    /// The owner.
    pub owner_id: Option<i64>,
    /// False after deactivate: its keys stop authenticating (they are not revoked).
    pub enabled: bool,
    /// Where its identity stands; `null` for a definition that has no identity yet.
    pub registration: Option<RegistrationState>,
    /// `local`, or `sync` (managed upstream, read-only here).
    pub source: AgentSource,
    /// The draft differs from the active variation (deploy would publish changes).
    pub has_unpublished_changes: bool,
    /// Whether the schedule runs (`POST /api/v1/agents/{id}/toggle`).
    pub schedule_enabled: bool,
    /// Who may use and manage it.
    pub access_config: AccessConfig,
    /// The caller may manage (edit, delete, deploy, toggle, transfer) it.
    pub can_manage: bool,
    /// The caller may use (run, view the history of) it.
    pub can_use: bool,
    /// The deployed variation; `null` until the first deploy.
    pub active_variation_id: Option<String>,
    /// The draft variation; `null` when no draft is pending.
    pub draft_variation_id: Option<String>,
    /// The transfer waiting for its recipient; absent when none is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_ownership_transfer: Option<PendingOwnershipTransfer>,
    /// The definition for `?view=draft|active`; absent on list rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variation: Option<VariationDetail>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Soft-deleted; `null` for live agents.
    pub deleted_at: Option<DateTime<Utc>>,
}

/// A page of the agent list (OData). Rows are Agent objects, or only their `$select`ed
/// fields (and `id`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct AgentPage {
    /// The rows.
    pub value: Vec<Value>,
    /// The number of matching rows (with `$count=true`).
    #[serde(rename = "@odata.count", default, skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
    /// The next page: a signed keyset cursor bound to this filter and sort.
    #[serde(rename = "@odata.nextLink", default, skip_serializing_if = "Option::is_none")]
    pub next_link: Option<String>,
}

/// `POST /api/agents`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateAgentRequest {
    /// Display name (1 to 100 characters).
    pub name: String,
    /// `task` (default) or `workflow`.
    #[serde(rename = "type", default)]
    pub agent_type: Option<AgentType>,
    /// Generated from the name when absent.
    #[serde(default)]
    pub slug: Option<String>,
    /// What the agent does.
    #[serde(default)]
    pub description: Option<String>,
    /// A contact address.
    #[serde(default)]
    pub email: Option<String>,
    /// Who may use and manage it; the default lets every member use it and owners,
    /// admins and operators manage it.
    #[serde(default)]
    pub access_config: Option<AccessConfig>,
}

/// `PATCH /api/v1/agents/{id}` (RFC 7396, `application/merge-patch+json`): only the fields
/// to change; `null` removes `description`, `email` and `accessConfig` (back to the
/// default). The document of the request body; the server reads it as a merge patch.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgentPatch {
    /// Display name.
    #[cfg_attr(feature = "server", schema(schema_with = crate::schemas::agent_name))]
    pub name: Option<String>,
    /// URL-safe slug, unique among the organization's live agents.
    #[cfg_attr(feature = "server", schema(schema_with = crate::schemas::slug))]
    pub slug: Option<String>,
    /// What the agent does.
    #[cfg_attr(feature = "server", schema(schema_with = crate::schemas::optional_description))]
    pub description: Option<String>,
    /// A contact address.
    #[cfg_attr(feature = "server", schema(schema_with = crate::schemas::contact_email))]
    pub email: Option<String>,
    /// Who may use and manage it.
    #[cfg_attr(feature = "server", schema(nullable))]
    pub access_config: Option<AccessConfig>,
}

/// `POST /api/v1/agents/{id}/deploy`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeployRequest {
    /// A name for the version (default "Version N").
    #[serde(default)]
    pub name: Option<String>,
    /// Release notes.
    #[serde(default)]
    pub notes: Option<String>,
}

/// `POST /api/v1/agents/{id}/toggle`: without `enabled`, flips the schedule.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ToggleRequest {
    /// The schedule's new state.
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// A variation: the draft (no number) or a deployed version.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Variation {
    /// The variation's id (UUID).
    pub id: String,
    /// The agent.
    pub agent_id: i64,
    /// 1, 2, …; `null` for the draft.
    pub number: Option<i64>,
    /// The version's name.
    pub name: Option<String>,
    /// Its release notes.
    pub notes: Option<String>,
    /// Who deployed it.
    pub deployed_by: Option<i64>,
    /// When.
    pub deployed_at: Option<DateTime<Utc>>,
    /// This is the agent's active variation.
    pub active: bool,
    /// The version a draft was restored from.
    pub restored_from: Option<String>,
    /// Created (for the draft: last saved).
    pub updated_at: DateTime<Utc>,
    /// The definition.
    #[serde(flatten)]
    pub detail: VariationDetail,
}

/// `GET /api/v1/agents/{id}/variations`: newest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct VariationList {
    /// The deployed versions, newest first.
    pub value: Vec<Variation>,
}

/// `POST /api/v1/agents/{id}/ownership-transfer`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TransferRequest {
    /// The recipient: a member of the organization.
    #[cfg_attr(feature = "server", schema(minimum = 1))]
    pub to_user_id: i64,
    /// A note to the recipient (at most 1000 characters).
    #[serde(default)]
    #[cfg_attr(feature = "server", schema(max_length = 1000))]
    pub message: Option<String>,
}

/// An ownership transfer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OwnershipTransfer {
    /// The transfer's id (UUID).
    pub id: String,
    /// The agent.
    pub agent_id: i64,
    /// The agent's name.
    pub agent_name: String,
    /// The owner when it was requested.
    pub from_user_id: Option<i64>,
    /// The recipient.
    pub to_user_id: i64,
    /// Who asked.
    pub requested_by: i64,
    /// The requester's note.
    pub message: Option<String>,
    /// `pending`, `accepted`, `declined`, `cancelled` or `expired`.
    pub status: TransferStatus,
    /// When it was requested.
    pub created_at: DateTime<Utc>,
    /// When it lapses.
    pub expires_at: DateTime<Utc>,
    /// When it was accepted, declined, cancelled or expired.
    pub resolved_at: Option<DateTime<Utc>>,
}

/// `GET /api/v1/me/ownership-transfers`: the caller's pending transfers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct TransferList {
    /// Pending transfers to the caller, newest first.
    pub value: Vec<OwnershipTransfer>,
}

/// The agent list's query options (seed 002), as written in the URL. Every value is
/// parsed by the services; `$skiptoken` is the next link's signed cursor.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "server", into_params(parameter_in = Query))]
pub struct AgentListQuery {
    /// OData `$filter`, e.g. `status eq 'active' and contains(name, 'churn')`.
    #[serde(rename = "$filter", default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    /// OData `$orderby`: comma-separated `field [asc|desc]`.
    #[serde(rename = "$orderby", default, skip_serializing_if = "Option::is_none")]
    pub orderby: Option<String>,
    /// OData `$select`: comma-separated fields (`id` always comes too).
    #[serde(rename = "$select", default, skip_serializing_if = "Option::is_none")]
    pub select: Option<String>,
    /// Rows per page: 0 to 1000, default 50.
    #[serde(rename = "$top", default, skip_serializing_if = "Option::is_none")]
    pub top: Option<String>,
    /// Rows to skip: 0 to 1,000,000.
    #[serde(rename = "$skip", default, skip_serializing_if = "Option::is_none")]
    pub skip: Option<String>,
    /// `true` adds `@odata.count`.
    #[serde(rename = "$count", default, skip_serializing_if = "Option::is_none")]
    pub count: Option<String>,
    /// The cursor of `@odata.nextLink`.
    #[serde(rename = "$skiptoken", default, skip_serializing_if = "Option::is_none")]
    pub skiptoken: Option<String>,
    /// Exact email match, ignoring case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// `true` includes deleted agents (owners and admins only).
    #[serde(rename = "includeDeleted", default, skip_serializing_if = "Option::is_none")]
    pub include_deleted: Option<String>,
}
