//! The directory's single-agent operations: create (with `Idempotency-Key`), get, merge
//! patch, activate, deactivate and soft delete. Every change bumps the agent's revision
//! (its ETag) and is audited in the same transaction.

use super::changes::{check_patch_keys, document, parse_fields, AgentFields};
use super::record::{fetch, AgentRecord};
use super::store::generated_slug;
use super::variations::{insert_draft, variation_detail, View};
use crate::audit::{self, Event};
use crate::errors::ErrorCode;
use crate::idempotency::{self, IdempotencyKey};
use crate::model::{AccessConfig, Agent, AgentType, CreateAgentRequest, Role};
use crate::principal::{Principal, RequestMeta};
use crate::{ServiceError, Services};
use serde_json::{Map, Value};
use sqlx::{Any, Transaction};

/// An agent as the caller sees it, with the revision its ETag names.
#[derive(Clone, Debug)]
pub struct AgentView {
    /// The agent.
    pub agent: Agent,
    /// Bumped by every change; `If-Match` names it.
    pub revision: i64,
}

impl AgentView {
    /// The strong ETag of this representation: `"{revision}-{digest}"`. The digest tells
    /// representations apart (the caller's `canManage`, a `?view=`), so `If-None-Match`
    /// answers 304 only for the same bytes; `If-Match` compares the revision, so any
    /// representation of the current version admits a change.
    pub fn etag(&self) -> String {
        use sha2::{Digest, Sha256};
        let body = serde_json::to_vec(&self.agent).unwrap_or_default();
        let digest = Sha256::digest(&body);
        format!("\"{}-{}\"", self.revision, hex::encode(&digest[..8]))
    }
}

/// The revisions an `If-Match` header admits: `None` for `*`, otherwise the revisions of
/// its strong tags (weak tags and tags of another form never match).
pub fn if_match_revisions(header: &str) -> Option<Vec<i64>> {
    if header.trim() == "*" {
        return None;
    }
    Some(
        header
            .split(',')
            .map(str::trim)
            .filter(|t| !t.starts_with("W/"))
            .filter_map(|t| t.strip_prefix('"')?.strip_suffix('"')?.split('-').next()?.parse().ok())
            .collect(),
    )
}

pub(crate) fn not_found() -> ServiceError {
    ServiceError::new(ErrorCode::AgentNotFound, "No such agent in your organization.")
}

impl Services {
    /// An agent of the caller's organization. Deleted agents are visible to owners and
    /// admins only (a 404 for everyone else, like another organization's agent).
    pub(crate) async fn agent_record(&self, p: &Principal, id: i64) -> Result<AgentRecord, ServiceError> {
        let rec = fetch(&self.db().pool, p.org_id, id, self.now_ms()).await?.ok_or_else(not_found)?;
        if rec.deleted_at.is_some() && !p.role.is_admin() {
            return Err(not_found());
        }
        Ok(rec)
    }

    pub(crate) async fn locked_record(
        &self,
        tx: &mut Transaction<'static, Any>,
        p: &Principal,
        id: i64,
    ) -> Result<AgentRecord, ServiceError> {
        // Lock the row first (PostgreSQL; SQLite's writer is already exclusive) so that the
        // revision read here is the one the update replaces.
        let lock =
            format!("SELECT id FROM agents WHERE id = $1{}", crate::store::dialect::for_update(self.db().backend));
        sqlx::query(&lock).bind(id).fetch_optional(&mut **tx).await?;
        let rec = fetch(&mut **tx, p.org_id, id, self.now_ms()).await?.ok_or_else(not_found)?;
        if rec.deleted_at.is_some() && !p.role.is_admin() {
            return Err(not_found());
        }
        Ok(rec)
    }

    /// `GET /api/agents/{id}`, with the draft's or the active variation for `view`.
    pub async fn get_agent(&self, p: &Principal, id: i64, view: Option<View>) -> Result<AgentView, ServiceError> {
        let rec = self.agent_record(p, id).await?;
        let mut agent = rec.view(p);
        if let Some(view) = view {
            if !rec.can_use(p) {
                return Err(ServiceError::not_allowed("Your access does not include this agent's definition."));
            }
            agent.variation = variation_detail(&self.db().pool, &rec, view).await?;
        }
        Ok(AgentView { agent, revision: rec.revision })
    }

