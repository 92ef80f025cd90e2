//! Plans and seats: the plan catalogue (configuration), and an owner changing their
//! organization's plan or seat limit, with a dry run that previews the change.
//!
//! A limit below the seats in use is refused (409 with both numbers). The change is one
//! conditional UPDATE (`… WHERE seats_used <= $limit`), the same row registrations take
//! their seats on, so a plan change racing registrations never leaves
//! `seats_used > seat_limit`.

use crate::audit;
use crate::errors::ErrorCode;
use crate::model::{Membership, PlanChangePreview, PlanInfo, PlanList, Role};
use crate::organizations::event;
use crate::{Principal, RequestMeta, ServiceError, Services};
use sqlx::Row;

/// The most seats a limit may name.
pub const MAX_SEAT_LIMIT: i64 = 1_000_000;

/// One plan of the catalogue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// Its name, e.g. `team`.
    pub name: String,
    /// Its seats; `None` for a plan whose limit is agreed per organization (`enterprise`).
    pub seat_limit: Option<i64>,
}

impl Plan {
    /// `free` 3 seats, `team` 25, `business` 100, `enterprise` its own limit.
    pub fn defaults() -> Vec<Plan> {
        [("free", Some(3)), ("team", Some(25)), ("business", Some(100)), ("enterprise", None)]
            .into_iter()
            .map(|(name, seat_limit)| Plan { name: name.into(), seat_limit })
            .collect()
    }

    /// Parses a catalogue like `free=3,team=25,enterprise=custom`.
    pub fn parse_catalogue(s: &str) -> Result<Vec<Plan>, String> {
        let plans = s
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (name, seats) = p.split_once('=').ok_or_else(|| format!("{p}: expected name=seats"))?;
                let seat_limit = match seats.trim() {
                    "custom" => None,
                    n => Some(
                        n.parse::<i64>()
                            .ok()
                            .filter(|n| (0..=MAX_SEAT_LIMIT).contains(n))
                            .ok_or_else(|| format!("{p}: seats must be 0 to {MAX_SEAT_LIMIT}, or custom"))?,
                    ),
                };
                Ok(Plan { name: name.trim().to_string(), seat_limit })
            })
            .collect::<Result<Vec<_>, String>>()?;
        if plans.is_empty() {
            return Err("the plan catalogue is empty".into());
        }
        Ok(plans)
    }
}

/// What an owner asked for.
#[derive(Clone, Debug)]
pub struct PlanRequest {
    /// The plan's name.
    pub plan: String,
    /// A limit other than the plan's (required for a custom plan).
    pub seat_limit: Option<i64>,
    /// Only preview.
    pub dry_run: bool,
}

impl Services {
    /// The plan catalogue.
    pub fn list_plans(&self) -> PlanList {
        let value = self
            .config()
            .plans
            .iter()
            .map(|p| PlanInfo { name: p.name.clone(), seat_limit: p.seat_limit, custom: p.seat_limit.is_none() })
            .collect();
        PlanList { value }
    }

    /// The plan and limit a new organization gets.
    pub(crate) fn default_plan(&self) -> (String, i64) {
        let first = self.config().plans.first();
        (first.map(|p| p.name.clone()).unwrap_or_else(|| "free".into()), first.and_then(|p| p.seat_limit).unwrap_or(3))
    }

    /// Changes (or, with `dry_run`, previews changing) the organization's plan (owners).
    pub async fn change_plan(
        &self,
        p: &Principal,
        org: &str,
        req: PlanRequest,
        meta: &RequestMeta,
    ) -> Result<PlanChangePreview, ServiceError> {
        let (org_id, role) = self.membership(p, org).await?;
        if role != Role::Owner {
            return Err(ServiceError::not_allowed("Only owners change the plan."));
        }
        let plan = self.config().plans.iter().find(|c| c.name == req.plan).cloned().ok_or_else(|| {
            let names: Vec<_> = self.config().plans.iter().map(|c| c.name.as_str()).collect();
            ServiceError::field("plan", format!("Unknown plan; one of: {}.", names.join(", ")))
        })?;
        let limit = match (req.seat_limit, plan.seat_limit) {
            (Some(n), _) if !(0..=MAX_SEAT_LIMIT).contains(&n) => {
                return Err(ServiceError::field("seatLimit", format!("seatLimit must be 0 to {MAX_SEAT_LIMIT}.")))
            }
            (Some(n), _) | (None, Some(n)) => n,
            (None, None) => {
                return Err(ServiceError::field("seatLimit", format!("The {} plan needs a seatLimit.", plan.name)))
            }
        };
        let row = sqlx::query("SELECT plan, seat_limit, seats_used FROM organizations WHERE id = $1")
            .bind(org_id)
            .fetch_one(&self.db().pool)
            .await?;
        let (before_plan, before_limit, used): (String, i64, i64) =
            (row.try_get("plan")?, row.try_get("seat_limit")?, row.try_get("seats_used")?);
        if used > limit {
            return Err(below_usage(used, limit));
        }
        let preview = |organization: Option<Membership>, seats_used: i64| PlanChangePreview {
            dry_run: req.dry_run,
            plan_before: before_plan.clone(),
            plan_after: plan.name.clone(),
            seat_limit_before: before_limit,
            seat_limit_after: limit,
            seats_used,
            organization,
        };
        if req.dry_run {
            return Ok(preview(None, used));
        }
        let now = self.now_ms();
        let mut tx = self.db().begin().await?;
        let done =
            sqlx::query("UPDATE organizations SET plan = $1, seat_limit = $2 WHERE id = $3 AND seats_used <= $2")
                .bind(&plan.name)
                .bind(limit)
                .bind(org_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if done == 0 {
            // Registrations took seats since the read: refuse with today's numbers.
            let used: i64 = sqlx::query_scalar("SELECT seats_used FROM organizations WHERE id = $1")
                .bind(org_id)
                .fetch_one(&mut *tx)
                .await?;
            return Err(below_usage(used, limit));
        }
        let detail = serde_json::json!({
            "plan": { "from": before_plan, "to": plan.name }, "seatLimit": { "from": before_limit, "to": limit }
        });
        audit::record(&mut *tx, meta, event(org_id, p, "organization.plan_changed", Some(detail.to_string())), now)
            .await?;
        tx.commit().await?;
        let after = self.organization_of(p.user_id, org_id).await?;
        let used = after.organization.seats_used;
        Ok(preview(Some(after), used))
    }
}

fn below_usage(used: i64, limit: i64) -> ServiceError {
    ServiceError::new(
        ErrorCode::SeatLimitBelowUsage,
        format!("{used} seats are in use, more than the {limit} asked for. Revoke agents first, or choose more seats."),
    )
    .with_extension("seatsUsed", used.into())
    .with_extension("seatLimit", limit.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogues_parse() {
        let plans = Plan::parse_catalogue("free=3, team=25,enterprise=custom").unwrap();
        assert_eq!(plans[0], Plan { name: "free".into(), seat_limit: Some(3) });
        assert_eq!(plans[2].seat_limit, None);
        assert!(Plan::parse_catalogue("free").is_err());
        assert!(Plan::parse_catalogue("free=-1").is_err());
        assert!(Plan::parse_catalogue("").is_err());
        assert_eq!(Plan::defaults().len(), 4);
    }
}
