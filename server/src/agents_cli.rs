//! `agentry agents list|get|create|update|activate|deactivate|delete|deploy`: the agent
//! directory from a terminal, through the `agentry-client` crate (its retries, typed
//! errors and OData builders). Output is a table (default) or JSON (`--output json`); the
//! API key is read from `--api-key` or AGENTRY_API_KEY and never printed.

use agentry_client::odata::{Filter, ListOptions, OrderBy};
use agentry_client::{
    AgentPatch, AgentType, AgentsClient, ClientOptions, CreateAgent, DeployRequest, DEFAULT_BASE_URL,
};
use anyhow::{bail, Context};
use clap::{Args, Subcommand, ValueEnum};
use output::{emit, print_agent, table};
use serde_json::{Map, Value};

mod output;

/// `agentry agents …` and the options every subcommand shares.
#[derive(Debug, Args)]
pub struct AgentsArgs {
    /// Base URL of the Agentry server.
    #[arg(long, global = true, env = "AGENTRY_URL", default_value = DEFAULT_BASE_URL)]
    pub server: String,
    /// Your user API key (uak_…). Prefer the environment variable: a flag shows in the
    /// process list.
    #[arg(long, global = true, env = "AGENTRY_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = Output::Table)]
    pub output: Output,
    #[command(subcommand)]
    pub command: AgentsCommand,
}

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// Aligned columns (lists) or field/value lines (one agent).
    Table,
    /// The API's JSON; one agent carries its ETag as `@odata.etag`.
    Json,
}

/// The directory's operations.
#[derive(Debug, Subcommand)]
pub enum AgentsCommand {
    /// List agents: one page (the hint on stderr says how to get the next), or `--all`.
    List(ListArgs),
    /// Show one agent and its ETag.
    Get(IdArg),
    /// Create an agent (a draft definition with no keys and no seat).
    Create(CreateArgs),
    /// Change an agent with a JSON merge patch.
    Update(UpdateArgs),
    /// Activate an agent: its keys authenticate again.
    Activate(StateArgs),
    /// Deactivate an agent: its keys stop authenticating.
    Deactivate(StateArgs),
    /// Soft-delete an agent (frees its seat and slug, revokes its keys).
    Delete(StateArgs),
    /// Deploy the draft as the next version.
    Deploy(DeployArgs),
}

/// `agents list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// OData `$filter`, e.g. "status eq 'active' and contains(name, 'churn')".
    #[arg(long)]
    pub filter: Option<String>,
    /// OData `$orderby`, e.g. "name desc,createdAt".
    #[arg(long)]
    pub orderby: Option<String>,
    /// Fields to show, comma-separated (`id` always comes too); also the table's columns.
    #[arg(long, value_delimiter = ',')]
    pub select: Vec<String>,
    /// Rows per page (0 to 1000; the server's default is 50).
    #[arg(long)]
    pub top: Option<u32>,
    /// Rows to skip.
    #[arg(long)]
    pub skip: Option<u32>,
    /// Also report the number of matching agents.
    #[arg(long)]
    pub count: bool,
    /// Only the agent with this email address.
    #[arg(long)]
    pub email: Option<String>,
    /// Include soft-deleted agents (owners and admins).
    #[arg(long)]
    pub include_deleted: bool,
    /// Follow every `@odata.nextLink` and print all rows.
    #[arg(long)]
    pub all: bool,
    /// Fetch the page of this `@odata.nextLink` (printed by a previous `list`).
    #[arg(long, value_name = "LINK", conflicts_with_all = ["filter", "orderby", "select", "top", "skip", "count", "email", "include_deleted"])]
    pub next: Option<String>,
}

/// An agent id.
#[derive(Debug, Args)]
pub struct IdArg {
    /// The agent's numeric id.
    pub id: i64,
}

/// An agent id and an optional precondition.
#[derive(Debug, Args)]
pub struct StateArgs {
    /// The agent's numeric id.
    pub id: i64,
    /// Act only if the agent is still at this ETag (from `get`).
    #[arg(long, value_name = "ETAG")]
    pub if_match: Option<String>,
}

