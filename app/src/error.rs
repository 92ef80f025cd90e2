//! The error type of every server function: the services layer's stable code and message,
//! carried to the browser so the UI can say exactly what went wrong.

use agentry_services::ErrorCode;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};
use std::fmt;

/// An error returned by a server function.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AppError {
    /// A rule or storage error from the services layer, as it decided it.
    Service {
        /// HTTP status the services layer chose (400, 401, 409, 429, …).
        status: u16,
        /// The catalogue code, e.g. `email_taken`, `no_free_seat`, `rate_limited`.
        code: ErrorCode,
        /// Human message from the services layer; never contains internals.
        message: String,
        /// Invalid input fields, `(field, message)`, for validation errors.
        fields: Vec<(String, String)>,
        /// Seconds to wait, for `rate_limited`.
        retry_after: Option<u64>,
        /// The agents an error names, `(id, name)`: those a member still owns, for
        /// `member_owns_agents`.
        #[serde(default)]
        agents: Vec<(i64, String)>,
    },
    /// The request never reached the function, or its answer could not be read.
    Transport(String),
}

impl AppError {
    /// The catalogue code of a services error; `None` when the server was not reached.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            AppError::Service { code, .. } => Some(*code),
            AppError::Transport(_) => None,
        }
    }

    /// The HTTP status of a services error.
    pub fn status(&self) -> Option<u16> {
        match self {
            AppError::Service { status, .. } => Some(*status),
            AppError::Transport(_) => None,
        }
    }

    /// What to tell the user, in one sentence.
    pub fn user_message(&self) -> String {
        match self {
            AppError::Service { code, message, retry_after, .. } => match code {
                ErrorCode::InvalidCredentials => "That email and password don't match an account.".into(),
                ErrorCode::EmailTaken => "That email is already registered. Log in instead?".into(),
                ErrorCode::RateLimited => match retry_after {
                    Some(s) => format!("Too many attempts, try again in {s} s."),
                    None => "Too many attempts, try again shortly.".into(),
                },
                ErrorCode::Unauthorized => "Your session has ended. Please log in again.".into(),
                ErrorCode::MemberOwnsAgents => {
                    "This member still owns agents: choose who takes them over, then remove the member.".into()
                }
                ErrorCode::Internal => "Something went wrong on our side. Please try again.".into(),
                _ => message.clone(),
            },
            AppError::Transport(_) => "Could not reach the server. Check your connection and try again.".into(),
        }
    }

    /// The agents the error names (`member_owns_agents`: the ones to reassign first).
    pub fn agents(&self) -> &[(i64, String)] {
        match self {
            AppError::Service { agents, .. } => agents,
            AppError::Transport(_) => &[],
        }
    }

    /// Every invalid field `(field, message)` the services layer listed.
    pub fn fields(&self) -> &[(String, String)] {
        match self {
            AppError::Service { fields, .. } => fields,
            AppError::Transport(_) => &[],
        }
    }

    /// The message for one input field, if the services layer flagged it.
    pub fn field_message(&self, field: &str) -> Option<String> {
        match self {
            AppError::Service { fields, .. } => fields.iter().find(|(f, _)| f == field).map(|(_, m)| m.clone()),
            AppError::Transport(_) => None,
        }
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppError::Service { code, message, .. } => write!(f, "{code}: {message}"),
            AppError::Transport(m) => write!(f, "transport: {m}"),
        }
    }
}

impl std::error::Error for AppError {}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport(value.to_string())
    }
}

impl From<Vec<agentry_services::FieldError>> for AppError {
    /// Fields the page itself found invalid, with the same rules the services apply.
    fn from(fields: Vec<agentry_services::FieldError>) -> Self {
        let message = fields.iter().map(|f| f.message.as_str()).collect::<Vec<_>>().join(" ");
        AppError::Service {
            status: ErrorCode::Validation.status(),
            code: ErrorCode::Validation,
            message,
            fields: fields.into_iter().map(|f| (f.field, f.message)).collect(),
            retry_after: None,
            agents: Vec::new(),
        }
    }
}

#[cfg(feature = "ssr")]
impl From<agentry_services::ServiceError> for AppError {
    fn from(e: agentry_services::ServiceError) -> Self {
        if let Some(source) = e.cause() {
            tracing::error!(error = %source, "server function failed");
        }
        AppError::Service {
            status: e.status(),
            code: e.code(),
            message: e.detail().to_string(),
            fields: e.fields().iter().map(|f| (f.field.clone(), f.message.clone())).collect(),
            retry_after: e.retry_after(),
            agents: named_agents(e.extensions()),
        }
    }
}

/// The `agents` extension of a services error (`[{"id": 1, "name": "…"}]`), if any.
#[cfg(feature = "ssr")]
fn named_agents(extensions: &serde_json::Map<String, serde_json::Value>) -> Vec<(i64, String)> {
    let Some(serde_json::Value::Array(agents)) = extensions.get("agents") else {
        return Vec::new();
    };
    agents.iter().filter_map(|a| Some((a.get("id")?.as_i64()?, a.get("name")?.as_str()?.to_string()))).collect()
}
