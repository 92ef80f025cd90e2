//! Who is asking, and how they proved it: the credential a request presents (parsed in
//! one place for REST and server functions) and the principal it authenticates as.

use crate::model::Role;
use crate::secrets;
use std::net::IpAddr;

/// Facts about the request that rules and the audit log use.
#[derive(Clone, Debug, Default)]
pub struct RequestMeta {
    /// The client's address.
    pub ip: Option<IpAddr>,
    /// The client's User-Agent header.
    pub user_agent: Option<String>,
}

/// What a delegated registration token (`dlg_`) allows, read with the token itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DelegatedScope {
    /// The token's row id.
    pub id: i64,
    /// Agent names must start with this.
    pub name_prefix: Option<String>,
    /// The hardest challenge it may ask for.
    pub max_difficulty: Option<u8>,
}

/// How a principal authenticated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credential {
    /// A browser session (cookie); the session's row id.
    Session(i64),
    /// A user API key; the key's row id.
    ApiKey(i64),
    /// A single-use delegated registration token, accepted only by the registration
    /// endpoints.
    Delegated(DelegatedScope),
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

impl Principal {
    /// The delegated token's scope, when the principal is one.
    pub fn delegated(&self) -> Option<&DelegatedScope> {
        match &self.credential {
            Credential::Delegated(scope) => Some(scope),
            _ => None,
        }
    }
}

/// The raw credential a request carries, in order of precedence: `Authorization: Bearer`,
/// `X-API-Key`, then the session cookie. Its `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub enum Presented {
    /// A bearer token or API key header: `uak_`, `agk_` or `dlg_`.
    Key(String),
    /// The session cookie.
    Session(String),
}

impl std::fmt::Debug for Presented {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Presented::Key(_) => "Presented::Key(…)",
            Presented::Session(_) => "Presented::Session(…)",
        })
    }
}

impl Presented {
    /// Finds the credential in a request's headers, if any.
    pub fn from_headers(h: &http::HeaderMap) -> Option<Self> {
        if let Some(v) = h.get(http::header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
            let token = v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")).unwrap_or("").trim();
            return Some(Presented::Key(token.to_string()));
        }
        if let Some(v) = h.get("x-api-key").and_then(|v| v.to_str().ok()) {
            return Some(Presented::Key(v.trim().to_string()));
        }
        h.get_all(http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, value)| *name == crate::SESSION_COOKIE && !value.is_empty())
            .map(|(_, value)| Presented::Session(value.to_string()))
    }

    /// Whether this is an agent's `agk_` key.
    pub fn is_agent_key(&self) -> bool {
        matches!(self, Presented::Key(k) if k.starts_with(secrets::AGENT_KEY_PREFIX))
    }

    /// Whether this is a delegated `dlg_` token.
    pub fn is_delegated(&self) -> bool {
        matches!(self, Presented::Key(k) if k.starts_with(secrets::DELEGATED_PREFIX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        for (k, v) in pairs {
            if let Ok(v) = http::HeaderValue::from_str(v) {
                h.append(*k, v);
            }
        }
        h
    }

    #[test]
    fn bearer_beats_api_key_beats_cookie() {
        let all =
            headers(&[("authorization", "Bearer uak_a"), ("x-api-key", "uak_b"), ("cookie", "agentry_session=s")]);
        assert_eq!(Presented::from_headers(&all), Some(Presented::Key("uak_a".into())));
        let key = headers(&[("x-api-key", " agk_b "), ("cookie", "agentry_session=s")]);
        assert_eq!(Presented::from_headers(&key), Some(Presented::Key("agk_b".into())));
        assert!(Presented::from_headers(&key).is_some_and(|p| p.is_agent_key()));
        let cookie = headers(&[("cookie", "theme=dark; agentry_session=s1")]);
        assert_eq!(Presented::from_headers(&cookie), Some(Presented::Session("s1".into())));
        assert_eq!(Presented::from_headers(&headers(&[("cookie", "agentry_session=")])), None);
        assert_eq!(format!("{:?}", Presented::Key("uak_secret".into())), "Presented::Key(…)");
    }
}