/// `task` or `workflow`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Kind {
    /// One step.
    Task,
    /// A graph of steps.
    Workflow,
}

/// `agents create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Display name.
    #[arg(long)]
    pub name: String,
    /// Fixed at creation (the server's default: task).
    #[arg(long = "type", value_enum)]
    pub kind: Option<Kind>,
    /// URL-safe slug (generated from the name when absent).
    #[arg(long)]
    pub slug: Option<String>,
    /// What the agent does.
    #[arg(long)]
    pub description: Option<String>,
    /// A contact address.
    #[arg(long)]
    pub email: Option<String>,
    /// Who may use and manage it, as JSON: '{"use":{"roles":[…]},"manage":{…}}'.
    #[arg(long, value_name = "JSON")]
    pub access_config: Option<String>,
    /// Makes the request safe to repeat: the same key and body return the same agent.
    #[arg(long, value_name = "KEY")]
    pub idempotency_key: Option<String>,
}

/// `agents update`.
#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The agent's numeric id.
    pub id: i64,
    /// Set a field to a string: `--set name="New name"` (repeatable).
    #[arg(long, value_name = "FIELD=TEXT")]
    pub set: Vec<String>,
    /// Set a field to a JSON value: `--set-json accessConfig='{"use":{"roles":["owner"]}}'`.
    #[arg(long, value_name = "FIELD=JSON")]
    pub set_json: Vec<String>,
    /// Remove a field (set it to null): `--unset email`.
    #[arg(long, value_name = "FIELD")]
    pub unset: Vec<String>,
    /// A whole merge patch (RFC 7396) as a JSON object; `--set`, `--set-json` and `--unset`
    /// apply on top of it.
    #[arg(long, value_name = "JSON")]
    pub patch: Option<String>,
    /// Change only if the agent is still at this ETag (from `get`).
    #[arg(long, value_name = "ETAG")]
    pub if_match: Option<String>,
}

/// `agents deploy`.
#[derive(Debug, Args)]
pub struct DeployArgs {
    /// The agent's numeric id.
    pub id: i64,
    /// The version's name (default "Version N").
    #[arg(long)]
    pub name: Option<String>,
    /// Release notes.
    #[arg(long)]
    pub notes: Option<String>,
    /// Deploy only if the agent is still at this ETag.
    #[arg(long, value_name = "ETAG")]
    pub if_match: Option<String>,
}

/// Runs an `agentry agents` command.
pub async fn run(args: AgentsArgs) -> anyhow::Result<()> {
    let key = args.api_key.as_deref().map(str::trim).filter(|k| !k.is_empty());
    let Some(key) = key else {
        bail!(
            "an API key is needed: set AGENTRY_API_KEY (or pass --api-key uak_…); create one under Account → API keys"
        );
    };
    let client = AgentsClient::new(ClientOptions::new(key).base_url(args.server.trim()))?;
    let out = args.output;
    let agent = match args.command {
        AgentsCommand::List(list) => return run_list(&client, list, out).await,
        AgentsCommand::Get(a) => client.get_agent(a.id).await?,
        AgentsCommand::Create(c) => {
            let access_config = match &c.access_config {
                Some(text) => Some(serde_json::from_str(text).context("--access-config is not valid JSON")?),
                None => None,
            };
            let req = CreateAgent {
                name: c.name,
                agent_type: c.kind.map(|k| match k {
                    Kind::Task => AgentType::Task,
                    Kind::Workflow => AgentType::Workflow,
                }),
                slug: c.slug,
                description: c.description,
                email: c.email,
                access_config,
            };
            client.create_agent(&req, c.idempotency_key.as_deref()).await?
        }
        AgentsCommand::Update(u) => {
            let patch = merge_patch(&u)?;
            client.update_agent(u.id, &patch, u.if_match.as_deref()).await?
        }
        AgentsCommand::Activate(s) => client.activate_agent(s.id, s.if_match.as_deref()).await?,
        AgentsCommand::Deactivate(s) => client.deactivate_agent(s.id, s.if_match.as_deref()).await?,
        AgentsCommand::Delete(s) => client.delete_agent(s.id, s.if_match.as_deref()).await?,
        AgentsCommand::Deploy(d) => {
            let req = DeployRequest { name: d.name, notes: d.notes };
            client.deploy_agent(d.id, &req, d.if_match.as_deref()).await?
        }
    };
    print_agent(&agent, out)
}

