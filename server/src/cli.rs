//! Command-line interface: `agentry [serve]` starts the server; `agentry agent register`
//! registers an agent with a server; `agentry agents …` works with the agent directory.

use crate::startup::{Application, Settings};
use agentry_services::Config;
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Agentry: a self-hostable registry and control plane for software agents.
///
/// With no subcommand, starts the server (same as `agentry serve`). Every option can also
/// be set through the environment variable shown.
#[derive(Debug, Parser)]
#[command(name = "agentry", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

// Parsed once at start-up; boxing the server's options would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
enum Command {
    /// Start the HTTP server (the default).
    Serve(ServeArgs),
    /// Work with agents on an Agentry server (`agentry agent register --help`).
    #[command(subcommand)]
    Agent(crate::agent_cli::AgentCommand),
    /// The agent directory: list, get, create, update, activate, deactivate, delete,
    /// deploy (`agentry agents --help`).
    Agents(crate::agents_cli::AgentsArgs),
}

/// Options of the server.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "AGENTRY_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,
    /// Database URL: `sqlite://path` (created on first start) or `postgres://…`.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://data/agentry.db")]
    pub database_url: String,
    /// Public base URL of this server, used in emailed links; https makes cookies Secure.
    #[arg(long, env = "AGENTRY_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// SMTP server URL (for example `smtp://user:pass@host:587`). Unset: emails go to the
    /// outbox table and the log.
    #[arg(long, env = "AGENTRY_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// The From address of emails.
    #[arg(long, env = "AGENTRY_MAIL_FROM", default_value = "Agentry <agentry@localhost>")]
    pub mail_from: String,
    /// Seconds between the mail worker's looks at the outbox (it is also woken whenever an
    /// email is queued).
    #[arg(long, env = "AGENTRY_MAIL_POLL_INTERVAL", default_value_t = 5)]
    pub mail_poll_interval: u64,
    /// HMAC key for signed tokens. Unset: one is generated once and kept in the database.
    #[arg(long, env = "AGENTRY_SECRET", hide_env_values = true)]
    pub secret: Option<String>,
    /// Bearer token for `GET /metrics`. Unset: only loopback clients may read it.
    #[arg(long, env = "AGENTRY_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// Folder holding the built web assets (`pkg/` inside it).
    #[arg(long, env = "AGENTRY_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,
    /// Log format.
    #[arg(long, env = "AGENTRY_LOG_FORMAT", default_value = "text", value_parser = ["text", "json"])]
    pub log_format: String,
    /// Seconds a request may take before it is answered with 408.
    #[arg(long, env = "AGENTRY_REQUEST_TIMEOUT", default_value_t = 30)]
    pub request_timeout: u64,
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "AGENTRY_MAX_BODY", default_value_t = 64 * 1024)]
    pub max_body: usize,
    /// Lowest proof-of-work difficulty (leading zero bits) a registration challenge gets.
    #[arg(long, env = "AGENTRY_POW_MIN_DIFFICULTY", default_value_t = 16, value_parser = clap::value_parser!(u8).range(0..=32))]
    pub pow_min_difficulty: u8,
    /// Highest proof-of-work difficulty (overrides and adaptive increases are clamped to it).
    #[arg(long, env = "AGENTRY_POW_MAX_DIFFICULTY", default_value_t = 26, value_parser = clap::value_parser!(u8).range(0..=32))]
    pub pow_max_difficulty: u8,
    /// Lowest difficulty of unauthenticated (invite) challenges.
    #[arg(long, env = "AGENTRY_POW_INVITE_MIN_DIFFICULTY", default_value_t = 20, value_parser = clap::value_parser!(u8).range(0..=32))]
    pub pow_invite_min_difficulty: u8,
    /// How long an emailed agent invite stays valid, in hours.
    #[arg(long, env = "AGENTRY_INVITE_TTL_HOURS", default_value_t = 7 * 24)]
    pub invite_ttl_hours: u64,
    /// How long a rotated agent key keeps working after a new one is minted, in hours.
    #[arg(long, env = "AGENTRY_AGENT_KEY_GRACE_HOURS", default_value_t = 24)]
    pub agent_key_grace_hours: u64,
    /// Reverse proxies whose `Forwarded` / `X-Forwarded-For` headers name the client, as
    /// comma-separated addresses or CIDR networks (`10.0.0.0/8,::1`). Unset: the TCP peer
    /// is the client and those headers are ignored. May be repeated.
    #[arg(long, env = "AGENTRY_TRUSTED_PROXIES", value_name = "CIDR,…", value_parser = ProxyList::parse)]
    pub trusted_proxies: Vec<ProxyList>,
    /// The plan catalogue, `name=seats` or `name=custom` (a limit agreed per organization),
    /// comma-separated; the first is a new organization's plan.
    #[arg(long, env = "AGENTRY_PLANS", default_value = "free=3,team=25,business=100,enterprise=custom", value_parser = PlanCatalogue::parse)]
    pub plans: PlanCatalogue,
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// The `--plans` catalogue.
#[derive(Debug, Clone)]
pub struct PlanCatalogue(pub Vec<agentry_services::Plan>);

