use super::*;

#[test]
fn common_schedules_read_as_sentences() {
    let cases = [
        ("* * * * *", "Every minute"),
        ("*/15 * * * *", "Every 15 minutes"),
        ("0 * * * *", "Every hour"),
        ("@hourly", "Every hour"),
        ("30 * * * *", "Every hour at minute 30"),
        ("0 */2 * * *", "Every 2 hours"),
        ("5 */6 * * *", "Every 6 hours at minute 5"),
        ("0 9 * * *", "Every day at 09:00"),
        ("@daily", "Every day at 00:00"),
        ("0 9 * * 1-5", "Every weekday at 09:00"),
        ("0 9 * * MON-FRI", "Every weekday at 09:00"),
        ("30 8 * * 1,3,5", "Every Monday, Wednesday and Friday at 08:30"),
        ("0 10 * * sat,sun", "Every Saturday and Sunday at 10:00"),
        ("0 10 * * 7", "Every Sunday at 10:00"),
        ("@weekly", "Every Sunday at 00:00"),
        ("0 9 * * 2-4", "Every Tuesday to Thursday at 09:00"),
        ("0 9,17 * * *", "Every day at 09:00 and 17:00"),
        ("0,30 9 * * 1-5", "Every weekday at 09:00 and 09:30"),
        ("0 0 1 * *", "At 00:00 on day 1 of every month"),
        ("@monthly", "At 00:00 on day 1 of every month"),
        ("0 12 1,15 * *", "At 12:00 on days 1 and 15 of every month"),
        ("0 0 1 1 *", "At 00:00 on day 1 of January"),
        ("@yearly", "At 00:00 on day 1 of January"),
        ("0 6 * 7,8 *", "Every day in July and August at 06:00"),
        ("0 6 * DEC 1", "Every Monday in December at 06:00"),
    ];
    for (cron, words) in cases {
        assert_eq!(describe_cron(cron).as_deref(), Some(words), "{cron}");
    }
}

#[test]
fn other_schedules_are_rendered_field_by_field() {
    let cases = [
        ("*/5 9-17 * * 1-5", "Every 5 minutes, hour 9 to 17, on Monday to Friday"),
        ("0-30/10 * * * *", "Minute every 10 from 0 to 30"),
        ("* 9 * * *", "Every minute, hour 9"),
        ("15 9 1 * 1", "Minute 15, hour 9, on day 1 of the month or on Monday"),
        ("0 0 */2 * *", "Minute 0, hour 0, every 2 days of the month"),
        ("0 0 1 */3 *", "Minute 0, hour 0, on day 1 of the month, every 3 months"),
        ("0,15,30,45 8,9 * * *", "Minute 0, 15, 30 and 45, hour 8 and 9"),
    ];
    for (cron, words) in cases {
        assert_eq!(describe_cron(cron).as_deref(), Some(words), "{cron}");
    }
}

#[test]
fn what_is_not_standard_cron_has_no_description() {
    for cron in [
        "",
        "* * * *",
        "0 0 9 * * *",
        "60 * * * *",
        "0 24 * * *",
        "0 0 0 * *",
        "0 0 * 13 *",
        "0 0 * * 8",
        "*/0 * * * *",
        "5/10 * * * *",
        "0 9 L * *",
        "0 9 * * 5#2",
        "10-5 * * * *",
        "a * * * *",
        "@midnight",
        "0 9 * * FUNDAY",
    ] {
        assert_eq!(describe_cron(cron), None, "{cron}");
    }
}
