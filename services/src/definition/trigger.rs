//! What starts a run: by hand, or on a cron schedule in a time zone.
//!
//! Schedules are standard five-field cron (`minute hour day-of-month month day-of-week`),
//! or one of the nicknames `@hourly`, `@daily`, `@weekly`, `@monthly`, `@yearly`
//! (`@annually`). Seconds and years are refused: runs are planned to the minute, and a
//! six-field pattern is more often a copy from Quartz than an intent. With the `server`
//! feature the pattern is checked by `croner` (which also takes names like `MON-FRI`, `L`,
//! `W` and `#`) and must run at least once; the time zone must be an IANA name. Without
//! it (the browser), only the shape is checked.

use super::parse::{pointer, unknown_keys};
use super::{MAX_CRON_CHARS, MAX_TIMEZONE_CHARS};
use crate::errors::FieldError;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// What starts a run. On the wire: `"manual"`, or `{"cron": "0 9 * * 1-5", "timezone":
/// "Europe/Berlin"}`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Trigger {
    /// Only when someone (or something, through the API) starts it.
    #[default]
    Manual,
    /// On a schedule: a cron expression read in an IANA time zone, so `0 9 * * *` stays at
    /// 09:00 local time across daylight-saving changes.
    Cron {
        /// The cron expression, whitespace collapsed to single spaces.
        cron: String,
        /// The IANA time zone, like `Europe/Berlin` or `UTC`.
        timezone: String,
    },
}

/// The words for a trigger of the wrong shape.
const SHAPE: &str =
    "The trigger is \"manual\" or a schedule like {\"cron\": \"0 9 * * 1-5\", \"timezone\": \"Europe/Berlin\"}.";

/// The nicknames a schedule may use, with the five fields each stands for.
pub(super) const NICKNAMES: &[(&str, &str)] = &[
    ("@yearly", "0 0 1 1 *"),
    ("@annually", "0 0 1 1 *"),
    ("@monthly", "0 0 1 * *"),
    ("@weekly", "0 0 * * 0"),
    ("@daily", "0 0 * * *"),
    ("@hourly", "0 * * * *"),
];

/// The five fields a nickname stands for (any case), if it is one.
pub(super) fn nickname(cron: &str) -> Option<&'static str> {
    NICKNAMES.iter().find(|(name, _)| name.eq_ignore_ascii_case(cron.trim())).map(|&(_, fields)| fields)
}

impl Trigger {
    /// `"manual"` or `{"cron", "timezone"}`.
    pub fn to_json(&self) -> Value {
        match self {
            Trigger::Manual => Value::String("manual".into()),
            Trigger::Cron { cron, timezone } => {
                let mut schedule = Map::new();
                schedule.insert("cron".into(), Value::String(cron.clone()));
                schedule.insert("timezone".into(), Value::String(timezone.clone()));
                Value::Object(schedule)
            }
        }
    }

    /// Parses a raw trigger found at `at` (a JSON pointer), recording every problem.
    pub(super) fn parse_at(raw: &Value, at: &str, errors: &mut Vec<FieldError>) -> Option<Trigger> {
        match raw {
            Value::String(s) if s == "manual" => Some(Trigger::Manual),
            Value::String(s) => {
                errors.push(FieldError::new(at, format!("Unknown trigger \"{}\". {SHAPE}", clip(s))));
                None
            }
            Value::Object(schedule) => {
                let before = errors.len();
                unknown_keys(schedule, &["cron", "timezone"], at, "a schedule has cron and timezone", errors);
                let cron =
                    text(schedule, "cron", at, "a cron expression, like \"0 9 * * 1-5\"", MAX_CRON_CHARS, errors)
                        .map(|c| c.split_whitespace().collect::<Vec<_>>().join(" "));
                let timezone =
                    text(schedule, "timezone", at, "a time zone, like \"Europe/Berlin\"", MAX_TIMEZONE_CHARS, errors);
                if let Some(cron) = &cron {
                    if let Err(message) = check_cron(cron) {
                        errors.push(FieldError::new(pointer(at, "cron"), message));
                    }
                }
                let timezone = timezone.and_then(|tz| match check_timezone(&tz) {
                    Ok(canonical) => Some(canonical),
                    Err(message) => {
                        errors.push(FieldError::new(pointer(at, "timezone"), message));
                        None
                    }
                });
                match (cron, timezone) {
                    (Some(cron), Some(timezone)) if errors.len() == before => Some(Trigger::Cron { cron, timezone }),
                    _ => None,
                }
            }
            _ => {
                errors.push(FieldError::new(at, SHAPE));
                None
            }
        }
    }
}

/// A schedule's required text member `key`: present, a string, not blank, not too long.
fn text(
    schedule: &Map<String, Value>,
    key: &str,
    at: &str,
    what: &str,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let field = pointer(at, key);
    let problem = match schedule.get(key) {
        None => format!("A schedule needs {what}."),
        Some(Value::String(s)) if s.trim().is_empty() => format!("The schedule's {key} is empty; it needs {what}."),
        Some(Value::String(s)) if s.chars().count() > max => {
            format!("The schedule's {key} has {} characters; the most is {max}.", s.chars().count())
        }
        Some(Value::String(s)) => return Some(s.trim().to_string()),
        Some(_) => format!("The schedule's {key} must be a string: {what}."),
    };
    errors.push(FieldError::new(field, problem));
    None
}

/// The field-count rule (both builds), then, on the server, croner's full check.
fn check_cron(cron: &str) -> Result<(), String> {
    if cron.starts_with('@') {
        if nickname(cron).is_none() {
            let names = NICKNAMES.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ");
            return Err(format!("The schedule \"{cron}\" is not a known nickname; use one of {names}."));
        }
    } else {
        let fields = cron.split_whitespace().count();
        if fields != 5 {
            let hint = match fields {
                6 => " Seconds are not supported: drop the first field.",
                7 => " Seconds and years are not supported.",
                _ => "",
            };
            return Err(format!(
                "The schedule \"{cron}\" has {fields} fields; a schedule has 5: minute, hour, day of month, month and day of week.{hint}"
            ));
        }
    }
    #[cfg(feature = "server")]
    super::schedule::check_cron(cron)?;
    Ok(())
}

/// On the server: an IANA zone, in its canonical spelling.
#[cfg(feature = "server")]
fn check_timezone(tz: &str) -> Result<String, String> {
    super::schedule::check_timezone(tz).map(|zone| zone.name().to_string())
}

/// In the browser: the name as given (the server checks it against the IANA database).
#[cfg(not(feature = "server"))]
fn check_timezone(tz: &str) -> Result<String, String> {
    Ok(tz.to_string())
}

/// At most 64 characters of `s`, for quoting user text in a message.
pub(super) fn clip(s: &str) -> String {
    if s.chars().count() <= 64 {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(64).collect::<String>())
    }
}

impl Serialize for Trigger {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Trigger {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Value::deserialize(deserializer)?;
        let mut errors = Vec::new();
        match Trigger::parse_at(&raw, "/trigger", &mut errors) {
            Some(trigger) => Ok(trigger),
            None => Err(serde::de::Error::custom(super::joined(&errors))),
        }
    }
}
