use super::*;

#[test]
fn emails_are_normalised_and_checked() {
    assert_eq!(Email::parse("  Ann@Example.COM ").map(|e| e.as_str().to_string()), Ok("ann@example.com".into()));
    for bad in ["", "ann", "@example.com", "ann@", "ann@example", "a b@example.com", "ann@.com", "a@b@c.com"] {
        assert!(Email::parse(bad).is_err(), "{bad} accepted");
    }
    assert!(Email::parse(&format!("{}@example.com", "a".repeat(250))).is_err());
}

#[test]
fn text_lengths_count_characters_after_trimming() {
    assert!(AgentName::parse("   ").is_err());
    assert_eq!(AgentName::parse(" bot ").map(|n| n.as_str().to_string()), Ok("bot".into()));
    assert!(AgentName::parse(&"é".repeat(100)).is_ok());
    assert!(AgentName::parse(&"é".repeat(101)).is_err());
    assert!(Description::parse("").is_ok());
    assert!(Description::parse(&"x".repeat(1000)).is_ok());
    assert!(Description::parse(&"x".repeat(1001)).is_err());
    assert_eq!(NamePrefix::parse_optional(Some("  ")), Ok(None));
    assert!(NamePrefix::parse_optional(Some(&"p".repeat(50))).is_ok());
    assert!(NamePrefix::parse_optional(Some(&"p".repeat(51))).is_err());
    assert_eq!(Reason::parse_optional(None), Ok(None));
    assert_eq!(Reason::parse_optional(Some("")), Ok(None));
    assert!(Reason::parse_optional(Some(&"r".repeat(501))).is_err());
}

#[test]
fn passwords_follow_the_rule_and_never_print() {
    assert!(Password::parse("correct horse").is_ok());
    assert!(Password::parse("short").is_err());
    assert!(Password::parse("aaaaaaaaaaaa").is_err());
    assert!(Password::parse(&"ab".repeat(65)).is_err());
    let p = Password::parse("correct horse").map(|p| format!("{p:?}")).unwrap_or_default();
    assert!(!p.contains("horse"));
}

#[test]
fn public_keys_take_every_base64_form() {
    let k = [7u8; 32];
    let std = base64::engine::general_purpose::STANDARD.encode(k);
    let url = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([0xfbu8; 32]);
    assert_eq!(PublicKey::parse(&std).map(|p| *p.bytes()), Ok(k));
    assert_eq!(PublicKey::parse(std.trim_end_matches('=')).map(|p| *p.bytes()), Ok(k));
    assert!(url.contains('_') || url.contains('-'));
    assert_eq!(PublicKey::parse(&url).map(|p| *p.bytes()), Ok([0xfbu8; 32]));
    assert_eq!(PublicKey::parse(&std).map(|p| p.to_base64()), Ok(std.clone()));
    assert!(PublicKey::parse("AAAA").is_err());
    assert!(PublicKey::parse("not base64!").is_err());
    assert!(PublicKey::parse(&base64::engine::general_purpose::STANDARD.encode([1u8; 33])).is_err());
}

#[test]
fn difficulties_and_ttls_have_ranges() {
    assert_eq!(Difficulty::parse(32).map(Difficulty::bits), Ok(32));
    assert!(Difficulty::parse(33).is_err());
    assert!(Difficulty::parse(-1).is_err());
    assert_eq!(Difficulty::requested(400).map(Difficulty::bits), Ok(32));
    assert!(Difficulty::requested(-1).is_err());
    assert_eq!(TokenTtl::parse(None).map(TokenTtl::seconds), Ok(900));
    assert!(TokenTtl::parse(Some(59)).is_err());
    assert!(TokenTtl::parse(Some(3601)).is_err());
}

#[test]
fn slugs_are_strict_and_made_from_names() {
    assert!(Slug::parse("my-agent-2").is_ok());
    for bad in ["", "-a", "a-", "a--b", "A", "a_b", &"a".repeat(65)] {
        assert!(Slug::parse(bad).is_err(), "{bad} accepted");
    }
    assert_eq!(Slug::from_name("  My Agent: v2! ").as_str(), "my-agent-v2");
    assert_eq!(Slug::from_name("ééé").as_str(), "agent");
    assert!(Slug::parse(Slug::from_name(&"x y ".repeat(40)).as_str()).is_ok());
}

#[test]
fn invite_tokens_have_a_shape() {
    assert!(InviteToken::parse("inv_0123456789abcdef").is_ok());
    assert!(InviteToken::parse("inv_short").is_err());
    assert!(InviteToken::parse("dlg_0123456789abcdef").is_err());
}

#[test]
fn fields_collect_every_error() {
    let mut f = Fields::default();
    let a = f.take("name", AgentName::parse(""));
    let b = f.take("email", Email::parse("x@y.z"));
    let c = f.take("publicKey", PublicKey::parse("nope"));
    assert!(a.is_none() && b.is_some() && c.is_none());
    let errs = f.finish().err().unwrap_or_default();
    assert_eq!(errs.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(), ["name", "publicKey"]);
}
