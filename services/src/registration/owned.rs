//! The owner (and delegated) registration's write: one transaction whose statements travel
//! as one [`Batch`] (on SQLite, with its BEGIN, one command to the single writer, then
//! COMMIT), in the order the
//! rules need: consume the challenge (single use), insert the agent (its public key's
//! unique index decides duplicates) and its key, spend the delegated token, audit, count
//! the rate limits, and take the seat last, so the hot rows are locked only until the
//! commit. The agent's id is read by its fresh `uuid` inside the batch. On PostgreSQL the
//! seat is reserved before the batch and the batch only turns it into the agent's seat
//! (`seats.rs`), so the organization's row is not held across the commit's flush.

use crate::agents::store::{agent_row, push_insert_agent, push_insert_agent_key, NewAgent, AGENT_RETURNING};
use crate::audit::{self, Event};
use crate::challenges::{self, used};
use crate::errors::ErrorCode;
use crate::model::{AgentRegistrationResponse, RegistrationMode, RegistrationState};
use crate::principal::{Credential, Principal, RequestMeta};
use crate::rate_limit::Limit;
use crate::store::batch::{Batch, Stopped};
use crate::{seats, ServiceError, Services};
use sqlx::Row;

/// Spends a delegated token for the agent of `$2` (its uuid), once, before it expires.
const SPEND_DELEGATED: &str =
    "UPDATE delegated_tokens SET used_at = $1, agent_id = (SELECT id FROM agents WHERE uuid = $2)
 WHERE id = $3 AND used_at IS NULL AND expires_at > $1";

impl Services {
    pub(super) async fn register_owned(
        &self,
        p: &Principal,
        reg: &super::Registration,
        target: Option<Target>,
        meta: &RequestMeta,
        limits: &[Limit],
        reserved: Option<seats::Seat>,
    ) -> Result<AgentRegistrationResponse, ServiceError> {
        // A seat reserved by the caller is the caller's to give back on failure.
        if let Some(seat) = reserved {
            return self.register_seated(p, reg, target, meta, limits, seat).await;
        }
        let seat = self.seat_for(p.org_id).await?;
        let result = self.register_seated(p, reg, target, meta, limits, seat).await;
        if result.is_err() {
            self.release_seat(seat).await;
        }
        result
    }

