//! The schedule toggle: `scheduleEnabled` flips (or is set) only when the active version
//! has a cron trigger.

use super::directory::{event, AgentView};
use super::variations::{bump, trigger_of};
use crate::audit;
use crate::definition::Trigger;
use crate::errors::ErrorCode;
use crate::principal::{Principal, RequestMeta};
use crate::{ServiceError, Services};

impl Services {
    /// `POST /api/v1/agents/{id}/toggle {enabled?}`: flips `scheduleEnabled`, or sets it.
    /// Needs a deployed cron trigger (409 `no_schedule`).
    #[tracing::instrument(skip_all)]
    pub async fn toggle_schedule(
        &self,
        p: &Principal,
        id: i64,
        enabled: Option<bool>,
        if_match: Option<&[i64]>,
        meta: &RequestMeta,
    ) -> Result<AgentView, ServiceError> {
        let now = self.now_ms();
        let mut tx = self.db().begin().await?;
        let rec = self.locked_record(&mut tx, p, id).await?;
        rec.must_manage(p)?;
        rec.check_precondition(if_match)?;
        let trigger = match &rec.active_variation_id {
            Some(vid) => {
                let definition: String = sqlx::query_scalar("SELECT definition FROM agent_variations WHERE id = $1")
                    .bind(vid)
                    .fetch_one(&mut *tx)
                    .await?;
                trigger_of(&definition)
            }
            None => None,
        };
        if !matches!(trigger, Some(Trigger::Cron { .. })) {
            return Err(ServiceError::new(
                ErrorCode::NoSchedule,
                "The schedule needs a deployed cron trigger: set one in the draft and deploy it first.",
            ));
        }
        let next = enabled.unwrap_or(!rec.schedule_enabled);
        if next != rec.schedule_enabled {
            sqlx::query("UPDATE agents SET schedule_enabled = $1 WHERE id = $2")
                .bind(i64::from(next))
                .bind(id)
                .execute(&mut *tx)
                .await?;
            bump(&mut tx, id, now).await?;
            // Enabled again: the schedule starts afresh from the next tick (no catch-up for
            // the time it was off).
            sqlx::query("DELETE FROM agent_schedules WHERE agent_id = $1").bind(id).execute(&mut *tx).await?;
            let detail = serde_json::json!({ "scheduleEnabled": next });
            audit::record(&mut *tx, meta, event(p, "agent.schedule_toggled", id, Some(detail)), now).await?;
        }
        self.commit_view(tx, p, id, now).await
    }
}
