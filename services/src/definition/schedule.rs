//! Schedules on the server: cron patterns checked and evaluated by `croner`, in IANA time
//! zones from `chrono-tz`. Daylight saving follows croner: a fixed time that falls in the
//! spring-forward gap runs at the first minute after it (02:30 becomes 03:00 in Berlin), and
//! one in the fall-back overlap runs once, at its first occurrence.

use super::Trigger;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use croner::errors::CronError;
use croner::parser::{CronParser, Seconds, Year};
use croner::Cron;

/// Five fields: no seconds, no years (see the module notes of `trigger.rs`).
fn parse(cron: &str) -> Result<Cron, CronError> {
    CronParser::builder().seconds(Seconds::Disallowed).year(Year::Disallowed).build().parse(cron)
}

/// Croner accepts `cron`, and some minute matches it.
pub(super) fn check_cron(cron: &str) -> Result<(), String> {
    let parsed = parse(cron).map_err(|e| {
        let reason = match e {
            CronError::InvalidPattern(m) | CronError::ComponentError(m) | CronError::IllegalCharacters(m) => m,
            other => other.to_string(),
        };
        format!("The schedule \"{cron}\" is not a valid cron expression: {reason}")
    })?;
    // A pattern no date matches (the 30th of February) would be saved and never run. The
    // search from 1970 is bounded by croner (year 5000), and every pattern repeats within
    // the 400-year Gregorian cycle, so "none found" means "never".
    match parsed.find_next_occurrence(&DateTime::<Utc>::UNIX_EPOCH, false) {
        Ok(_) => Ok(()),
        Err(_) => Err(format!("The schedule \"{cron}\" never runs: no date matches it.")),
    }
}

/// An IANA time zone, exactly spelled; a name that differs only in case gets a suggestion.
pub(super) fn check_timezone(tz: &str) -> Result<Tz, String> {
    tz.parse::<Tz>().map_err(|_| {
        match chrono_tz::TZ_VARIANTS.iter().find(|zone| zone.name().eq_ignore_ascii_case(tz)) {
            Some(zone) => format!("Unknown time zone \"{tz}\"; did you mean \"{}\"?", zone.name()),
            None => format!("Unknown time zone \"{tz}\"; use an IANA name like \"Europe/Berlin\" or \"UTC\"."),
        }
    })
}

/// The next `n` runs strictly after `after`, in UTC. Empty for a manual trigger (and for a
/// schedule that does not parse, which [`super::parse_definition`] never lets through).
pub fn next_runs(trigger: &Trigger, after: DateTime<Utc>, n: usize) -> Vec<DateTime<Utc>> {
    let Trigger::Cron { cron, timezone } = trigger else {
        return Vec::new();
    };
    let (Ok(cron), Ok(zone)) = (parse(cron), timezone.parse::<Tz>()) else {
        return Vec::new();
    };
    cron.iter_after(after.with_timezone(&zone)).take(n).map(|run| run.with_timezone(&Utc)).collect()
}

/// The next run strictly after `after`, if the trigger is a schedule.
pub fn next_run(trigger: &Trigger, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    next_runs(trigger, after, 1).into_iter().next()
}

/// The next `n` runs as the schedule's own time zone shows them, with UTC beside them:
/// `2026-12-07 09:00 Europe/Berlin (08:00 UTC)`. The agent page's preview.
pub fn next_runs_local(trigger: &Trigger, after: DateTime<Utc>, n: usize) -> Vec<String> {
    let Trigger::Cron { timezone, .. } = trigger else {
        return Vec::new();
    };
    let Ok(zone) = timezone.parse::<Tz>() else {
        return Vec::new();
    };
    next_runs(trigger, after, n)
        .into_iter()
        .map(|t| {
            format!("{} {timezone} ({} UTC)", t.with_timezone(&zone).format("%a %Y-%m-%d %H:%M"), t.format("%H:%M"))
        })
        .collect()
}
