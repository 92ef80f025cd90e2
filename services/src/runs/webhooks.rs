//! An agent's completion webhook: its managers set the URL (the signing secret is minted
//! here, shown once, and kept sealed since signing needs it), and every run of the agent
//! that ends queues a delivery in the transaction that ended it (the webhook outbox).
//! `delivery.rs` sends them.

use super::RunRow;
use crate::errors::ErrorCode;
use crate::model::{DeliveryStatus, Webhook, WebhookDelivery, WebhookDeliveryList, WebhookInput, WEBHOOK_URL_MAX};
use crate::principal::Principal;
use crate::store::to_time;
use crate::{FieldError, ServiceError, Services};
use base64::Engine;
use rand::RngCore;
use serde_json::{json, Value};
use sqlx::{any::AnyRow, Any, Row, Transaction};

/// Deliveries one list shows.
const DELIVERY_PAGE: i64 = 100;

fn no_webhook() -> ServiceError {
    ServiceError::new(ErrorCode::WebhookNotFound, "This agent has no completion webhook (or no such delivery).")
}

/// A URL deliveries may go to: `http` or `https`, with a host, at most
/// [`WEBHOOK_URL_MAX`] characters; 422 otherwise.
fn parse_url(raw: &str) -> Result<String, ServiceError> {
    let bad = |m: &str| {
        ServiceError::new(ErrorCode::InvalidBody, format!("url: {m}")).with_fields(vec![FieldError::new("url", m)])
    };
    if raw.chars().count() > WEBHOOK_URL_MAX {
        return Err(bad("The URL is at most 2,000 characters."));
    }
    let url = reqwest::Url::parse(raw.trim()).map_err(|e| bad(&format!("Not a URL: {e}.")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(bad("A webhook URL is http:// or https:// with a host."));
    }
    Ok(url.to_string())
}

impl Services {
    /// `PUT /api/v1/agents/{id}/webhook`: sets the URL; a new webhook, or `rotateSecret`,
    /// mints the signing secret (in this answer only). The agent's managers.
    pub async fn set_webhook(
        &self,
        p: &Principal,
        agent_id: i64,
        input: WebhookInput,
    ) -> Result<Webhook, ServiceError> {
        let url = parse_url(&input.url)?;
        let now = self.now_ms();
        let mut tx = self.db().begin().await?;
        self.locked_record(&mut tx, p, agent_id).await?.must_manage(p)?;
        let exists: Option<i64> = sqlx::query_scalar("SELECT created_at FROM agent_webhooks WHERE agent_id = $1")
            .bind(agent_id)
            .fetch_optional(&mut *tx)
            .await?;
        // A fresh secret always goes with the row, so a webhook never exists without one;
        // an existing webhook keeps its own unless rotated. (The agent's row lock, which
        // `delete_webhook` takes too, keeps `exists` true until this commits.)
        let minted = new_secret();
        let sealed = self.seal(&minted);
        let secret = (exists.is_none() || input.rotate_secret).then_some(minted);
        sqlx::query(
            "INSERT INTO agent_webhooks (agent_id, url, secret_sealed, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
             ON CONFLICT (agent_id) DO UPDATE SET url = excluded.url, updated_at = excluded.updated_at,
                 secret_sealed = CASE WHEN $5 = 1 THEN excluded.secret_sealed ELSE agent_webhooks.secret_sealed END",
        )
        .bind(agent_id)
        .bind(&url)
        .bind(sealed)
        .bind(now)
        .bind(i64::from(secret.is_some()))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        let created = exists.unwrap_or(now);
        Ok(Webhook { agent_id, url, secret, created_at: to_time(created), updated_at: to_time(now) })
    }

    /// `GET /api/v1/agents/{id}/webhook`: the URL (never the secret). Its managers.
    pub async fn get_webhook(&self, p: &Principal, agent_id: i64) -> Result<Webhook, ServiceError> {
        self.agent_record(p, agent_id).await?.must_manage(p)?;
        let row = sqlx::query("SELECT url, created_at, updated_at FROM agent_webhooks WHERE agent_id = $1")
            .bind(agent_id)
            .fetch_optional(&self.db().pool)
            .await?
            .ok_or_else(no_webhook)?;
        Ok(Webhook {
            agent_id,
            url: row.try_get("url")?,
            secret: None,
            created_at: to_time(row.try_get("created_at")?),
            updated_at: to_time(row.try_get("updated_at")?),
        })
    }

    /// `DELETE /api/v1/agents/{id}/webhook`: no more deliveries are queued (queued ones
    /// are still sent). Deleting twice is harmless.
    pub async fn delete_webhook(&self, p: &Principal, agent_id: i64) -> Result<(), ServiceError> {
        let mut tx = self.db().begin().await?;
        self.locked_record(&mut tx, p, agent_id).await?.must_manage(p)?;
        sqlx::query("DELETE FROM agent_webhooks WHERE agent_id = $1").bind(agent_id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// `GET /api/v1/agents/{id}/webhook/deliveries?status=`: the newest 100.
    pub async fn webhook_deliveries(
        &self,
        p: &Principal,
        agent_id: i64,
        status: Option<DeliveryStatus>,
    ) -> Result<WebhookDeliveryList, ServiceError> {
        self.agent_record(p, agent_id).await?.must_manage(p)?;
        let rows = sqlx::query(&format!(
            "SELECT {DELIVERY_COLS} FROM webhook_deliveries WHERE agent_id = $1 AND ($2 = '' OR status = $2)
             ORDER BY id DESC LIMIT {DELIVERY_PAGE}"
        ))
        .bind(agent_id)
        .bind(status.map_or("", DeliveryStatus::as_str))
        .fetch_all(&self.db().pool)
        .await?;
        let value = rows.iter().map(delivery).collect::<Result<_, _>>()?;
        Ok(WebhookDeliveryList { value })
    }

    /// `POST /api/v1/agents/{id}/webhook/deliveries/{delivery}/redeliver`: a dead (or
    /// delivered) delivery goes out again at once, with fresh attempts.
    pub async fn redeliver(&self, p: &Principal, agent_id: i64, id: i64) -> Result<WebhookDelivery, ServiceError> {
        self.agent_record(p, agent_id).await?.must_manage(p)?;
        let now = self.now_ms();
        sqlx::query(
            "UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = $1, last_error = NULL
             WHERE id = $2 AND agent_id = $3 AND status <> 'pending'",
        )
        .bind(now)
        .bind(id)
        .bind(agent_id)
        .execute(&self.db().pool)
        .await?;
        let row =
            sqlx::query(&format!("SELECT {DELIVERY_COLS} FROM webhook_deliveries WHERE id = $1 AND agent_id = $2"))
                .bind(id)
                .bind(agent_id)
                .fetch_optional(&self.db().pool)
                .await?
                .ok_or_else(no_webhook)?;
        delivery(&row)
    }
}

/// Queues the delivery of `run`'s outcome in `tx` when its agent has a webhook (and the
/// run is over).
pub(crate) async fn enqueue(
    tx: &mut Transaction<'static, Any>,
    run: &RunRow,
    public_url: &str,
    now: i64,
) -> Result<(), ServiceError> {
    if !run.status.is_final() {
        return Ok(());
    }
    let payload = json!({
        "type": format!("run.{}", run.status.as_str()),
        "timestamp": to_time(now),
        "data": run.view(public_url),
    });
    sqlx::query(
        "INSERT INTO webhook_deliveries (agent_id, run_id, event_type, payload, status, next_attempt_at, created_at)
         SELECT agent_id, $1, $2, $3, 'pending', $4, $4 FROM agent_webhooks WHERE agent_id = $5",
    )
    .bind(run.id)
    .bind(format!("run.{}", run.status.as_str()))
    .bind(payload.to_string())
    .bind(now)
    .bind(run.agent_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A new signing secret: `whsec_` and 32 random bytes in base64 (Standard Webhooks).
fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(bytes))
}

pub(crate) const DELIVERY_COLS: &str = "id, run_id, event_type, payload, status, attempts, next_attempt_at, \
     last_status, last_error, created_at, delivered_at";

fn delivery(r: &AnyRow) -> Result<WebhookDelivery, ServiceError> {
    let status = crate::store::state(r, "status", DeliveryStatus::parse)?;
    Ok(WebhookDelivery {
        id: r.try_get("id")?,
        run_id: r.try_get("run_id")?,
        event_type: r.try_get("event_type")?,
        status,
        attempts: r.try_get("attempts")?,
        next_attempt_at: (status == DeliveryStatus::Pending)
            .then(|| r.try_get("next_attempt_at").map(to_time))
            .transpose()?,
        last_status: r.try_get("last_status")?,
        last_error: r.try_get("last_error")?,
        created_at: to_time(r.try_get("created_at")?),
        delivered_at: r.try_get::<Option<i64>, _>("delivered_at")?.map(to_time),
        payload: serde_json::from_str(&r.try_get::<String, _>("payload")?).unwrap_or(Value::Null),
    })
}
