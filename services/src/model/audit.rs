//! The audit log, as `/api/v1/organizations/{org_id}/audit…` shows it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Longest `action`, `targetType` or `targetId` filter of the list and the export.
pub const AUDIT_FILTER_MAX: usize = 200;

/// One audit entry: who did what to which object, from where, and why. Never a secret.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    /// Stable numeric id (increasing in the order rows were written).
    pub id: i64,
    /// The organization's numeric id.
    pub org_id: i64,
    /// The user who acted; `null` for the system or an anonymous caller.
    pub actor_user_id: Option<i64>,
    /// That user's email, when they still have an account.
    pub actor_email: Option<String>,
    /// What happened, like `member.role_changed`.
    pub action: String,
    /// The kind of object, like `member`, `agent`, `invitation`, `organization`.
    pub target_type: Option<String>,
    /// The object's id.
    pub target_id: Option<String>,
    /// The client's address.
    pub ip: Option<String>,
    /// The client's User-Agent.
    pub user_agent: Option<String>,
    /// Why, when the actor said (a revocation's or cancellation's reason).
    pub reason: Option<String>,
    /// Details of the change (a JSON object).
    pub detail: Option<serde_json::Value>,
    /// When it happened.
    pub created_at: DateTime<Utc>,
    /// Its place in the organization's hash chain; `null` until sealed (about a second).
    pub chain_seq: Option<i64>,
    /// SHA-256 (hex) of the previous entry in the chain.
    pub prev_hash: Option<String>,
    /// SHA-256 (hex) over `prevHash` and this entry's canonical encoding.
    pub hash: Option<String>,
}

/// `GET /api/v1/organizations/{org_id}/audit`: one page, newest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct AuditPage {
    /// The entries, newest first.
    pub value: Vec<AuditEntry>,
    /// The next (older) page, with the same filters, when there is one.
    #[serde(rename = "@odata.nextLink", default, skip_serializing_if = "Option::is_none")]
    pub next_link: Option<String>,
}

/// `GET /api/v1/organizations/{org_id}/audit/verify`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AuditVerification {
    /// Whether every entry matches its hash and links to the one before it.
    pub ok: bool,
    /// How many entries were checked.
    pub checked: i64,
    /// The first entry that does not match (altered, or after a removed one); `null`
    /// when all match (or when only the chain's end was cut off).
    pub first_bad_id: Option<i64>,
}
