//! The one error type of the services layer. Each variant names its HTTP status, so
//! adapters translate without deciding anything.

use serde::Serialize;

/// One invalid input field, listed in 400/422 problems.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
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

/// What can go wrong in a use case.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// 400: the input is malformed or breaks a rule; nothing changed.
    #[error("{detail}")]
    Validation { detail: String, fields: Vec<FieldError> },
    /// 400 with a specific code: e.g. a rejected proof-of-work solution.
    #[error("{detail}")]
    BadRequest { code: &'static str, detail: String },
    /// 401: wrong email or password (one answer for both).
    #[error("The email or password is incorrect.")]
    InvalidCredentials,
    /// 401: no valid session or key.
    #[error("Authentication required.")]
    Unauthorized,
    /// 403: authenticated but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// 404: no such object visible to the caller.
    #[error("{0}")]
    NotFound(String),
    /// 409: the request conflicts with the current state.
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
    /// 410: the object existed but has expired.
    #[error("{0}")]
    Gone(String),
    /// 429: too many requests; retry after the given number of seconds.
    #[error("Too many requests. Try again in {retry_after} s.")]
    RateLimited { retry_after: u64 },
    /// 500: a bug or an outage. The cause is logged, never shown.
    #[error("internal error")]
    Internal(#[source] BoxError),
}

/// Any unexpected error, boxed.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

impl ServiceError {
    /// A 400 about one field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        ServiceError::Validation { detail: message.clone(), fields: vec![FieldError::new(field, message)] }
    }

    /// Wraps an unexpected error.
    pub fn internal(e: impl Into<BoxError>) -> Self {
        ServiceError::Internal(e.into())
    }

    /// The HTTP status this error maps to.
    pub fn status(&self) -> u16 {
        match self {
            ServiceError::Validation { .. } | ServiceError::BadRequest { .. } => 400,
            ServiceError::InvalidCredentials | ServiceError::Unauthorized => 401,
            ServiceError::Forbidden(_) => 403,
            ServiceError::NotFound(_) => 404,
            ServiceError::Conflict { .. } => 409,
            ServiceError::Gone(_) => 410,
            ServiceError::RateLimited { .. } => 429,
            ServiceError::Internal(_) => 500,
        }
    }

    /// A short, stable, human title (the problem's `title`).
    pub fn title(&self) -> &'static str {
        match self {
            ServiceError::Validation { .. } | ServiceError::BadRequest { .. } => "Invalid request",
            ServiceError::InvalidCredentials => "Invalid credentials",
            ServiceError::Unauthorized => "Authentication required",
            ServiceError::Forbidden(_) => "Forbidden",
            ServiceError::NotFound(_) => "Not found",
            ServiceError::Conflict { .. } => "Conflict",
            ServiceError::Gone(_) => "Gone",
            ServiceError::RateLimited { .. } => "Too many requests",
            ServiceError::Internal(_) => "Internal server error",
        }
    }

    /// A stable machine-readable code (the last segment of the problem's `type`).
    pub fn code(&self) -> &'static str {
        match self {
            ServiceError::Validation { .. } => "validation",
            ServiceError::BadRequest { code, .. } => code,
            ServiceError::InvalidCredentials => "invalid_credentials",
            ServiceError::Unauthorized => "unauthorized",
            ServiceError::Forbidden(_) => "forbidden",
            ServiceError::NotFound(_) => "not_found",
            ServiceError::Conflict { code, .. } => code,
            ServiceError::Gone(_) => "gone",
            ServiceError::RateLimited { .. } => "rate_limited",
            ServiceError::Internal(_) => "internal",
        }
    }

    /// The invalid fields, for validation errors.
    pub fn fields(&self) -> &[FieldError] {
        match self {
            ServiceError::Validation { fields, .. } => fields,
            _ => &[],
        }
    }
}

impl From<sqlx::Error> for ServiceError {
    fn from(e: sqlx::Error) -> Self {
        ServiceError::internal(e)
    }
}
