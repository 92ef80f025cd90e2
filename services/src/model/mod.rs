//! Shared, serialisable view types. Compiled for both the server and the wasm app, so
//! nothing here touches storage.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use crate::states::{
    AgentSource, AgentStatus, AgentType, InvitationStatus, InviteStatus, RegistrationMode, RegistrationState, Role,
    TransferStatus,
};

mod account;
mod agents;
mod audit;
mod invitations;
mod invites;
mod orgs;
mod outbox;
mod runs;
mod views;
mod webhooks;
pub use account::{
    ChangePasswordRequest, PasswordResetConfirm, PasswordResetRequest, RevokedSessions, SessionInfo, SessionList,
};
pub use agents::{
    AccessConfig, AccessRule, Agent, AgentListQuery, AgentPage, AgentPatch, CreateAgentRequest, DeployRequest,
    OwnershipTransfer, PendingOwnershipTransfer, ToggleRequest, TransferList, TransferRequest, Variation,
    VariationDetail, VariationList, TRANSFER_MESSAGE_MAX, VERSION_NAME_MAX, VERSION_NOTES_MAX,
};
pub use audit::{AuditEntry, AuditListPage, AuditListQuery, AuditPage, AuditVerification, AUDIT_FILTER_MAX};
pub use invitations::{
    AcceptInvitationRequest, CreateInvitationRequest, InvitationList, InvitationPreview, MemberInvitation,
};
pub use invites::{
    AgentInviteCancelResponse, AgentInviteConfirmationRequest, AgentInviteResendResponse, AgentRevokeResponse,
    PendingAgentInvite, PendingAgentInvitesResponse, ReasonRequest,
};
pub use orgs::{
    CreateOrganizationRequest, Member, MemberPage, OrganizationList, OrganizationPatch, PlanChange, PlanChangePreview,
    PlanInfo, PlanList, RoleChange,
};
pub use outbox::{OutboxItem, OutboxPage};
pub use runs::{
    AgentRunPage, AgentRunResponse, Claim, CompleteInput, CompleteStatus, CreateAgentRunInput, ProgressAck,
    ProgressInput, ReleaseInput, RunAttempt, RunAttemptList, RunBlocker, RunEvent, RunProgress, RunStatus, RunSummary,
    CLAIM_WAIT_MAX, LOG_EVENTS_MAX, LOG_LINE_MAX, METADATA_MAX, PROGRESS_MESSAGE_MAX, PROMPT_MAX, RESULT_MAX,
    RUN_EVENTS_PAGE,
};
pub use views::{SaveViewRequest, SavedView, SavedViewList, ViewSpec, VIEWS_MAX, VIEW_NAME_MAX, VIEW_QUERY_MAX};
pub use webhooks::{DeliveryStatus, Webhook, WebhookDelivery, WebhookDeliveryList, WebhookInput, WEBHOOK_URL_MAX};

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
    /// The agent that runs a run created without `agent_id` (owners and admins set it).
    #[serde(default)]
    pub default_agent_id: Option<i64>,
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
    /// Where the agent's identity stands.
    pub registration: RegistrationState,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// The user it belongs to (`None` while an invite is pending).
    #[serde(default)]
    pub owner_id: Option<i64>,
    /// Whether it holds one of the organization's seats now.
    #[serde(default)]
    pub holds_seat: bool,
}

/// A proof-of-work challenge (`GET /api/v1/registration/challenge`); see
/// `pow-wasm/PROTOCOL.md` §1.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AgentChallenge {
    /// Challenge UUID, hyphenated lowercase.
    pub id: String,
    /// The signed 90-character token; opaque to clients.
    pub token: String,
    /// Always `sha256`.
    pub algorithm: String,
    /// Leading zero bits required, `0..=32`.
    pub difficulty: u8,
    /// The target as 16 lowercase hex digits.
    pub target: String,
    /// Nonces per solution (k).
    pub solutions: u8,
    /// When the challenge expires.
    pub expires_at: DateTime<Utc>,
    /// The owner's user id as a string, or `invite`.
    pub issued_to: String,
}

/// A proof-of-work solution: k distinct nonces as canonical decimal strings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PowSolution {
    /// Decimal u64 strings.
    #[cfg_attr(feature = "server", schema(schema_with = crate::schemas::nonces))]
    pub nonces: Vec<String>,
}

