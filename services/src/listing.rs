//! What an OData list needs on the server beside the parser and the SQL of
//! [`crate::odata`]: the backend's [`Dialect`], binding [`SqlValue`]s, the 400 problem of an
//! [`ODataError`], and the signed keyset cursor of `@odata.nextLink` (`$skiptoken`).
//!
//! A cursor is the last row's sort values and id with the canonical text of the query it
//! belongs to ([`crate::odata::canonical`]), HMAC-signed with the services' secret: it can
//! be neither altered nor used to resume another filter or sort. The agent list
//! (`agents/list.rs`) and the audit list (`audit/list.rs`) both use this module.

use crate::errors::{ErrorCode, FieldError};
use crate::odata::{Dialect, ODataError, SqlValue};
use crate::store::Backend;
use crate::{ServiceError, Services};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

/// A sqlx query over the Any driver.
pub(crate) type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// An OData error as a 400 problem with `param`, `position`, `expected` and `didYouMean`.
pub(crate) fn odata_problem(e: ODataError) -> ServiceError {
    let message = e.message.clone();
    ServiceError::new(ErrorCode::InvalidQueryOption, e.to_string())
        .with_fields(vec![FieldError::new(e.param, message)])
        .with_extension("param", e.param.into())
        .with_extension("position", e.position.into())
        .with_extension("expected", e.expected.clone().into())
        .with_extension("didYouMean", e.did_you_mean.clone().map_or(Value::Null, Value::String))
}

/// The SQL dialect of a backend.
pub(crate) fn dialect(b: Backend) -> Dialect {
    match b {
        Backend::Sqlite => Dialect::Sqlite,
        Backend::Postgres => Dialect::Postgres,
    }
}

/// Binds `binds` to `q`, in order.
pub(crate) fn bind_all<'q>(mut q: AnyQuery<'q>, binds: &'q [SqlValue]) -> AnyQuery<'q> {
    for b in binds {
        q = match b {
            SqlValue::Text(s) => q.bind(s.as_str()),
            SqlValue::Int(i) => q.bind(*i),
            SqlValue::Float(f) => q.bind(*f),
            SqlValue::Null => q.bind(Option::<i64>::None),
        };
    }
    q
}

/// An option as absent when it is empty or blank (`?$top=&$filter=`, as forms send them).
pub(crate) fn present(v: &Option<String>) -> Option<String> {
    v.clone().filter(|s| !s.trim().is_empty())
}

fn to_json(v: &SqlValue) -> Value {
    match v {
        SqlValue::Text(s) => Value::String(s.clone()),
        SqlValue::Int(i) => (*i).into(),
        SqlValue::Float(f) => (*f).into(),
        SqlValue::Null => Value::Null,
    }
}

fn from_json(v: &Value) -> Option<SqlValue> {
    match v {
        Value::String(s) => Some(SqlValue::Text(s.clone())),
        Value::Number(n) => n.as_i64().map(SqlValue::Int),
        Value::Null => Some(SqlValue::Null),
        _ => None,
    }
}

/// 400 `cursor_mismatch`.
fn mismatch() -> ServiceError {
    ServiceError::new(
        ErrorCode::CursorMismatch,
        "This $skiptoken belongs to another filter or sort, or was altered; start again from the first page.",
    )
}

impl Services {
    fn list_cursor_mac(&self, payload: &[u8]) -> Vec<u8> {
        <Hmac<Sha256> as Mac>::new_from_slice(self.secret())
            .map(|m| m.chain_update(b"agentry-cursor/v1").chain_update(payload).finalize().into_bytes().to_vec())
            .unwrap_or_default()
    }

    /// The cursor resuming `query` after the row with sort values `last` and id `id`.
    pub(crate) fn sign_list_cursor(&self, query: &str, last: &[SqlValue], id: i64) -> String {
        let payload = serde_json::json!({ "q": query, "k": last.iter().map(to_json).collect::<Vec<_>>(), "id": id });
        let payload = payload.to_string();
        let mac = self.list_cursor_mac(payload.as_bytes());
        let tag = mac.get(..16).unwrap_or_default();
        format!("{}.{}", URL_SAFE_NO_PAD.encode(payload), URL_SAFE_NO_PAD.encode(tag))
    }

    /// The cursor's `keys` sort values and its id; 400 `cursor_mismatch` when it was altered
    /// or made for another query.
    pub(crate) fn open_list_cursor(
        &self,
        token: &str,
        query: &str,
        keys: usize,
    ) -> Result<(Vec<SqlValue>, i64), ServiceError> {
        let (payload, mac) = token.split_once('.').ok_or_else(mismatch)?;
        let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|_| mismatch())?;
        let mac = URL_SAFE_NO_PAD.decode(mac).map_err(|_| mismatch())?;
        let expected = self.list_cursor_mac(&payload);
        let expected = expected.get(..16).ok_or_else(mismatch)?;
        if mac.len() != 16 || !crate::secrets::ct_eq(&mac, expected) {
            return Err(mismatch());
        }
        let v: Value = serde_json::from_slice(&payload).map_err(|_| mismatch())?;
        if v.get("q").and_then(Value::as_str) != Some(query) {
            return Err(mismatch());
        }
        let last: Vec<SqlValue> = v
            .get("k")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(from_json).collect())
            .ok_or_else(mismatch)?;
        let id = v.get("id").and_then(Value::as_i64).ok_or_else(mismatch)?;
        if last.len() != keys {
            return Err(mismatch());
        }
        Ok((last, id))
    }
}
