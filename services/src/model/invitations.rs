//! Member invitations, as `/api/v1/organizations/{org_id}/invitations` and
//! `/api/v1/invitations/accept` show them.

use super::{InvitationStatus, Role};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// `POST /api/v1/organizations/{org_id}/invitations`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateInvitationRequest {
    /// Who to invite; they join with an account that uses this address.
    #[cfg_attr(feature = "server", schema(schema_with = crate::schemas::email))]
    pub email: String,
    /// The role they get on joining. Admins invite operators and members only.
    pub role: Role,
}

/// One member invitation. Its token is never shown: it is only in the email.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct MemberInvitation {
    /// Stable numeric id.
    pub id: i64,
    /// The organization's numeric id.
    pub org_id: i64,
    /// The address invited, lower-cased.
    pub email: String,
    /// The role it grants.
    pub role: Role,
    /// `pending`, `expired` (pending past its expiry), `accepted` or `cancelled`.
    pub status: InvitationStatus,
    /// Who invited them (user id).
    pub invited_by: i64,
    /// The inviter's email.
    pub invited_by_email: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When the email was last sent (creation or the latest resend).
    pub sent_at: DateTime<Utc>,
    /// When the current link stops working.
    pub expires_at: DateTime<Utc>,
}

/// `GET /api/v1/organizations/{org_id}/invitations`: the open invitations (pending and
/// expired), newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct InvitationList {
    /// The invitations.
    pub value: Vec<MemberInvitation>,
}

/// `POST /api/v1/invitations/accept`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AcceptInvitationRequest {
    /// The `mbr_…` token from the invitation email.
    #[serde(default)]
    #[cfg_attr(feature = "server", schema(schema_with = crate::schemas::member_invite_token, required = true))]
    pub token: Option<String>,
}

/// What an invitation link offers, for the join page (whoever holds the link may see it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvitationPreview {
    /// The organization's name.
    pub organization: String,
    /// The role it grants.
    pub role: Role,
    /// The address it was sent to.
    pub email: String,
    /// Who invited them.
    pub invited_by_email: String,
    /// `pending` or `expired` (a link that is used or cancelled has no preview).
    pub status: InvitationStatus,
    /// When the link stops working.
    pub expires_at: DateTime<Utc>,
}