/// Body of `POST /api/v1/registration/agent`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AgentRegistrationRequest {
    /// The challenge's `id`.
    #[cfg_attr(feature = "server", schema(schema_with = crate::schemas::challenge_id))]
    pub challenge_id: String,
    /// The solution.
    pub solution: PowSolution,
    /// The agent's Ed25519 public key, base64 (32 bytes).
    #[cfg_attr(feature = "server", schema(schema_with = crate::schemas::public_key))]
    pub public_key: String,
    /// Display name, 1 to 100 characters.
    #[cfg_attr(feature = "server", schema(schema_with = crate::schemas::agent_name))]
    pub name: String,
    /// Optional description, up to 1000 characters.
    #[serde(default)]
    #[cfg_attr(feature = "server", schema(schema_with = crate::schemas::description))]
    pub description: Option<String>,
    /// Only for the invite flow: the address of the human who should own the agent.
    #[serde(default)]
    #[cfg_attr(feature = "server", schema(schema_with = crate::schemas::owner_email))]
    pub owner_email: Option<String>,
    /// Only for the owner flow: give this identity to an existing agent of your
    /// organization that you may manage and that has none yet (one created with
    /// `POST /api/agents`). It keeps its name and description. Without it, registration
    /// creates a new agent.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "integral")]
    #[cfg_attr(feature = "server", schema(minimum = 1))]
    pub agent_id: Option<i64>,
}

/// An agent identity as registration reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RegisteredAgent {
    /// Stable numeric id.
    pub id: i64,
    /// Display name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Where the agent's identity stands.
    pub registration: RegistrationState,
    /// The organization (`null` while an invite is pending).
    pub org_id: Option<i64>,
    /// The owner (`null` while an invite is pending).
    pub owner_id: Option<i64>,
    /// The Ed25519 public key, base64.
    pub public_key: Option<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// Answer of a registration or an invite confirmation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AgentRegistrationResponse {
    /// The agent.
    pub agent: RegisteredAgent,
    /// The agent key, `agk_…`: shown once. Absent for a pending invite.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
    /// The key's id. Absent for a pending invite.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<i64>,
    /// `registered` or `pending_invite`.
    pub status: RegistrationState,
    /// For a pending invite: when the invite expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invite_expires_at: Option<DateTime<Utc>>,
}

/// Body of `POST /api/v1/registration/delegated-token`; every field is optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DelegatedTokenRequest {
    /// Agent names registered with the token must start with this.
    #[serde(default)]
    #[cfg_attr(feature = "server", schema(schema_with = crate::schemas::name_prefix))]
    pub name_prefix: Option<String>,
    /// Largest challenge difficulty the token accepts, `0..=32`.
    #[serde(default, deserialize_with = "integral")]
    #[cfg_attr(feature = "server", schema(schema_with = crate::schemas::max_difficulty))]
    pub max_difficulty: Option<i64>,
    /// Lifetime in seconds, 60 to 3600 (default 900).
    #[serde(default, deserialize_with = "integral")]
    #[cfg_attr(feature = "server", schema(schema_with = crate::schemas::ttl_seconds))]
    pub ttl_seconds: Option<i64>,
}

/// An optional integer that may also be written as an integral float (`900.0`): JSON
/// Schema's `integer` includes those, and JavaScript clients may send them.
pub(crate) fn integral<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let Some(n) = Option::<serde_json::Number>::deserialize(d)? else { return Ok(None) };
    let whole =
        n.as_i64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).and_then(|f| format!("{f}").parse().ok()));
    whole.map(Some).ok_or_else(|| serde::de::Error::custom(format!("invalid type: {n}, expected an integer")))
}

/// A list of integers, each of which may be written as an integral float (`42.0`).
pub(crate) fn integrals<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<i64>, D::Error> {
    Vec::<serde_json::Number>::deserialize(d)?
        .into_iter()
        .map(|n| {
            n.as_i64()
                .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).and_then(|f| format!("{f}").parse().ok()))
                .ok_or_else(|| serde::de::Error::custom(format!("invalid type: {n}, expected an integer")))
        })
        .collect()
}

/// A freshly minted delegated token: the only time the secret is visible.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DelegatedTokenResponse {
    /// `dlg_…`, single use.
    pub token: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// Required agent name prefix, if any.
    pub name_prefix: Option<String>,
    /// Largest accepted difficulty, if any.
    pub max_difficulty: Option<i64>,
}

/// Answer of `POST /api/v1/agents/{id}/keys`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AgentKeyRotationResponse {
    /// The new key, `agk_…`: shown once.
    pub api_key: String,
    /// Its id.
    pub key_id: i64,
    /// When the older keys stop working (`null` when there were none).
    pub previous_keys_expire_at: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::DelegatedTokenRequest;

    #[test]
    fn integers_may_be_written_as_integral_floats() {
        let parse =
            |s: &str| serde_json::from_str::<DelegatedTokenRequest>(s).map(|r| (r.max_difficulty, r.ttl_seconds));
        assert_eq!(parse(r#"{"maxDifficulty": 3, "ttlSeconds": 1104.0}"#).ok(), Some((Some(3), Some(1104))));
        assert_eq!(parse(r#"{"maxDifficulty": null}"#).ok(), Some((None, None)));
        assert!(parse(r#"{"ttlSeconds": 1.5}"#).is_err());
        assert!(parse(r#"{"ttlSeconds": 1e300}"#).is_err());
        assert!(parse(r#"{"ttlSeconds": "900"}"#).is_err());
    }
}
