//! Settings the rules depend on. The server fills this from flags and environment.

use std::time::Duration;

/// Services configuration, with laptop-friendly defaults.
#[derive(Clone, Debug)]
pub struct Config {
    /// Public base URL, used in emailed links and to decide the cookie's `Secure` flag.
    pub public_url: String,
    /// HMAC key. `None`: generate one once and keep it in the database.
    pub secret: Option<String>,
    /// How long a session lasts.
    pub session_ttl: Duration,
    /// Login attempts allowed per client IP per window.
    pub login_limit_per_ip: u64,
    /// Login attempts allowed per email address per window.
    pub login_limit_per_email: u64,
    /// Signups allowed per client IP per window.
    pub signup_limit_per_ip: u64,
    /// The rate-limit window.
    pub rate_window: Duration,
    /// SMTP server URL (`smtp://host:port`, `smtps://user:pass@host`). `None`: emails stay
    /// in the outbox.
    pub smtp_url: Option<String>,
    /// The From address of emails.
    pub mail_from: String,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:3000".into(),
            secret: None,
            session_ttl: Duration::from_secs(14 * 24 * 3600),
            login_limit_per_ip: 30,
            login_limit_per_email: 10,
            signup_limit_per_ip: 20,
            rate_window: Duration::from_secs(300),
            smtp_url: None,
            mail_from: "Agentry <agentry@localhost>".into(),
        }
    }
}

impl Config {
    /// Cookies get `Secure` when the public URL is https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}