    /// `POST /api/agents`: a definition with a first draft, no identity and no seat. Any
    /// member may create one and owns it. `replayed` is true when the answer is the
    /// stored one of an earlier request with the same `Idempotency-Key`.
    #[tracing::instrument(skip_all)]
    pub async fn create_agent(
        &self,
        p: &Principal,
        req: CreateAgentRequest,
        key: Option<IdempotencyKey>,
        meta: &RequestMeta,
    ) -> Result<(AgentView, bool), ServiceError> {
        let agent_type = req.agent_type.unwrap_or(AgentType::Task);
        let generated = req.slug.is_none();
        let mut doc = Map::new();
        doc.insert("name".into(), req.name.clone().into());
        doc.insert("slug".into(), req.slug.clone().unwrap_or_else(|| generated_slug(&req.name).to_string()).into());
        doc.insert("description".into(), req.description.clone().map_or(Value::Null, Value::String));
        doc.insert("email".into(), req.email.clone().map_or(Value::Null, Value::String));
        doc.insert("accessConfig".into(), serde_json::to_value(&req.access_config).unwrap_or(Value::Null));
        let mut fields = parse_fields(&doc)?;
        self.check_access_users(p.org_id, &fields.access).await?;
        let scope = format!("user:{}:org:{}:create_agent", p.user_id, p.org_id);
        for attempt in 0..3 {
            match self.insert_agent_definition(p, &fields, agent_type, key.as_ref(), &scope, meta).await {
                Err(e) if e.is(ErrorCode::SlugTaken) && generated && attempt < 2 => {
                    fields.slug = generated_slug(fields.name.as_str());
                }
                other => return other,
            }
        }
        Err(ServiceError::new(ErrorCode::SlugTaken, "Could not generate a free slug; give one."))
    }

    async fn insert_agent_definition(
        &self,
        p: &Principal,
        f: &AgentFields,
        agent_type: AgentType,
        key: Option<&IdempotencyKey>,
        scope: &str,
        meta: &RequestMeta,
    ) -> Result<(AgentView, bool), ServiceError> {
        let now = self.now_ms();
        let mut tx = self.db().begin().await?;
        if let Some(key) = key {
            if let Some(stored) = idempotency::replay(&mut tx, scope, key, now).await? {
                let agent: Agent = serde_json::from_str(&stored).map_err(ServiceError::internal)?;
                let revision = self.agent_record(p, agent.id).await.map_or(1, |r| r.revision);
                return Ok((AgentView { agent, revision }, true));
            }
        }
        crate::members::hold_caller(&mut tx, self.db(), p.org_id, p.user_id).await?; // the owner-to-be
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO agents (uuid, org_id, owner_id, name, description, email, slug, type, access_config,
                                 registration, holds_seat, metadata, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, 0, '{}', $10, $10) RETURNING id",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(p.org_id)
        .bind(p.user_id)
        .bind(f.name.as_str())
        .bind(f.description.as_str())
        .bind(f.email.as_ref().map(|e| e.as_str().to_string()))
        .bind(f.slug.as_str())
        .bind(agent_type.as_str())
        .bind(serde_json::to_string(&f.access).map_err(ServiceError::internal)?)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        insert_draft(&mut tx, id, agent_type, p.user_id, now).await?;
        let detail = serde_json::json!({ "name": f.name.as_str(), "slug": f.slug.as_str(), "type": agent_type });
        audit::record(&mut *tx, meta, event(p, "agent.created", id, Some(detail)), now).await?;
        let rec = fetch(&mut *tx, p.org_id, id, now).await?.ok_or_else(not_found)?;
        let agent = rec.view(p);
        if let Some(key) = key {
            let body = serde_json::to_string(&agent).map_err(ServiceError::internal)?;
            idempotency::store(&mut tx, scope, key, 201, &body).await?;
        }
        tx.commit().await?;
        Ok((AgentView { agent, revision: rec.revision }, false))
    }