impl PlanCatalogue {
    fn parse(s: &str) -> Result<Self, String> {
        agentry_services::Plan::parse_catalogue(s).map(Self)
    }
}

/// One `--trusted-proxies` value: comma-separated networks; empty (an unset-looking
/// `AGENTRY_TRUSTED_PROXIES=`) is none.
#[derive(Debug, Clone)]
pub struct ProxyList(pub Vec<ipnet::IpNet>);

impl ProxyList {
    fn parse(s: &str) -> Result<Self, String> {
        if s.trim().is_empty() {
            return Ok(Self(Vec::new()));
        }
        s.split(',').map(crate::client_ip::parse_cidr).collect::<Result<_, _>>().map(Self)
    }
}

/// Rate limits: hits allowed per fixed window, counted in the database.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Rate limits")]
pub struct LimitArgs {
    /// Length of the rate-limit window, in seconds.
    #[arg(long, env = "AGENTRY_RATE_WINDOW_SECS", default_value_t = Config::default().rate_window.as_secs(), value_parser = clap::value_parser!(u64).range(1..))]
    pub rate_window_secs: u64,
    /// Login attempts per client IP per window.
    #[arg(long, env = "AGENTRY_LOGIN_LIMIT_PER_IP", default_value_t = Config::default().login_limit_per_ip)]
    pub login_limit_per_ip: u64,
    /// Login attempts per email address per window.
    #[arg(long, env = "AGENTRY_LOGIN_LIMIT_PER_EMAIL", default_value_t = Config::default().login_limit_per_email)]
    pub login_limit_per_email: u64,
    /// Signups per client IP per window.
    #[arg(long, env = "AGENTRY_SIGNUP_LIMIT_PER_IP", default_value_t = Config::default().signup_limit_per_ip)]
    pub signup_limit_per_ip: u64,
    /// Registration challenges per IP prefix (/24, /64) per window.
    #[arg(long, env = "AGENTRY_CHALLENGE_LIMIT_PER_IP", default_value_t = Config::default().challenge_limit_per_ip)]
    pub challenge_limit_per_ip: u64,
    /// Registration attempts per IP prefix (/24, /64) per window.
    #[arg(long, env = "AGENTRY_REGISTRATION_LIMIT_PER_IP", default_value_t = Config::default().registration_limit_per_ip)]
    pub registration_limit_per_ip: u64,
    /// Registration attempts, delegated tokens, and invite emails to one address, per owner
    /// per window.
    #[arg(long, env = "AGENTRY_REGISTRATION_LIMIT_PER_OWNER", default_value_t = Config::default().registration_limit_per_owner)]
    pub registration_limit_per_owner: u64,
    /// Registration attempts per window, everyone together.
    #[arg(long, env = "AGENTRY_REGISTRATION_LIMIT_GLOBAL", default_value_t = Config::default().registration_limit_global)]
    pub registration_limit_global: u64,
    /// Invite emails resent per agent per window.
    #[arg(long, env = "AGENTRY_INVITE_RESEND_LIMIT_PER_AGENT", default_value_t = Config::default().invite_resend_limit_per_agent)]
    pub invite_resend_limit_per_agent: u64,
    /// Test emails (`POST /api/v1/outbox/test`) per user per hour.
    #[arg(long, env = "AGENTRY_TEST_EMAIL_LIMIT_PER_HOUR", default_value_t = Config::default().test_email_limit_per_hour)]
    pub test_email_limit_per_hour: u64,
    /// Password reset requests per client IP per window.
    #[arg(long, env = "AGENTRY_PASSWORD_RESET_LIMIT_PER_IP", default_value_t = Config::default().password_reset_limit_per_ip)]
    pub password_reset_limit_per_ip: u64,
    /// Password reset requests, and password changes, per account per window.
    #[arg(long, env = "AGENTRY_PASSWORD_RESET_LIMIT_PER_ACCOUNT", default_value_t = Config::default().password_reset_limit_per_account)]
    pub password_reset_limit_per_account: u64,
    /// Organizations one user may create per window.
    #[arg(long, env = "AGENTRY_ORG_CREATE_LIMIT_PER_USER", default_value_t = Config::default().org_create_limit_per_user)]
    pub org_create_limit_per_user: u64,
    /// Member invitation emails (new and resent) per organization per window.
    #[arg(long, env = "AGENTRY_MEMBER_INVITE_LIMIT_PER_ORG", default_value_t = Config::default().member_invite_limit_per_org)]
    pub member_invite_limit_per_org: u64,
    /// Adaptive proof of work: +1 difficulty bit per this many registrations or failed
    /// solutions from one IP prefix (or owner) per window; 0 turns it off.
    #[arg(long, env = "AGENTRY_POW_ADAPTIVE_STEP", default_value_t = Config::default().pow_adaptive_step)]
    pub pow_adaptive_step: u64,
    /// Runs one organization may create per window.
    #[arg(long, env = "AGENTRY_RUN_CREATE_LIMIT_PER_ORG", default_value_t = Config::default().run_create_limit_per_org)]
    pub run_create_limit_per_org: u64,
    /// Runs one user may create per window.
    #[arg(long, env = "AGENTRY_RUN_CREATE_LIMIT_PER_USER", default_value_t = Config::default().run_create_limit_per_user)]
    pub run_create_limit_per_user: u64,
    /// Queued and running runs one organization may have at once (429 beyond).
    #[arg(long, env = "AGENTRY_RUN_ACTIVE_LIMIT_PER_ORG", default_value_t = Config::default().run_active_limit_per_org)]
    pub run_active_limit_per_org: i64,
    /// Running runs one organization may have at once (claims wait beyond).
    #[arg(long, env = "AGENTRY_RUN_RUNNING_LIMIT_PER_ORG", default_value_t = Config::default().run_running_limit_per_org)]
    pub run_running_limit_per_org: i64,
    /// Running runs one agent may have at once (claims wait beyond).
    #[arg(long, env = "AGENTRY_RUN_RUNNING_LIMIT_PER_AGENT", default_value_t = Config::default().run_running_limit_per_agent)]
    pub run_running_limit_per_agent: i64,
    /// Log lines one run may add per minute (later ones in that minute are dropped).
    #[arg(long, env = "AGENTRY_RUN_LOG_LINES_PER_MINUTE", default_value_t = Config::default().run_log_lines_per_minute)]
    pub run_log_lines_per_minute: i64,
}

