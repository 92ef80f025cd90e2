//! Settings the rules depend on. The server fills this from flags and environment.

use std::time::Duration;

/// Services configuration, with laptop-friendly defaults.
#[derive(Clone, Debug)]
pub struct Config {
    /// Public base URL, used in emailed links and to decide the cookie's `Secure` flag.
    pub public_url: String,
    /// HMAC key. `None`: generate one once and keep it in the database.
    pub secret: Option<String>,
    /// The bearer token `GET /metrics` asks for. `None`: it answers loopback clients only.
    pub metrics_token: Option<String>,
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
    /// Lowest difficulty (leading zero bits) of an owner's challenge; clamped into 0..=32.
    pub pow_min_difficulty: u8,
    /// Highest difficulty any challenge gets, adaptive bumps and overrides included.
    pub pow_max_difficulty: u8,
    /// Lowest difficulty of an unauthenticated (invite) challenge.
    pub pow_invite_min_difficulty: u8,
    /// Nonces per solution (k), 1..=64.
    pub pow_solutions: u8,
    /// Adaptive difficulty: +1 bit per this many registrations or failed solutions from
    /// one IP prefix (or by one owner) in the current rate window. 0 disables it.
    pub pow_adaptive_step: u64,
    /// How long a challenge lives.
    pub challenge_ttl: Duration,
    /// How long an invite link lives (resending extends it by as much again).
    pub invite_ttl: Duration,
    /// How long older agent keys keep working after a rotation.
    pub agent_key_grace: Duration,
    /// Challenges per IP prefix (/24, /64) per window.
    pub challenge_limit_per_ip: u64,
    /// Registration attempts per IP prefix per window.
    pub registration_limit_per_ip: u64,
    /// Registration attempts (and delegated tokens, and invite emails to one address) per
    /// owner per window.
    pub registration_limit_per_owner: u64,
    /// Registration attempts per window, everyone together.
    pub registration_limit_global: u64,
    /// The clock (tests use a manual one and advance it).
    pub clock: crate::clock::Clock,
    /// Invite emails resent per agent per window.
    pub invite_resend_limit_per_agent: u64,
    /// Test emails per user per hour.
    pub test_email_limit_per_hour: u64,
    /// Password reset requests per client IP per window.
    pub password_reset_limit_per_ip: u64,
    /// Password reset requests (and password changes) per account per window.
    pub password_reset_limit_per_account: u64,
    /// Organizations one user may create per window.
    pub org_create_limit_per_user: u64,
    /// Member invitation emails (new and resent) per organization per window.
    pub member_invite_limit_per_org: u64,
    /// The plan catalogue; the first plan is a new organization's.
    pub plans: Vec<crate::plans::Plan>,
    /// Runs one organization may create per rate window.
    pub run_create_limit_per_org: u64,
    /// Runs one user may create per rate window.
    pub run_create_limit_per_user: u64,
    /// Queued and running runs one organization may have at once.
    pub run_active_limit_per_org: i64,
    /// Running runs one organization may have at once (the claim enforces it).
    pub run_running_limit_per_org: i64,
    /// Running runs one agent may have at once (the claim enforces it).
    pub run_running_limit_per_agent: i64,
    /// Log lines one run may add per minute; later ones in that minute are dropped.
    pub run_log_lines_per_minute: i64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:3000".into(),
            secret: None,
            metrics_token: None,
            session_ttl: Duration::from_secs(14 * 24 * 3600),
            login_limit_per_ip: 30,
            login_limit_per_email: 10,
            signup_limit_per_ip: 20,
            rate_window: Duration::from_secs(300),
            smtp_url: None,
            mail_from: "Agentry <agentry@localhost>".into(),
            pow_min_difficulty: 16,
            pow_max_difficulty: 26,
            pow_invite_min_difficulty: 20,
            pow_solutions: 8,
            pow_adaptive_step: 10,
            challenge_ttl: Duration::from_secs(300),
            invite_ttl: Duration::from_secs(7 * 24 * 3600),
            agent_key_grace: Duration::from_secs(24 * 3600),
            challenge_limit_per_ip: 120,
            registration_limit_per_ip: 30,
            registration_limit_per_owner: 60,
            registration_limit_global: 3000,
            clock: crate::clock::Clock::system(),
            invite_resend_limit_per_agent: 10,
            test_email_limit_per_hour: 10,
            password_reset_limit_per_ip: 10,
            password_reset_limit_per_account: 5,
            org_create_limit_per_user: 10,
            member_invite_limit_per_org: 30,
            plans: crate::plans::Plan::defaults(),
            run_create_limit_per_org: 600_000,
            run_create_limit_per_user: 300_000,
            run_active_limit_per_org: 100_000,
            run_running_limit_per_org: 1_000,
            run_running_limit_per_agent: 500,
            run_log_lines_per_minute: 6_000,
        }
    }
}

impl Config {
    /// Cookies get `Secure` when the public URL is https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}
