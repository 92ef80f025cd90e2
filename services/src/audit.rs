//! Trust telemetry: an append-only log of who did what to which object, from where, and why.

use crate::principal::RequestMeta;
use crate::store::batch::Batch;

/// One audit event.
pub(crate) struct Event<'a> {
    pub org_id: Option<i64>,
    pub actor_user_id: Option<i64>,
    pub action: &'a str,
    pub object_type: &'a str,
    pub object_id: String,
    pub detail: Option<String>,
}

/// Appends an event, inside the caller's transaction when given one.
pub(crate) async fn record<'e, E>(exec: E, meta: &RequestMeta, e: Event<'_>, now: i64) -> Result<(), sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO audit_log (org_id, actor_user_id, action, object_type, object_id, ip, detail, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(e.org_id)
    .bind(e.actor_user_id)
    .bind(e.action)
    .bind(e.object_type)
    .bind(e.object_id)
    .bind(meta.ip.map(|ip| ip.to_string()))
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
        "INSERT INTO audit_log (org_id, actor_user_id, action, object_type, object_id, ip, detail, created_at)
         SELECT $1, $2, $3, $4, CAST(id AS TEXT), $5, $6, $7 FROM agents WHERE uuid = $8",
        vec![
            e.org_id.into(),
            e.actor_user_id.into(),
            e.action.into(),
            e.object_type.into(),
            meta.ip.map(|ip| ip.to_string()).into(),
            e.detail.into(),
            now.into(),
            agent_uuid.into(),
        ],
    )
}
