//! Request bodies parsed into typed inputs: what every adapter (REST handler, server
//! function, browser page) calls before anything else, so all of them accept exactly the
//! same values. Each `parse` lists every invalid field at once.

use crate::errors::FieldError;
use crate::model::{AgentRegistrationRequest, DelegatedTokenRequest};
use crate::vocab::{
    AgentName, Description, Difficulty, Email, Fields, Invalid, NamePrefix, OrgName, Password, PublicKey, TokenTtl,
};

/// A sign-up: the account and its first organization.
#[derive(Clone, Debug)]
pub struct SignUp {
    /// The login.
    pub email: Email,
    /// The password.
    pub password: Password,
    /// The organization to create.
    pub organization: OrgName,
}

impl SignUp {
    /// Parses the three fields (`email`, `password`, `organization`).
    pub fn parse(email: &str, password: &str, organization: &str) -> Result<Self, Vec<FieldError>> {
        let mut f = Fields::default();
        let email = f.take("email", Email::parse(email));
        let organization = f.take("organization", OrgName::parse(organization));
        let password = f.take("password", Password::parse(password));
        f.finish()?;
        match (email, password, organization) {
            (Some(email), Some(password), Some(organization)) => Ok(SignUp { email, password, organization }),
            _ => Err(Vec::new()),
        }
    }
}

/// The agent-describing part of a registration (the challenge and solution are checked
/// by the server).
#[derive(Clone, Debug)]
pub struct AgentIdentity {
    /// Display name.
    pub name: AgentName,
    /// Description (may be empty).
    pub description: Description,
    /// The Ed25519 public key.
    pub public_key: PublicKey,
    /// For the invite flow: who should own it.
    pub owner_email: Option<Email>,
}

impl AgentIdentity {
    /// Parses `name`, `description`, `publicKey` and `ownerEmail` of a registration.
    pub fn parse(req: &AgentRegistrationRequest) -> Result<Self, Vec<FieldError>> {
        let mut f = Fields::default();
        let name = f.take("name", AgentName::parse(&req.name));
        let description = f.take("description", Description::parse(req.description.as_deref().unwrap_or("")));
        let public_key = f.take("publicKey", PublicKey::parse(&req.public_key));
        let owner_email = f.take("ownerEmail", req.owner_email.as_deref().map(Email::parse).transpose());
        f.finish()?;
        match (name, description, public_key, owner_email) {
            (Some(name), Some(description), Some(public_key), Some(owner_email)) => {
                Ok(AgentIdentity { name, description, public_key, owner_email })
            }
            _ => Err(Vec::new()),
        }
    }
}

/// What a delegated registration token allows.
#[derive(Clone, Debug)]
pub struct DelegatedTokenSpec {
    /// Agent names must start with this.
    pub name_prefix: Option<NamePrefix>,
    /// The hardest challenge the token may ask for.
    pub max_difficulty: Option<Difficulty>,
    /// Lifetime.
    pub ttl: TokenTtl,
}

impl DelegatedTokenSpec {
    /// Parses `namePrefix`, `maxDifficulty` and `ttlSeconds`.
    pub fn parse(req: &DelegatedTokenRequest) -> Result<Self, Vec<FieldError>> {
        let mut f = Fields::default();
        let ttl = f.take("ttlSeconds", TokenTtl::parse(req.ttl_seconds));
        let name_prefix = f.take("namePrefix", NamePrefix::parse_optional(req.name_prefix.as_deref()));
        let max_difficulty = f.take(
            "maxDifficulty",
            req.max_difficulty
                .map(|d| Difficulty::parse(d).map_err(|_| Invalid("maxDifficulty must be between 0 and 32.")))
                .transpose(),
        );
        f.finish()?;
        match (name_prefix, max_difficulty, ttl) {
            (Some(name_prefix), Some(max_difficulty), Some(ttl)) => {
                Ok(DelegatedTokenSpec { name_prefix, max_difficulty, ttl })
            }
            _ => Err(Vec::new()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_invalid_field_is_listed() {
        let errs = SignUp::parse("nope", "short", "").err().unwrap_or_default();
        let fields: Vec<_> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["email", "organization", "password"]);
        let req = AgentRegistrationRequest {
            name: "x".repeat(101),
            public_key: "AAAA".into(),
            owner_email: Some("bad".into()),
            ..Default::default()
        };
        let errs = AgentIdentity::parse(&req).err().unwrap_or_default();
        assert_eq!(errs.len(), 3);
        let spec = DelegatedTokenRequest { name_prefix: Some(" ".into()), max_difficulty: Some(33), ttl_seconds: None };
        let errs = DelegatedTokenSpec::parse(&spec).err().unwrap_or_default();
        assert_eq!(errs.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(), ["maxDifficulty"]);
    }
}