    async fn register_seated(
        &self,
        p: &Principal,
        reg: &super::Registration,
        target: Option<Target>,
        meta: &RequestMeta,
        limits: &[Limit],
        seat: seats::Seat,
    ) -> Result<AgentRegistrationResponse, ServiceError> {
        let now = self.now_ms();
        let mode = if p.delegated().is_some() { RegistrationMode::Delegated } else { RegistrationMode::Owner };
        let uuid = target.as_ref().map_or_else(|| uuid::Uuid::new_v4().to_string(), |t| t.uuid.clone());
        let mut batch = Batch::default();
        // The caller becomes the agent's owner: they must still be a member (members.rs).
        let member = crate::members::push_hold_membership(&mut batch, self.db().backend, p.org_id, p.user_id);
        let consumed = challenges::push_consume(&mut batch, reg.challenge_id, now);
        let agent = NewAgent {
            org: Some(p.org_id),
            owner: Some(p.user_id),
            name: &reg.identity.name,
            description: &reg.identity.description,
            public_key: &reg.identity.public_key,
            registration: RegistrationState::Registered,
            mode,
            holds_seat: true,
            email: None,
        };
        let inserted = match &target {
            None => push_insert_agent(&mut batch, &agent, &uuid, now),
            Some(t) => push_give_identity(&mut batch, &agent, t.id, now),
        };
        let (keyed, secret) = push_insert_agent_key(&mut batch, &uuid, now);
        let spent = match &p.credential {
            Credential::Delegated(scope) => {
                Some(batch.push_must_change(SPEND_DELEGATED, vec![now.into(), uuid.as_str().into(), scope.id.into()]))
            }
            _ => None,
        };
        let event = Event {
            org_id: Some(p.org_id),
            actor_user_id: Some(p.user_id),
            action: "agent.registered",
            object_type: "agent",
            object_id: String::new(),
            detail: Some(
                serde_json::json!({ "mode": mode.as_str(), "challenge": reg.challenge_id.to_string() }).to_string(),
            ),
            reason: None,
        };
        audit::push_for_agent(&mut batch, meta, event, &uuid, now);
        // The hot rows last, so they are locked only until the commit.
        let counted = self.push_count(&mut batch, limits);
        let seated = seats::push_take(&mut batch, seat);
        let out = match batch.commit(self.db()).await {
            Ok(out) => out,
            Err(Stopped { error: Some(e), .. }) => return Err(e.into()),
            Err(Stopped { at, error: None }) => {
                return Err(if at == member {
                    ServiceError::unauthorized()
                } else if at == consumed {
                    used()
                } else if Some(at) == spent {
                    // Another registration spent the token first.
                    ServiceError::unauthorized()
                } else if let Some((_, retry_after)) = counted.filter(|(i, _)| *i == at) {
                    ServiceError::rate_limited(retry_after)
                } else if at == inserted {
                    // Another registration gave it an identity first, or it was deleted.
                    has_identity()
                } else if at == seated {
                    seats::no_free_seat()
                } else {
                    ServiceError::internal(format!("registration statement {at} changed nothing"))
                });
            }
        };
        let row =
            |i: usize| out.get(i).and_then(|o| o.rows.first()).ok_or_else(|| ServiceError::internal("no row returned"));
        let agent = agent_row(row(inserted)?)?;
        let key_id: i64 = row(keyed)?.try_get("id")?;
        Ok(AgentRegistrationResponse {
            agent,
            api_key: Some(secret),
            key_id: Some(key_id),
            status: RegistrationState::Registered,
            invite_expires_at: None,
        })
    }
}

/// An existing agent that registration gives its identity to (`agentId`).
pub(crate) struct Target {
    id: i64,
    uuid: String,
}

fn has_identity() -> ServiceError {
    ServiceError::new(
        ErrorCode::AgentHasIdentity,
        "This agent already has an identity; rotate its key instead, or register a new agent.",
    )
}

/// Gives agent `id`, still without an identity and not deleted, the registration's key
/// and a seat; fails the batch (no row returned) otherwise.
fn push_give_identity(batch: &mut Batch, a: &NewAgent<'_>, id: i64, now: i64) -> usize {
    let sql = format!(
        "UPDATE agents SET registration = $1, public_key = $2, holds_seat = 1, updated_at = $3,
                revision = revision + 1
         WHERE id = $4 AND registration IS NULL AND deleted_at IS NULL RETURNING {AGENT_RETURNING}"
    );
    let args = vec![a.registration.as_str().into(), a.public_key.to_base64().into(), now.into(), id.into()];
    batch.push_checked(sql, args, |out| !out.rows.is_empty())
}

impl Services {
    /// The agent `agentId` names: one of the caller's organization that they may manage,
    /// not deleted, and without an identity yet.
    pub(super) async fn identity_target(&self, p: &Principal, id: i64) -> Result<Target, ServiceError> {
        let rec = self.agent_record(p, id).await?;
        rec.must_manage(p)?;
        if rec.registration.is_some() {
            return Err(has_identity());
        }
        let prefix = p.delegated().and_then(|s| s.name_prefix.as_deref()).filter(|np| !np.is_empty());
        if let Some(np) = prefix.filter(|np| !rec.name.starts_with(np)) {
            return Err(ServiceError::new(
                ErrorCode::DelegatedTokenScope,
                format!("This delegated token only registers agents named {np}…"),
            ));
        }
        let uuid: String =
            sqlx::query_scalar("SELECT uuid FROM agents WHERE id = $1").bind(id).fetch_one(&self.db().pool).await?;
        Ok(Target { id, uuid })
    }
}
