//! Seats: how many agents an organization may have at once. A seat is taken by one
//! conditional UPDATE (`… WHERE seats_used < seat_limit`) in the same transaction as the
//! change that needs it, so concurrent registrations never exceed the limit, and given
//! back at most once per agent (guarded by `agents.holds_seat`).
//!
//! The owner registration on PostgreSQL reserves its seat ahead instead
//! ([`dialect::seats_ahead`]): the same conditional UPDATE plus a `seat_reservations` row,
//! committed without waiting for the disk, so the organization's row is not held across the
//! registration's WAL flush. The registration's durable transaction deletes the row (a
//! must-change statement of its batch) and so turns the reservation into the agent's seat;
//! a registration that fails gives the seat back; a row whose request died (a crash) is
//! swept by [`Services::sweep_seat_reservations`] after [`RESERVATION_TTL`]. Either the
//! sweep or the registration deletes the row first, never both, so a seat is never counted
//! twice or freed twice. A relaxed commit can be lost in a crash only together with every
//! later commit, the registration's included (the WAL is flushed in order).
//! `seats_used` therefore counts reservations in flight too, and `seats_used <= seat_limit`
//! holds at every moment on both backends.

use crate::errors::ErrorCode;
use crate::store::batch::Batch;
use crate::store::dialect;
use crate::{Principal, ServiceError, Services};
use sqlx::{Any, Row, Transaction};
use std::time::Duration;

/// How long a seat reservation may wait for its registration before the sweep gives the
/// seat back. Far longer than any request; a registration whose reservation was swept
/// fails (its batch's DELETE changes nothing) and changes nothing.
pub const RESERVATION_TTL: Duration = Duration::from_secs(300);

/// The 403 for a full organization.
pub(crate) fn no_free_seat() -> ServiceError {
    ServiceError::new(
        ErrorCode::NoFreeSeat,
        "No free seat: the organization's seat limit is reached. Revoke an agent or raise the limit.",
    )
}

/// Takes one seat in organization `$1` if one is free.
const RESERVE: &str = "UPDATE organizations SET seats_used = seats_used + 1 WHERE id = $1 AND seats_used < seat_limit";

/// How long a registration that finds its organization full waits for reservations in
/// flight (which end within milliseconds) before it answers `no_free_seat`. Bounded, for a
/// reservation left by a crashed request, which lingers until the sweep.
const PENDING_WAIT: Duration = Duration::from_secs(2);

/// A seat for one registration: taken inside its transaction, or reserved ahead.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Seat {
    /// Take a seat of this organization in the transaction.
    InTransaction(i64),
    /// This reservation (a `seat_reservations` id) becomes the seat.
    Reserved(i64),
}

/// The seat statement of a registration's batch, which fails when no seat is free (or
/// the reservation was swept).
pub(crate) fn push_take(batch: &mut Batch, seat: Seat) -> usize {
    match seat {
        Seat::InTransaction(org) => batch.push_must_change(RESERVE, vec![org.into()]),
        Seat::Reserved(id) => batch.push_must_change("DELETE FROM seat_reservations WHERE id = $1", vec![id.into()]),
    }
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
    /// The seat a registration in `org` will take: on backends that reserve ahead, reserved
    /// now (403 `no_free_seat` when the organization is full and no reservation is in
    /// flight).
    pub(crate) async fn seat_for(&self, org: i64) -> Result<Seat, ServiceError> {
        let Some(sql) = dialect::seats_ahead(self.db().backend) else { return Ok(Seat::InTransaction(org)) };
        let deadline = tokio::time::Instant::now() + PENDING_WAIT;
        let mut pause = Duration::from_millis(1);
        // Whether the last look found no reservation in flight. Full twice with none in
        // flight decides; once is not enough, since the last reservation may have given
        // its seat back between the try and the look.
        let mut settled = false;
        loop {
            let id: Option<i64> = sqlx::query_scalar(sql.reserve)
                .bind(org)
                .bind(self.now_ms())
                .fetch_optional(self.db().relaxed())
                .await?;
            if let Some(id) = id {
                return Ok(Seat::Reserved(id));
            }
            // Full. While other registrations hold reservations, the answer is not known
            // yet: one that fails gives its seat back. Wait for them, as a registration
            // inside one transaction would have waited for the row lock.
            let pending: Option<i64> = sqlx::query_scalar("SELECT id FROM seat_reservations WHERE org_id = $1 LIMIT 1")
                .bind(org)
                .fetch_optional(&self.db().pool)
                .await?;
            if pending.is_none() {
                if settled {
                    return Err(no_free_seat());
                }
                settled = true;
                continue;
            }
            settled = false;
            if tokio::time::Instant::now() + pause > deadline {
                return Err(no_free_seat());
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(20));
        }
    }

    /// Gives back the seat of a registration that failed, if it was reserved ahead. An
    /// error here only delays the seat until the sweep.
    pub(crate) async fn release_seat(&self, seat: Seat) {
        let (Seat::Reserved(id), Some(sql)) = (seat, dialect::seats_ahead(self.db().backend)) else { return };
        if let Err(e) = sqlx::query(sql.release).bind(id).execute(self.db().relaxed()).await {
            tracing::warn!(error = %e, reservation = id, "could not give back a reserved seat; the sweep will");
        }
    }

    /// Gives back the seats of reservations older than [`RESERVATION_TTL`]; how many. Safe
    /// on every instance at once. Nothing on backends that do not reserve ahead.
    pub async fn sweep_seat_reservations(&self) -> Result<u64, ServiceError> {
        let Some(sql) = dialect::seats_ahead(self.db().backend) else { return Ok(0) };
        let before = self.now_ms() - crate::clock::ms(RESERVATION_TTL);
        let swept: Vec<i64> = sqlx::query_scalar(sql.sweep).bind(before).fetch_all(self.db().relaxed()).await?;
        Ok(swept.into_iter().map(|n| u64::try_from(n).unwrap_or(0)).sum())
    }

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
