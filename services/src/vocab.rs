//! The typed vocabulary: every input value Agentry accepts, parsed once at the edge into a
//! type that cannot hold an invalid value. Compiled for the server and the browser, so the
//! pages validate with exactly the code the services use (and the OpenAPI schemas state the
//! same limits, from the same constants).

use crate::errors::FieldError;
use base64::Engine;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a raw value was refused. The caller knows which field it came from: [`Invalid::at`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Invalid(pub &'static str);

impl Invalid {
    /// The field error for `field`.
    pub fn at(self, field: &str) -> FieldError {
        FieldError::new(field, self.0)
    }
}

/// One field, parsed: its value, or the field's error (for a request of one field).
pub fn field<T>(name: &str, parsed: Result<T, Invalid>) -> Result<T, Vec<FieldError>> {
    parsed.map_err(|e| vec![e.at(name)])
}

/// Collects field errors while a request is parsed, so one answer lists them all.
#[derive(Debug, Default)]
pub struct Fields(pub Vec<FieldError>);

impl Fields {
    /// Keeps the value, or records the field's error.
    pub fn take<T>(&mut self, field: &str, parsed: Result<T, Invalid>) -> Option<T> {
        parsed.map_err(|e| self.0.push(e.at(field))).ok()
    }

    /// The errors, if any.
    pub fn finish(self) -> Result<(), Vec<FieldError>> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self.0)
        }
    }
}

/// Trimmed text of `min..=max` characters.
fn bounded(raw: &str, min: usize, max: usize, why: &'static str) -> Result<String, Invalid> {
    let s = raw.trim();
    let n = s.chars().count();
    if (min..=max).contains(&n) {
        Ok(s.to_string())
    } else {
        Err(Invalid(why))
    }
}

/// `as_str`, `Display` and the serde conversions of a string value with a `parse`.
macro_rules! string_value {
    ($name:ident) => {
        impl $name {
            /// The value.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = &'static str;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::parse(&s).map_err(|e| e.0)
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

macro_rules! text {
    ($(#[$doc:meta])* $name:ident, $min:expr, $max:expr, $why:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Fewest characters (after trimming).
            pub const MIN: usize = $min;
            /// Most characters (after trimming).
            pub const MAX: usize = $max;
            /// The rule, in words.
            pub const RULE: &'static str = $why;

            /// Trims and checks the length.
            pub fn parse(raw: &str) -> Result<Self, Invalid> {
                bounded(raw, $min, $max, $why).map($name)
            }
        }

        string_value!($name);
    };
}

text!(
    /// An agent's display name.
    AgentName, 1, 100, "The agent name must be 1 to 100 characters."
);
text!(
    /// An agent's description (may be empty).
    Description, 0, 1000, "The description must be at most 1000 characters."
);
text!(
    /// An organization's display name.
    OrgName, 1, 100, "The organization name must be 1 to 100 characters."
);
text!(
    /// A user API key's label.
    KeyName, 1, 100, "The key name must be 1 to 100 characters."
);
text!(
    /// The name prefix a delegated token binds registrations to.
    NamePrefix, 1, 50, "namePrefix must be at most 50 characters."
);
text!(
    /// Why an invite was cancelled or an agent revoked, for the audit log.
    Reason, 1, 500, "The reason must be at most 500 characters."
);

impl NamePrefix {
    /// Blank means no prefix.
    pub fn parse_optional(raw: Option<&str>) -> Result<Option<Self>, Invalid> {
        optional(raw, Self::parse)
    }
}

impl Reason {
    /// Blank means no reason: a reason is always optional.
    pub fn parse_optional(raw: Option<&str>) -> Result<Option<Self>, Invalid> {
        optional(raw, Self::parse)
    }
}

fn optional<T>(raw: Option<&str>, parse: fn(&str) -> Result<T, Invalid>) -> Result<Option<T>, Invalid> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => parse(s).map(Some),
        None => Ok(None),
    }
}

/// An email address, trimmed and lower-cased.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// Most characters.
    pub const MAX: usize = 254;
    /// The rule, in words.
    pub const RULE: &'static str = "Enter a valid email address, like name@example.com.";

    /// Trims, lower-cases and checks the shape `local@domain.tld`.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let email = raw.trim().to_lowercase();
        let valid = email.len() <= Self::MAX
            && !email.chars().any(char::is_whitespace)
            && email.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains('@')
            });
        if valid {
            Ok(Email(email))
        } else {
            Err(Invalid(Self::RULE))
        }
    }
}

string_value!(Email);

/// A password that meets [`Password::RULE`]. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Fewest characters.
    pub const MIN: usize = 10;
    /// Most characters.
    pub const MAX: usize = 128;
    /// The rule, in words.
    pub const RULE: &'static str =
        "Passwords must be 10 to 128 characters long and must not consist of a single repeated character.";

    /// Checks the rule; the password is not trimmed.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let n = raw.chars().count();
        let mut chars = raw.chars();
        let first = chars.next();
        if (Self::MIN..=Self::MAX).contains(&n) && !chars.all(|c| Some(c) == first) {
            Ok(Password(raw.to_string()))
        } else {
            Err(Invalid(Self::RULE))
        }
    }

    /// The password.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(…)")
    }
}

/// An Ed25519 public key: 32 bytes, given in base64 (standard or URL-safe alphabet,
/// padded or not).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PublicKey([u8; 32]);

