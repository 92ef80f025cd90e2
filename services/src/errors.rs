//! The error catalogue: every machine-readable error code Agentry answers with, its HTTP
//! status, title and problem `type` URI. Shared by the server (REST problems, server
//! functions) and the browser (`AppError`), so a client can tell "no free seat" from "not
//! allowed" by code, never by parsing words.
//!
//! `docs/ERRORS.md` lists the same catalogue; a test checks that every code is documented.

use serde::{Deserialize, Serialize};

/// The base of every problem `type`: `https://agentry.dev/problems/{code}`.
pub const PROBLEM_BASE: &str = "https://agentry.dev/problems/";

macro_rules! catalogue {
    ($( $(#[$doc:meta])* $variant:ident = ($code:literal, $status:literal, $title:literal), )+) => {
        /// One entry of the error catalogue. Serialised as its snake_case code.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum ErrorCode {
            $( $(#[$doc])* $variant, )+
        }

        impl ErrorCode {
            /// Every code, in catalogue order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)+];

            /// The stable code: the last segment of the problem's `type`.
            pub fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $code,)+ }
            }

            /// The HTTP status the code is answered with.
            pub fn status(self) -> u16 {
                match self { $(ErrorCode::$variant => $status,)+ }
            }

            /// A short, stable, human title (the problem's `title`).
            pub fn title(self) -> &'static str {
                match self { $(ErrorCode::$variant => $title,)+ }
            }

            /// Parses a code (`no_free_seat`) or a problem type URI ending in one.
            pub fn parse(s: &str) -> Option<Self> {
                let code = s.rsplit('/').next().unwrap_or(s);
                match code { $($code => Some(ErrorCode::$variant),)+ _ => None }
            }
        }
    };
}

