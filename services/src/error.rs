//! The one error type of the services layer: a catalogue code ([`ErrorCode`], which names
//! the HTTP status and problem type) and the words for this occurrence. Adapters translate
//! without deciding anything.

pub use crate::errors::{ErrorCode, FieldError};
use std::borrow::Cow;
use std::fmt;

/// Any unexpected error, boxed.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What went wrong in a use case.
pub struct ServiceError {
    code: ErrorCode,
    detail: Cow<'static, str>,
    fields: Vec<FieldError>,
    retry_after: Option<u64>,
    extensions: serde_json::Map<String, serde_json::Value>,
    source: Option<BoxError>,
}

impl ServiceError {
    /// An error of `code`, with what went wrong this time.
    pub fn new(code: ErrorCode, detail: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code,
            detail: detail.into(),
            fields: Vec::new(),
            retry_after: None,
            extensions: serde_json::Map::new(),
            source: None,
        }
    }

    /// Adds an extension member to the problem (RFC 9457 §3.2), such as the `agents` of
    /// `member_owns_agents`.
    pub fn with_extension(mut self, name: &str, value: serde_json::Value) -> Self {
        self.extensions.insert(name.to_string(), value);
        self
    }

    /// Lists the invalid fields (for codes other than `validation` that carry them).
    pub fn with_fields(mut self, fields: Vec<FieldError>) -> Self {
        self.fields = fields;
        self
    }

    /// The problem's extension members.
    pub fn extensions(&self) -> &serde_json::Map<String, serde_json::Value> {
        &self.extensions
    }

    /// 401: no valid session, key or token.
    pub fn unauthorized() -> Self {
        Self::new(ErrorCode::Unauthorized, "Authentication required.")
    }

    /// 403: the caller may not do this.
    pub fn not_allowed(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::NotAllowed, detail)
    }

    /// 429: retry after `secs` seconds.
    pub fn rate_limited(secs: u64) -> Self {
        Self {
            retry_after: Some(secs),
            ..Self::new(ErrorCode::RateLimited, format!("Too many requests. Try again in {secs} s."))
        }
    }

    /// 400 listing the invalid fields.
    pub fn validation(fields: Vec<FieldError>) -> Self {
        let detail = fields.iter().map(|f| f.message.as_str()).collect::<Vec<_>>().join(" ");
        Self { fields, ..Self::new(ErrorCode::Validation, detail) }
    }

    /// 400 about one field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError::new(field, message)])
    }

    /// 500: wraps an unexpected error; its cause is logged, never shown.
    pub fn internal(e: impl Into<BoxError>) -> Self {
        Self {
            source: Some(e.into()),
            ..Self::new(ErrorCode::Internal, "Something went wrong on our side. Try again later.")
        }
    }

    /// The catalogue code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// Whether this is `code`.
    pub fn is(&self, code: ErrorCode) -> bool {
        self.code == code
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.code.status()
    }

    /// The problem's `title`.
    pub fn title(&self) -> &'static str {
        self.code.title()
    }

    /// What went wrong, for a person; never internals.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// The invalid fields, for validation errors.
    pub fn fields(&self) -> &[FieldError] {
        &self.fields
    }

    /// Seconds to wait, for 429.
    pub fn retry_after(&self) -> Option<u64> {
        self.retry_after
    }

    /// The logged cause of an internal error.
    pub fn cause(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        self.source.as_deref()
    }
}

impl fmt::Debug for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceError")
            .field("code", &self.code)
            .field("detail", &self.detail)
            .field("fields", &self.fields)
            .field("source", &self.source)
            .finish()
    }
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.detail)
    }
}

impl std::error::Error for ServiceError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        let source: &(dyn std::error::Error + 'static) = self.source.as_deref()?;
        Some(source)
    }
}

impl From<Vec<FieldError>> for ServiceError {
    fn from(fields: Vec<FieldError>) -> Self {
        Self::validation(fields)
    }
}

impl From<sqlx::Error> for ServiceError {
    /// A unique violation of a known constraint is its catalogue conflict (409); anything
    /// else is internal.
    fn from(e: sqlx::Error) -> Self {
        match crate::store::unique_violation(&e) {
            Some(code) => Self::new(code, conflict_detail(code)),
            None => Self::internal(e),
        }
    }
}

/// The words for a conflict the database detected.
fn conflict_detail(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::EmailTaken => "An account with this email already exists.",
        ErrorCode::PublicKeyTaken => "An agent with this public key is already registered.",
        ErrorCode::InvitationPending => "An invitation to this address is already open: resend it instead.",
        ErrorCode::AlreadyMember => "Already a member of this organization.",
        ErrorCode::SlugTaken => "Another agent of this organization has this slug.",
        ErrorCode::TransferPending => "A transfer of this agent is already pending; cancel it first.",
        _ => "The request conflicts with the current state.",
    }
}