/// The merge patch of `agents update`'s flags.
fn merge_patch(u: &UpdateArgs) -> anyhow::Result<AgentPatch> {
    let mut patch = match &u.patch {
        Some(text) => {
            let v: Value = serde_json::from_str(text).context("--patch is not valid JSON")?;
            AgentPatch::try_from(v)?
        }
        None => AgentPatch::new(),
    };
    let split = |flag: &str, s: &str| -> anyhow::Result<(String, String)> {
        match s.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
            _ => bail!("{flag} takes FIELD=VALUE, got {s:?}"),
        }
    };
    for s in &u.set {
        let (k, v) = split("--set", s)?;
        patch = patch.set(k, v);
    }
    for s in &u.set_json {
        let (k, v) = split("--set-json", s)?;
        let value: Value = serde_json::from_str(&v).with_context(|| format!("--set-json {k}: not valid JSON"))?;
        patch = patch.set(k, value);
    }
    for k in &u.unset {
        patch = patch.set(k.trim(), Value::Null);
    }
    if patch.is_empty() {
        bail!("nothing to change: give --set FIELD=TEXT, --set-json FIELD=JSON, --unset FIELD or --patch JSON");
    }
    Ok(patch)
}

async fn run_list(client: &AgentsClient, a: ListArgs, out: Output) -> anyhow::Result<()> {
    let select: Vec<String> = a.select.iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
    let (rows, count, next) = if let Some(link) = &a.next {
        let page = client.list_agents_at(link).await?;
        (page.value, page.count, page.next_link)
    } else {
        let mut opts = ListOptions::new().count(a.count).include_deleted(a.include_deleted).select(select.clone());
        if let Some(f) = a.filter.filter(|f| !f.trim().is_empty()) {
            opts = opts.filter(Filter::raw(f));
        }
        if let Some(o) = a.orderby.filter(|o| !o.trim().is_empty()) {
            opts = opts.orderby(OrderBy::raw(o));
        }
        if let Some(n) = a.top {
            opts = opts.top(n);
        }
        if let Some(n) = a.skip {
            opts = opts.skip(n);
        }
        if let Some(e) = a.email {
            opts = opts.email(e);
        }
        if a.all {
            let mut pager = client.pager(opts);
            let (mut rows, mut count) = (Vec::new(), None);
            while let Some(page) = pager.next_page().await? {
                count = count.or(page.count);
                rows.extend(page.value);
            }
            (rows, count, None)
        } else {
            let page = client.list_agents(&opts).await?;
            (page.value, page.count, page.next_link)
        }
    };
    match out {
        Output::Json => {
            let mut page = Map::new();
            page.insert("value".into(), Value::Array(rows));
            if let Some(n) = count {
                page.insert("@odata.count".into(), n.into());
            }
            if let Some(link) = &next {
                page.insert("@odata.nextLink".into(), link.clone().into());
            }
            emit(&format!("{}\n", serde_json::to_string_pretty(&Value::Object(page))?))?;
        }
        Output::Table => {
            let mut columns: Vec<&str> = vec!["id"];
            if select.is_empty() {
                columns.extend(["name", "slug", "type", "status", "enabled", "updatedAt"]);
            } else {
                columns.extend(select.iter().map(String::as_str).filter(|c| *c != "id"));
            }
            let mut text = table(&columns, &rows);
            if let Some(n) = count {
                text.push_str(&format!("{n} matching\n"));
            }
            emit(&text)?;
        }
    }
    if let Some(link) = next {
        eprintln!("More agents: agentry agents list --next '{link}'   (or --all for every page)");
    }
    Ok(())
}
