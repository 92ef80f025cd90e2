use super::*;
use serde_json::json;

fn with_trigger(trigger: Value) -> Value {
    json!({"trigger": trigger, "workflowStructure": {"steps": [{"id": "a", "kind": "prompt"}]}})
}

fn trigger(raw: Value) -> Result<Trigger, Vec<(String, String)>> {
    parse_definition(&with_trigger(raw), AgentType::Task)
        .map(|d| d.trigger)
        .map_err(|errors| errors.into_iter().map(|e| (e.field, e.message)).collect())
}

fn problem(raw: Value) -> (String, String) {
    let mut all = trigger(raw).unwrap_err();
    assert_eq!(all.len(), 1, "{all:?}");
    all.remove(0)
}

fn cron(cron: &str, timezone: &str) -> Trigger {
    Trigger::Cron { cron: cron.into(), timezone: timezone.into() }
}

const SHAPE: &str =
    "The trigger is \"manual\" or a schedule like {\"cron\": \"0 9 * * 1-5\", \"timezone\": \"Europe/Berlin\"}.";

#[test]
fn manual_is_spelled_manual() {
    assert_eq!(trigger(json!("manual")), Ok(Trigger::Manual));
    assert_eq!(problem(json!("Manual")), ("/trigger".into(), format!("Unknown trigger \"Manual\". {SHAPE}")));
    for bad in [json!(null), json!(1), json!([]), json!(true)] {
        assert_eq!(problem(bad), ("/trigger".into(), SHAPE.into()));
    }
}

#[test]
fn a_schedule_has_a_cron_and_a_timezone() {
    assert_eq!(
        trigger(json!({"cron": " 0  9 * *\t1-5 ", "timezone": " Europe/Berlin "})),
        Ok(cron("0 9 * * 1-5", "Europe/Berlin"))
    );
    assert_eq!(
        trigger(json!({"cron": "@daily", "timezone": "UTC"})),
        Ok(cron("@daily", "UTC")),
        "nicknames are kept as written"
    );
    let all = trigger(json!({})).unwrap_err();
    assert_eq!(
        all,
        vec![
            ("/trigger/cron".into(), "A schedule needs a cron expression, like \"0 9 * * 1-5\".".into()),
            ("/trigger/timezone".into(), "A schedule needs a time zone, like \"Europe/Berlin\".".into()),
        ]
    );
    let all = trigger(json!({"cron": 5, "timezone": "  "})).unwrap_err();
    assert_eq!(
        all,
        vec![
            (
                "/trigger/cron".into(),
                "The schedule's cron must be a string: a cron expression, like \"0 9 * * 1-5\".".into()
            ),
            (
                "/trigger/timezone".into(),
                "The schedule's timezone is empty; it needs a time zone, like \"Europe/Berlin\".".into()
            ),
        ]
    );
    assert_eq!(
        problem(json!({"cron": "0 9 * * *", "timezone": "UTC", "every": 1})),
        ("/trigger/every".into(), "Unknown field \"every\"; a schedule has cron and timezone.".into())
    );
    assert_eq!(
        problem(json!({"cron": "0 9 * * *", "timezone": "x".repeat(65)})),
        ("/trigger/timezone".into(), "The schedule's timezone has 65 characters; the most is 64.".into())
    );
    assert_eq!(problem(json!({"cron": "1 ".repeat(65), "timezone": "UTC"})).0, "/trigger/cron");
}

