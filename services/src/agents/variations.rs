//! Variations (Dify, LangGraph assistants): one draft, and deployed versions that never
//! change. Deploy freezes the draft as the next version and makes it active; a version
//! can be restored into the draft, or activated again (roll back or forward) without
//! touching the draft. `hasUnpublishedChanges` compares the two in the read query.

use super::directory::{event, not_found, AgentView};
use super::record::AgentRecord;
use crate::audit;
use crate::definition::{parse_definition, Definition, Trigger};
use crate::errors::ErrorCode;
use crate::model::{AgentType, DeployRequest, Variation, VariationDetail, VariationList};
use crate::principal::{Principal, RequestMeta};
use crate::store::{opt_time, to_time};
use crate::{ServiceError, Services};
use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

pub use crate::model::{VERSION_NAME_MAX, VERSION_NOTES_MAX};

/// Which definition `?view=` asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// The draft (the active version when no draft is pending).
    Draft,
    /// The deployed version (none before the first deploy).
    Active,
}

impl View {
    /// `draft` or `active`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "draft" => Some(View::Draft),
            "active" => Some(View::Active),
            _ => None,
        }
    }
}

const VARIATION_COLS: &str =
    "id, agent_id, number, definition, name, notes, deployed_by, deployed_at, restored_from, updated_at";

fn detail(definition: &str) -> Result<VariationDetail, ServiceError> {
    let v: Value = serde_json::from_str(definition).map_err(ServiceError::internal)?;
    Ok(VariationDetail {
        trigger: v.get("trigger").cloned().unwrap_or(Value::Null),
        workflow_structure: v.get("workflowStructure").cloned().unwrap_or(Value::Null),
        agent_selection: v.get("agentSelection").cloned().unwrap_or(Value::Null),
    })
}

fn variation_row(r: &AnyRow, active: Option<&str>) -> Result<Variation, ServiceError> {
    let id: String = r.try_get("id")?;
    Ok(Variation {
        active: active == Some(id.as_str()),
        id,
        agent_id: r.try_get("agent_id")?,
        number: r.try_get("number")?,
        name: r.try_get("name")?,
        notes: r.try_get("notes")?,
        deployed_by: r.try_get("deployed_by")?,
        deployed_at: opt_time(r, "deployed_at")?,
        restored_from: r.try_get("restored_from")?,
        updated_at: to_time(r.try_get("updated_at")?),
        detail: detail(&r.try_get::<String, _>("definition")?)?,
    })
}

async fn variation<'e, E>(
    exec: E,
    agent: i64,
    vid: &str,
    active: Option<&str>,
) -> Result<Option<Variation>, ServiceError>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    let sql = format!("SELECT {VARIATION_COLS} FROM agent_variations WHERE id = $1 AND agent_id = $2");
    let row = sqlx::query(&sql).bind(vid).bind(agent).fetch_optional(exec).await?;
    row.map(|r| variation_row(&r, active)).transpose()
}

/// The variation `view` shows of `rec`, if any.
pub(crate) async fn variation_detail<'e, E>(
    exec: E,
    rec: &AgentRecord,
    view: View,
) -> Result<Option<VariationDetail>, ServiceError>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    let id = match view {
        View::Draft => rec.draft_variation_id.as_ref().or(rec.active_variation_id.as_ref()),
        View::Active => rec.active_variation_id.as_ref(),
    };
    let Some(id) = id else { return Ok(None) };
    Ok(variation(exec, rec.id, id, None).await?.map(|v| v.detail))
}

/// Inserts a new agent's first draft and points the agent at it.
pub(crate) async fn insert_draft(
    tx: &mut Transaction<'static, Any>,
    agent: i64,
    agent_type: AgentType,
    by: i64,
    now: i64,
) -> Result<(), ServiceError> {
    let definition = Definition::empty(agent_type).to_json().to_string();
    write_draft(tx, agent, None, &definition, None, by, now).await
}

