use super::*;

fn after(order: &str, last: &[SqlValue], id: i64) -> SqlFragment {
    let keys = if order.is_empty() { Vec::new() } else { parse_orderby(order, &AGENTS).unwrap() };
    after_sql(&keys, &AGENTS, last, id, Dialect::Sqlite, 3)
}

#[test]
fn no_keys_pages_by_id() {
    let f = after("", &[], 9);
    assert_eq!((f.sql.as_str(), f.binds), ("((a.id > $3))", vec![SqlValue::Int(9)]));
}

#[test]
fn each_key_adds_a_tier_and_the_id_breaks_ties() {
    let f = after("name, createdAt desc", &[SqlValue::Text("bob".into()), SqlValue::Int(5)], 9);
    assert_eq!(
        f.sql,
        "a.name >= $3 AND ((a.name > $4) OR (a.name = $5 AND a.created_at < $6) OR (a.name = $7 AND a.created_at = $8 AND a.id < $9))"
    );
    let t = SqlValue::Text("bob".into());
    let binds = vec![t.clone(), t.clone(), t.clone(), SqlValue::Int(5), t, SqlValue::Int(5), SqlValue::Int(9)];
    assert_eq!(f.binds, binds);
    // Descending: the range is an upper bound.
    let f = after("name desc", &[SqlValue::Text("bob".into())], 9);
    assert_eq!(f.sql, "a.name <= $3 AND ((a.name < $4) OR (a.name = $5 AND a.id < $6))");
}

#[test]
fn nulls_are_the_smallest_value_in_both_directions() {
    // Ascending, NULLs first: after a NULL come all non-NULLs, then NULLs with a larger id.
    let f = after("deletedAt", &[SqlValue::Null], 9);
    assert_eq!(f.sql, "((a.deleted_at IS NOT NULL) OR (a.deleted_at IS NULL AND a.id > $3))");
    let f = after("deletedAt", &[SqlValue::Int(7)], 9);
    assert_eq!(f.sql, "a.deleted_at >= $3 AND ((a.deleted_at > $4) OR (a.deleted_at = $5 AND a.id > $6))");
    // Descending, NULLs last: after a value come smaller values and the NULLs.
    let f = after("deletedAt desc", &[SqlValue::Int(7)], 9);
    assert_eq!(
        f.sql,
        "(a.deleted_at IS NULL OR a.deleted_at <= $3) AND (((a.deleted_at < $4 OR a.deleted_at IS NULL)) OR (a.deleted_at = $5 AND a.id < $6))"
    );
    // After a NULL, only NULLs with a smaller id.
    let f = after("deletedAt desc", &[SqlValue::Null], 9);
    assert_eq!(f.sql, "((a.deleted_at IS NULL AND a.id < $3))");
}

#[test]
fn canonical_form_ignores_spacing_but_not_meaning() {
    let a = parse("name eq 'x'  and(id gt 1)").unwrap();
    let b = parse("name eq 'x' and id gt 1").unwrap();
    let c = parse("name eq 'x ' and id gt 1").unwrap();
    let keys = parse_orderby("name , id desc", &AGENTS).unwrap();
    assert_eq!(canonical(Some(&a), &keys, "agents"), canonical(Some(&b), &keys, "agents"));
    assert_ne!(canonical(Some(&a), &keys, "agents"), canonical(Some(&c), &keys, "agents"));
    assert_eq!(canonical(Some(&b), &keys, "agents"), r#"["name eq 'x' and id gt 1","name asc,id desc","agents"]"#);
    assert_eq!(canonical(None, &[], ""), r#"[null,"",""]"#);
}
