//! `Idempotency-Key` for POSTs that create something (DESIGN §5): the same key and the
//! same body return the stored response; the same key with another body is a 422. Keys
//! are scoped to the caller and the operation, and kept for a day.

use crate::errors::ErrorCode;
use crate::ServiceError;
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::{Any, Transaction};

/// Longest key accepted.
pub const KEY_MAX: usize = 255;
/// How long a key is remembered.
pub const KEY_TTL_MS: i64 = 24 * 60 * 60 * 1000;

/// A parsed `Idempotency-Key` with the hash of the body it came with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyKey {
    key: String,
    body_hash: String,
}

impl IdempotencyKey {
    /// 1 to 255 visible ASCII characters; the body is hashed in a canonical form (keys
    /// sorted), so the same JSON written differently is the same body.
    pub fn parse(raw: &str, body: &Value) -> Result<Self, ServiceError> {
        let ok = !raw.is_empty() && raw.len() <= KEY_MAX && raw.bytes().all(|b| b.is_ascii_graphic());
        if !ok {
            return Err(ServiceError::field(
                "Idempotency-Key",
                format!(
                    "The Idempotency-Key header must be 1 to {KEY_MAX} visible ASCII characters (a UUID works well)."
                ),
            ));
        }
        let mut canonical = String::new();
        write_canonical(body, &mut canonical);
        Ok(Self { key: raw.to_string(), body_hash: hex::encode(Sha256::digest(canonical.as_bytes())) })
    }
}

fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String((*k).clone()).to_string());
                out.push(':');
                if let Some(v) = m.get(*k) {
                    write_canonical(v, out);
                }
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, v) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(v, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// The stored answer for this key, if the key was used: `Ok(Some(json))` for the same
/// body, 422 for another. Otherwise the key is claimed in the caller's write transaction
/// (a row without an answer, which [`store`] fills in before the commit), so a concurrent
/// request with the same key, on any instance, waits at its own claim for this
/// transaction to end and then replays its answer (or, if it rolled back, claims the key
/// itself). An expired row with the same key is taken over.
pub(crate) async fn replay(
    tx: &mut Transaction<'static, Any>,
    scope: &str,
    key: &IdempotencyKey,
    now: i64,
) -> Result<Option<String>, ServiceError> {
    let claimed: Option<i64> = sqlx::query_scalar(
        "INSERT INTO idempotency_keys (scope, idem_key, body_hash, status, response, created_at)
         VALUES ($1, $2, $3, 0, '', $4)
         ON CONFLICT (scope, idem_key) DO UPDATE
            SET body_hash = excluded.body_hash, status = 0, response = '', created_at = excluded.created_at
          WHERE idempotency_keys.created_at <= $5
         RETURNING status",
    )
    .bind(scope)
    .bind(&key.key)
    .bind(&key.body_hash)
    .bind(now)
    .bind(now - KEY_TTL_MS)
    .fetch_optional(&mut **tx)
    .await?;
    if claimed.is_some() {
        return Ok(None);
    }
    let (hash, response): (String, String) =
        sqlx::query_as("SELECT body_hash, response FROM idempotency_keys WHERE scope = $1 AND idem_key = $2")
            .bind(scope)
            .bind(&key.key)
            .fetch_one(&mut **tx)
            .await?;
    if hash == key.body_hash {
        Ok(Some(response))
    } else {
        Err(ServiceError::new(
            ErrorCode::IdempotencyKeyReused,
            "This Idempotency-Key was used with another body; use a new key for a new request.",
        ))
    }
}

/// Stores the answer for the key that [`replay`] claimed, in the transaction that made it.
pub(crate) async fn store(
    tx: &mut Transaction<'static, Any>,
    scope: &str,
    key: &IdempotencyKey,
    status: u16,
    response: &str,
) -> Result<(), ServiceError> {
    sqlx::query("UPDATE idempotency_keys SET status = $1, response = $2 WHERE scope = $3 AND idem_key = $4")
        .bind(i64::from(status))
        .bind(response)
        .bind(scope)
        .bind(&key.key)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

impl crate::Services {
    /// Forgets idempotency keys older than a day (housekeeping; safe on every instance).
    pub async fn sweep_idempotency_keys(&self) -> Result<u64, ServiceError> {
        Ok(sqlx::query("DELETE FROM idempotency_keys WHERE created_at <= $1")
            .bind(self.now_ms() - KEY_TTL_MS)
            .execute(self.db().writer())
            .await?
            .rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_are_checked_and_bodies_hashed_canonically() {
        let a = IdempotencyKey::parse("k-1", &json!({"a": 1, "b": [1, {"y": 2, "x": 1}]})).unwrap();
        let b = IdempotencyKey::parse("k-1", &json!({"b": [1, {"x": 1, "y": 2}], "a": 1})).unwrap();
        assert_eq!(a, b);
        let c = IdempotencyKey::parse("k-1", &json!({"a": 2})).unwrap();
        assert_ne!(a.body_hash, c.body_hash);
        assert!(IdempotencyKey::parse("", &json!({})).is_err());
        assert!(IdempotencyKey::parse("a b", &json!({})).is_err());
        assert!(IdempotencyKey::parse(&"k".repeat(256), &json!({})).is_err());
    }
}
