use super::*;
use crate::Error;
use chrono::{DateTime, Utc};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

#[test]
fn comparisons_and_literals() {
    assert_eq!(Filter::field("type").eq("task").to_string(), "type eq 'task'");
    assert_eq!(Filter::field("ownerId").eq(7i64).to_string(), "ownerId eq 7");
    assert_eq!(Filter::field("ownerId").ne(-3).to_string(), "ownerId ne -3");
    assert_eq!(Filter::field("enabled").eq(false).to_string(), "enabled eq false");
    assert_eq!(Filter::field("email").is_null().to_string(), "email eq null");
    assert_eq!(Filter::field("email").is_not_null().to_string(), "email ne null");
    assert_eq!(Filter::field("email").eq(None::<&str>).to_string(), "email eq null");
    assert_eq!(Filter::field("email").eq(Some("a@b.c")).to_string(), "email eq 'a@b.c'");
    assert_eq!(Filter::field("id").gt(1u32).to_string(), "id gt 1");
    assert_eq!(Filter::field("id").ge(1).to_string(), "id ge 1");
    assert_eq!(Filter::field("id").lt(9).to_string(), "id lt 9");
    assert_eq!(Filter::field("id").le(9).to_string(), "id le 9");
    assert_eq!(
        Filter::field("createdAt").ge(at("2026-05-01T12:00:00+02:00")).to_string(),
        "createdAt ge 2026-05-01T10:00:00Z"
    );
    assert_eq!(
        Filter::field("createdAt").lt(at("2026-05-01T10:00:00.250Z")).to_string(),
        "createdAt lt 2026-05-01T10:00:00.250Z"
    );
    assert_eq!(Filter::field("name").lower().eq("bob").to_string(), "tolower(name) eq 'bob'");
}

#[test]
fn string_literals_are_quoted_and_quotes_doubled() {
    assert_eq!(Filter::field("name").eq("it's").to_string(), "name eq 'it''s'");
    assert_eq!(Filter::field("name").eq("''").to_string(), "name eq ''''''");
    assert_eq!(Filter::field("name").eq("").to_string(), "name eq ''");
    // Nothing else is special inside quotes: an injection attempt stays one string.
    assert_eq!(Filter::field("name").eq("x' or name ne 'y").to_string(), "name eq 'x'' or name ne ''y'");
    assert_eq!(
        Filter::field("name").contains("O'Brien & co (50%)").to_string(),
        "contains(name,'O''Brien & co (50%)')"
    );
    assert_eq!(Filter::field("slug").starts_with("a'").to_string(), "startswith(slug,'a''')");
    assert_eq!(Filter::field("name").lower().ends_with("ß").to_string(), "endswith(tolower(name),'ß')");
    assert_eq!(Filter::field("status").is_in(["draft", "it's"]).to_string(), "status in ('draft','it''s')");
    assert_eq!(Filter::field("id").is_in([1, 2, 3]).to_string(), "id in (1,2,3)");
}

