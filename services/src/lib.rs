//! Agentry's services layer: every business rule (accounts, sessions, keys, seats, rate
//! limits, permissions) lives here, once. REST handlers and Leptos server functions are
//! thin adapters over [`Services`].
//!
//! The [`model`] module is plain data and compiles everywhere, the browser included; the
//! rest needs the `server` feature.

pub mod model;

#[cfg(feature = "server")]
mod accounts;
#[cfg(feature = "server")]
mod agents;
#[cfg(feature = "server")]
mod api_keys;
#[cfg(feature = "server")]
mod audit;
#[cfg(feature = "server")]
mod config;
#[cfg(feature = "server")]
mod delegated;
#[cfg(feature = "server")]
mod error;
#[cfg(feature = "server")]
mod invites;
#[cfg(feature = "server")]
pub mod mailer;
#[cfg(feature = "server")]
mod outbox;
#[cfg(feature = "server")]
mod principal;
#[cfg(feature = "server")]
pub mod rate_limit;
#[cfg(feature = "server")]
mod registration;
#[cfg(feature = "server")]
pub mod secrets;
#[cfg(feature = "server")]
mod services;
#[cfg(feature = "server")]
pub mod store;

#[cfg(feature = "server")]
pub use {
    accounts::{NewSession, SESSION_COOKIE},
    config::Config,
    error::{FieldError, ServiceError},
    invites::PendingQuery,
    principal::{Credential, Principal, RequestMeta},
    registration::ip_prefix,
    services::Services,
};
