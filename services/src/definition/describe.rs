//! Plain English for a cron schedule, for the editor and the agent page: "Every weekday at
//! 09:00". Common shapes get a sentence; the rest a field-by-field rendering.

use super::trigger::nickname;

/// One field's value: `*`, `*/n`, or a list of values and ranges (`1,3-5,10-20/2`).
#[derive(Clone, Debug, PartialEq)]
enum Field {
    Any,
    Every(u32),
    List(Vec<Item>),
}

/// A list item: `lo`, or `lo-hi` stepped by `step` (1 without a step).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Item {
    lo: u32,
    hi: u32,
    step: u32,
}

impl Item {
    fn single(self) -> Option<u32> {
        (self.lo == self.hi).then_some(self.lo)
    }
}

impl Field {
    /// The values when the field is a list of single values.
    fn values(&self) -> Option<Vec<u32>> {
        match self {
            Field::List(items) => items.iter().map(|i| i.single()).collect(),
            _ => None,
        }
    }
}

const DAYS: [&str; 8] = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Plain English for a five-field cron expression (or a nickname like `@daily`):
/// "Every 15 minutes", "Every weekday at 09:00", "At 00:00 on day 1 of every month", and
/// for the rest a rendering field by field ("Every 5 minutes, hour 9 to 17, on Monday to
/// Friday"). Times are the schedule's own wall-clock times (its time zone is not named).
///
/// `None` when the text is not standard cron: wrong field count, values out of range, or
/// croner's extensions (`L`, `W`, `#`), which the server accepts but this does not render.
pub fn describe_cron(cron: &str) -> Option<String> {
    let expanded = nickname(cron).unwrap_or(cron);
    let fields: Vec<&str> = expanded.split_whitespace().collect();
    let [minute, hour, dom, month, dow] = fields.as_slice() else { return None };
    let minute = field(minute, 0, 59, &[])?;
    let hour = field(hour, 0, 23, &[])?;
    let dom = field(dom, 1, 31, &[])?;
    let month = field(month, 1, 12, &MONTH_NAMES)?;
    let dow = field(dow, 0, 7, &DAY_NAMES)?;
    Some(sentence(&minute, &hour, &dom, &month, &dow).unwrap_or_else(|| generic(&minute, &hour, &dom, &month, &dow)))
}

const MONTH_NAMES: [&str; 12] = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAY_NAMES: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// Parses one field with values in `min..=max`; `names` are the values' three-letter names
/// (the first is `min`, or 0 for days).
fn field(text: &str, min: u32, max: u32, names: &[&str]) -> Option<Field> {
    if text == "*" || text == "?" {
        return Some(Field::Any);
    }
    if let Some(step) = text.strip_prefix("*/") {
        let step: u32 = step.parse().ok()?;
        return (1..=max).contains(&step).then_some(Field::Every(step));
    }
    let value = |s: &str| -> Option<u32> {
        let named = names.iter().position(|n| n.eq_ignore_ascii_case(s));
        let v = match named {
            Some(i) => u32::try_from(i).ok()? + if min == 1 { 1 } else { 0 },
            None => s.parse().ok()?,
        };
        (min..=max).contains(&v).then_some(v)
    };
    let items = text
        .split(',')
        .map(|part| {
            let (range, step) = match part.split_once('/') {
                Some((range, step)) => (range, step.parse::<u32>().ok().filter(|&s| s >= 1)?),
                None => (part, 1),
            };
            let (lo, hi) = match range.split_once('-') {
                Some((lo, hi)) => (value(lo)?, value(hi)?),
                None if step == 1 => (value(range)?, value(range)?),
                None => return None, // `5/10` is not standard (croner refuses it too)
            };
            (lo <= hi).then_some(Item { lo, hi, step })
        })
        .collect::<Option<Vec<Item>>>()?;
    Some(Field::List(items))
}

