//! The hash chain: sealing unsealed rows onto their organization's chain, and walking it.
//!
//! A chain's head (`audit_chains`: the last `seq` and `hash`) is locked for the whole
//! seal, so sealers on any number of instances append one after another and the chain
//! stays linear; `audit_log_chain` (unique `org_id, chain_seq`) backs that up. Rows are
//! taken in id order among those committed when the sealer looks; a row committed later
//! (PostgreSQL allocates ids before commit) is sealed by the next round, further along.

use super::{Stored, GENESIS, SELECT};
use crate::model::AuditVerification;
use crate::store::dialect;
use crate::{ServiceError, Services};
use sqlx::Row;

/// Rows sealed per transaction.
const SEAL_BATCH: i64 = 500;
/// Rows read per page while verifying.
const VERIFY_PAGE: i64 = 1000;

impl Services {
    /// Seals every unsealed row onto its chain; the number sealed. Safe to run on every
    /// instance at once (the housekeeping task runs it about every second).
    pub async fn seal_audit(&self) -> Result<u64, ServiceError> {
        let keys: Vec<i64> =
            sqlx::query_scalar("SELECT DISTINCT COALESCE(org_id, 0) FROM audit_log WHERE hash IS NULL")
                .fetch_all(&self.db().pool)
                .await?;
        let mut sealed = 0;
        for key in keys {
            sealed += self.seal_chain(key).await?;
        }
        Ok(sealed)
    }

    /// Seals the unsealed rows of one chain (organization id, or 0).
    pub(crate) async fn seal_chain(&self, key: i64) -> Result<u64, ServiceError> {
        let mut sealed = 0;
        loop {
            let mut tx = self.db().begin().await?;
            sqlx::query(
                "INSERT INTO audit_chains (org_key, seq, head) VALUES ($1, 0, $2) ON CONFLICT (org_key) DO NOTHING",
            )
            .bind(key)
            .bind(GENESIS)
            .execute(&mut *tx)
            .await?;
            let sql = format!(
                "SELECT seq, head FROM audit_chains WHERE org_key = $1{}",
                dialect::for_update(self.db().backend)
            );
            let head = sqlx::query(&sql).bind(key).fetch_one(&mut *tx).await?;
            let (mut seq, mut prev): (i64, String) = (head.try_get("seq")?, head.try_get("head")?);
            let sql = format!(
                "{SELECT} WHERE a.hash IS NULL AND COALESCE(a.org_id, 0) = $1 ORDER BY a.id LIMIT {SEAL_BATCH}"
            );
            let rows = sqlx::query(&sql).bind(key).fetch_all(&mut *tx).await?;
            for row in &rows {
                let row = Stored::read(row)?;
                seq += 1;
                let hash = row.seal_hash(seq, &prev);
                sqlx::query("UPDATE audit_log SET chain_seq = $1, prev_hash = $2, hash = $3 WHERE id = $4")
                    .bind(seq)
                    .bind(&prev)
                    .bind(&hash)
                    .bind(row.id)
                    .execute(&mut *tx)
                    .await?;
                prev = hash;
            }
            sqlx::query("UPDATE audit_chains SET seq = $1, head = $2 WHERE org_key = $3")
                .bind(seq)
                .bind(&prev)
                .bind(key)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            sealed += u64::try_from(rows.len()).unwrap_or_default();
            if i64::try_from(rows.len()).unwrap_or_default() < SEAL_BATCH {
                return Ok(sealed);
            }
        }
    }

    /// Walks organization `org_id`'s chain from its start: every row must sit at the next
    /// position, link to the row before, and match its hash; the last must be the head.
    pub(crate) async fn walk_chain(&self, org_id: i64) -> Result<AuditVerification, ServiceError> {
        let pool = &self.db().pool;
        let (mut expected, mut prev, mut checked) = (1_i64, GENESIS.to_string(), 0_i64);
        loop {
            let sql =
                format!("{SELECT} WHERE a.org_id = $1 AND a.chain_seq >= $2 ORDER BY a.chain_seq LIMIT {VERIFY_PAGE}");
            let rows = sqlx::query(&sql).bind(org_id).bind(expected).fetch_all(pool).await?;
            for row in &rows {
                let row = Stored::read(row)?;
                let good = row.chain_seq == Some(expected)
                    && row.prev_hash.as_deref() == Some(prev.as_str())
                    && row.hash.as_deref() == Some(row.seal_hash(expected, &prev).as_str());
                if !good {
                    return Ok(AuditVerification { ok: false, checked, first_bad_id: Some(row.id) });
                }
                checked += 1;
                expected += 1;
                prev = row.hash.unwrap_or_default();
            }
            if i64::try_from(rows.len()).unwrap_or_default() < VERIFY_PAGE {
                break;
            }
        }
        let head = sqlx::query("SELECT seq, head FROM audit_chains WHERE org_key = $1")
            .bind(org_id)
            .fetch_optional(pool)
            .await?;
        let head_ok = match head {
            Some(h) => h.try_get::<i64, _>("seq")? == expected - 1 && h.try_get::<String, _>("head")? == prev,
            None => checked == 0,
        };
        Ok(AuditVerification { ok: head_ok, checked, first_bad_id: None })
    }
}
