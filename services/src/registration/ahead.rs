//! The registration's path on backends that count rate limits and reserve seats before the
//! registration's transaction (PostgreSQL, [`dialect::counts_in_write`]): ONE relaxed
//! statement counts the hits, reserves a seat for an owner registration and reads the
//! challenge ([`dialect::registration_reads`]); then the checks run in the usual order
//! (429, the challenge, the owner and token rules, the transaction), and a registration
//! that fails for any reason gives the reserved seat back. Round trips to the database
//! per successful owner registration: authentication, this statement, the batch, COMMIT.

use super::Registration;
use crate::challenges::Stored;
use crate::model::AgentRegistrationResponse;
use crate::principal::{Principal, RequestMeta};
use crate::rate_limit::{upsert_sql, Limit};
use crate::seats::Seat;
use crate::store::dialect;
use crate::{ServiceError, Services};
use sqlx::Row;

/// What the statement read: the buckets' new counts, the challenge, the seat reserved.
struct Reads {
    hits: Vec<(String, i64)>,
    stored: Option<Stored>,
    seat: Option<Seat>,
}

impl Services {
    /// The registration, counted and seated ahead; `None` when the backend does not
    /// count ahead (the caller takes the SQLite path).
    pub(super) async fn register_ahead(
        &self,
        p: Option<&Principal>,
        reg: Registration,
        meta: &RequestMeta,
        limits: &[Limit],
    ) -> Option<Result<AgentRegistrationResponse, ServiceError>> {
        let sql = dialect::registration_reads(self.db().backend, &upsert_sql(limits.len()), limits.len())?;
        let reads = match self.reads_ahead(&sql, limits, reg.challenge_id, p.map(|p| p.org_id)).await {
            Ok(reads) => reads,
            Err(e) => return Some(Err(e)),
        };
        let actor = p.map(|p| p.user_id);
        let result = match self.judge_counted(limits, &reads.hits, meta, actor).await {
            Ok(()) => self.register_counted(p, reg, reads.stored, meta, &[], reads.seat).await,
            Err(e) => Err(e),
        };
        if let (Err(_), Some(seat)) = (&result, reads.seat) {
            self.release_seat(seat).await;
        }
        Some(result)
    }

    async fn reads_ahead(
        &self,
        sql: &str,
        limits: &[Limit],
        challenge_id: uuid::Uuid,
        org: Option<i64>,
    ) -> Result<Reads, ServiceError> {
        let mut q = sqlx::query(sql).bind(self.window_start());
        for l in limits {
            q = q.bind(&l.bucket);
        }
        let q = q.bind(challenge_id.to_string()).bind(org).bind(self.now_ms());
        let mut reads = Reads { hits: Vec::new(), stored: None, seat: None };
        for r in q.fetch_all(self.db().relaxed()).await? {
            if let Some(bucket) = r.try_get::<Option<String>, _>("bucket")? {
                reads.hits.push((bucket, r.try_get("hits")?));
            } else if let Some(id) = r.try_get::<Option<i64>, _>("reservation")? {
                reads.seat = Some(Seat::Reserved(id));
            } else {
                reads.stored = Some(Stored { token: r.try_get("token")?, used_at: r.try_get("used_at")? });
            }
        }
        Ok(reads)
    }
}
