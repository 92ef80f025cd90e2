//! Ownership transfers that the recipient accepts (GitHub, Gitea): a manager asks, only the
//! recipient accepts or declines, the requester or a manager cancels. At most one is
//! pending per agent (`agent_transfers_pending`, a partial unique index), and it lapses
//! after [`TRANSFER_TTL_MS`]. Every step runs under the agent's row lock and resolves the
//! transfer with one conditional UPDATE (`… AND status = 'pending'`), so a cancel racing
//! an accept leaves exactly one of them done. Each step bumps the agent's revision (its
//! `pendingOwnershipTransfer` changes) and is audited in the same transaction.

use super::directory::{event, AgentView};
use crate::audit;
use crate::errors::ErrorCode;
use crate::model::{OwnershipTransfer, TransferList, TransferRequest, TransferStatus};
use crate::principal::{Principal, RequestMeta};
use crate::store::{dialect, opt_time, state, to_time};
use crate::{ServiceError, Services};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

/// A transfer lapses seven days after it was asked for.
pub const TRANSFER_TTL_MS: i64 = 7 * 24 * 3600 * 1000;
pub use crate::model::TRANSFER_MESSAGE_MAX;

const COLS: &str = "t.id, t.agent_id, a.name AS agent_name, t.from_user_id, t.to_user_id, t.requested_by, \
     t.message, t.status, t.created_at, t.expires_at, t.resolved_at";

fn transfer(r: &AnyRow) -> Result<OwnershipTransfer, sqlx::Error> {
    Ok(OwnershipTransfer {
        id: r.try_get("id")?,
        agent_id: r.try_get("agent_id")?,
        agent_name: r.try_get("agent_name")?,
        from_user_id: r.try_get("from_user_id")?,
        to_user_id: r.try_get("to_user_id")?,
        requested_by: r.try_get("requested_by")?,
        message: r.try_get("message")?,
        status: state(r, "status", TransferStatus::parse)?,
        created_at: to_time(r.try_get("created_at")?),
        expires_at: to_time(r.try_get("expires_at")?),
        resolved_at: opt_time(r, "resolved_at")?,
    })
}

/// 422: a recipient the organization's state rules out, with the field.
fn recipient(why: &'static str) -> ServiceError {
    ServiceError::new(ErrorCode::InvalidRecipient, why)
        .with_fields(vec![crate::errors::FieldError::new("toUserId", why)])
}

fn none_pending() -> ServiceError {
    ServiceError::new(ErrorCode::TransferNotFound, "No ownership transfer of this agent is pending.")
}

/// How a pending transfer ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Accepted,
    Declined,
    Cancelled,
}

impl Outcome {
    fn status(self) -> TransferStatus {
        match self {
            Outcome::Accepted => TransferStatus::Accepted,
            Outcome::Declined => TransferStatus::Declined,
            Outcome::Cancelled => TransferStatus::Cancelled,
        }
    }

    fn action(self) -> &'static str {
        match self {
            Outcome::Accepted => "agent.transfer_accepted",
            Outcome::Declined => "agent.transfer_declined",
            Outcome::Cancelled => "agent.transfer_cancelled",
        }
    }
}

/// Marks agent `id`'s pending transfer expired when its time has passed (so the slot frees
/// for a new one and its status tells the truth).
async fn expire_lapsed(tx: &mut Transaction<'static, Any>, id: i64, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE agent_transfers SET status = 'expired', resolved_at = expires_at
         WHERE agent_id = $1 AND status = 'pending' AND expires_at <= $2",
    )
    .bind(id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn pending(
    tx: &mut Transaction<'static, Any>,
    id: i64,
    now: i64,
) -> Result<Option<OwnershipTransfer>, ServiceError> {
    let row = sqlx::query(&format!(
        "SELECT {COLS} FROM agent_transfers t JOIN agents a ON a.id = t.agent_id
         WHERE t.agent_id = $1 AND t.status = 'pending' AND t.expires_at > $2"
    ))
    .bind(id)
    .bind(now)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.as_ref().map(transfer).transpose()?)
}