/// The sentence for a common shape, if this is one.
fn sentence(minute: &Field, hour: &Field, dom: &Field, month: &Field, dow: &Field) -> Option<String> {
    let every_day = *dom == Field::Any && *month == Field::Any && *dow == Field::Any;
    match (minute, hour) {
        (Field::Any, Field::Any) if every_day => return Some("Every minute".into()),
        (Field::Every(n), Field::Any) if every_day => return Some(format!("Every {n} minutes")),
        _ => {}
    }
    let single_minute = minute.values().filter(|v| v.len() == 1).and_then(|v| v.first().copied());
    if let (Some(m), true) = (single_minute, every_day) {
        let past = if m == 0 { String::new() } else { format!(" at minute {m}") };
        match hour {
            Field::Any => return Some(format!("Every hour{past}")),
            Field::Every(n) => return Some(format!("Every {n} hours{past}")),
            Field::List(_) => {}
        }
    }
    let (minutes, hours) = (minute.values()?, hour.values()?);
    if minutes.len().saturating_mul(hours.len()) > 4 {
        return None;
    }
    let mut times: Vec<String> =
        hours.iter().flat_map(|h| minutes.iter().map(move |m| format!("{h:02}:{m:02}"))).collect();
    times.sort();
    let at = format!("at {}", and(&times));
    let months = match month {
        Field::Any => None,
        Field::List(_) => Some(and(&names(month, &MONTHS, 1)?)),
        Field::Every(_) => return None,
    };
    match (dom, dow) {
        (Field::Any, Field::Any) => Some(match months {
            None => format!("Every day {at}"),
            Some(months) => format!("Every day in {months} {at}"),
        }),
        (Field::Any, Field::List(items)) => {
            let days = match items.as_slice() {
                [Item { lo: 1, hi: 5, step: 1 }] => "weekday".to_string(),
                _ => and(&names(dow, &DAYS, 0)?),
            };
            let within = months.map(|m| format!(" in {m}")).unwrap_or_default();
            Some(format!("Every {days}{within} {at}"))
        }
        (Field::List(_), Field::Any) => {
            let days = dom.values()?;
            let label = if days.len() == 1 { "day" } else { "days" };
            let days = and(&days.iter().map(u32::to_string).collect::<Vec<_>>());
            let of = months.unwrap_or_else(|| "every month".into());
            Some(format!("{} on {label} {days} of {of}", capitalized(&at)))
        }
        _ => None,
    }
}

/// Field by field, skipping the `*`s: "Minute 0 to 30 every 5, hour 9 to 17, on Monday".
/// A restricted day of month and day of week are joined with "or", as cron reads them.
fn generic(minute: &Field, hour: &Field, dom: &Field, month: &Field, dow: &Field) -> String {
    let numbers = |f: &Field| names(f, &[], 0).map(|v| and(&v)).unwrap_or_default();
    let mut parts = Vec::new();
    match minute {
        Field::Any => parts.push("every minute".to_string()),
        Field::Every(n) => parts.push(format!("every {n} minutes")),
        Field::List(_) => parts.push(format!("minute {}", numbers(minute))),
    }
    match hour {
        Field::Any => {}
        Field::Every(n) => parts.push(format!("every {n} hours")),
        Field::List(_) => parts.push(format!("hour {}", numbers(hour))),
    }
    let days_of_month = match dom {
        Field::Any => None,
        Field::Every(n) => Some(format!("every {n} days of the month")),
        Field::List(_) => Some(format!("on day {} of the month", numbers(dom))),
    };
    let days_of_week = match dow {
        Field::Any => None,
        Field::Every(n) => Some(format!("every {n} days of the week")),
        Field::List(_) => Some(format!("on {}", names(dow, &DAYS, 0).map(|v| and(&v)).unwrap_or_default())),
    };
    match (days_of_month, days_of_week) {
        (Some(a), Some(b)) => parts.push(format!("{a} or {b}")),
        (Some(a), None) | (None, Some(a)) => parts.push(a),
        (None, None) => {}
    }
    match month {
        Field::Any => {}
        Field::Every(n) => parts.push(format!("every {n} months")),
        Field::List(_) => parts.push(format!("in {}", names(month, &MONTHS, 1).map(|v| and(&v)).unwrap_or_default())),
    }
    capitalized(&parts.join(", "))
}

/// A list field's items in words: `3`, `Monday to Friday`, `every 2 from 0 to 30`; values
/// are looked up in `labels` (from `first`) when given, else written as numbers.
fn names(field: &Field, labels: &[&str], first: u32) -> Option<Vec<String>> {
    let Field::List(items) = field else { return None };
    let label = |v: u32| -> Option<String> {
        if labels.is_empty() {
            return Some(v.to_string());
        }
        let i = usize::try_from(v.checked_sub(first)?).ok()?;
        labels.get(i).map(|s| (*s).to_string())
    };
    items
        .iter()
        .map(|item| {
            let (lo, hi) = (label(item.lo)?, label(item.hi)?);
            Some(match (item.lo == item.hi, item.step) {
                (true, _) => lo,
                (false, 1) => format!("{lo} to {hi}"),
                (false, step) => format!("every {step} from {lo} to {hi}"),
            })
        })
        .collect()
}

/// `a`, `a and b`, `a, b and c`.
fn and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
