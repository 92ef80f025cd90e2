use super::*;

#[test]
fn comparisons_of_every_type_parse() {
    for src in [
        "name eq 'x'",
        "name ne 'x'",
        "name gt 'a'",
        "name ge 'a'",
        "name lt 'a'",
        "name le 'a'",
        "id eq 5",
        "id gt -5",
        "ownerId eq null",
        "email ne null",
        "enabled eq true",
        "enabled ne false",
        "status eq 'active'",
        "type in ('task','workflow')",
        "id in (1,2,3)",
        "createdAt gt 2026-05-01T10:00:00Z",
        "tolower(name) eq 'bob'",
        "tolower(email) in ('a','b')",
    ] {
        assert_eq!(canon(src), src);
    }
}

#[test]
fn the_tree_records_fields_values_and_positions() {
    let Filter::Compare(c) = parse("  tolower(name) ne 'Ann'").unwrap() else { panic!("not a comparison") };
    assert_eq!(c.target.field.name, "name");
    assert!(c.target.lower);
    assert_eq!(c.target.span, Span { start: 2, end: 15 });
    assert_eq!(c.op, CmpOp::Ne);
    assert_eq!(c.value, Literal { value: Value::Text("Ann".into()), span: Span { start: 19, end: 24 } });
}

#[test]
fn not_binds_tighter_than_and_which_binds_tighter_than_or() {
    let f = parse("id eq 1 or id eq 2 and not id eq 3").unwrap();
    let Filter::Or(items) = &f else { panic!("{f:?}") };
    assert_eq!(items.len(), 2);
    let Filter::And(inner) = &items[1] else { panic!("{f:?}") };
    assert!(matches!(inner[1], Filter::Not(..)));
    assert_eq!(f.to_string(), "id eq 1 or id eq 2 and not (id eq 3)");
    assert_eq!(canon("(id eq 1 or id eq 2) and id eq 3"), "(id eq 1 or id eq 2) and id eq 3");
    assert_eq!(canon("not (id eq 1 and id eq 2)"), "not (id eq 1 and id eq 2)");
    assert_eq!(canon("not id eq 1 and id eq 2"), "not (id eq 1) and id eq 2");
    assert_eq!(canon("((id eq 1))"), "id eq 1");
}

#[test]
fn chains_are_flat_but_groups_keep_their_shape() {
    let Filter::And(items) = parse("id eq 1 and id eq 2 and id eq 3").unwrap() else { panic!() };
    assert_eq!(items.len(), 3);
    assert_eq!(canon("(id eq 1 and id eq 2) and id eq 3"), "(id eq 1 and id eq 2) and id eq 3");
    assert_eq!(canon("id eq 1 or (id eq 2 or id eq 3)"), "id eq 1 or (id eq 2 or id eq 3)");
}

#[test]
fn text_functions_and_their_boolean_comparisons() {
    assert_eq!(canon("contains(name,'bot')"), "contains(name,'bot')");
    assert_eq!(canon("startswith( tolower(slug) , 'a' )"), "startswith(tolower(slug),'a')");
    assert_eq!(canon("endswith(status,'ive')"), "endswith(status,'ive')");
    assert_eq!(canon("contains(name,'x') eq true"), "contains(name,'x')");
    assert_eq!(canon("contains(name,'x') ne true"), "not contains(name,'x')");
    assert_eq!(canon("contains(name,'x') eq false and id eq 1"), "not contains(name,'x') and id eq 1");
    assert_eq!(canon("not contains(name,'x')"), "not contains(name,'x')");
}

#[test]
fn literals_are_unescaped_and_normalised() {
    let Filter::Compare(c) = parse("name eq 'it''s ''quoted'''").unwrap() else { panic!() };
    assert_eq!(c.value.value, Value::Text("it's 'quoted'".into()));
    assert_eq!(canon("name eq ''''"), "name eq ''''");
    assert_eq!(canon("name eq ''"), "name eq ''");
    assert_eq!(canon("id eq +7"), "id eq 7");
    assert_eq!(canon("id eq -9223372036854775808"), "id eq -9223372036854775808");
    assert_eq!(canon("id eq 3.000"), "id eq 3");
    assert_eq!(canon("createdAt ge 2026-05-01"), "createdAt ge 2026-05-01T00:00:00Z");
    assert_eq!(canon("createdAt lt 2026-05-01T12:00:00.5+02:00"), "createdAt lt 2026-05-01T10:00:00.500Z");
    assert_eq!(canon("createdAt lt 2026-05-01T10:00:00.123456Z"), "createdAt lt 2026-05-01T10:00:00.123Z");
    assert_eq!(canon("deletedAt eq null"), "deletedAt eq null");
}

#[test]
fn whitespace_does_not_matter() {
    assert_eq!(canon("  name  eq\t'x'\nand(id gt 1)or enabled eq true "), "name eq 'x' and id gt 1 or enabled eq true");
}

#[test]
fn unicode_is_kept_and_positions_are_bytes() {
    assert_eq!(canon("name eq 'héllo ✓ 🦀'"), "name eq 'héllo ✓ 🦀'");
    let e = err("name eq 'é🦀' and nmae eq 'x'");
    assert_eq!(e.position, "name eq 'é🦀' and ".len());
    assert_eq!(e.did_you_mean.as_deref(), Some("name"));
    let e = err("name eq 'é' and ü");
    assert_eq!(e.position, "name eq 'é' and ".len());
    assert!(e.message.contains("`ü`"), "{}", e.message);
}