/// Saves `definition` as the agent's draft: updates the pending draft, or starts one.
async fn write_draft(
    tx: &mut Transaction<'static, Any>,
    agent: i64,
    draft: Option<&str>,
    definition: &str,
    restored_from: Option<&str>,
    by: i64,
    now: i64,
) -> Result<(), ServiceError> {
    if let Some(draft) = draft {
        sqlx::query("UPDATE agent_variations SET definition = $1, restored_from = $2, updated_at = $3 WHERE id = $4")
            .bind(definition)
            .bind(restored_from)
            .bind(now)
            .bind(draft)
            .execute(&mut **tx)
            .await?;
    } else {
        let id = uuid::Uuid::new_v4().to_string();
        sqlx::query(
            "INSERT INTO agent_variations (id, agent_id, definition, restored_from, created_by, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(&id)
        .bind(agent)
        .bind(definition)
        .bind(restored_from)
        .bind(by)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        sqlx::query("UPDATE agents SET draft_variation_id = $1 WHERE id = $2")
            .bind(&id)
            .bind(agent)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

pub(super) async fn bump(tx: &mut Transaction<'static, Any>, agent: i64, now: i64) -> Result<(), ServiceError> {
    sqlx::query("UPDATE agents SET updated_at = $1, revision = revision + 1 WHERE id = $2")
        .bind(now)
        .bind(agent)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

fn optional_text(raw: Option<&str>, field: &str, max: usize) -> Result<Option<String>, ServiceError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) if s.chars().count() > max => {
            Err(ServiceError::field(field, format!("{field} must be at most {max} characters.")))
        }
        other => Ok(other.map(str::to_string)),
    }
}

impl Services {
    /// `GET /api/v1/agents/{id}/draft`: the draft, or the active version when no draft is
    /// pending (`active: true`). Anyone who may use the agent may read it.
    pub async fn get_draft(&self, p: &Principal, id: i64) -> Result<(Variation, i64), ServiceError> {
        let rec = self.agent_record(p, id).await?;
        must_use(&rec, p)?;
        let vid = rec.draft_variation_id.as_ref().or(rec.active_variation_id.as_ref()).ok_or_else(not_found)?;
        let v = variation(&self.db().pool, id, vid, rec.active_variation_id.as_deref()).await?.ok_or_else(not_found)?;
        Ok((v, rec.revision))
    }

    /// `PUT /api/v1/agents/{id}/draft {trigger, workflowStructure, agentSelection}`:
    /// validated whole (a DAG of known steps for a workflow, one step for a task, a cron
    /// with an IANA zone); every problem points at its node (422 `invalid_definition`).
    #[tracing::instrument(skip_all)]
    pub async fn put_draft(
        &self,
        p: &Principal,
        id: i64,
        raw: &Value,
        if_match: Option<&[i64]>,
        meta: &RequestMeta,
    ) -> Result<(Variation, i64), ServiceError> {
        if !raw.is_object() {
            let e = crate::errors::FieldError::new(
                "",
                "A definition is a JSON object {trigger, workflowStructure, agentSelection}.",
            );
            return Err(invalid_definition(vec![e]));
        }
        let now = self.now_ms();
        let mut tx = self.db().begin().await?;
        let rec = self.locked_record(&mut tx, p, id).await?;
        rec.must_manage(p)?;
        rec.check_precondition(if_match)?;
        let definition = parse_definition(raw, rec.agent_type).map_err(invalid_definition)?;
        let json = definition.to_json().to_string();
        write_draft(&mut tx, id, rec.draft_variation_id.as_deref(), &json, None, p.user_id, now).await?;
        bump(&mut tx, id, now).await?;
        audit::record(&mut *tx, meta, event(p, "agent.draft_saved", id, None), now).await?;
        let view = self.commit_view(tx, p, id, now).await?;
        let vid = view.agent.draft_variation_id.clone().ok_or_else(|| ServiceError::internal("draft not saved"))?;
        let v = variation(&self.db().pool, id, &vid, view.agent.active_variation_id.as_deref())
            .await?
            .ok_or_else(not_found)?;
        Ok((v, view.revision))
    }

    /// `POST /api/v1/agents/{id}/deploy {name?, notes?}`: freezes the draft as the next
    /// version, makes it active, and sets `status: active`. 409 `nothing_to_deploy` when
    /// no draft is pending or it equals the active version.
    #[tracing::instrument(skip_all)]
    pub async fn deploy_agent(
        &self,
        p: &Principal,
        id: i64,
        req: DeployRequest,
        if_match: Option<&[i64]>,
        meta: &RequestMeta,
    ) -> Result<AgentView, ServiceError> {
        let name = optional_text(req.name.as_deref(), "name", VERSION_NAME_MAX)?;
        let notes = optional_text(req.notes.as_deref(), "notes", VERSION_NOTES_MAX)?;
        let now = self.now_ms();
        let mut tx = self.db().begin().await?;
        let rec = self.locked_record(&mut tx, p, id).await?;
        rec.must_manage(p)?;
        rec.check_precondition(if_match)?;
        let Some(draft) = rec.draft_variation_id.clone().filter(|_| rec.unpublished) else {
            return Err(ServiceError::new(
                ErrorCode::NothingToDeploy,
                "The draft is the active version; change the draft (PUT /draft) before deploying.",
            ));
        };
        let number: i64 =
            sqlx::query_scalar("SELECT COALESCE(MAX(number), 0) + 1 FROM agent_variations WHERE agent_id = $1")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
        let name = name.unwrap_or_else(|| format!("Version {number}"));
        sqlx::query(
            "UPDATE agent_variations SET number = $1, name = $2, notes = $3, deployed_by = $4, deployed_at = $5 WHERE id = $6",
        )
        .bind(number)
        .bind(&name)
        .bind(&notes)
        .bind(p.user_id)
        .bind(now)
        .bind(&draft)
        .execute(&mut *tx)
        .await?;
        self.set_active(&mut tx, id, &draft, now).await?;
        sqlx::query("UPDATE agents SET draft_variation_id = NULL WHERE id = $1").bind(id).execute(&mut *tx).await?;
        let detail = serde_json::json!({ "variationId": draft, "number": number, "name": name });
        audit::record(&mut *tx, meta, event(p, "agent.deployed", id, Some(detail)), now).await?;
        self.commit_view(tx, p, id, now).await
    }

    /// Makes `vid` the active version: `status: active`; the schedule stops when the new
    /// version has no cron trigger.
    async fn set_active(
        &self,
        tx: &mut Transaction<'static, Any>,
        id: i64,
        vid: &str,
        now: i64,
    ) -> Result<(), ServiceError> {
        let definition: String = sqlx::query_scalar("SELECT definition FROM agent_variations WHERE id = $1")
            .bind(vid)
            .fetch_one(&mut **tx)
            .await?;
        let cron = matches!(trigger_of(&definition), Some(Trigger::Cron { .. }));
        sqlx::query(
            "UPDATE agents SET active_variation_id = $1, status = 'active',
                    schedule_enabled = CASE WHEN $2 = 1 THEN schedule_enabled ELSE 0 END WHERE id = $3",
        )
        .bind(vid)
        .bind(i64::from(cron))
        .bind(id)
        .execute(&mut **tx)
        .await?;
        bump(tx, id, now).await
    }

    /// `GET /api/v1/agents/{id}/variations`: deployed versions, newest first.
    pub async fn list_variations(&self, p: &Principal, id: i64) -> Result<VariationList, ServiceError> {
        let rec = self.agent_record(p, id).await?;
        must_use(&rec, p)?;
        let sql = format!(
            "SELECT {VARIATION_COLS} FROM agent_variations WHERE agent_id = $1 AND number IS NOT NULL ORDER BY number DESC"
        );
        let rows = sqlx::query(&sql).bind(id).fetch_all(&self.db().pool).await?;
        let active = rec.active_variation_id.as_deref();
        Ok(VariationList { value: rows.iter().map(|r| variation_row(r, active)).collect::<Result<_, _>>()? })
    }

    /// `POST /api/v1/agents/{id}/variations/{vid}/restore` copies a version into the
    /// draft; `…/activate` makes it the active version again without touching the draft.
    #[tracing::instrument(skip_all)]
    pub async fn use_variation(
        &self,
        p: &Principal,
        id: i64,
        vid: &str,
        activate: bool,
        if_match: Option<&[i64]>,
        meta: &RequestMeta,
    ) -> Result<AgentView, ServiceError> {
        let now = self.now_ms();
        let mut tx = self.db().begin().await?;
        let rec = self.locked_record(&mut tx, p, id).await?;
        rec.must_manage(p)?;
        rec.check_precondition(if_match)?;
        let v = variation(&mut *tx, id, vid, None).await?.filter(|v| v.number.is_some()).ok_or_else(|| {
            ServiceError::new(ErrorCode::VariationNotFound, "No such deployed version of this agent.")
        })?;
        let detail = serde_json::json!({ "variationId": v.id, "number": v.number });
        if activate {
            if rec.active_variation_id.as_deref() != Some(vid) {
                self.set_active(&mut tx, id, vid, now).await?;
                let detail = serde_json::json!({ "from": rec.active_variation_id, "to": v.id, "number": v.number });
                audit::record(&mut *tx, meta, event(p, "agent.version_activated", id, Some(detail)), now).await?;
            }
        } else {
            let definition: String = sqlx::query_scalar("SELECT definition FROM agent_variations WHERE id = $1")
                .bind(vid)
                .fetch_one(&mut *tx)
                .await?;
            write_draft(&mut tx, id, rec.draft_variation_id.as_deref(), &definition, Some(vid), p.user_id, now).await?;
            bump(&mut tx, id, now).await?;
            audit::record(&mut *tx, meta, event(p, "agent.version_restored", id, Some(detail)), now).await?;
        }
        let mut view = self.commit_view(tx, p, id, now).await?;
        let rec = self.agent_record(p, id).await?;
        view.agent.variation =
            variation_detail(&self.db().pool, &rec, if activate { View::Active } else { View::Draft }).await?;
        Ok(view)
    }
}

pub(super) fn trigger_of(definition: &str) -> Option<Trigger> {
    let v: Value = serde_json::from_str(definition).ok()?;
    serde_json::from_value(v.get("trigger")?.clone()).ok()
}

fn must_use(rec: &AgentRecord, p: &Principal) -> Result<(), ServiceError> {
    if rec.can_use(p) {
        Ok(())
    } else {
        Err(ServiceError::not_allowed("Your access to this agent does not include its definition and history."))
    }
}

fn invalid_definition(errors: Vec<crate::errors::FieldError>) -> ServiceError {
    let detail = errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join(" ");
    ServiceError::new(ErrorCode::InvalidDefinition, detail).with_fields(errors)
}
