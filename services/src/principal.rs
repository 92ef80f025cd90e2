//! Who is asking, and how they proved it.

use crate::model::Role;
use std::net::IpAddr;

/// Facts about the request that rules and the audit log use.
#[derive(Clone, Debug, Default)]
pub struct RequestMeta {
    /// The client's address.
    pub ip: Option<IpAddr>,
    /// The client's User-Agent header.
    pub user_agent: Option<String>,
}

/// How a principal authenticated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Credential {
    /// A browser session (cookie); the session's row id.
    Session(i64),
    /// A user API key; the key's row id.
    ApiKey(i64),
    /// A single-use delegated registration token (`dlg_`); the token's row id. Accepted
    /// only by the registration endpoints.
    Delegated(i64),
}

/// An authenticated user acting in one organization.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// The user.
    pub user_id: i64,
    /// The organization the principal acts in.
    pub org_id: i64,
    /// The user's role there.
    pub role: Role,
    /// How they authenticated.
    pub credential: Credential,
}
