//! Seats: how many agents an organization may have at once. A seat is taken by one
//! conditional UPDATE (`… WHERE seats_used < seat_limit`) in the same transaction as the
//! change that needs it, so concurrent registrations never exceed the limit, and given
//! back at most once per agent (guarded by `agents.holds_seat`).

use crate::errors::ErrorCode;
use crate::store::batch::Batch;
use crate::{Principal, ServiceError, Services};
use sqlx::{Any, Row, Transaction};

/// The 403 for a full organization.
pub(crate) fn no_free_seat() -> ServiceError {
    ServiceError::new(
        ErrorCode::NoFreeSeat,
        "No free seat: the organization's seat limit is reached. Revoke an agent or raise the limit.",
    )
}

/// Takes one seat in organization `$1` if one is free.
const RESERVE: &str = "UPDATE organizations SET seats_used = seats_used + 1 WHERE id = $1 AND seats_used < seat_limit";

/// [`reserve`] as a statement of a batch, which fails when no seat is free.
pub(crate) fn push_reserve(batch: &mut Batch, org: i64) -> usize {
    batch.push_must_change(RESERVE, vec![org.into()])
}

/// Takes one seat in `org` if one is free; true when taken.
pub(crate) async fn try_reserve(tx: &mut Transaction<'static, Any>, org: i64) -> Result<bool, ServiceError> {
    let done = sqlx::query(RESERVE).bind(org).execute(&mut **tx).await?.rows_affected();
    Ok(done == 1)
}

/// Takes one seat in `org`, or 403 `no_free_seat`.
pub(crate) async fn reserve(tx: &mut Transaction<'static, Any>, org: i64) -> Result<(), ServiceError> {
    if try_reserve(tx, org).await? {
        Ok(())
    } else {
        Err(no_free_seat())
    }
}

/// Gives back the seat an agent holds, if it holds one; true when one was freed.
pub(crate) async fn free(tx: &mut Transaction<'static, Any>, agent_id: i64) -> Result<bool, ServiceError> {
    let org: Option<Option<i64>> =
        sqlx::query_scalar("UPDATE agents SET holds_seat = 0 WHERE id = $1 AND holds_seat = 1 RETURNING org_id")
            .bind(agent_id)
            .fetch_optional(&mut **tx)
            .await?;
    let Some(org) = org else { return Ok(false) };
    if let Some(org) = org {
        sqlx::query("UPDATE organizations SET seats_used = seats_used - 1 WHERE id = $1 AND seats_used > 0")
            .bind(org)
            .execute(&mut **tx)
            .await?;
    }
    Ok(true)
}

impl Services {
    /// Seats used and the limit of the caller's current organization.
    pub async fn seat_usage(&self, p: &Principal) -> Result<(i64, i64), ServiceError> {
        let row = sqlx::query("SELECT seats_used, seat_limit FROM organizations WHERE id = $1")
            .bind(p.org_id)
            .fetch_optional(&self.db().pool)
            .await?
            .ok_or_else(ServiceError::unauthorized)?;
        Ok((row.try_get("seats_used")?, row.try_get("seat_limit")?))
    }
}
