//! Trust telemetry: an append-only log of who did what to which object, from where, and
//! why, written in the transaction of the change it records. Never a secret.
//!
//! Each organization's rows form a hash chain (`chain.rs`): rows are written unsealed, and
//! a sealer appends them to the chain about a second later, so writers never wait on a
//! chain head. `list.rs` lists (the simple filters and the OData options over
//! `catalog::AUDIT_FIELDS`); `query.rs` holds the simple filters, verifies and exports;
//! `filters.rs` parses the simple filters.

mod chain;
mod filters;
mod list;
mod query;

pub use filters::AuditFilterText;
pub use query::AuditQuery;
pub use query::{DEFAULT_TOP as AUDIT_DEFAULT_TOP, MAX_TOP as AUDIT_MAX_TOP};

use crate::model::AuditEntry;
use crate::principal::RequestMeta;
use crate::store::batch::Batch;
use crate::store::to_time;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::Row;

/// Longest User-Agent kept (longer ones are cut, on a character boundary).
pub const USER_AGENT_MAX: usize = 512;

/// One audit event.
pub(crate) struct Event<'a> {
    pub org_id: Option<i64>,
    pub actor_user_id: Option<i64>,
    pub action: &'a str,
    pub object_type: &'a str,
    pub object_id: String,
    pub detail: Option<String>,
    /// Why, in the actor's words.
    pub reason: Option<String>,
}

const COLUMNS: &str =
    "org_id, actor_user_id, action, object_type, object_id, ip, user_agent, reason, detail, created_at";

fn user_agent(meta: &RequestMeta) -> Option<String> {
    meta.user_agent.as_deref().map(|ua| {
        let mut end = ua.len().min(USER_AGENT_MAX);
        while !ua.is_char_boundary(end) {
            end -= 1;
        }
        ua[..end].to_string()
    })
}

/// Appends an event, inside the caller's transaction when given one.
pub(crate) async fn record<'e, E>(exec: E, meta: &RequestMeta, e: Event<'_>, now: i64) -> Result<(), sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(&format!("INSERT INTO audit_log ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"))
        .bind(e.org_id)
        .bind(e.actor_user_id)
        .bind(e.action)
        .bind(e.object_type)
        .bind(e.object_id)
        .bind(meta.ip.map(|ip| ip.to_string()))
        .bind(user_agent(meta))
        .bind(e.reason)
        .bind(e.detail)
        .bind(now)
        .execute(exec)
        .await
        .map(|_| ())
}

/// Appends an event about the agent whose `uuid` is given, as a statement of a batch that
/// inserted that agent (its id is not known before): `e.object_id` is ignored, the
/// agent's id is written.
pub(crate) fn push_for_agent(batch: &mut Batch, meta: &RequestMeta, e: Event<'_>, agent_uuid: &str, now: i64) -> usize {
    batch.push(
        format!(
            "INSERT INTO audit_log ({COLUMNS})
             SELECT $1, $2, $3, $4, CAST(id AS TEXT), $5, $6, $7, $8, $9 FROM agents WHERE uuid = $10"
        ),
        vec![
            e.org_id.into(),
            e.actor_user_id.into(),
            e.action.into(),
            e.object_type.into(),
            meta.ip.map(|ip| ip.to_string()).into(),
            user_agent(meta).into(),
            e.reason.into(),
            e.detail.into(),
            now.into(),
            agent_uuid.into(),
        ],
    )
}

/// The `prev_hash` of a chain's first row.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The columns a stored row is read with (`a` is `audit_log`, `u` the actor's user).
pub(crate) const SELECT: &str = "SELECT a.id, a.org_id, a.actor_user_id, u.email AS actor_email, a.action,
        a.object_type, a.object_id, a.ip, a.user_agent, a.reason, a.detail, a.created_at, a.chain_seq,
        a.prev_hash, a.hash
    FROM audit_log a LEFT JOIN users u ON u.id = a.actor_user_id";

/// The tables of [`SELECT`], for other statements over the same rows (the list's count).
pub(crate) const FROM: &str = "audit_log a LEFT JOIN users u ON u.id = a.actor_user_id";

/// A stored row, as written.
pub(crate) struct Stored {
    pub id: i64,
    pub org_id: Option<i64>,
    pub actor_user_id: Option<i64>,
    pub actor_email: Option<String>,
    pub action: String,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub reason: Option<String>,
    pub detail: Option<String>,
    pub created_at: i64,
    pub chain_seq: Option<i64>,
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
}

impl Stored {
    pub(crate) fn read(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Stored {
            id: row.try_get("id")?,
            org_id: row.try_get("org_id")?,
            actor_user_id: row.try_get("actor_user_id")?,
            actor_email: row.try_get("actor_email")?,
            action: row.try_get("action")?,
            object_type: row.try_get("object_type")?,
            object_id: row.try_get("object_id")?,
            ip: row.try_get("ip")?,
            user_agent: row.try_get("user_agent")?,
            reason: row.try_get("reason")?,
            detail: row.try_get("detail")?,
            created_at: row.try_get("created_at")?,
            chain_seq: row.try_get("chain_seq")?,
            prev_hash: row.try_get("prev_hash")?,
            hash: row.try_get("hash")?,
        })
    }

    /// The row's hash at chain position `seq` after `prev`: SHA-256 (hex) over `prev`, a
    /// newline, and the canonical JSON of every column but the chain's own (fixed member
    /// order, no whitespace, as serde_json writes it).
    pub(crate) fn seal_hash(&self, seq: i64, prev: &str) -> String {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Canonical<'a> {
            id: i64,
            org_id: Option<i64>,
            chain_seq: i64,
            actor_user_id: Option<i64>,
            action: &'a str,
            target_type: Option<&'a str>,
            target_id: Option<&'a str>,
            ip: Option<&'a str>,
            user_agent: Option<&'a str>,
            reason: Option<&'a str>,
            detail: Option<&'a str>,
            created_at: i64,
        }
        let c = Canonical {
            id: self.id,
            org_id: self.org_id,
            chain_seq: seq,
            actor_user_id: self.actor_user_id,
            action: &self.action,
            target_type: self.object_type.as_deref(),
            target_id: self.object_id.as_deref(),
            ip: self.ip.as_deref(),
            user_agent: self.user_agent.as_deref(),
            reason: self.reason.as_deref(),
            detail: self.detail.as_deref(),
            created_at: self.created_at,
        };
        let json = serde_json::to_string(&c).unwrap_or_default();
        let mut h = Sha256::new();
        h.update(prev.as_bytes());
        h.update(b"\n");
        h.update(json.as_bytes());
        hex::encode(h.finalize())
    }

    /// As the API shows it.
    pub(crate) fn entry(self) -> AuditEntry {
        let detail = self.detail.map(|d| serde_json::from_str(&d).unwrap_or(serde_json::Value::String(d)));
        AuditEntry {
            id: self.id,
            org_id: self.org_id.unwrap_or_default(),
            actor_user_id: self.actor_user_id,
            actor_email: self.actor_email,
            action: self.action,
            target_type: self.object_type,
            target_id: self.object_id,
            ip: self.ip,
            user_agent: self.user_agent,
            reason: self.reason,
            detail,
            created_at: to_time(self.created_at),
            chain_seq: self.chain_seq,
            prev_hash: self.prev_hash,
            hash: self.hash,
        }
    }
}
