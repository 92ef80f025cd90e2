//! OpenAPI schemas of request fields, built from the vocabulary's constants so the document
//! states exactly the limits the parsers enforce (used through `#[schema(schema_with = …)]`).
//!
//! Text fields are trimmed before they are counted, so their limits are patterns: any
//! surrounding whitespace, then `MIN..=MAX` characters that start and end with a
//! non-whitespace character. "Whitespace" is spelled out as Rust's `char::is_whitespace`
//! (Unicode `White_Space`), not `\s`, whose meaning differs between regex dialects.

use crate::vocab::{
    AgentName, Description, Difficulty, Email, InviteToken, KeyName, MemberInviteToken, NamePrefix, OrgName, Password,
    PublicKey, Reason, TokenTtl,
};
use utoipa::openapi::schema::{ArrayBuilder, KnownFormat, ObjectBuilder, SchemaFormat, SchemaType, Type};
use utoipa::openapi::{Array, Object};

/// The characters `str::trim` removes (Unicode `White_Space`), for a regex character class.
pub const WHITESPACE: &str = r"\t\n\x0B\f\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";

/// Text whose trimmed length is `min..=max` (`min` is 0 or 1; `max` at least 2).
pub fn trimmed_pattern(min: usize, max: usize) -> String {
    let ws = WHITESPACE;
    let body = format!("[^{ws}](?:[\\s\\S]{{0,{}}}[^{ws}])?", max.saturating_sub(2));
    let body = if min == 0 { format!("(?:{body})?") } else { body };
    format!("^[{ws}]*{body}[{ws}]*$")
}

fn string(nullable: bool) -> ObjectBuilder {
    let t = if nullable { SchemaType::from_iter([Type::String, Type::Null]) } else { SchemaType::new(Type::String) };
    ObjectBuilder::new().schema_type(t)
}

fn trimmed(min: usize, max: usize, nullable: bool, what: &str) -> Object {
    string(nullable)
        .pattern(Some(trimmed_pattern(min, max)))
        .min_length(Some(min))
        .description(Some(format!("{what}: {min} to {max} characters once surrounding whitespace is trimmed.")))
        .build()
}

/// `AgentName`.
pub fn agent_name() -> Object {
    trimmed(AgentName::MIN, AgentName::MAX, false, "Display name")
}

/// `Description` (optional).
pub fn description() -> Object {
    trimmed(Description::MIN, Description::MAX, true, "Optional description")
}

/// `OrgName`.
pub fn org_name() -> Object {
    trimmed(OrgName::MIN, OrgName::MAX, false, "Name of the organization to create, with you as owner")
}

/// `KeyName`.
pub fn key_name() -> Object {
    trimmed(KeyName::MIN, KeyName::MAX, false, "A label to recognise the key by")
}

/// `NamePrefix` (optional; blank means none).
pub fn name_prefix() -> Object {
    trimmed(0, NamePrefix::MAX, true, "Agent names registered with the token must start with this; blank for none")
}

/// `Reason` (optional; blank means none).
pub fn reason() -> Object {
    trimmed(0, Reason::MAX, true, "Why, for the audit log; blank for none")
}

/// The shape `Email::parse` accepts: `local@domain` with a dot inside the domain, no
/// whitespace, one `@`, around it any whitespace.
pub fn email_pattern() -> String {
    let ws = WHITESPACE;
    let part = format!("[^@{ws}]");
    let edge = format!("[^@.{ws}]");
    format!("^[{ws}]*{part}+@{edge}{part}*\\.{part}*{edge}[{ws}]*$")
}

fn email_schema(nullable: bool, what: &str) -> Object {
    string(nullable)
        .pattern(Some(email_pattern()))
        .max_length(Some(Email::MAX))
        .description(Some(format!("{what}. {} At most {} bytes once trimmed.", Email::RULE, Email::MAX)))
        .build()
}

/// `Email`.
pub fn email() -> Object {
    email_schema(false, "Email address; unique, case-insensitive")
}

/// An agent's optional contact address (`null` or blank removes it).
pub fn contact_email() -> Object {
    email_schema(true, "A contact address; null removes it")
}

/// `Slug`: lowercase letters and digits in dash-separated words.
pub fn slug() -> Object {
    string(false)
        .pattern(Some(crate::vocab::Slug::PATTERN.to_string()))
        .max_length(Some(crate::vocab::Slug::MAX))
        .description(Some(crate::vocab::Slug::RULE.to_string()))
        .build()
}

