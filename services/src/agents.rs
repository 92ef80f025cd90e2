//! Agents, as far as the foundation needs them: the organization's list.

use crate::model::AgentSummary;
use crate::principal::Principal;
use crate::store::to_time;
use crate::{ServiceError, Services};
use sqlx::Row;

impl Services {
    /// The agents of the caller's current organization, oldest first.
    pub async fn list_agents(&self, p: &Principal) -> Result<Vec<AgentSummary>, ServiceError> {
        let rows = sqlx::query("SELECT id, name, registration, created_at FROM agents WHERE org_id = $1 ORDER BY id")
            .bind(p.org_id)
            .fetch_all(&self.db().pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(AgentSummary {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    registration: r.try_get("registration")?,
                    created_at: to_time(r.try_get("created_at")?),
                })
            })
            .collect()
    }
}