#[test]
fn connectives_get_the_parentheses_precedence_needs() {
    let f = Filter::field("type").eq("task").and(Filter::field("name").contains("x"));
    assert_eq!(f.to_string(), "type eq 'task' and contains(name,'x')");
    // Chains flatten.
    let f = f.and(Filter::field("enabled").eq(true));
    assert_eq!(f.to_string(), "type eq 'task' and contains(name,'x') and enabled eq true");
    // `or` inside `and` is wrapped; `and` inside `or` needs nothing.
    let either = Filter::field("status").eq("draft").or(Filter::field("status").eq("active"));
    assert_eq!(
        Filter::field("type").eq("task").and(either.clone()).to_string(),
        "type eq 'task' and (status eq 'draft' or status eq 'active')"
    );
    assert_eq!(
        either.clone().or(Filter::field("id").eq(1).and(Filter::field("id").eq(2))).to_string(),
        "status eq 'draft' or status eq 'active' or id eq 1 and id eq 2"
    );
    assert_eq!(either.clone().not().to_string(), "not (status eq 'draft' or status eq 'active')");
    assert_eq!(Filter::field("name").contains("x").not().to_string(), "not (contains(name,'x'))");
    assert_eq!(Filter::field("id").eq(1).not().not().to_string(), "id eq 1");
    // Hand-written text is wrapped whenever it is combined.
    let raw = Filter::raw("status eq 'active' or enabled eq false");
    assert_eq!(raw.to_string(), "status eq 'active' or enabled eq false");
    assert_eq!(
        raw.clone().and(Filter::field("id").gt(3)).to_string(),
        "(status eq 'active' or enabled eq false) and id gt 3"
    );
    assert_eq!(raw.or(Filter::field("id").gt(3)).to_string(), "(status eq 'active' or enabled eq false) or id gt 3");
    assert_eq!(Filter::all([]), None);
    assert_eq!(
        Filter::all([Filter::field("a").eq(1), Filter::field("b").eq(2)]).unwrap().to_string(),
        "a eq 1 and b eq 2"
    );
    assert_eq!(Filter::any([Filter::field("a").eq(1)]).unwrap().to_string(), "a eq 1");
}

#[test]
fn bad_field_names_and_empty_lists_are_refused() {
    for bad in ["", "1id", "name eq 'x' or id", "na-me", "tolower(name)", "näme"] {
        let f = Filter::field(bad).eq("x").and(Filter::field("id").eq(1));
        assert!(f.to_odata().is_err(), "{bad:?}");
        let e = ListOptions::new().filter(f).query_pairs().unwrap_err();
        assert!(matches!(e, Error::InvalidArgument(ref m) if m.starts_with("$filter")), "{e:?}");
    }
    assert!(Filter::field("x").contains("a").not().or(Filter::field("b c").is_null()).to_odata().is_err());
    assert!(Filter::field("status").is_in(Vec::<&str>::new()).to_odata().is_err());
    assert!(Filter::field("_private1").eq(1).to_odata().is_ok());
    let e = ListOptions::new().orderby(OrderBy::asc("name").then_desc("created at")).query_pairs().unwrap_err();
    assert!(matches!(e, Error::InvalidArgument(ref m) if m.starts_with("$orderby")), "{e:?}");
    let e = ListOptions::new().select(["id", "name,secret"]).query_pairs().unwrap_err();
    assert!(matches!(e, Error::InvalidArgument(ref m) if m.starts_with("$select")), "{e:?}");
}

#[test]
fn list_options_become_query_pairs() {
    assert!(ListOptions::new().query_pairs().unwrap().is_empty());
    let pairs = ListOptions::new()
        .filter(Filter::field("type").eq("task"))
        .orderby(OrderBy::desc("updatedAt").then_asc("name"))
        .select(["id", "name", "status"])
        .top(2)
        .skip(4)
        .count(true)
        .email("Bot@Example.com")
        .include_deleted(true)
        .query_pairs()
        .unwrap();
    let expected: Vec<(&str, String)> = vec![
        ("$filter", "type eq 'task'".into()),
        ("$orderby", "updatedAt desc,name asc".into()),
        ("$select", "id,name,status".into()),
        ("$top", "2".into()),
        ("$skip", "4".into()),
        ("$count", "true".into()),
        ("email", "Bot@Example.com".into()),
        ("includeDeleted", "true".into()),
    ];
    assert_eq!(pairs, expected);
    // Raw text passes through untouched (the server reports its errors with positions).
    let pairs = ListOptions::new()
        .filter(Filter::raw("nmae eq 'x'"))
        .orderby(OrderBy::raw("name sideways"))
        .count(false)
        .include_deleted(false)
        .query_pairs()
        .unwrap();
    assert_eq!(pairs, vec![("$filter", "nmae eq 'x'".to_string()), ("$orderby", "name sideways".to_string())]);
}