    /// `PATCH /api/agents/{id}` with an RFC 7396 merge patch of the editable fields.
    #[tracing::instrument(skip_all)]
    pub async fn patch_agent(
        &self,
        p: &Principal,
        id: i64,
        patch: &Value,
        if_match: Option<&[i64]>,
        meta: &RequestMeta,
    ) -> Result<AgentView, ServiceError> {
        let Value::Object(patch_map) = patch else {
            return Err(ServiceError::field("body", "A merge patch is a JSON object of the fields to change."));
        };
        check_patch_keys(patch_map)?;
        let now = self.now_ms();
        let mut tx = self.db().begin().await?;
        let rec = self.locked_record(&mut tx, p, id).await?;
        rec.must_manage(p)?;
        let current = AgentFields {
            name: crate::vocab::AgentName::parse(&rec.name).map_err(|e| ServiceError::internal(e.0))?,
            slug: crate::vocab::Slug::parse(&rec.slug).map_err(|e| ServiceError::internal(e.0))?,
            description: crate::vocab::Description::parse(&rec.description).map_err(|e| ServiceError::internal(e.0))?,
            email: rec
                .email
                .as_deref()
                .map(crate::vocab::Email::parse)
                .transpose()
                .map_err(|e| ServiceError::internal(e.0))?,
            access: rec.access.clone(),
        };
        let mut doc = document(&current);
        json_patch::merge(&mut doc, patch);
        let Value::Object(doc) = doc else { return Err(ServiceError::internal("merge result is not an object")) };
        let next = parse_fields(&doc)?;
        rec.check_precondition(if_match)?;
        if next.access != current.access {
            self.check_access_users(p.org_id, &next.access).await?;
        }
        let changed: Vec<&str> = [
            ("name", next.name != current.name),
            ("slug", next.slug != current.slug),
            ("description", next.description != current.description),
            ("email", next.email != current.email),
            ("accessConfig", next.access != current.access),
        ]
        .into_iter()
        .filter_map(|(k, c)| c.then_some(k))
        .collect();
        if changed.is_empty() {
            tx.commit().await?;
            return Ok(AgentView { agent: rec.view(p), revision: rec.revision });
        }
        sqlx::query(
            "UPDATE agents SET name = $1, slug = $2, description = $3, email = $4, access_config = $5,
                    updated_at = $6, revision = revision + 1 WHERE id = $7",
        )
        .bind(next.name.as_str())
        .bind(next.slug.as_str())
        .bind(next.description.as_str())
        .bind(next.email.as_ref().map(|e| e.as_str().to_string()))
        .bind(serde_json::to_string(&next.access).map_err(ServiceError::internal)?)
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let detail = serde_json::json!({ "changed": changed });
        audit::record(&mut *tx, meta, event(p, "agent.updated", id, Some(detail)), now).await?;
        self.commit_view(tx, p, id, now).await
    }

    /// Reads the agent back inside the transaction, commits, and returns the caller's view.
    pub(crate) async fn commit_view(
        &self,
        mut tx: Transaction<'static, Any>,
        p: &Principal,
        id: i64,
        now: i64,
    ) -> Result<AgentView, ServiceError> {
        let rec = fetch(&mut *tx, p.org_id, id, now).await?.ok_or_else(not_found)?;
        tx.commit().await?;
        Ok(AgentView { agent: rec.view(p), revision: rec.revision })
    }