impl ServeArgs {
    /// Turns flags into server settings.
    pub fn settings(&self) -> Settings {
        let public_url = self.public_url.clone().unwrap_or_else(|| format!("http://{}", self.addr));
        let l = &self.limits;
        let services = Config {
            public_url: public_url.trim_end_matches('/').to_string(),
            secret: self.secret.clone(),
            metrics_token: self.metrics_token.clone().filter(|t| !t.is_empty()),
            smtp_url: self.smtp_url.clone().filter(|u| !u.is_empty()),
            mail_from: self.mail_from.clone(),
            pow_min_difficulty: self.pow_min_difficulty,
            pow_max_difficulty: self.pow_max_difficulty.max(self.pow_min_difficulty),
            pow_invite_min_difficulty: self.pow_invite_min_difficulty,
            invite_ttl: std::time::Duration::from_secs(self.invite_ttl_hours.max(1) * 3600),
            agent_key_grace: std::time::Duration::from_secs(self.agent_key_grace_hours * 3600),
            rate_window: std::time::Duration::from_secs(l.rate_window_secs.max(1)),
            login_limit_per_ip: l.login_limit_per_ip,
            login_limit_per_email: l.login_limit_per_email,
            signup_limit_per_ip: l.signup_limit_per_ip,
            challenge_limit_per_ip: l.challenge_limit_per_ip,
            registration_limit_per_ip: l.registration_limit_per_ip,
            registration_limit_per_owner: l.registration_limit_per_owner,
            registration_limit_global: l.registration_limit_global,
            invite_resend_limit_per_agent: l.invite_resend_limit_per_agent,
            test_email_limit_per_hour: l.test_email_limit_per_hour,
            password_reset_limit_per_ip: l.password_reset_limit_per_ip,
            password_reset_limit_per_account: l.password_reset_limit_per_account,
            org_create_limit_per_user: l.org_create_limit_per_user,
            member_invite_limit_per_org: l.member_invite_limit_per_org,
            plans: self.plans.0.clone(),
            pow_adaptive_step: l.pow_adaptive_step,
            run_create_limit_per_org: l.run_create_limit_per_org,
            run_create_limit_per_user: l.run_create_limit_per_user,
            run_active_limit_per_org: l.run_active_limit_per_org,
            run_running_limit_per_org: l.run_running_limit_per_org,
            run_running_limit_per_agent: l.run_running_limit_per_agent,
            run_log_lines_per_minute: l.run_log_lines_per_minute,
            ..Default::default()
        };
        Settings {
            addr: self.addr,
            database_url: self.database_url.clone(),
            site_root: self.site_root.clone(),
            request_timeout: std::time::Duration::from_secs(self.request_timeout),
            max_body: self.max_body,
            trusted_proxies: self.trusted_proxies.iter().flat_map(|l| l.0.iter().copied()).collect(),
            services,
        }
    }
}

