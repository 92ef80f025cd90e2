//! A typed client for Agentry's agent directory (`/api/v1/agents`, seed 002's
//! `AgentsClient`).
//!
//! - [`ClientOptions`]: `api_key` (a user API key, `uak_…`), `base_url`, `timeout`,
//!   `max_retries`, `retry_backoff`.
//! - [`retry`]: only idempotent requests are retried (`GET`, `PUT`, `DELETE`; `PATCH` with
//!   `If-Match`; `POST` with an `Idempotency-Key`), after timeouts, broken connections,
//!   408, 429 and 5xx, with exponential backoff and jitter, never sooner than `Retry-After`.
//! - [`Error`]: one variant per kind of problem the server answers with
//!   (`Authentication`, `NotFound`, `Validation` with its fields, `Conflict`,
//!   `PreconditionFailed`, `RateLimited`, `Server`, …), each carrying the RFC 9457
//!   [`Problem`].
//! - [`odata`]: `$filter`, `$orderby`, `$select`, `$top`, `$skip` and `$count` as builders,
//!   with string literals quoted and escaped.
//! - [`AgentsClient`]: list (one page, or every page with [`AgentPager`]), get, create,
//!   update (merge patch), activate, deactivate, delete and deploy.

mod agents;
mod error;
mod model;
pub mod odata;
mod options;
pub mod retry;
mod transport;
#[cfg(test)]
mod transport_tests;

pub use agents::{AgentPager, AgentsClient};
pub use error::{Error, FieldError, Problem};
pub use model::{
    Agent, AgentPage, AgentPatch, AgentSource, AgentStatus, AgentType, CreateAgent, DeployRequest, RegistrationState,
    Tagged,
};
pub use options::{ClientOptions, RetryBackoff, DEFAULT_BASE_URL};
