//! A variation's run timeouts: `"timeouts": {"queueSeconds", "runSeconds",
//! "heartbeatSeconds"}`, each optional; a run records which one fired.
//!
//! * queue: created to first claimed; default a day, 1 s to 30 days;
//! * run: first claimed to finished; default an hour, 1 s to 7 days;
//! * heartbeat: the lease, which progress extends; default 60 s, 2 s to an hour.

use super::parse::unknown_keys;
use crate::errors::FieldError;
use serde_json::{Map, Value};

/// The three timeouts and their bounds, in seconds: `(name, default, min, max)`.
pub const TIMEOUTS: [(&str, i64, i64, i64); 3] = [
    ("queueSeconds", 24 * 60 * 60, 1, 30 * 24 * 60 * 60),
    ("runSeconds", 60 * 60, 1, 7 * 24 * 60 * 60),
    ("heartbeatSeconds", 60, 2, 60 * 60),
];

/// A variation's timeouts; `None` is the default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunTimeouts {
    /// Created to first claimed.
    pub queue_seconds: Option<i64>,
    /// First claimed to finished.
    pub run_seconds: Option<i64>,
    /// The lease: how long a runner may go without a heartbeat.
    pub heartbeat_seconds: Option<i64>,
}

impl RunTimeouts {
    fn slots(&mut self) -> [&mut Option<i64>; 3] {
        [&mut self.queue_seconds, &mut self.run_seconds, &mut self.heartbeat_seconds]
    }

    fn values(&self) -> [Option<i64>; 3] {
        [self.queue_seconds, self.run_seconds, self.heartbeat_seconds]
    }

    /// `(queue, run, heartbeat)` in milliseconds, defaults filled in.
    pub fn millis(&self) -> (i64, i64, i64) {
        let ms = |i: usize| self.values()[i].unwrap_or(TIMEOUTS[i].1) * 1000;
        (ms(0), ms(1), ms(2))
    }

    /// The canonical JSON: only the timeouts that were set; `None` when none was.
    pub fn to_json(&self) -> Option<Value> {
        let body: Map<String, Value> = TIMEOUTS
            .iter()
            .zip(self.values())
            .filter_map(|((name, ..), v)| v.map(|v| (name.to_string(), Value::from(v))))
            .collect();
        (!body.is_empty()).then_some(Value::Object(body))
    }

    /// Parses `raw` (at JSON pointer `at`), recording every problem in `errors`.
    pub(super) fn parse_at(raw: &Value, at: &str, errors: &mut Vec<FieldError>) -> Option<Self> {
        let Some(body) = raw.as_object() else {
            errors.push(FieldError::new(at, "timeouts is an object: queueSeconds, runSeconds, heartbeatSeconds."));
            return None;
        };
        let before = errors.len();
        let names: Vec<&str> = TIMEOUTS.iter().map(|t| t.0).collect();
        unknown_keys(body, &names, at, "timeouts has queueSeconds, runSeconds and heartbeatSeconds", errors);
        let mut out = RunTimeouts::default();
        for ((name, _, min, max), slot) in TIMEOUTS.iter().zip(out.slots()) {
            match body.get(*name) {
                None | Some(Value::Null) => {}
                Some(v) => match v.as_i64().filter(|s| (*min..=*max).contains(s)) {
                    Some(s) => *slot = Some(s),
                    None => errors.push(FieldError::new(
                        format!("{at}/{name}"),
                        format!("{name} is a whole number of seconds from {min} to {max}."),
                    )),
                },
            }
        }
        (errors.len() == before).then_some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn timeouts_parse_with_defaults_and_bounds() {
        let mut errors = Vec::new();
        let t = RunTimeouts::parse_at(&json!({"heartbeatSeconds": 5}), "/timeouts", &mut errors).unwrap();
        assert_eq!(t.millis(), (86_400_000, 3_600_000, 5_000));
        assert_eq!(t.to_json(), Some(json!({"heartbeatSeconds": 5})));
        assert_eq!(RunTimeouts::default().to_json(), None);
        for bad in [json!({"heartbeatSeconds": 1}), json!({"runSeconds": "60"}), json!({"x": 1}), json!([])] {
            let mut errors = Vec::new();
            assert!(RunTimeouts::parse_at(&bad, "/timeouts", &mut errors).is_none(), "{bad}");
            assert!(errors[0].field.starts_with("/timeouts"), "{errors:?}");
        }
    }
}
