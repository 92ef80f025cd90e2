//! How numbers and times read on the pages.

/// A UTC time as `2026-11-23 10:05 UTC`.
pub fn utc(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// The time of day in UTC, to the second: `10:05:31`.
pub fn clock(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.format("%H:%M:%S").to_string()
}

/// A hash rate with an SI prefix: `850 H/s`, `1.2 MH/s`.
pub fn hash_rate(per_second: f64) -> String {
    let units = [("GH/s", 1e9), ("MH/s", 1e6), ("kH/s", 1e3)];
    units
        .iter()
        .find(|(_, scale)| per_second >= *scale)
        .map(|(unit, scale)| format!("{:.1} {unit}", per_second / scale))
        .unwrap_or_else(|| format!("{per_second:.0} H/s"))
}

/// Seconds left, roughly: `about 4 s`, `about 2 min`; `estimating…` when unknown.
pub fn eta(seconds: Option<f64>) -> String {
    match seconds {
        Some(s) if s.is_finite() && s < 1.0 => "under a second".into(),
        Some(s) if s.is_finite() && s < 90.0 => format!("about {s:.0} s"),
        Some(s) if s.is_finite() => format!("about {:.0} min", s / 60.0),
        _ => "estimating…".into(),
    }
}

/// A large count with thin grouping: `1 234 567`.
pub fn count(n: f64) -> String {
    let digits = format!("{:.0}", n.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    out
}

/// How long ago, roughly: `40 s`, `12 min`, `3 h`, `2 d`.
pub fn age(seconds: i64) -> String {
    match seconds.max(0) {
        s if s < 90 => format!("{s} s"),
        s if s < 90 * 60 => format!("{} min", s / 60),
        s if s < 36 * 3600 => format!("{} h", s / 3600),
        s => format!("{} d", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_utc_minutes() {
        let t = chrono::DateTime::parse_from_rfc3339("2026-11-23T10:05:31Z").unwrap().with_timezone(&chrono::Utc);
        assert_eq!(utc(&t), "2026-11-23 10:05 UTC");
        assert_eq!(clock(&t), "10:05:31");
    }

    #[test]
    fn rates_and_counts_are_readable() {
        assert_eq!(hash_rate(850.0), "850 H/s");
        assert_eq!(hash_rate(1_234_567.0), "1.2 MH/s");
        assert_eq!(eta(None), "estimating…");
        assert_eq!(eta(Some(4.2)), "about 4 s");
        assert_eq!(eta(Some(600.0)), "about 10 min");
        assert_eq!(count(1234567.0), "1\u{202f}234\u{202f}567");
    }

    #[test]
    fn ages_are_rough() {
        assert_eq!(age(-3), "0 s");
        assert_eq!(age(45), "45 s");
        assert_eq!(age(600), "10 min");
        assert_eq!(age(7200), "2 h");
        assert_eq!(age(3 * 86_400), "3 d");
    }
}
