//! Account security: changing the password, sessions, password reset by email.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// `POST /api/v1/me/password`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChangePasswordRequest {
    /// The password in use now.
    #[cfg_attr(feature = "server", schema(min_length = 1, max_length = 1024))]
    pub current_password: String,
    /// The new password.
    #[cfg_attr(feature = "server", schema(schema_with = crate::schemas::password))]
    pub new_password: String,
}

/// One of the user's sessions (never its secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SessionInfo {
    /// The session's id (for revoking it).
    pub id: i64,
    /// When it was opened.
    pub created_at: DateTime<Utc>,
    /// When it was last used (to the minute).
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it ends unless revoked.
    pub expires_at: DateTime<Utc>,
    /// The client address it was opened from.
    pub ip: Option<String>,
    /// The browser it was opened from.
    pub user_agent: Option<String>,
    /// Whether this is the session making the request.
    pub current: bool,
}

/// `GET /api/v1/me/sessions`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct SessionList {
    /// Newest first.
    pub value: Vec<SessionInfo>,
}

/// `POST /api/v1/me/sessions/revoke-others`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct RevokedSessions {
    /// How many sessions were ended.
    pub revoked: i64,
}

/// `POST /api/v1/auth/password-reset`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PasswordResetRequest {
    /// The account's email address.
    #[cfg_attr(feature = "server", schema(schema_with = crate::schemas::email))]
    pub email: String,
}

/// `POST /api/v1/auth/password-reset/confirm`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PasswordResetConfirm {
    /// The `pwr_` token from the emailed link.
    #[cfg_attr(feature = "server", schema(min_length = 1, max_length = 256))]
    pub token: String,
    /// The new password.
    #[cfg_attr(feature = "server", schema(schema_with = crate::schemas::password))]
    pub new_password: String,
}

impl std::fmt::Debug for ChangePasswordRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChangePasswordRequest(…)")
    }
}

impl std::fmt::Debug for PasswordResetConfirm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordResetConfirm(…)")
    }
}
