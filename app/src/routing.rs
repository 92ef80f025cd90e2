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