catalogue! {
    // --- Requests the server could not read --------------------------------------------
    /// A generic 400 for answers that are not problem documents.
    BadRequest = ("bad_request", 400, "Bad request"),
    /// The body could not be read (for example, invalid UTF-8).
    BadBody = ("bad_body", 400, "Bad request"),
    /// The body is not valid JSON.
    MalformedJson = ("malformed_json", 400, "Malformed JSON"),
    /// The JSON has the wrong shape: missing fields, wrong types, unknown fields.
    InvalidBody = ("invalid_body", 422, "Unprocessable body"),
    /// A query parameter has the wrong type.
    InvalidQuery = ("invalid_query", 400, "Invalid query"),
    /// A path parameter has the wrong type.
    InvalidPath = ("invalid_path", 400, "Invalid path parameter"),
    /// The body is not `application/json`.
    UnsupportedMediaType = ("unsupported_media_type", 415, "Unsupported media type"),
    /// The body is larger than the server accepts.
    PayloadTooLarge = ("payload_too_large", 413, "Payload too large"),
    /// The endpoint exists but not with this method.
    MethodNotAllowed = ("method_not_allowed", 405, "Method not allowed"),
    /// No such endpoint, or nothing visible to the caller at this address.
    NotFound = ("not_found", 404, "Not found"),
    /// The request took longer than the server's time limit.
    Timeout = ("timeout", 408, "Request timeout"),
    /// One or more fields break a rule; `errors` lists them.
    Validation = ("validation", 400, "Invalid request"),

    // --- Who is asking --------------------------------------------------------------------
    /// No valid session, key or token.
    Unauthorized = ("unauthorized", 401, "Authentication required"),
    /// Wrong email or password (one answer for both).
    InvalidCredentials = ("invalid_credentials", 401, "Invalid credentials"),
    /// A generic 403 for answers that are not problem documents.
    Forbidden = ("forbidden", 403, "Forbidden"),
    /// The caller's role (or relation to the object) does not allow this.
    NotAllowed = ("not_allowed", 403, "Not allowed"),
    /// A cookie-authenticated change came from another site.
    Csrf = ("csrf", 403, "Cross-origin request rejected"),
    /// API keys are bound to one organization and cannot switch.
    ApiKeyBound = ("api_key_bound", 403, "API keys cannot switch organization"),
    /// The account belongs to no organization.
    NoOrganization = ("no_organization", 403, "No organization"),
    /// Too many requests; `Retry-After` says when to try again.
    RateLimited = ("rate_limited", 429, "Too many requests"),

    // --- Registration ------------------------------------------------------------------
    /// The organization's seat limit is reached.
    NoFreeSeat = ("no_free_seat", 403, "No free seat"),
    /// A delegated token's name prefix or difficulty cap forbids this registration.
    DelegatedTokenScope = ("delegated_token_scope", 403, "Outside the delegated token's scope"),
    /// The proof-of-work solution is malformed or wrong.
    InvalidSolution = ("invalid_solution", 400, "Invalid proof of work"),
    /// The challenge expired before the solution arrived.
    ChallengeExpired = ("challenge_expired", 400, "Challenge expired"),
    /// The challenge was issued to someone else.
    ChallengeNotYours = ("challenge_not_yours", 400, "Challenge issued to someone else"),
    /// No such challenge.
    ChallengeNotFound = ("challenge_not_found", 404, "Challenge not found"),
    /// The challenge was already used.
    ChallengeUsed = ("challenge_used", 409, "Challenge already used"),
    /// An agent with this public key is already registered.
    PublicKeyTaken = ("public_key_taken", 409, "Public key already registered"),

    // --- Invites -------------------------------------------------------------------------
    /// No such invite (or none pending for this agent).
    InviteNotFound = ("invite_not_found", 404, "Invite not found"),
    /// The invite was already claimed or cancelled.
    InviteNotPending = ("invite_not_pending", 409, "Invite not pending"),
    /// The invite link has expired; it can be resent.
    InviteExpired = ("invite_expired", 410, "Invite expired"),
    /// The invite is addressed to another email.
    NotInviteRecipient = ("not_invite_recipient", 403, "Invite addressed to someone else"),

    // --- Accounts, keys and agents ---------------------------------------------------------
    /// The current password given to change it is wrong.
    WrongPassword = ("wrong_password", 403, "Current password is wrong"),
    /// A password reset link that is unknown, used, or expired (one answer for all three).
    ResetTokenInvalid = ("reset_token_invalid", 404, "Reset link not found"),
    /// No such session of the caller's.
    SessionNotFound = ("session_not_found", 404, "Session not found"),
    /// An account with this email already exists.
    EmailTaken = ("email_taken", 409, "Email already registered"),
    /// No such organization among the caller's memberships.
    OrganizationNotFound = ("organization_not_found", 404, "Organization not found"),
    /// No such API key (of the caller's).
    ApiKeyNotFound = ("api_key_not_found", 404, "API key not found"),
    /// No such agent in the caller's organization.
    AgentNotFound = ("agent_not_found", 404, "Agent not found"),
    /// The agent has no completion webhook, or no such delivery of it.
    WebhookNotFound = ("webhook_not_found", 404, "Webhook not found"),
    /// The agent is no longer pending an invite.
    AgentNotPending = ("agent_not_pending", 409, "Agent not pending"),
    /// Only registered agents have keys.
    AgentNotRegistered = ("agent_not_registered", 409, "Agent not registered"),
    /// Registration with `agentId` names an agent that already has an identity.
    AgentHasIdentity = ("agent_has_identity", 409, "Agent already has an identity"),

    /// A `$filter`, `$orderby`, `$select`, `$top`, `$skip` or `$count` the server cannot
    /// read; `param`, `position`, `expected` and `didYouMean` say where and why.
    InvalidQueryOption = ("invalid_query_option", 400, "Invalid query option"),
    /// A next link reused with another filter or sort, altered, or from another list.
    CursorMismatch = ("cursor_mismatch", 400, "Cursor does not match the query"),
    /// The field cannot be changed (`field` names it): `id`, `orgId`, `type`, `status`
    /// and the timestamps; other read-only fields change through their own operations.
    ImmutableField = ("immutable_field", 422, "Immutable field"),
    /// The definition breaks a rule; `errors` points at each offending node.
    InvalidDefinition = ("invalid_definition", 422, "Invalid definition"),
    /// The agent is managed upstream (`source: sync`) and cannot be changed here.
    AgentReadOnly = ("agent_read_only", 409, "Agent is read-only"),
    /// The agent is deleted; it can be read but not changed.
    AgentDeleted = ("agent_deleted", 409, "Agent deleted"),
    /// Another live agent of the organization has this slug.
    SlugTaken = ("slug_taken", 409, "Slug already taken"),
    /// `If-Match` names another version of the agent; fetch it again.
    PreconditionFailed = ("precondition_failed", 412, "Precondition failed"),
    /// There is no draft to deploy: the draft is the active version.
    NothingToDeploy = ("nothing_to_deploy", 409, "Nothing to deploy"),
    /// The schedule needs a deployed cron trigger.
    NoSchedule = ("no_schedule", 409, "No deployed schedule"),
    /// No such version of this agent.
    VariationNotFound = ("variation_not_found", 404, "Variation not found"),
    /// No transfer of this agent is pending.
    TransferNotFound = ("transfer_not_found", 404, "Transfer not found"),
    /// A transfer of this agent is already pending; cancel it first.
    TransferPending = ("transfer_pending", 409, "Transfer already pending"),
    /// The recipient of a transfer must be another member of the organization.
    InvalidRecipient = ("invalid_recipient", 422, "Invalid recipient"),
    /// An access rule names a user who is not a member of the organization.
    UnknownMember = ("unknown_member", 422, "Not a member"),
    /// A user keeps at most 50 saved views of a list.
    TooManyViews = ("too_many_views", 409, "Too many saved views"),
    /// The same `Idempotency-Key` came with another body.
    IdempotencyKeyReused = ("idempotency_key_reused", 422, "Idempotency key reused"),

    // --- Runs ------------------------------------------------------------------------------
    /// A run's input breaks a rule; `errors` lists the fields (the prompt, the agent).
    InvalidRun = ("invalid_run", 422, "Invalid run"),
    /// No such run in this organization.
    RunNotFound = ("run_not_found", 404, "Run not found"),
    /// The run is over (completed, failed, cancelled or timed out); it cannot change.
    RunFinished = ("run_finished", 409, "Run already finished"),
    /// The lease named is not the run's current one (it lapsed and the run was claimed
    /// again, or the run was cancelled): stop working on it.
    LeaseLost = ("lease_lost", 409, "Lease lost"),

    // --- Organizations and members ---------------------------------------------------------
    /// No such member in this organization.
    MemberNotFound = ("member_not_found", 404, "Member not found"),
    /// The change would leave the organization without an owner.
    LastOwner = ("last_owner", 409, "Last owner"),
    /// A seat limit below the seats in use; `seatsUsed` and `seatLimit` say by how much.
    SeatLimitBelowUsage = ("seat_limit_below_usage", 409, "Seat limit below usage"),
    /// The member still owns agents; `agents` lists them. Reassign them first
    /// (`?reassignTo={user_id}`).
    MemberOwnsAgents = ("member_owns_agents", 409, "Member owns agents"),

    // --- Member invitations ------------------------------------------------------------
    /// No such invitation in this organization, or an invitation link that is unknown,
    /// already used, replaced by a resend, or cancelled (one answer for all of them).
    InvitationNotFound = ("invitation_not_found", 404, "Invitation not found"),
    /// The invitation was already accepted or cancelled.
    InvitationNotPending = ("invitation_not_pending", 409, "Invitation not pending"),
    /// The invitation link has expired; an owner or admin can resend it.
    InvitationExpired = ("invitation_expired", 410, "Invitation expired"),
    /// An open invitation to this address exists; `invitationId` names it (resend it instead).
    InvitationPending = ("invitation_pending", 409, "Invitation already pending"),
    /// The address (or the signed-in user) is already a member of the organization.
    AlreadyMember = ("already_member", 409, "Already a member"),

    // --- Generic fallbacks -----------------------------------------------------------------
    /// A generic 409 for answers that are not problem documents.
    Conflict = ("conflict", 409, "Conflict"),
    /// A generic 410 for answers that are not problem documents.
    Gone = ("gone", 410, "Gone"),
    /// A bug or an outage on the server; the cause is logged, never shown.
    Internal = ("internal", 500, "Internal server error"),
    /// The server cannot serve yet (`/readyz`: the database does not answer).
    NotReady = ("not_ready", 503, "Not ready"),
}

