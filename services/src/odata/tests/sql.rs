use super::*;
use crate::odata::sql::prefix_range;

fn text(s: &str) -> SqlValue {
    SqlValue::Text(s.into())
}

#[test]
fn comparisons_bind_their_values_in_storage_form() {
    let f = sqlite("name eq 'x'");
    assert_eq!((f.sql.as_str(), f.binds), ("a.name = $1", vec![text("x")]));
    let f = filter_sql(&parse("id ge 3").unwrap(), Dialect::Postgres, 4);
    assert_eq!((f.sql.as_str(), f.binds), ("a.id >= $4", vec![SqlValue::Int(3)]));
    assert_eq!(sqlite("enabled eq true").binds, vec![SqlValue::Int(1)]);
    assert_eq!(sqlite("enabled ne false").binds, vec![SqlValue::Int(0)]);
    assert_eq!(sqlite("createdAt lt 1970-01-02").binds, vec![SqlValue::Int(86_400_000)]);
    assert_eq!(sqlite("status in ('draft','active')").sql, "a.status IN ($1, $2)");
}

#[test]
fn nulls_follow_odata_two_valued_logic() {
    assert_eq!(sqlite("email eq null").sql, "a.email IS NULL");
    assert_eq!(sqlite("email ne null").sql, "a.email IS NOT NULL");
    assert_eq!(sqlite("tolower(email) eq null").sql, "a.email IS NULL");
    assert_eq!(sqlite("email ne 'x'").sql, "(a.email IS NULL OR a.email <> $1)");
    assert_eq!(sqlite("email eq 'x'").sql, "(a.email IS NOT NULL AND a.email = $1)");
    assert_eq!(sqlite("ownerId gt 3").sql, "(a.owner_id IS NOT NULL AND a.owner_id > $1)");
    assert_eq!(sqlite("ownerId in (1)").sql, "(a.owner_id IS NOT NULL AND a.owner_id IN ($1))");
    assert_eq!(sqlite("not (email eq 'x')").sql, "NOT ((a.email IS NOT NULL AND a.email = $1))");
    assert_eq!(sqlite("name ne 'x'").sql, "a.name <> $1");
}

#[test]
fn text_functions_are_case_insensitive_likes_with_escaped_patterns() {
    let f = sqlite("contains(name,'50%_a\\b')");
    assert_eq!(f.sql, "LOWER(a.name) LIKE $1 ESCAPE '\\'");
    assert_eq!(f.binds, vec![text("%50\\%\\_a\\\\b%")]);
    let f = sqlite("startswith(name,'Bo')");
    assert_eq!(f.sql, "(LOWER(a.name) LIKE $1 ESCAPE '\\' AND a.name >= $2 AND a.name < $3)");
    assert_eq!(f.binds, vec![text("bo%"), text("BO"), text("bp")]);
    // PostgreSQL: no range (its LOWER folds Unicode; its collation may not be bytes).
    let f = filter_sql(&parse("startswith(name,'Bo')").unwrap(), Dialect::Postgres, 1);
    assert_eq!(f.sql, "LOWER(a.name) LIKE $1 ESCAPE '\\'");
    let f = filter_sql_with(&parse("startswith(name,'Bo')").unwrap(), Dialect::Sqlite, 1, false);
    assert_eq!(f.sql, "LOWER(a.name) LIKE $1 ESCAPE '\\'", "a cursor page: no range");
    assert_eq!(sqlite("endswith(name,'x')").sql, "LOWER(a.name) LIKE $1 ESCAPE '\\'", "no range");
    assert_eq!(sqlite("endswith(tolower(name),'Bo')").binds, vec![text("%bo")]);
    assert_eq!(sqlite("contains(email,'x')").sql, "(a.email IS NOT NULL AND LOWER(a.email) LIKE $1 ESCAPE '\\')");
    // SQLite's LOWER folds ASCII only, PostgreSQL's Unicode: the pattern is folded alike.
    let f = parse("contains(name,'ÉA')").unwrap();
    assert_eq!(filter_sql(&f, Dialect::Sqlite, 1).binds, vec![text("%Éa%")]);
    assert_eq!(filter_sql(&f, Dialect::Postgres, 1).binds, vec![text("%éa%")]);
}

#[test]
fn a_prefix_range_holds_every_case_of_the_prefix() {
    let within = |v: &str, p: &str| {
        let (low, high) = prefix_range(&p.to_ascii_lowercase()).unwrap();
        v >= low.as_str() && high.is_none_or(|h| v < h.as_str())
    };
    for (v, p) in [
        ("agent-1", "agent-1"),
        ("AGENT-1x", "agent-1"),
        ("aGeNt-19", "Agent-1"),
        ("ÿz", "ÿ"),
        ("a\u{10FFFF}b", "a\u{10FFFF}"),
    ] {
        assert!(v.to_ascii_lowercase().starts_with(&p.to_ascii_lowercase()));
        assert!(within(v, p), "{v} in the range of {p}");
    }
    assert_eq!(prefix_range(""), None);
    assert_eq!(prefix_range("a\u{10FFFF}"), Some(("A\u{10FFFF}".into(), None)));
    assert_eq!(prefix_range("a\u{D7FF}").unwrap().1.as_deref(), Some("a\u{E000}"), "surrogates skipped");
    assert!(!within("agent-2", "agent-1") && !within("b", "agent"));
}

#[test]
fn tolower_compares_the_value_as_given() {
    let f = sqlite("tolower(name) eq 'Bob'");
    assert_eq!((f.sql.as_str(), f.binds), ("LOWER(a.name) = $1", vec![text("Bob")]));
    assert_eq!(sqlite("tolower(email) ne 'b'").sql, "(a.email IS NULL OR LOWER(a.email) <> $1)");
}

#[test]
fn boolean_structure_is_parenthesised_and_numbered_in_order() {
    let f = sqlite("name eq 'a' or id eq 1 and not contains(slug,'s')");
    assert_eq!(f.sql, "(a.name = $1 OR (a.id = $2 AND NOT (LOWER(a.slug) LIKE $3 ESCAPE '\\')))");
    assert_eq!(f.binds, vec![text("a"), SqlValue::Int(1), text("%s%")]);
    let f = filter_sql(&parse("id in (1,2) and name eq 'q''uote'").unwrap(), Dialect::Postgres, 7);
    assert_eq!(f.sql, "(a.id IN ($7, $8) AND a.name = $9)");
    assert_eq!(f.binds[2], text("q'uote"));
}

#[test]
fn order_always_ends_with_the_id_in_the_last_direction() {
    let o = |s: &str| order_sql(&parse_orderby(s, &AGENTS).unwrap(), &AGENTS);
    assert_eq!(order_sql(&[], &AGENTS), "ORDER BY a.id ASC");
    assert_eq!(o("name"), "ORDER BY a.name ASC, a.id ASC");
    assert_eq!(o("createdAt desc"), "ORDER BY a.created_at DESC, a.id DESC");
    assert_eq!(o("name desc, createdAt asc"), "ORDER BY a.name DESC, a.created_at ASC, a.id ASC");
    assert_eq!(o("deletedAt"), "ORDER BY a.deleted_at ASC NULLS FIRST, a.id ASC");
    assert_eq!(o("deletedAt desc"), "ORDER BY a.deleted_at DESC NULLS LAST, a.id DESC");
}
