//! Agent storage: the row type, inserts of agents and their keys, and retiring an agent
//! (the steps that revoke and invite-cancel share).

use crate::model::{RegisteredAgent, RegistrationMode, RegistrationState};
use crate::store::batch::Batch;
use crate::store::{state, to_time};
use crate::vocab::{AgentName, Description, PublicKey, Reason, Slug};
use crate::{secrets, ServiceError};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

/// Characters of a secret kept in clear to recognise it in lists.
pub(crate) const SHOWN_PREFIX_LEN: usize = 8;

/// The columns [`agent_row`] reads, from `agents a`.
pub(crate) const AGENT_COLS: &str =
    "a.id, a.name, a.description, a.registration, a.org_id, a.owner_id, a.public_key, a.created_at";
/// The same columns unqualified, for `RETURNING`.
pub(crate) const AGENT_RETURNING: &str =
    "id, name, description, registration, org_id, owner_id, public_key, created_at";

pub(crate) fn agent_row(row: &AnyRow) -> Result<RegisteredAgent, sqlx::Error> {
    Ok(RegisteredAgent {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        registration: state(row, "registration", RegistrationState::parse)?,
        org_id: row.try_get("org_id")?,
        owner_id: row.try_get("owner_id")?,
        public_key: row.try_get("public_key")?,
        created_at: to_time(row.try_get("created_at")?),
    })
}

/// A new agent's identity.
pub(crate) struct NewAgent<'a> {
    pub org: Option<i64>,
    pub owner: Option<i64>,
    pub name: &'a AgentName,
    pub description: &'a Description,
    pub public_key: &'a PublicKey,
    pub registration: RegistrationState,
    pub mode: RegistrationMode,
    pub holds_seat: bool,
    /// The invite's address, for agents registered by invite.
    pub email: Option<&'a str>,
}

/// A slug for a new agent: the name's slug and six random base-36 characters (seed 003's
/// `customer-churn-agent-a3f`), so that agents may share a name. Two agents of one
/// organization with the same name collide with a chance of one in 2 × 10⁹; the unique
/// index decides (`slug_taken`).
pub(crate) fn generated_slug(name: &str) -> Slug {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::thread_rng();
    let suffix: String = (0..6).map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())])).collect();
    let base = Slug::from_name(name);
    let keep = Slug::MAX - suffix.len() - 1;
    let base = base.as_str().get(..keep.min(base.as_str().len())).unwrap_or("agent").trim_end_matches('-');
    Slug::parse(&format!("{base}-{suffix}")).unwrap_or_else(|_| Slug::from_name(&suffix))
}

/// Inserts an agent. A public key that is already registered is a 409 `public_key_taken`
/// (the unique index decides, never a read beforehand).
pub(crate) async fn insert_agent(
    tx: &mut Transaction<'static, Any>,
    a: NewAgent<'_>,
    now: i64,
) -> Result<RegisteredAgent, ServiceError> {
    let metadata = serde_json::json!({ "registrationMode": a.mode.as_str() }).to_string();
    let row = sqlx::query(&insert_agent_sql())
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(a.org)
        .bind(a.owner)
        .bind(a.name.as_str())
        .bind(a.description.as_str())
        .bind(a.registration.as_str())
        .bind(i64::from(a.holds_seat))
        .bind(a.public_key.to_base64())
        .bind(metadata)
        .bind(now)
        .bind(generated_slug(a.name.as_str()).as_str())
        .bind(a.email)
        .fetch_one(&mut **tx)
        .await?;
    Ok(agent_row(&row)?)
}

fn insert_agent_sql() -> String {
    format!(
        "INSERT INTO agents (uuid, org_id, owner_id, name, description, registration, holds_seat, public_key, metadata, created_at, updated_at, slug, email)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11, $12)
         RETURNING {AGENT_RETURNING}"
    )
}

