//! Server functions of the directory pages: the OData list behind the agents table, one
//! agent with its definition, history and schedule, and the actions on it (each the
//! services method the REST handler of the same operation calls). Bodies with structure
//! travel as JSON.

use crate::error::AppError;
use agentry_services::model::{
    Agent, AgentListQuery, AgentPage, AuditPage, OwnershipTransfer, TransferList, Variation,
};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[cfg(feature = "ssr")]
use super::ctx;

/// What the agents table shows: a page, and whether the viewer is an owner or admin (who
/// may list deleted agents).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DirectoryPage {
    /// The page, as the REST list answers it.
    pub page: AgentPage,
    /// The viewer is an owner or admin of the organization.
    pub admin: bool,
}

/// A page of the directory for an OData query (the page composes it from its URL), or
/// `None` when nobody is signed in.
#[server(prefix = "/fn", endpoint = "directory", input = Json)]
pub async fn directory(query: AgentListQuery) -> Result<Option<DirectoryPage>, AppError> {
    let services = ctx::services()?;
    let Some(p) = ctx::principal(&services).await? else {
        return Ok(None);
    };
    let page = services.list_agents_odata(&p, &query, "/api/v1/agents").await.map_err(ctx::fail)?;
    Ok(Some(DirectoryPage { page, admin: p.role.is_admin() }))
}

/// One agent as its page shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AgentView {
    /// The agent, as `GET /api/agents/{id}` answers it, with its ETag's revision.
    pub agent: Agent,
    /// The revision `If-Match` names.
    pub revision: i64,
    /// The draft (or the active version when none is pending), when the viewer may use it.
    pub draft: Option<Variation>,
    /// The deployed versions, newest first, when the viewer may use it.
    pub versions: Vec<Variation>,
    /// The next five runs of the active cron trigger, in its time zone (and UTC).
    pub next_runs: Vec<String>,
    /// The active cron trigger in words.
    pub schedule_words: Option<String>,
    /// The same for the draft's trigger, when it differs from the active one.
    pub draft_next_runs: Vec<String>,
    /// The draft's cron trigger in words, when it differs.
    pub draft_schedule_words: Option<String>,
    /// The organization's members `(id, email)`, for access and transfers.
    pub members: Vec<(i64, String)>,
    /// The viewer's user id.
    pub you: i64,
}

/// One agent with what its tabs need, or `None` when nobody is signed in.
#[server(prefix = "/fn", endpoint = "agent-detail")]
pub async fn agent_detail(id: i64) -> Result<Option<AgentView>, AppError> {
    use agentry_services::definition::{describe_cron, next_runs_local, parse_definition, Trigger};
    use agentry_services::View;
    let services = ctx::services()?;
    let Some(p) = ctx::principal(&services).await? else {
        return Ok(None);
    };
    let mut view = services.get_agent(&p, id, None).await.map_err(ctx::fail)?;
    if view.agent.can_use {
        view = services.get_agent(&p, id, Some(View::Active)).await.map_err(ctx::fail)?;
    }
    let (draft, versions) = if view.agent.can_use {
        let draft = match services.get_draft(&p, id).await {
            Ok((draft, _)) => draft,
            // Registered without a definition: the starter definition, not saved yet.
            Err(e) if e.is(agentry_services::ErrorCode::AgentNotFound) => starter_draft(&view.agent),
            Err(e) => return Err(ctx::fail(e)),
        };
        (Some(draft), services.list_variations(&p, id).await.map_err(ctx::fail)?.value)
    } else {
        (None, Vec::new())
    };
    let ty = view.agent.agent_type;
    let trigger_of = |v: Option<Value>| v.and_then(|raw| parse_definition(&raw, ty).ok()).map(|d| d.trigger);
    let active = trigger_of(view.agent.variation.as_ref().and_then(|v| serde_json::to_value(v).ok()));
    let drafted = trigger_of(draft.as_ref().and_then(|d| serde_json::to_value(&d.detail).ok()));
    let preview = |t: &Option<Trigger>| match t {
        Some(t @ Trigger::Cron { cron, .. }) => {
            (next_runs_local(t, chrono::Utc::now(), 5), describe_cron(cron.as_str()))
        }
        _ => (Vec::new(), None),
    };
    let (next, words) = preview(&active);
    let (draft_next, draft_words) = if drafted != active { preview(&drafted) } else { (Vec::new(), None) };
    let org = p.org_id.to_string();
    let members = services.list_members(&p, &org, Some(200), None).await.map_err(ctx::fail)?;
    let members = members.value.into_iter().map(|m| (m.user_id, m.email)).collect();
    Ok(Some(AgentView {
        agent: view.agent,
        revision: view.revision,
        draft,
        versions,
        next_runs: next,
        schedule_words: words,
        draft_next_runs: draft_next,
        draft_schedule_words: draft_words,
        members,
        you: p.user_id,
    }))
}