impl PublicKey {
    /// The rule, in words.
    pub const RULE: &'static str = "The public key must be a base64 Ed25519 key (32 bytes).";
    /// Shortest accepted text (43 symbols, unpadded).
    pub const MIN_LEN: usize = 43;
    /// Longest accepted text (44 with padding), before trimming.
    pub const MAX_LEN: usize = 44;
    /// The accepted text, as a regular expression.
    pub const PATTERN: &'static str = r"^\s*[A-Za-z0-9+/_-]{43}=?\s*$";

    /// Decodes base64 in any of the accepted forms.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
        let raw = raw.trim();
        let bytes = [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD].iter().find_map(|e| e.decode(raw).ok());
        bytes.and_then(|b| <[u8; 32]>::try_from(b).ok()).map(PublicKey).ok_or(Invalid(Self::RULE))
    }

    /// The raw key.
    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Canonical text: standard base64 with padding (44 characters).
    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.0)
    }
}

/// Proof-of-work difficulty: leading zero bits, `0..=32`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Difficulty(u8);

impl Difficulty {
    /// The easiest difficulty.
    pub const MIN: u8 = 0;
    /// The hardest difficulty the protocol allows.
    pub const MAX: u8 = 32;

    /// A difficulty within `0..=32`.
    pub fn parse(raw: i64) -> Result<Self, Invalid> {
        u8::try_from(raw)
            .ok()
            .filter(|d| *d <= Self::MAX)
            .map(Difficulty)
            .ok_or(Invalid("The difficulty must be between 0 and 32."))
    }

    /// A requested difficulty: any non-negative number, capped at 32 (the server clamps
    /// it further).
    pub fn requested(raw: i64) -> Result<Self, Invalid> {
        if raw < 0 {
            return Err(Invalid("The difficulty must be a non-negative integer."));
        }
        Ok(Difficulty(u8::try_from(raw).unwrap_or(Self::MAX).min(Self::MAX)))
    }

    /// The number of bits.
    pub fn bits(self) -> u8 {
        self.0
    }
}

/// A delegated token's lifetime in seconds: `60..=3600`, 900 by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenTtl(i64);

impl TokenTtl {
    /// Shortest.
    pub const MIN: i64 = 60;
    /// Longest.
    pub const MAX: i64 = 3600;
    /// When none is given.
    pub const DEFAULT: i64 = 900;

    /// Checks the range; `None` is the default.
    pub fn parse(raw: Option<i64>) -> Result<Self, Invalid> {
        let ttl = raw.unwrap_or(Self::DEFAULT);
        if (Self::MIN..=Self::MAX).contains(&ttl) {
            Ok(TokenTtl(ttl))
        } else {
            Err(Invalid("ttlSeconds must be between 60 and 3600."))
        }
    }

    /// Seconds.
    pub fn seconds(self) -> i64 {
        self.0
    }
}

/// A URL-friendly identifier: lowercase letters, digits and single hyphens, 1 to 64
/// characters, starting and ending with a letter or digit.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Slug(String);

impl Slug {
    /// Most characters.
    pub const MAX: usize = 64;
    /// The accepted text, as a regular expression.
    pub const PATTERN: &'static str = "^[a-z0-9]+(-[a-z0-9]+)*$";
    /// The rule, in words.
    pub const RULE: &'static str =
        "A slug is 1 to 64 lowercase letters, digits and single hyphens, starting and ending with a letter or digit.";

    /// Checks the rule (no normalisation: a slug is typed exactly).
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let ok = !raw.is_empty()
            && raw.len() <= Self::MAX
            && raw
                .split('-')
                .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
        if ok {
            Ok(Slug(raw.to_string()))
        } else {
            Err(Invalid(Self::RULE))
        }
    }

    /// A slug made from a name: ASCII letters and digits kept (lower-cased), everything
    /// else a single hyphen; `agent` when nothing is left.
    pub fn from_name(name: &str) -> Self {
        let mut out = String::new();
        for c in name.chars() {
            if c.is_ascii_alphanumeric() {
                out.push(c.to_ascii_lowercase());
            } else if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
        }
        out.truncate(Self::MAX);
        let out = out.trim_end_matches('-');
        Slug(if out.is_empty() { "agent".to_string() } else { out.to_string() })
    }
}

string_value!(Slug);

/// A secret token from an email link: a fixed prefix and 16 to 124 more visible ASCII
/// characters. Only its shape is checked here; the token itself is checked against storage.
macro_rules! emailed_token {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            /// The prefix every such token has.
            pub const PREFIX: &'static str = $prefix;

            /// Checks the shape.
            pub fn parse(raw: &str) -> Result<Self, Invalid> {
                let t = raw.trim();
                if t.starts_with(Self::PREFIX) && t.len() >= Self::PREFIX.len() + 16 && t.len() <= 128 {
                    Ok($name(t.to_string()))
                } else {
                    Err(Invalid(concat!("The ", $what, " token is missing or malformed (", $prefix, "…).")))
                }
            }

            /// The token.
            pub fn expose(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "(…)"))
            }
        }
    };
}

emailed_token!(
    /// An agent invite token: `inv_…`.
    InviteToken, "inv_", "invite"
);
emailed_token!(
    /// A member invitation token: `mbr_…`.
    MemberInviteToken, "mbr_", "invitation"
);

#[cfg(test)]
#[path = "vocab_tests.rs"]
mod tests;