/// [`insert_agent`] as a statement of a batch, with the agent's `uuid` chosen by the
/// caller so that later statements of the batch can find the new row. Returns the agent
/// row ([`agent_row`]).
pub(crate) fn push_insert_agent(batch: &mut Batch, a: &NewAgent<'_>, uuid: &str, now: i64) -> usize {
    let metadata = serde_json::json!({ "registrationMode": a.mode.as_str() }).to_string();
    batch.push(
        insert_agent_sql(),
        vec![
            uuid.into(),
            a.org.into(),
            a.owner.into(),
            a.name.as_str().into(),
            a.description.as_str().into(),
            a.registration.as_str().into(),
            i64::from(a.holds_seat).into(),
            a.public_key.to_base64().into(),
            metadata.into(),
            now.into(),
            generated_slug(a.name.as_str()).as_str().into(),
            a.email.map(str::to_string).into(),
        ],
    )
}

/// [`insert_agent_key`] for the agent inserted earlier in the same batch (found by its
/// `uuid`): the statement's index (it returns the key's `id`) and the secret.
pub(crate) fn push_insert_agent_key(batch: &mut Batch, agent_uuid: &str, now: i64) -> (usize, String) {
    let secret = secrets::generate(secrets::AGENT_KEY_PREFIX);
    let i = batch.push(
        "INSERT INTO agent_keys (agent_id, key_hash, prefix, created_at)
         SELECT id, $2, $3, $4 FROM agents WHERE uuid = $1 RETURNING id",
        vec![
            agent_uuid.into(),
            secrets::hash(&secret).into(),
            secret.chars().take(SHOWN_PREFIX_LEN).collect::<String>().into(),
            now.into(),
        ],
    );
    (i, secret)
}

/// Mints an agent key: the secret (shown once) and the key's id.
pub(crate) async fn insert_agent_key(
    tx: &mut Transaction<'static, Any>,
    agent_id: i64,
    now: i64,
) -> Result<(String, i64), ServiceError> {
    let secret = secrets::generate(secrets::AGENT_KEY_PREFIX);
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO agent_keys (agent_id, key_hash, prefix, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(agent_id)
    .bind(secrets::hash(&secret))
    .bind(secret.chars().take(SHOWN_PREFIX_LEN).collect::<String>())
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    Ok((secret, id))
}

/// Why an agent is being retired, kept in `agents.metadata`.
pub(crate) struct Retirement<'a> {
    /// The metadata key of the reason (`revokeReason`, `inviteCancelReason`).
    pub reason_key: &'static str,
    /// The metadata key of who did it (`revokedBy`, `inviteCancelledBy`).
    pub by_key: &'static str,
    pub reason: Option<&'a Reason>,
    pub by: i64,
    /// Only retire an agent that still has a pending invite (invite cancel).
    pub needs_pending_invite: bool,
}

/// Retires an agent inside the caller's transaction: cancels its pending invites, marks it
/// revoked with who and why, and frees its seat. Rows are locked in the order invite
/// confirmation locks them (invites, then the agent, then the organization), so the two
/// never deadlock. A revoked agent keeps its first reason. Returns whether it changed.
pub(crate) async fn retire(
    tx: &mut Transaction<'static, Any>,
    agent_id: i64,
    r: Retirement<'_>,
    now: i64,
) -> Result<bool, ServiceError> {
    let reason = r.reason.map(Reason::as_str);
    let cancelled = sqlx::query(
        "UPDATE invites SET status = 'cancelled', cancelled_at = $1, cancel_reason = $2 WHERE agent_id = $3 AND status = 'pending'",
    )
    .bind(now)
    .bind(reason)
    .bind(agent_id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if r.needs_pending_invite && cancelled == 0 {
        return Ok(false);
    }
    let metadata: Option<String> = sqlx::query_scalar(
        "UPDATE agents SET registration = 'revoked', revoked_at = COALESCE(revoked_at, $1), updated_at = $1
         WHERE id = $2 AND registration <> 'revoked' RETURNING metadata",
    )
    .bind(now)
    .bind(agent_id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(metadata) = metadata else { return Ok(false) };
    let mut md: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&metadata).unwrap_or_default();
    md.insert(r.reason_key.into(), reason.map_or(serde_json::Value::Null, |s| s.into()));
    md.insert(r.by_key.into(), r.by.into());
    sqlx::query("UPDATE agents SET metadata = $1 WHERE id = $2")
        .bind(serde_json::Value::Object(md).to_string())
        .bind(agent_id)
        .execute(&mut **tx)
        .await?;
    crate::seats::free(tx, agent_id).await?;
    Ok(true)
}
