//! Command-line interface: `agentry [serve]` starts the server; `agentry agent register`
//! registers an agent with a server.

use crate::startup::{Application, Settings};
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

#[derive(Debug, Subcommand)]
enum Command {
    /// Start the HTTP server (the default).
    Serve(ServeArgs),
    /// Work with agents on an Agentry server (`agentry agent register --help`).
    #[command(subcommand)]
    Agent(crate::agent_cli::AgentCommand),
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
}

impl ServeArgs {
    /// Turns flags into server settings.
    pub fn settings(&self) -> Settings {
        let public_url = self.public_url.clone().unwrap_or_else(|| format!("http://{}", self.addr));
        let services = agentry_services::Config {
            public_url: public_url.trim_end_matches('/').to_string(),
            secret: self.secret.clone(),
            smtp_url: self.smtp_url.clone().filter(|u| !u.is_empty()),
            mail_from: self.mail_from.clone(),
            pow_min_difficulty: self.pow_min_difficulty,
            pow_max_difficulty: self.pow_max_difficulty.max(self.pow_min_difficulty),
            pow_invite_min_difficulty: self.pow_invite_min_difficulty,
            invite_ttl: std::time::Duration::from_secs(self.invite_ttl_hours.max(1) * 3600),
            agent_key_grace: std::time::Duration::from_secs(self.agent_key_grace_hours * 3600),
            ..Default::default()
        };
        Settings {
            addr: self.addr,
            database_url: self.database_url.clone(),
            site_root: self.site_root.clone(),
            request_timeout: std::time::Duration::from_secs(self.request_timeout),
            max_body: self.max_body,
            services,
        }
    }
}

/// Runs the chosen command.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let args = match cli.command {
        Some(Command::Serve(args)) => args,
        Some(Command::Agent(cmd)) => return crate::agent_cli::run(cmd).await,
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