/// The draft the Definition tab offers an agent that has none (one registered before it
/// had a definition): the services' starter definition, unsaved (its id is empty).
#[cfg(feature = "ssr")]
fn starter_draft(agent: &Agent) -> Variation {
    use agentry_services::definition::Definition;
    let body = Definition::empty(agent.agent_type).to_json();
    let field = |k: &str| body.get(k).cloned().unwrap_or(Value::Null);
    Variation {
        id: String::new(),
        agent_id: agent.id,
        number: None,
        name: None,
        notes: None,
        deployed_by: None,
        deployed_at: None,
        active: false,
        restored_from: None,
        updated_at: agent.updated_at,
        detail: agentry_services::model::VariationDetail {
            trigger: field("trigger"),
            workflow_structure: field("workflowStructure"),
            agent_selection: field("agentSelection"),
        },
    }
}

/// An action on one agent, as its page offers them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum AgentOp {
    /// `POST /activate`.
    Activate,
    /// `POST /deactivate`.
    Deactivate,
    /// `DELETE` (soft).
    Delete,
    /// `POST /deploy {name, notes}`.
    Deploy { name: String, notes: String },
    /// Copy a version into the draft.
    Restore(String),
    /// Make a version active (roll back or forward).
    ActivateVersion(String),
    /// `POST /toggle {enabled}`.
    Schedule(bool),
    /// `PUT /draft` with this body.
    SaveDraft(Value),
    /// `PATCH` with this merge patch.
    Patch(Value),
    /// `POST /ownership-transfer {toUserId, message}`.
    Transfer { to: i64, message: String },
    /// Accept the pending transfer (the recipient).
    AcceptTransfer,
    /// Decline it (the recipient).
    DeclineTransfer,
    /// Cancel it (the requester or a manager).
    CancelTransfer,
}

/// Runs `action` on agent `id`; `revision` (the one the page read) becomes `If-Match`
/// where the REST API takes it, so a change made meanwhile is a 412, not lost.
#[server(prefix = "/fn", endpoint = "agent-action", input = Json)]
pub async fn agent_action(id: i64, action: AgentOp, revision: Option<i64>) -> Result<(), AppError> {
    use agentry_services::model::{DeployRequest, TransferRequest};
    let services = ctx::services()?;
    let p = ctx::require_principal(&services).await?;
    let meta = ctx::request_meta().await;
    let m = revision.map(|r| vec![r]);
    let m = m.as_deref();
    let s = &services;
    let done = match action {
        AgentOp::Activate => s.set_agent_enabled(&p, id, true, m, &meta).await.map(drop),
        AgentOp::Deactivate => s.set_agent_enabled(&p, id, false, m, &meta).await.map(drop),
        AgentOp::Delete => s.delete_agent(&p, id, m, &meta).await.map(drop),
        AgentOp::Deploy { name, notes } => {
            let req = DeployRequest {
                name: Some(name).filter(|n| !n.trim().is_empty()),
                notes: Some(notes).filter(|n| !n.trim().is_empty()),
            };
            s.deploy_agent(&p, id, req, m, &meta).await.map(drop)
        }
        AgentOp::Restore(vid) => s.use_variation(&p, id, &vid, false, m, &meta).await.map(drop),
        AgentOp::ActivateVersion(vid) => s.use_variation(&p, id, &vid, true, m, &meta).await.map(drop),
        AgentOp::Schedule(on) => s.toggle_schedule(&p, id, Some(on), m, &meta).await.map(drop),
        AgentOp::SaveDraft(body) => s.put_draft(&p, id, &body, m, &meta).await.map(drop),
        AgentOp::Patch(patch) => s.patch_agent(&p, id, &patch, m, &meta).await.map(drop),
        AgentOp::Transfer { to, message } => {
            let req = TransferRequest { to_user_id: to, message: Some(message) };
            s.request_transfer(&p, id, req, &meta).await.map(drop)
        }
        AgentOp::AcceptTransfer => s.accept_transfer(&p, id, &meta).await.map(drop),
        AgentOp::DeclineTransfer => s.decline_transfer(&p, id, &meta).await.map(drop),
        AgentOp::CancelTransfer => s.cancel_transfer(&p, id, &meta).await.map(drop),
    };
    done.map_err(ctx::fail)
}

/// The outcome of a bulk action: how many succeeded, and the failures `(id, message)`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkOutcome {
    /// Agents changed.
    pub done: usize,
    /// Agents not changed, with why.
    pub failed: Vec<(i64, String)>,
}

/// Activates, deactivates or deletes several agents (the table's bulk actions); each is
/// its own change with its own permission check.
#[server(prefix = "/fn", endpoint = "agents-bulk", input = Json)]
pub async fn agents_bulk(ids: Vec<i64>, action: AgentOp) -> Result<BulkOutcome, AppError> {
    if u32::try_from(ids.len()).map_or(true, |n| n > agentry_services::odata::MAX_TOP) {
        return Err(ctx::fail(agentry_services::ServiceError::field("ids", "At most one page of agents at a time.")));
    }
    let services = ctx::services()?;
    let p = ctx::require_principal(&services).await?;
    let meta = ctx::request_meta().await;
    let mut out = BulkOutcome::default();
    for id in ids {
        let r = match action {
            AgentOp::Activate => services.set_agent_enabled(&p, id, true, None, &meta).await.map(drop),
            AgentOp::Deactivate => services.set_agent_enabled(&p, id, false, None, &meta).await.map(drop),
            AgentOp::Delete => services.delete_agent(&p, id, None, &meta).await.map(drop),
            _ => Err(agentry_services::ServiceError::field(
                "action",
                "Bulk actions are activate, deactivate and delete.",
            )),
        };
        match r {
            Ok(()) => out.done += 1,
            Err(e) => out.failed.push((id, e.detail().to_string())),
        }
    }
    Ok(out)
}

