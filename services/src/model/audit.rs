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

/// One page of the audit log, newest first, with whole entries: what the audit page shows
/// (`Services::list_audit`, the simple filters and the `cursor` only).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct AuditPage {
    /// The entries, newest first.
    pub value: Vec<AuditEntry>,
    /// The next (older) page, with the same filters, when there is one.
    #[serde(rename = "@odata.nextLink", default, skip_serializing_if = "Option::is_none")]
    pub next_link: Option<String>,
}

/// `GET /api/v1/organizations/{org_id}/audit`: one page of the list (OData). Rows are
/// AuditEntry objects, or only their `$select`ed fields (and `id`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct AuditListPage {
    /// The rows, newest first unless `$orderby` says otherwise.
    pub value: Vec<serde_json::Value>,
    /// The number of matching rows (with `$count=true`).
    #[serde(rename = "@odata.count", default, skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
    /// The next page, with the same filters: a signed keyset cursor (`$skiptoken`) bound to
    /// the filters and the sort when an OData option is used, else the `cursor` of the last
    /// entry.
    #[serde(rename = "@odata.nextLink", default, skip_serializing_if = "Option::is_none")]
    pub next_link: Option<String>,
}

/// The audit list's OData query options, as written in the URL, beside its simple filters
/// (`action`, `actor`, ...: AND-ed with `$filter`) and `$top`. Every value is parsed by the
/// services against the audit registry (`catalog::AUDIT_FIELDS`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "server", into_params(parameter_in = Query))]
pub struct AuditListQuery {
    /// OData `$filter`, e.g. `startswith(action, 'member.') and createdAt ge 2026-01-01T00:00:00Z`.
    #[serde(rename = "$filter", default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    /// OData `$orderby`: comma-separated `field [asc|desc]` (default `id desc`).
    #[serde(rename = "$orderby", default, skip_serializing_if = "Option::is_none")]
    pub orderby: Option<String>,
    /// OData `$select`: comma-separated fields (`id` always comes too).
    #[serde(rename = "$select", default, skip_serializing_if = "Option::is_none")]
    pub select: Option<String>,
    /// Rows to skip: 0 to 1,000,000.
    #[serde(rename = "$skip", default, skip_serializing_if = "Option::is_none")]
    pub skip: Option<String>,
    /// `true` adds `@odata.count`.
    #[serde(rename = "$count", default, skip_serializing_if = "Option::is_none")]
    pub count: Option<String>,
    /// The cursor of `@odata.nextLink`.
    #[serde(rename = "$skiptoken", default, skip_serializing_if = "Option::is_none")]
    pub skiptoken: Option<String>,
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