    /// `POST /api/agents/{id}/activate` (`enabled: true`) and `/deactivate`: a deactivated
    /// agent's keys stop authenticating but are not revoked. Repeating either is harmless.
    #[tracing::instrument(skip_all)]
    pub async fn set_agent_enabled(
        &self,
        p: &Principal,
        id: i64,
        enabled: bool,
        if_match: Option<&[i64]>,
        meta: &RequestMeta,
    ) -> Result<AgentView, ServiceError> {
        let now = self.now_ms();
        let mut tx = self.db().begin().await?;
        let rec = self.locked_record(&mut tx, p, id).await?;
        rec.must_manage(p)?;
        rec.check_precondition(if_match)?;
        if rec.enabled == enabled {
            tx.commit().await?;
            return Ok(AgentView { agent: rec.view(p), revision: rec.revision });
        }
        sqlx::query("UPDATE agents SET enabled = $1, updated_at = $2, revision = revision + 1 WHERE id = $3")
            .bind(i64::from(enabled))
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let action = if enabled { "agent.activated" } else { "agent.deactivated" };
        audit::record(&mut *tx, meta, event(p, action, id, None), now).await?;
        let view = self.commit_view(tx, p, id, now).await?;
        if !enabled {
            self.after_agent_stopped(id).await;
        }
        Ok(view)
    }

    /// `DELETE /api/agents/{id}`: a soft delete. Sets `deletedAt`, frees the seat and the
    /// slug, revokes the keys, stops the schedule and cancels a pending transfer. Deleting
    /// a deleted agent answers it unchanged.
    #[tracing::instrument(skip_all)]
    pub async fn delete_agent(
        &self,
        p: &Principal,
        id: i64,
        if_match: Option<&[i64]>,
        meta: &RequestMeta,
    ) -> Result<AgentView, ServiceError> {
        let now = self.now_ms();
        let mut tx = self.db().begin().await?;
        let rec = self.locked_record(&mut tx, p, id).await?;
        if rec.deleted_at.is_some() && rec.can_manage(p) {
            tx.commit().await?;
            return Ok(AgentView { agent: rec.view(p), revision: rec.revision });
        }
        rec.must_manage(p)?;
        rec.check_precondition(if_match)?;
        let revoked_keys =
            sqlx::query("UPDATE agent_keys SET revoked_at = $1 WHERE agent_id = $2 AND revoked_at IS NULL")
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        let retirement = super::store::Retirement {
            reason_key: "deleteReason",
            by_key: "deletedBy",
            reason: None,
            by: p.user_id,
            needs_pending_invite: false,
        };
        super::store::retire(&mut tx, id, retirement, now).await?;
        sqlx::query(
            "UPDATE agent_transfers SET status = 'cancelled', resolved_at = $1, resolved_by = $2
             WHERE agent_id = $3 AND status = 'pending'",
        )
        .bind(now)
        .bind(p.user_id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE agents SET status = 'deleted', deleted_at = $1, schedule_enabled = 0, updated_at = $1,
                    revision = revision + 1 WHERE id = $2",
        )
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let detail = serde_json::json!({ "slug": rec.slug, "revokedKeys": revoked_keys });
        audit::record(&mut *tx, meta, event(p, "agent.deleted", id, Some(detail)), now).await?;
        let view = self.commit_view(tx, p, id, now).await?;
        self.after_agent_stopped(id).await;
        Ok(view)
    }

    /// 422 `unknown_member` unless every user an access rule names is a member of the organization.
    pub(crate) async fn check_access_users(&self, org: i64, access: &AccessConfig) -> Result<(), ServiceError> {
        let mut errors = Vec::new();
        for (name, rule) in [("use", &access.use_), ("manage", &access.manage)] {
            for user in &rule.users {
                let member: Option<String> =
                    sqlx::query_scalar("SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2")
                        .bind(org)
                        .bind(user)
                        .fetch_optional(&self.db().pool)
                        .await?;
                if member.and_then(|r| Role::parse(&r)).is_none() {
                    errors.push(crate::errors::FieldError::new(
                        format!("accessConfig.{name}.users"),
                        format!("User {user} is not a member of this organization."),
                    ));
                }
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            let detail = errors.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join(" ");
            Err(ServiceError::new(ErrorCode::UnknownMember, detail).with_fields(errors))
        }
    }
}

/// An audit event about agent `id` by the caller.
pub(crate) fn event<'a>(p: &Principal, action: &'a str, id: i64, detail: Option<Value>) -> Event<'a> {
    Event {
        org_id: Some(p.org_id),
        actor_user_id: Some(p.user_id),
        action,
        object_type: "agent",
        object_id: id.to_string(),
        detail: detail.map(|d| d.to_string()),
        reason: None,
    }
}