/// An optional `Description` (`null` empties it).
pub fn optional_description() -> Object {
    trimmed(Description::MIN, Description::MAX, true, "Optional description")
}

/// A saved view's name.
pub fn view_name() -> Object {
    trimmed(1, crate::model::VIEW_NAME_MAX, false, "The view's name")
}

/// An optional `Email`.
pub fn owner_email() -> Object {
    email_schema(true, "Only for the invite flow: the address of the human who should own the agent")
}

/// `Password`: the length, and "not a single repeated character" as "two neighbouring
/// characters differ".
pub fn password() -> Object {
    string(false)
        .min_length(Some(Password::MIN))
        .max_length(Some(Password::MAX))
        .pattern(Some(r"([\s\S])(?!\1)[\s\S]"))
        .description(Some(Password::RULE))
        .build()
}

/// `PublicKey`: 32 bytes in base64, standard or URL-safe alphabet (not mixed), padded or
/// not, canonical (the last symbol carries 4 bits, so its 2 low bits are zero).
pub fn public_key() -> Object {
    let ws = WHITESPACE;
    let full = PublicKey::MIN_LEN - 1;
    let last = "[AEIMQUYcgkosw048]";
    let pad = "=?";
    debug_assert_eq!(PublicKey::MAX_LEN, PublicKey::MIN_LEN + pad.len() - 1);
    let pattern = format!("^[{ws}]*(?:[A-Za-z0-9+/]{{{full}}}{last}{pad}|[A-Za-z0-9_-]{{{full}}}{last}{pad})[{ws}]*$");
    string(false).pattern(Some(pattern)).description(Some(PublicKey::RULE)).build()
}

/// `InviteToken`: `inv_` and 16 to 124 more characters (printable ASCII here: longer
/// non-ASCII tokens can exceed the 128-byte limit, and no real token has them).
pub fn invite_token() -> Object {
    emailed_token(InviteToken::PREFIX, "The `inv_…` token from the invite email.")
}

/// `MemberInviteToken`.
pub fn member_invite_token() -> Object {
    emailed_token(MemberInviteToken::PREFIX, "The `mbr_…` token from the invitation email.")
}

fn emailed_token(prefix: &str, description: &str) -> Object {
    let ws = WHITESPACE;
    let pattern = format!("^[{ws}]*{prefix}[!-~]{{16,{}}}[{ws}]*$", 128 - prefix.len());
    string(false).pattern(Some(pattern)).description(Some(description)).build()
}

/// A challenge id: a UUID.
pub fn challenge_id() -> Object {
    string(false).format(Some(SchemaFormat::Custom("uuid".into()))).description(Some("The challenge's `id`.")).build()
}

/// A solution's nonces: canonical decimal `u64` strings (the pattern leaves out the
/// largest 20-digit ones, which no solver needs).
pub fn nonces() -> Array {
    let nonce = string(false).pattern(Some("^(?:0|[1-9][0-9]{0,18}|1[0-7][0-9]{18})$"));
    ArrayBuilder::new().items(nonce).description(Some("Decimal u64 strings, no leading zeros.")).build()
}

fn integer(min: i64, max: Option<i64>, nullable: bool) -> ObjectBuilder {
    let t = if nullable { SchemaType::from_iter([Type::Integer, Type::Null]) } else { SchemaType::new(Type::Integer) };
    ObjectBuilder::new()
        .schema_type(t)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .minimum(Some(min))
        .maximum(max)
}

/// A requested difficulty: non-negative; larger values are capped.
pub fn requested_difficulty() -> Object {
    integer(i64::from(Difficulty::MIN), None, false)
        .description(Some(format!(
            "Requested difficulty (leading zero bits); capped at {} and clamped by the server.",
            Difficulty::MAX
        )))
        .build()
}

/// `Difficulty` as a cap.
pub fn max_difficulty() -> Object {
    integer(i64::from(Difficulty::MIN), Some(i64::from(Difficulty::MAX)), true)
        .description(Some("Largest challenge difficulty the token accepts."))
        .build()
}

/// `TokenTtl`.
pub fn ttl_seconds() -> Object {
    integer(TokenTtl::MIN, Some(TokenTtl::MAX), true)
        .description(Some(format!("Lifetime in seconds (default {}).", TokenTtl::DEFAULT)))
        .build()
}