/// Runs the chosen command.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let args = match cli.command {
        Some(Command::Serve(args)) => args,
        Some(Command::Agent(cmd)) => return crate::agent_cli::run(cmd).await,
        Some(Command::Agents(args)) => return crate::agents_cli::run(args).await,
        None => cli.serve,
    };
    init_tracing(&args.log_format);
    let app = Application::build(args.settings())
        .await?
        .with_mail_poll_interval(std::time::Duration::from_secs(args.mail_poll_interval.max(1)));
    tracing::info!(addr = %app.addr(), "agentry listening");
    app.run_until_stopped().await?;
    Ok(())
}

fn init_tracing(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,sqlx=warn,tower_http=info".into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    // `try_init`: tests start several servers in one process.
    let _ = if format == "json" { builder.json().try_init() } else { builder.try_init() };
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn serve(args: &[&str]) -> Result<ServeArgs, clap::Error> {
        let argv = ["agentry", "serve"].iter().chain(args).copied();
        match Cli::try_parse_from(argv)?.command {
            Some(Command::Serve(a)) => Ok(a),
            _ => unreachable!("serve"),
        }
    }

    #[test]
    fn limits_default_to_the_services_defaults() {
        let s = serve(&[]).unwrap().settings();
        let d = Config::default();
        assert!(s.trusted_proxies.is_empty());
        assert_eq!(s.services.rate_window, d.rate_window);
        assert_eq!(s.services.login_limit_per_ip, d.login_limit_per_ip);
        assert_eq!(s.services.login_limit_per_email, d.login_limit_per_email);
        assert_eq!(s.services.signup_limit_per_ip, d.signup_limit_per_ip);
        assert_eq!(s.services.challenge_limit_per_ip, d.challenge_limit_per_ip);
        assert_eq!(s.services.registration_limit_per_ip, d.registration_limit_per_ip);
        assert_eq!(s.services.registration_limit_per_owner, d.registration_limit_per_owner);
        assert_eq!(s.services.registration_limit_global, d.registration_limit_global);
        assert_eq!(s.services.invite_resend_limit_per_agent, d.invite_resend_limit_per_agent);
        assert_eq!(s.services.pow_adaptive_step, d.pow_adaptive_step);
    }

    #[test]
    fn limits_and_trusted_proxies_are_flags() {
        let s = serve(&[
            "--trusted-proxies",
            "10.0.0.0/8, 192.0.2.1",
            "--trusted-proxies",
            "2001:db8::/32",
            "--rate-window-secs",
            "60",
            "--signup-limit-per-ip",
            "3",
            "--invite-resend-limit-per-agent",
            "2",
        ])
        .unwrap()
        .settings();
        let nets: Vec<String> = s.trusted_proxies.iter().map(ToString::to_string).collect();
        assert_eq!(nets, ["10.0.0.0/8", "192.0.2.1/32", "2001:db8::/32"]);
        assert_eq!(s.services.rate_window, std::time::Duration::from_secs(60));
        assert_eq!(s.services.signup_limit_per_ip, 3);
        assert_eq!(s.services.invite_resend_limit_per_agent, 2);
    }

    #[test]
    fn a_bad_trusted_proxy_fails_with_a_clear_message() {
        for bad in ["10.0.0.0/33", "proxy.local", "10.0.0.1/8", "10.0.0.0/8,,::1"] {
            let err = serve(&["--trusted-proxies", bad]).unwrap_err().to_string();
            assert!(err.contains("--trusted-proxies"), "{bad}: {err}");
        }
        assert!(serve(&["--rate-window-secs", "0"]).is_err());
        // An empty value (say `AGENTRY_TRUSTED_PROXIES=`) trusts nobody.
        assert!(serve(&["--trusted-proxies", " "]).unwrap().settings().trusted_proxies.is_empty());
    }
}
