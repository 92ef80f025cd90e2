use super::*;
use chrono::{DateTime, TimeZone, Utc};

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

fn berlin(cron: &str) -> Trigger {
    Trigger::Cron { cron: cron.into(), timezone: "Europe/Berlin".into() }
}

#[test]
fn a_manual_trigger_never_runs_by_itself() {
    assert!(next_runs(&Trigger::Manual, utc(2025, 1, 1, 0, 0), 5).is_empty());
    assert_eq!(next_run(&Trigger::Manual, utc(2025, 1, 1, 0, 0)), None);
}

#[test]
fn runs_are_strictly_after_the_given_time() {
    let t = Trigger::Cron { cron: "0 9 * * *".into(), timezone: "UTC".into() };
    assert_eq!(next_run(&t, utc(2025, 1, 1, 9, 0)), Some(utc(2025, 1, 2, 9, 0)));
    assert_eq!(next_run(&t, utc(2025, 1, 1, 8, 59)), Some(utc(2025, 1, 1, 9, 0)));
    assert!(next_runs(&t, utc(2025, 1, 1, 0, 0), 0).is_empty());
}

#[test]
fn weekdays_skip_the_weekend_in_local_time() {
    // Friday 2025-01-03 09:00 CET is 08:00 UTC; the next is Monday.
    let runs = next_runs(&berlin("0 9 * * 1-5"), utc(2025, 1, 3, 7, 0), 3);
    assert_eq!(runs, vec![utc(2025, 1, 3, 8, 0), utc(2025, 1, 6, 8, 0), utc(2025, 1, 7, 8, 0)]);
    let runs = next_runs(&berlin("*/15 * * * *"), utc(2025, 1, 3, 7, 50), 3);
    assert_eq!(runs, vec![utc(2025, 1, 3, 8, 0), utc(2025, 1, 3, 8, 15), utc(2025, 1, 3, 8, 30)]);
}

#[test]
fn a_daily_time_keeps_its_wall_clock_across_the_march_change() {
    // Berlin moves from UTC+1 to UTC+2 on Sunday 2025-03-30 at 02:00.
    let runs = next_runs(&berlin("0 9 * * *"), utc(2025, 3, 28, 12, 0), 3);
    assert_eq!(runs, vec![utc(2025, 3, 29, 8, 0), utc(2025, 3, 30, 7, 0), utc(2025, 3, 31, 7, 0)]);
}

#[test]
fn a_time_in_the_spring_gap_runs_just_after_it() {
    // 02:30 does not exist on 2025-03-30; croner runs at 03:00 CEST (01:00 UTC).
    let runs = next_runs(&berlin("30 2 * * *"), utc(2025, 3, 28, 12, 0), 3);
    assert_eq!(runs, vec![utc(2025, 3, 29, 1, 30), utc(2025, 3, 30, 1, 0), utc(2025, 3, 31, 0, 30)]);
}

#[test]
fn a_daily_time_keeps_its_wall_clock_across_the_october_change() {
    // Berlin moves back from UTC+2 to UTC+1 on Sunday 2025-10-26 at 03:00.
    let runs = next_runs(&berlin("0 9 * * *"), utc(2025, 10, 24, 12, 0), 3);
    assert_eq!(runs, vec![utc(2025, 10, 25, 7, 0), utc(2025, 10, 26, 8, 0), utc(2025, 10, 27, 8, 0)]);
}

#[test]
fn a_time_in_the_autumn_overlap_runs_once() {
    // 02:30 happens twice on 2025-10-26 (00:30 and 01:30 UTC); a fixed time runs at the first.
    let runs = next_runs(&berlin("30 2 * * *"), utc(2025, 10, 25, 12, 0), 2);
    assert_eq!(runs, vec![utc(2025, 10, 26, 0, 30), utc(2025, 10, 27, 1, 30)]);
}

#[test]
fn an_hourly_schedule_runs_every_real_hour_of_the_overlap() {
    // From 01:30 CEST: 02:00 CEST, 02:00 CET (an hour later), 03:00 CET, 04:00 CET.
    let runs = next_runs(&berlin("0 * * * *"), utc(2025, 10, 25, 23, 30), 4);
    assert_eq!(
        runs,
        vec![utc(2025, 10, 26, 0, 0), utc(2025, 10, 26, 1, 0), utc(2025, 10, 26, 2, 0), utc(2025, 10, 26, 3, 0)]
    );
}

#[test]
fn an_hourly_schedule_skips_the_missing_hour() {
    let runs = next_runs(&berlin("0 * * * *"), utc(2025, 3, 29, 23, 30), 3);
    // 01:00 CET (00:00 UTC), then 03:00 CEST (01:00 UTC): 02:00 never happens.
    assert_eq!(runs, vec![utc(2025, 3, 30, 0, 0), utc(2025, 3, 30, 1, 0), utc(2025, 3, 30, 2, 0)]);
}

#[test]
fn a_schedule_that_does_not_parse_has_no_runs() {
    let bad = Trigger::Cron { cron: "61 * * * *".into(), timezone: "UTC".into() };
    assert!(next_runs(&bad, utc(2025, 1, 1, 0, 0), 3).is_empty());
    let bad = Trigger::Cron { cron: "0 9 * * *".into(), timezone: "Nowhere".into() };
    assert_eq!(next_run(&bad, utc(2025, 1, 1, 0, 0)), None);
}
