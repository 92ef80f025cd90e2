use super::*;

fn ops() -> Vec<String> {
    ["eq", "ne", "gt", "ge", "lt", "le", "in"].map(String::from).to_vec()
}

#[test]
fn a_missing_operator_lists_the_operators() {
    let e = err("name");
    assert_eq!(e.param, "$filter");
    assert_eq!(e.position, 4);
    assert_eq!(e.message, "Expected a comparison operator after `name` at position 4, found the end of the filter.");
    assert_eq!(e.expected, ops());
    let e = err("name 'x'");
    assert_eq!((e.position, e.expected.len()), (5, 7));
}

#[test]
fn upper_case_keywords_get_a_suggestion() {
    for (src, at, word) in [
        ("name EQ 'x'", 5, "eq"),
        ("name eq 'x' AND id eq 1", 12, "and"),
        ("name eq 'x' Or id eq 1", 12, "or"),
        ("NOT name eq 'x'", 0, "not"),
        ("Contains(name,'x')", 0, "contains"),
        ("enabled eq TRUE", 11, "true"),
        ("email eq NULL", 9, "null"),
        ("id IN (1)", 3, "in"),
    ] {
        let e = err(src);
        assert_eq!((e.position, e.did_you_mean.as_deref()), (at, Some(word)), "{src}: {e}");
        assert!(e.message.contains(&format!("`{word}`")), "{}", e.message);
    }
}

#[test]
fn unknown_fields_suggest_a_near_filterable_one() {
    let e = err("nmae eq 'x'");
    assert_eq!((e.position, e.did_you_mean.as_deref()), (0, Some("name")));
    assert_eq!(e.message, "There is no field `nmae` at position 0. Did you mean `name`?");
    assert!(e.expected.contains(&"createdAt".to_string()));
    assert!(!e.expected.contains(&"description".to_string()));
    assert_eq!(err("createdat gt 2026-01-01").did_you_mean.as_deref(), Some("createdAt"));
    assert_eq!(err("id eq 1 and ownerid eq 2").did_you_mean.as_deref(), Some("ownerId"));
    assert_eq!(err("zzzzzz eq 1").did_you_mean, None);
    // Not filterable, so not suggested, and said so when named.
    assert_eq!(err("descriptio eq 'x'").did_you_mean, None);
    let e = err("description eq 'x'");
    assert_eq!(e.message, "description cannot be filtered on (position 0).");
}

#[test]
fn type_mismatches_name_the_field_and_the_literal() {
    let e = err("createdAt eq 'abc'");
    assert_eq!(e.message, "createdAt is a datetime; 'abc' is a string.");
    assert_eq!((e.position, e.expected.clone()), (13, vec!["2026-05-01T10:00:00Z".to_string()]));
    assert_eq!(err("id eq 'abc'").message, "id is an integer; 'abc' is a string.");
    assert_eq!(err("name eq 5").message, "name is a string; 5 is an integer.");
    assert_eq!(err("enabled eq 1").message, "enabled is a boolean; 1 is an integer.");
    assert_eq!(err("ownerId eq 1.5").message, "ownerId is an integer; 1.5 is a decimal.");
    assert_eq!(err("ownerId eq 1e3").message, "ownerId is an integer; 1e3 is a decimal.");
    assert_eq!(err("id eq 2026-05-01").message, "id is an integer; 2026-05-01 is a datetime.");
    assert_eq!(err("name eq true").message, "name is a string; true is a boolean.");
    let e = err("createdAt gt '2026-05-01'");
    assert_eq!(e.did_you_mean.as_deref(), Some("2026-05-01"));
}

#[test]
fn enumerations_accept_only_their_values() {
    let e = err("status eq 'actve'");
    assert_eq!(e.message, "status is an enumeration; 'actve' is not one of its values: `draft`, `active` or `deleted`. Did you mean 'active'?");
    assert_eq!(e.expected, vec!["'draft'", "'active'", "'deleted'"]);
    assert_eq!((e.position, e.did_you_mean.as_deref()), (10, Some("'active'")));
    assert_eq!(err("type in ('task','flow')").position, 16);
    assert!(err("status gt 'draft'").message.contains("only be compared with eq, ne or in"));
}

