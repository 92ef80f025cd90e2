//! Agentry's services layer: every business rule (accounts, sessions, keys, seats, rate
//! limits, permissions) lives here, once. REST handlers and Leptos server functions are
//! thin adapters over [`Services`].
//!
//! Compiled everywhere, the browser included: the typed vocabulary ([`vocab`], [`states`]),
//! the request parsers ([`inputs`]), the error catalogue ([`errors`]) and the wire types
//! ([`model`]). The rest needs the `server` feature.

pub mod catalog;
pub mod definition;
pub mod errors;
pub mod inputs;
pub mod model;
pub mod odata;
/// OpenAPI schemas of request fields, from the vocabulary's constants.
#[cfg(feature = "server")]
pub mod schemas;
pub mod states;
pub mod vocab;

#[cfg(feature = "server")]
mod accounts;
#[cfg(feature = "server")]
mod agents;
#[cfg(feature = "server")]
mod api_keys;
#[cfg(feature = "server")]
mod audit;
#[cfg(feature = "server")]
mod challenges;
#[cfg(feature = "server")]
pub mod clock;
#[cfg(feature = "server")]
mod config;
#[cfg(feature = "server")]
mod credentials;
#[cfg(feature = "server")]
mod delegated;
#[cfg(feature = "server")]
mod error;
#[cfg(feature = "server")]
pub mod idempotency;
#[cfg(feature = "server")]
mod invitations;
#[cfg(feature = "server")]
mod invites;
#[cfg(feature = "server")]
mod listing;
#[cfg(feature = "server")]
pub mod mailer;
#[cfg(feature = "server")]
mod members;
#[cfg(feature = "server")]
pub mod metrics;
#[cfg(feature = "server")]
mod organizations;
#[cfg(feature = "server")]
mod outbox;
#[cfg(feature = "server")]
mod plans;
#[cfg(feature = "server")]
mod principal;
#[cfg(feature = "server")]
mod rate_limit;
#[cfg(feature = "server")]
mod registration;
#[cfg(feature = "server")]
pub mod runs;
#[cfg(feature = "server")]
mod saved_views;
#[cfg(feature = "server")]
pub mod seats;
#[cfg(feature = "server")]
pub mod secrets;
#[cfg(feature = "server")]
mod security;
#[cfg(feature = "server")]
mod services;
#[cfg(feature = "server")]
pub mod store;

pub use errors::{ErrorCode, FieldError};
pub use states::{may_change_role, may_remove};

#[cfg(feature = "server")]
pub use {
    accounts::{NewSession, SESSION_COOKIE},
    agents::{
        if_match_revisions, AgentView, View, ACCESS_USERS_MAX, TRANSFER_MESSAGE_MAX, TRANSFER_TTL_MS, VERSION_NAME_MAX,
        VERSION_NOTES_MAX,
    },
    audit::{AuditFilterText, AuditQuery, AUDIT_DEFAULT_TOP, AUDIT_MAX_TOP},
    challenges::ip_prefix,
    clock::Clock,
    config::Config,
    credentials::Authenticated,
    error::ServiceError,
    idempotency::IdempotencyKey,
    invites::PendingQuery,
    organizations::OrganizationChanges,
    plans::{Plan, PlanRequest},
    principal::{Credential, DelegatedScope, Presented, Principal, RequestMeta},
    registration::Registration,
    services::Services,
};