#[test]
fn a_cron_has_five_fields() {
    let fields = |c: &str| problem(json!({"cron": c, "timezone": "UTC"}));
    let base = "fields; a schedule has 5: minute, hour, day of month, month and day of week.";
    assert_eq!(
        fields("0 0 9 * * 1-5"),
        (
            "/trigger/cron".into(),
            format!("The schedule \"0 0 9 * * 1-5\" has 6 {base} Seconds are not supported: drop the first field.")
        )
    );
    assert_eq!(
        fields("0 0 9 * * 1-5 2030").1,
        format!("The schedule \"0 0 9 * * 1-5 2030\" has 7 {base} Seconds and years are not supported.")
    );
    assert_eq!(fields("0 9 * *").1, format!("The schedule \"0 9 * *\" has 4 {base}"));
    assert_eq!(
        fields("@midnight").1,
        "The schedule \"@midnight\" is not a known nickname; use one of @yearly, @annually, @monthly, @weekly, @daily, @hourly."
    );
    for ok in ["@hourly", "@DAILY", "@weekly", "@monthly", "@yearly", "@annually"] {
        assert!(trigger(json!({"cron": ok, "timezone": "UTC"})).is_ok(), "{ok}");
    }
}

#[test]
fn triggers_serialize_as_they_are_written() {
    assert_eq!(serde_json::to_value(Trigger::Manual).unwrap(), json!("manual"));
    let t = cron("*/15 * * * *", "Europe/Berlin");
    let json = json!({"cron": "*/15 * * * *", "timezone": "Europe/Berlin"});
    assert_eq!(serde_json::to_value(&t).unwrap(), json);
    assert_eq!(serde_json::from_value::<Trigger>(json).unwrap(), t);
    assert_eq!(serde_json::from_value::<Trigger>(json!("manual")).unwrap(), Trigger::Manual);
    assert!(serde_json::from_value::<Trigger>(json!({"cron": "* * *", "timezone": "UTC"})).is_err());
    assert_eq!(Trigger::default(), Trigger::Manual);
}

#[cfg(feature = "server")]
#[test]
fn on_the_server_croner_checks_the_pattern() {
    let check = |c: &str| trigger(json!({"cron": c, "timezone": "UTC"}));
    for ok in ["0 9 * * MON-FRI", "*/5 * * * *", "0 0 L * *", "0 12 * * 5#2", "0 9 ? * *", "0 0 29 2 *"] {
        assert!(check(ok).is_ok(), "{ok}: {:?}", check(ok));
    }
    assert_eq!(
        check("61 * * * *").unwrap_err(),
        vec![(
            "/trigger/cron".to_string(),
            "The schedule \"61 * * * *\" is not a valid cron expression: Number out of bounds.".to_string()
        )]
    );
    for bad in ["*/0 * * * *", "0/5 * * * *", "a b c d e", "0 25 * * *"] {
        let all = check(bad).unwrap_err();
        assert!(all[0].1.starts_with(&format!("The schedule \"{bad}\" is not a valid cron expression: ")), "{all:?}");
    }
    assert_eq!(check("0 0 30 2 *").unwrap_err()[0].1, "The schedule \"0 0 30 2 *\" never runs: no date matches it.");
}

#[cfg(feature = "server")]
#[test]
fn on_the_server_the_timezone_is_an_iana_name() {
    let zone = |tz: &str| trigger(json!({"cron": "0 9 * * *", "timezone": tz}));
    for ok in ["UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires", "Asia/Kolkata"] {
        assert_eq!(zone(ok), Ok(cron("0 9 * * *", ok)));
    }
    assert_eq!(
        zone("europe/berlin").unwrap_err(),
        vec![(
            "/trigger/timezone".into(),
            "Unknown time zone \"europe/berlin\"; did you mean \"Europe/Berlin\"?".into()
        )]
    );
    assert_eq!(
        zone("Mars/Olympus").unwrap_err()[0].1,
        "Unknown time zone \"Mars/Olympus\"; use an IANA name like \"Europe/Berlin\" or \"UTC\"."
    );
    // Both problems at once.
    assert_eq!(trigger(json!({"cron": "0 99 * * *", "timezone": "CEST"})).unwrap_err().len(), 2);
}

#[cfg(not(feature = "server"))]
#[test]
fn in_the_browser_only_the_shape_is_checked() {
    assert!(trigger(json!({"cron": "61 * * * *", "timezone": "Mars/Olympus"})).is_ok());
    assert!(trigger(json!({"cron": "0 0 0 * * *", "timezone": "UTC"})).is_err());
}