impl ErrorCode {
    /// The problem `type` URI of this code.
    pub fn type_uri(self) -> String {
        format!("{PROBLEM_BASE}{}", self.as_str())
    }

    /// The code for an answer that is not a problem document: a generic one per status.
    pub fn for_status(status: u16) -> Self {
        match status {
            401 => ErrorCode::Unauthorized,
            403 => ErrorCode::Forbidden,
            404 => ErrorCode::NotFound,
            405 => ErrorCode::MethodNotAllowed,
            408 => ErrorCode::Timeout,
            409 => ErrorCode::Conflict,
            410 => ErrorCode::Gone,
            412 => ErrorCode::PreconditionFailed,
            413 => ErrorCode::PayloadTooLarge,
            415 => ErrorCode::UnsupportedMediaType,
            422 => ErrorCode::InvalidBody,
            429 => ErrorCode::RateLimited,
            503 => ErrorCode::NotReady,
            s if s >= 500 => ErrorCode::Internal,
            _ => ErrorCode::BadRequest,
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One invalid input field, listed in 400/422 problems.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct FieldError {
    /// The field's name as it appears in the request.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl FieldError {
    /// A field error.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_and_round_trip() {
        let mut seen = HashSet::new();
        for &c in ErrorCode::ALL {
            assert!(seen.insert(c.as_str()), "duplicate code {c}");
            assert_eq!(ErrorCode::parse(c.as_str()), Some(c));
            assert_eq!(ErrorCode::parse(&c.type_uri()), Some(c));
            assert_eq!(serde_json::to_value(c).ok(), Some(serde_json::Value::String(c.as_str().into())));
            assert!((400..600).contains(&c.status()), "{c}");
        }
        assert_eq!(ErrorCode::parse("nope"), None);
    }

    #[test]
    fn every_code_is_documented_with_its_status_and_title() {
        let doc = include_str!("../../docs/ERRORS.md");
        for &c in ErrorCode::ALL {
            let row = format!("| `{}` | {} | {} |", c.as_str(), c.status(), c.title());
            assert!(doc.contains(&row), "docs/ERRORS.md lacks the row {row}");
        }
        let documented = doc.lines().filter(|l| l.starts_with("| `")).count();
        assert_eq!(documented, ErrorCode::ALL.len(), "docs/ERRORS.md lists codes that do not exist");
    }

    #[test]
    fn bare_statuses_get_generic_codes() {
        assert_eq!(ErrorCode::for_status(403), ErrorCode::Forbidden);
        assert_eq!(ErrorCode::for_status(502), ErrorCode::Internal);
        assert_eq!(ErrorCode::for_status(503), ErrorCode::NotReady);
        assert_eq!(ErrorCode::for_status(418), ErrorCode::BadRequest);
    }
}