/// Creates an agent (a draft definition), answers its id, and redirects to its page.
#[server(prefix = "/fn", endpoint = "create-agent")]
pub async fn create_agent(name: String, agent_type: String) -> Result<i64, AppError> {
    use agentry_services::model::{AgentType, CreateAgentRequest};
    let services = ctx::services()?;
    let p = ctx::require_principal(&services).await?;
    let meta = ctx::request_meta().await;
    let agent_type = AgentType::parse(&agent_type)
        .ok_or_else(|| ctx::fail(agentry_services::ServiceError::field("type", "Choose task or workflow.")))?;
    let req = CreateAgentRequest {
        name,
        slug: None,
        description: None,
        email: None,
        agent_type: Some(agent_type),
        access_config: None,
    };
    let (view, _) = services.create_agent(&p, req, None, &meta).await.map_err(ctx::fail)?;
    // Its page opens, from the hydrated form and from a plain form post alike.
    leptos_axum::redirect(&format!("/agents/{}", view.agent.id));
    Ok(view.agent.id)
}

/// The transfers waiting for the viewer, or `None` when nobody is signed in.
#[server(prefix = "/fn", endpoint = "my-transfers")]
pub async fn my_transfers() -> Result<Option<TransferList>, AppError> {
    let services = ctx::services()?;
    let Some(p) = ctx::principal(&services).await? else {
        return Ok(None);
    };
    services.my_transfers(&p).await.map(Some).map_err(ctx::fail)
}

/// Accepts or declines a transfer from the inbox.
#[server(prefix = "/fn", endpoint = "answer-transfer")]
pub async fn answer_transfer(agent_id: i64, accept: bool) -> Result<Option<OwnershipTransfer>, AppError> {
    let services = ctx::services()?;
    let p = ctx::require_principal(&services).await?;
    let meta = ctx::request_meta().await;
    if accept {
        services.accept_transfer(&p, agent_id, &meta).await.map(|_| None).map_err(ctx::fail)
    } else {
        services.decline_transfer(&p, agent_id, &meta).await.map(Some).map_err(ctx::fail)
    }
}

/// Mints a new key for the agent (older keys keep working for the grace period); the key
/// is shown once.
#[server(prefix = "/fn", endpoint = "rotate-agent-key")]
pub async fn rotate_agent_key(agent_id: i64) -> Result<agentry_services::model::AgentKeyRotationResponse, AppError> {
    let services = ctx::services()?;
    let p = ctx::require_principal(&services).await?;
    let meta = ctx::request_meta().await;
    services.rotate_agent_key(&p, agent_id, &meta).await.map_err(ctx::fail)
}

/// The viewer's saved views of the directory, by name (empty when signed out).
#[server(prefix = "/fn", endpoint = "saved-views")]
pub async fn saved_views() -> Result<Vec<agentry_services::model::SavedView>, AppError> {
    let services = ctx::services()?;
    let Some(p) = ctx::principal(&services).await? else {
        return Ok(Vec::new());
    };
    services.saved_views(&p, "agents").await.map(|l| l.value).map_err(ctx::fail)
}

/// Saves the directory's current query under `name` (replacing a view of that name).
#[server(prefix = "/fn", endpoint = "save-view")]
pub async fn save_view(name: String, query: String) -> Result<agentry_services::model::SavedView, AppError> {
    use agentry_services::model::{SaveViewRequest, ViewSpec};
    let spec = ViewSpec::parse(&SaveViewRequest { list: "agents".into(), name, query }).map_err(ctx::invalid)?;
    let services = ctx::services()?;
    let p = ctx::require_principal(&services).await?;
    services.save_view(&p, spec).await.map(|(v, _)| v).map_err(ctx::fail)
}

/// Deletes one of the viewer's saved views.
#[server(prefix = "/fn", endpoint = "delete-view")]
pub async fn delete_view(id: i64) -> Result<(), AppError> {
    let services = ctx::services()?;
    let p = ctx::require_principal(&services).await?;
    services.delete_view(&p, id).await.map_err(ctx::fail)
}

/// A page of the audit entries about one agent, newest first (`cursor`: older than this
/// entry), for those who may manage it.
#[server(prefix = "/fn", endpoint = "agent-audit")]
pub async fn agent_audit(id: i64, cursor: Option<i64>) -> Result<AuditPage, AppError> {
    let services = ctx::services()?;
    let p = ctx::require_principal(&services).await?;
    services.agent_audit(&p, id, Some(25), cursor).await.map_err(ctx::fail)
}
