use super::*;

fn names(keys: &[OrderKey]) -> Vec<(&str, bool)> {
    keys.iter().map(|k| (k.field.name, k.desc)).collect()
}

#[test]
fn orderby_takes_several_keys_with_directions() {
    let keys = parse_orderby("name, createdAt desc ,id asc", &AGENTS).unwrap();
    assert_eq!(names(&keys), vec![("name", false), ("createdAt", true), ("id", false)]);
}

#[test]
fn orderby_rejects_what_cannot_be_sorted() {
    let e = parse_orderby("name, name desc", &AGENTS).unwrap_err();
    assert_eq!(
        (e.param, e.position, e.message.as_str()),
        ("$orderby", 6, "name appears twice in $orderby (position 6).")
    );
    let e = parse_orderby("description", &AGENTS).unwrap_err();
    assert_eq!(e.message, "description cannot be sorted on (position 0).");
    let e = parse_orderby("name, craetedAt", &AGENTS).unwrap_err();
    assert_eq!((e.position, e.did_you_mean.as_deref()), (6, Some("createdAt")));
    let e = parse_orderby("name DESC", &AGENTS).unwrap_err();
    assert_eq!((e.position, e.did_you_mean.as_deref()), (5, Some("desc")));
    assert_eq!(e.expected, vec!["asc", "desc", ","]);
    let e = parse_orderby("name,", &AGENTS).unwrap_err();
    assert_eq!(e.position, 5);
    assert!(e.expected.contains(&"createdAt".to_string()));
    assert_eq!(parse_orderby("", &AGENTS).unwrap_err().position, 0);
    assert_eq!(parse_orderby("name asc desc", &AGENTS).unwrap_err().position, 9);
    assert_eq!(parse_orderby(&"a".repeat(3000), &AGENTS).unwrap_err().position, 2000);
}

#[test]
fn select_keeps_each_field_once_in_order() {
    let fields = parse_select("name,description , name,id", &AGENTS).unwrap();
    let got: Vec<&str> = fields.iter().map(|f| f.name).collect();
    assert_eq!(got, vec!["name", "description", "id"]);
    let e = parse_select("secretHash", &AGENTS).unwrap_err();
    assert_eq!((e.param, e.message.as_str()), ("$select", "secretHash cannot be selected (position 0)."));
    assert_eq!(parse_select("name desc", &AGENTS).unwrap_err().expected, vec![","]);
    assert_eq!(parse_select("nam", &AGENTS).unwrap_err().did_you_mean.as_deref(), Some("name"));
}

#[test]
fn top_skip_and_count() {
    assert_eq!(parse_top(None, DEFAULT_TOP, MAX_TOP), Ok(50));
    assert_eq!(parse_top(Some("0"), DEFAULT_TOP, MAX_TOP), Ok(0));
    assert_eq!(parse_top(Some("1000"), DEFAULT_TOP, MAX_TOP), Ok(1000));
    let e = parse_top(Some("1001"), DEFAULT_TOP, MAX_TOP).unwrap_err();
    assert_eq!((e.param, e.message.as_str()), ("$top", "$top must be a whole number from 0 to 1000; `1001` is not."));
    assert_eq!(parse_top(Some("12a"), 50, 1000).unwrap_err().position, 2);
    assert!(parse_top(Some("-1"), 50, 1000).is_err());
    assert!(parse_top(Some(""), 50, 1000).is_err());
    assert!(parse_top(Some("99999999999999999999"), 50, 1000).is_err());
    assert_eq!(parse_skip(None), Ok(0));
    assert_eq!(parse_skip(Some("1000000")), Ok(1_000_000));
    assert_eq!(parse_skip(Some("1000001")).unwrap_err().param, "$skip");
    assert_eq!(parse_count(None), Ok(false));
    assert_eq!(parse_count(Some("true")), Ok(true));
    assert_eq!(parse_count(Some("false")), Ok(false));
    let e = parse_count(Some("TRUE")).unwrap_err();
    assert_eq!((e.param, e.did_you_mean.as_deref()), ("$count", Some("true")));
    assert_eq!(parse_count(Some("1")).unwrap_err().did_you_mean, None);
}