#[test]
fn operators_and_functions_need_the_right_type() {
    let e = err("enabled gt true");
    assert_eq!(
        (e.position, e.message.as_str()),
        (8, "enabled is a boolean; it can only be compared with eq, ne or in (position 8).")
    );
    let e = err("contains(ownerId,'1')");
    assert_eq!((e.position, e.message.as_str()), (9, "contains needs a string field; ownerId is an integer."));
    let e = err("tolower(createdAt) eq 'x'");
    assert_eq!((e.position, e.message.as_str()), (8, "tolower needs a string field; createdAt is a datetime."));
    let e = err("startswith(name, 5)");
    assert_eq!((e.position, e.expected.clone()), (17, vec!["'text'".to_string()]));
    assert_eq!(err("contains(name,'x') eq 1").expected, vec!["true", "false"]);
}

#[test]
fn null_is_only_for_equality_on_nullable_fields() {
    assert_eq!(err("name eq null").message, "name is never null, so it cannot be compared with null.");
    assert_eq!(err("email gt null").position, 9);
    assert!(err("email in ('a', null)").message.contains("use `email eq null`"));
}

#[test]
fn structure_errors_say_what_was_expected() {
    let e = err("");
    assert_eq!(e.position, 0);
    assert!(e.expected.contains(&"not".to_string()) && e.expected.contains(&"name".to_string()));
    let e = err("(name eq 'x'");
    assert_eq!((e.position, e.expected.clone()), (12, vec!["and".to_string(), "or".into(), ")".into()]));
    let e = err("name eq 'x')");
    assert_eq!((e.position, e.message.as_str()), (11, "Unmatched `)` at position 11."));
    let e = err("name eq 'x' slug eq 'y'");
    assert_eq!((e.position, e.expected.clone()), (12, vec!["and".to_string(), "or".into()]));
    assert_eq!(err("name eq").expected, vec!["'text'"]);
    assert_eq!(err("email eq slug").expected, vec!["'text'", "null"]);
    assert_eq!(err("id in 1").expected, vec!["("]);
    assert_eq!(err("id in (1 2)").expected, vec![",", ")"]);
    assert_eq!(err("id in ()").position, 7);
    assert_eq!(err("tolower name").expected, vec!["("]);
    assert_eq!(err("name eq 'x' and").position, 15);
    let e = err("name eq 'x' and and id eq 1");
    assert_eq!((e.position, e.did_you_mean.clone()), (16, None));
    assert_eq!(e.message, "Expected a field name at position 16, found the keyword `and`.");
    assert_eq!(err("name = 'x'").did_you_mean.as_deref(), Some("eq"));
}

#[test]
fn budgets_stop_at_the_place_they_are_exceeded() {
    let tight = Budget { max_nodes: 3, max_depth: 2, max_in_list: 2, max_len: 2000 };
    let p = |s: &str| parse_filter(s, &AGENTS, &tight).unwrap_err();
    // id eq 1 (1) and (2) id eq 2 (3) and (4): the second `and`.
    assert_eq!(p("id eq 1 and id eq 2 and id eq 3").position, 20);
    assert_eq!(p("((( id eq 1)))").position, 2);
    assert_eq!(p("not not not id eq 1").position, 8);
    assert_eq!(p("id in (1,2,3)").position, 11);
    let short = Budget { max_len: 30, ..Budget::default() };
    let e = parse_filter("name eq 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'", &AGENTS, &short).unwrap_err();
    assert_eq!(e.position, 30);
    assert_eq!(e.message, "The filter is 40 bytes long; at most 30 are allowed.");
    // A cut inside a multi-byte char moves back to its start.
    assert_eq!(parse_filter("name eq 'aaaaaaaaaaaaaaaaaaaa🦀'", &AGENTS, &short).unwrap_err().position, 29);
    assert!(parse_filter("id in (1,2)", &AGENTS, &tight).is_ok());
}

#[test]
fn hostile_nesting_is_refused_without_recursing_deeply() {
    let huge = Budget { max_nodes: usize::MAX, max_depth: usize::MAX, max_in_list: usize::MAX, max_len: usize::MAX };
    let deep = format!("{}id eq 1{}", "(".repeat(100_000), ")".repeat(100_000));
    let e = parse_filter(&deep, &AGENTS, &huge).unwrap_err();
    assert_eq!(e.position, DEPTH_CAP);
    let nots = "not ".repeat(100_000) + "id eq 1";
    assert!(parse_filter(&nots, &AGENTS, &huge).is_err());
    assert_eq!(err(&deep).position, 2000);
    assert_eq!(err(&format!("{}id eq 1{}", "(".repeat(11), ")".repeat(11))).position, 10);
}

#[test]
fn errors_display_as_a_sentence_with_the_parameter() {
    assert_eq!(
        err("nmae eq 'x'").to_string(),
        "Invalid $filter: There is no field `nmae` at position 0. Did you mean `name`?"
    );
}
