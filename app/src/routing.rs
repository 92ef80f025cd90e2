//! Small helpers about paths, shared by the server functions and the pages.

/// `next` when it is a path on this site: it starts with `/`, not `//` or `/\`, and has
/// no control characters. Anything else (absolute or protocol-relative URLs) is `None`,
/// so a crafted link can never send a user elsewhere after logging in.
pub fn safe_next(next: &str) -> Option<&str> {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control());
    ok.then_some(next)
}

/// The login path that returns to `path` afterwards.
pub fn login_then(path: &str) -> String {
    with_next("/login", path)
}

/// The sign-up path that returns to `path` afterwards.
pub fn signup_then(path: &str) -> String {
    with_next("/signup", path)
}

/// Percent-encodes a query value.
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(char::from(b)),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A query string (`?a=1&b=2`, or empty) of the pairs whose value is not blank.
pub fn query(pairs: &[(&str, &str)]) -> String {
    let parts: Vec<String> =
        pairs.iter().filter(|(_, v)| !v.trim().is_empty()).map(|(k, v)| format!("{k}={}", encode(v.trim()))).collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

/// A `datetime-local` value (`2026-12-04T10:00`, read as UTC) as RFC 3339; anything else
/// unchanged, for the parser to judge.
pub fn utc_input_to_rfc3339(value: &str) -> String {
    let v = value.trim();
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let local = |len: usize| {
        v.len() == len && v.is_ascii() && v.as_bytes().get(10) == Some(&b'T') && v.get(11..13).is_some_and(digits)
    };
    if local(16) {
        format!("{v}:00Z")
    } else if local(19) {
        format!("{v}Z")
    } else {
        v.to_string()
    }
}

/// Where the audit log's JSON Lines export downloads from, with the page's filters. A
/// link the browser follows (a download with the session cookie), not a call from the app.
pub fn audit_export(org_id: i64, filters: &[(&str, &str)]) -> String {
    let filters: Vec<(&str, String)> = filters
        .iter()
        .map(|(k, v)| (*k, if matches!(*k, "since" | "until") { utc_input_to_rfc3339(v) } else { v.to_string() }))
        .collect();
    let pairs: Vec<(&str, &str)> = filters.iter().map(|(k, v)| (*k, v.as_str())).collect();
    format!("/api/v1/organizations/{org_id}/audit/export{}", query(&pairs))
}

/// Where the run page follows run `id`'s events after `after`: the REST API's Server-Sent
/// Events stream, which an `EventSource` reads with the session cookie (it resumes with
/// `Last-Event-ID` by itself after a dropped connection).
pub fn run_events(org_id: i64, id: i64, after: i64) -> String {
    format!("/v1/organizations/{org_id}/agent/run/{id}/events?after={after}")
}

fn with_next(page: &str, path: &str) -> String {
    format!("{page}?next={}", path.replace('%', "%25").replace('&', "%26").replace('#', "%23"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(encode("a b+c@d.e&f"), "a%20b%2Bc%40d.e%26f");
    }

    #[test]
    fn audit_export_links_carry_the_filters_in_utc() {
        let f = [("action", "member.role_changed"), ("actor", ""), ("since", "2026-12-04T10:00"), ("until", " ")];
        assert_eq!(
            audit_export(7, &f),
            "/api/v1/organizations/7/audit/export?action=member.role_changed&since=2026-12-04T10%3A00%3A00Z"
        );
        assert_eq!(audit_export(7, &[]), "/api/v1/organizations/7/audit/export");
        assert_eq!(utc_input_to_rfc3339("2026-12-04T10:00:30"), "2026-12-04T10:00:30Z");
        assert_eq!(utc_input_to_rfc3339("2026-12-04T10:00:00+01:00"), "2026-12-04T10:00:00+01:00");
        assert_eq!(utc_input_to_rfc3339("soon"), "soon");
    }

    #[test]
    fn run_events_resume_after_the_last_rendered_event() {
        assert_eq!(run_events(7, 42, 13), "/v1/organizations/7/agent/run/42/events?after=13");
    }

    #[test]
    fn only_local_paths_are_safe() {
        assert_eq!(safe_next("/agents"), Some("/agents"));
        assert_eq!(safe_next("/agents?x=1"), Some("/agents?x=1"));
        assert_eq!(safe_next(""), None);
        assert_eq!(safe_next("agents"), None);
        assert_eq!(safe_next("//evil.example"), None);
        assert_eq!(safe_next("/\\evil.example"), None);
        assert_eq!(safe_next("https://evil.example/"), None);
        assert_eq!(safe_next("/a\nb"), None);
    }

    #[test]
    fn login_then_encodes_the_path() {
        assert_eq!(login_then("/agents"), "/login?next=/agents");
        assert_eq!(login_then("/a?b=1&c=2"), "/login?next=/a?b=1%26c=2");
        assert_eq!(signup_then("/invite/confirm?token=inv_x"), "/signup?next=/invite/confirm?token=inv_x");
    }
}