impl Services {
    /// `POST /api/v1/agents/{id}/ownership-transfer`: a manager asks `toUserId`, a member
    /// of the organization other than the owner, to take the agent over.
    #[tracing::instrument(skip_all)]
    pub async fn request_transfer(
        &self,
        p: &Principal,
        id: i64,
        req: TransferRequest,
        meta: &RequestMeta,
    ) -> Result<OwnershipTransfer, ServiceError> {
        let message = req.message.map(|m| m.trim().to_string()).filter(|m| !m.is_empty());
        if message.as_ref().is_some_and(|m| m.chars().count() > TRANSFER_MESSAGE_MAX) {
            return Err(ServiceError::field(
                "message",
                format!("The message is at most {TRANSFER_MESSAGE_MAX} characters."),
            ));
        }
        let now = self.now_ms();
        let mut tx = self.db().begin().await?;
        // The recipient's membership, held until this commits (a removal racing the
        // request then cancels the transfer, or makes this one find them gone).
        let member = crate::members::hold_membership(&mut tx, self.db(), p.org_id, req.to_user_id).await?;
        let rec = self.locked_record(&mut tx, p, id).await?;
        rec.must_manage(p)?;
        if !member {
            return Err(recipient("The recipient must be a member of this organization."));
        }
        if rec.owner_id == Some(req.to_user_id) {
            return Err(recipient("The recipient already owns this agent."));
        }
        expire_lapsed(&mut tx, id, now).await?;
        if let Some(t) = pending(&mut tx, id, now).await? {
            return Err(ServiceError::new(
                ErrorCode::TransferPending,
                "A transfer of this agent is already pending; cancel it first.",
            )
            .with_extension("transferId", t.id.into()));
        }
        let tid = uuid::Uuid::new_v4().to_string();
        sqlx::query(
            "INSERT INTO agent_transfers (id, agent_id, org_id, from_user_id, to_user_id, requested_by, message,
                                          status, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9)",
        )
        .bind(&tid)
        .bind(id)
        .bind(p.org_id)
        .bind(rec.owner_id)
        .bind(req.to_user_id)
        .bind(p.user_id)
        .bind(message.as_deref())
        .bind(now)
        .bind(now + TRANSFER_TTL_MS)
        .execute(&mut *tx)
        .await?;
        bump(&mut tx, id, now).await?;
        let detail = serde_json::json!({ "transferId": tid, "from": rec.owner_id, "to": req.to_user_id });
        audit::record(&mut *tx, meta, event(p, "agent.transfer_requested", id, Some(detail)), now).await?;
        let t = pending(&mut tx, id, now).await?.ok_or_else(none_pending)?;
        tx.commit().await?;
        Ok(t)
    }

    /// `POST …/ownership-transfer/accept`: only the recipient; the agent becomes theirs.
    /// Answers the updated agent (seed 003).
    #[tracing::instrument(skip_all)]
    pub async fn accept_transfer(&self, p: &Principal, id: i64, meta: &RequestMeta) -> Result<AgentView, ServiceError> {
        let (tx, now, _) = self.resolve_transfer(p, id, Outcome::Accepted, meta).await?;
        self.commit_view(tx, p, id, now).await
    }

    /// `POST …/ownership-transfer/decline`: only the recipient.
    pub async fn decline_transfer(
        &self,
        p: &Principal,
        id: i64,
        meta: &RequestMeta,
    ) -> Result<OwnershipTransfer, ServiceError> {
        let (tx, _, t) = self.resolve_transfer(p, id, Outcome::Declined, meta).await?;
        tx.commit().await?;
        Ok(t)
    }

    /// `POST …/ownership-transfer/cancel`: the requester or a manager of the agent.
    pub async fn cancel_transfer(
        &self,
        p: &Principal,
        id: i64,
        meta: &RequestMeta,
    ) -> Result<OwnershipTransfer, ServiceError> {
        let (tx, _, t) = self.resolve_transfer(p, id, Outcome::Cancelled, meta).await?;
        tx.commit().await?;
        Ok(t)
    }

    /// Ends agent `id`'s pending transfer as `outcome`, in a transaction the caller commits.
    async fn resolve_transfer(
        &self,
        p: &Principal,
        id: i64,
        outcome: Outcome,
        meta: &RequestMeta,
    ) -> Result<(Transaction<'static, Any>, i64, OwnershipTransfer), ServiceError> {
        let now = self.now_ms();
        let mut tx = self.db().begin().await?;
        if outcome == Outcome::Accepted {
            // The recipient becomes the owner: they must still be a member (a removal
            // racing this accept waits for it, or it for the removal). Before the agent's
            // lock, in the order a removal takes them.
            crate::members::hold_caller(&mut tx, self.db(), p.org_id, p.user_id).await?;
        }
        let rec = self.locked_record(&mut tx, p, id).await?;
        expire_lapsed(&mut tx, id, now).await?;
        let mut t = pending(&mut tx, id, now).await?.ok_or_else(none_pending)?;
        let allowed = match outcome {
            Outcome::Accepted | Outcome::Declined => t.to_user_id == p.user_id,
            Outcome::Cancelled => t.requested_by == p.user_id || rec.can_manage(p),
        };
        if !allowed {
            return Err(ServiceError::not_allowed(match outcome {
                Outcome::Cancelled => "Only the requester or a manager of the agent may cancel this transfer.",
                _ => "Only the recipient may accept or decline this transfer.",
            }));
        }
        let done = sqlx::query(
            "UPDATE agent_transfers SET status = $1, resolved_at = $2, resolved_by = $3
             WHERE id = $4 AND status = 'pending'",
        )
        .bind(outcome.status().as_str())
        .bind(now)
        .bind(p.user_id)
        .bind(&t.id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done != 1 {
            return Err(none_pending());
        }
        if outcome == Outcome::Accepted {
            sqlx::query("UPDATE agents SET owner_id = $1, updated_at = $2 WHERE id = $3")
                .bind(p.user_id)
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        bump(&mut tx, id, now).await?;
        let detail = serde_json::json!({ "transferId": t.id, "from": rec.owner_id, "to": t.to_user_id });
        audit::record(&mut *tx, meta, event(p, outcome.action(), id, Some(detail)), now).await?;
        t.status = outcome.status();
        t.resolved_at = Some(to_time(now));
        Ok((tx, now, t))
    }

    /// `GET /api/v1/me/ownership-transfers`: the transfers waiting for the caller in the
    /// current organization, newest first.
    pub async fn my_transfers(&self, p: &Principal) -> Result<TransferList, ServiceError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLS} FROM agent_transfers t JOIN agents a ON a.id = t.agent_id
             WHERE t.to_user_id = $1 AND t.org_id = $2 AND t.status = 'pending' AND t.expires_at > $3
               AND a.deleted_at IS NULL
             ORDER BY t.created_at DESC, t.id DESC LIMIT 200"
        ))
        .bind(p.user_id)
        .bind(p.org_id)
        .bind(self.now_ms())
        .fetch_all(&self.db().pool)
        .await?;
        let value = rows.iter().map(transfer).collect::<Result<_, _>>()?;
        Ok(TransferList { value })
    }

    /// Housekeeping: marks every lapsed pending transfer expired and audits it. Safe on
    /// several instances at once (the conditional UPDATE expires each transfer once).
    pub async fn sweep_transfers(&self) -> Result<u64, ServiceError> {
        let now = self.now_ms();
        let lapsed = sqlx::query(
            "SELECT id, agent_id, org_id FROM agent_transfers WHERE status = 'pending' AND expires_at <= $1 LIMIT 500",
        )
        .bind(now)
        .fetch_all(&self.db().pool)
        .await?;
        let mut expired = 0;
        for r in &lapsed {
            let (tid, agent, org): (String, i64, i64) =
                (r.try_get("id")?, r.try_get("agent_id")?, r.try_get("org_id")?);
            let mut tx = self.db().begin().await?;
            // The agent's row first, in the order every other transfer change takes them
            // (the other way round, a sweep and an accept could deadlock).
            let lock = format!("SELECT id FROM agents WHERE id = $1{}", dialect::for_update(self.db().backend));
            sqlx::query(&lock).bind(agent).execute(&mut *tx).await?;
            let n = sqlx::query(
                "UPDATE agent_transfers SET status = 'expired', resolved_at = expires_at WHERE id = $1 AND status = 'pending'",
            )
            .bind(&tid)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 1 {
                bump(&mut tx, agent, now).await?;
                let ev = audit::Event {
                    org_id: Some(org),
                    actor_user_id: None,
                    action: "agent.transfer_expired",
                    object_type: "agent",
                    object_id: agent.to_string(),
                    detail: Some(serde_json::json!({ "transferId": tid }).to_string()),
                    reason: None,
                };
                audit::record(&mut *tx, &RequestMeta::default(), ev, now).await?;
                expired += 1;
            }
            tx.commit().await?;
        }
        Ok(expired)
    }
}

/// A transfer step changes the agent's representation: new revision (ETag).
async fn bump(tx: &mut Transaction<'static, Any>, id: i64, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE agents SET revision = revision + 1, updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
