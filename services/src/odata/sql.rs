//! SQL for a checked filter and an order. Identifiers come only from the registry; every
//! value is a bound `$N` parameter (both dialects: sqlx's Any driver maps `$N` to argument N
//! on SQLite too). Placeholders appear in the text in increasing order, once each.
//!
//! Null semantics follow OData and Microsoft Graph: a comparison with a NULL column is
//! false, so `ne 'x'` keeps NULL rows, and every predicate on a nullable column is written
//! to be two-valued (`(c IS NOT NULL AND c = $1)`, `(c IS NULL OR c <> $1)`), which makes
//! `not` exact: `not (email eq 'x')` keeps NULL emails as `email ne 'x'` does.

use super::ast::{CmpOp, Filter, Target, TextFn, Value};
use super::fields::{FieldType, Registry};
use super::options::OrderKey;

/// The SQL backend, where the translation differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite: `LOWER` folds ASCII letters only, so patterns are folded the same way.
    Sqlite,
    /// PostgreSQL: `LOWER` folds Unicode (in a UTF-8 database), as does Rust's `to_lowercase`.
    Postgres,
}

/// A bound parameter.
#[derive(Clone, Debug, PartialEq)]
pub enum SqlValue {
    /// TEXT.
    Text(String),
    /// BIGINT (also booleans as 0/1 and datetimes as epoch milliseconds).
    Int(i64),
    /// DOUBLE PRECISION (the filter never binds one: no field is decimal).
    Float(f64),
    /// NULL: only as a keyset value ([`super::after_sql`]); never bound.
    Null,
}

/// SQL text and its parameters, in placeholder order.
#[derive(Clone, Debug, PartialEq)]
pub struct SqlFragment {
    /// The text, with `$N` placeholders.
    pub sql: String,
    /// The values of `$first_param`, `$first_param + 1`...
    pub binds: Vec<SqlValue>,
}

/// Builds SQL text while numbering its parameters.
pub(crate) struct Writer {
    pub sql: String,
    pub binds: Vec<SqlValue>,
    first: usize,
    /// `startswith` also bounds its column ([`prefix_range`]).
    prefix_ranges: bool,
}

impl Writer {
    pub(crate) fn new(first_param: usize) -> Self {
        Writer { sql: String::new(), binds: Vec::new(), first: first_param, prefix_ranges: true }
    }

    /// Appends a placeholder for `v`.
    pub(crate) fn bind(&mut self, v: SqlValue) {
        let n = self.first + self.binds.len();
        self.sql.push('$');
        self.sql.push_str(&n.to_string());
        self.binds.push(v);
    }

    pub(crate) fn push(&mut self, s: &str) {
        self.sql.push_str(s);
    }

    pub(crate) fn finish(self) -> SqlFragment {
        SqlFragment { sql: self.sql, binds: self.binds }
    }
}

/// The WHERE condition for `f` (without `WHERE`), numbering parameters from `first_param`.
pub fn filter_sql(f: &Filter, d: Dialect, first_param: usize) -> SqlFragment {
    filter_sql_with(f, d, first_param, true)
}

/// [`filter_sql`], choosing whether SQLite's `startswith` also bounds its column to the
/// prefix's range ([`prefix_range`]). A cursor page leaves it out: the keyset already
/// bounds the sort key, and with a second bound of unknown value on the same column
/// SQLite sometimes seeks by the looser one (bench/directory: a cursor page 1.16 → 1.38 ms
/// of server CPU with the range).
pub fn filter_sql_with(f: &Filter, d: Dialect, first_param: usize, prefix_ranges: bool) -> SqlFragment {
    let mut w = Writer::new(first_param);
    w.prefix_ranges = prefix_ranges;
    write_filter(&mut w, f, d);
    w.finish()
}

fn storage(v: &Value) -> SqlValue {
    match v {
        Value::Text(s) => SqlValue::Text(s.clone()),
        Value::Int(i) | Value::DateTime(i) => SqlValue::Int(*i),
        Value::Bool(b) => SqlValue::Int(i64::from(*b)),
        Value::Null => SqlValue::Null,
    }
}

fn expr(t: &Target) -> String {
    if t.lower {
        format!("LOWER({})", t.field.column)
    } else {
        t.field.column.to_string()
    }
}

fn op_sql(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Eq => "=",
        CmpOp::Ne => "<>",
        CmpOp::Gt => ">",
        CmpOp::Ge => ">=",
        CmpOp::Lt => "<",
        CmpOp::Le => "<=",
    }
}

/// `(c IS NOT NULL AND body)` on a nullable column, `body` otherwise.
fn guarded(w: &mut Writer, t: &Target, body: impl FnOnce(&mut Writer)) {
    if t.field.nullable {
        w.push(&format!("({} IS NOT NULL AND ", t.field.column));
        body(w);
        w.push(")");
    } else {
        body(w);
    }
}

fn write_joined(w: &mut Writer, items: &[Filter], word: &str, d: Dialect) {
    w.push("(");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            w.push(word);
        }
        write_filter(w, item, d);
    }
    w.push(")");
}

/// Lower-cases `s` as the backend's `LOWER` does and escapes LIKE's `%`, `_` and `\`.
pub(crate) fn like_escaped(s: &str, d: Dialect) -> String {
    let folded = match d {
        Dialect::Sqlite => s.to_ascii_lowercase(),
        Dialect::Postgres => s.to_lowercase(),
    };
    let mut out = String::with_capacity(folded.len());
    for c in folded.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn write_filter(w: &mut Writer, f: &Filter, d: Dialect) {
    match f {
        Filter::And(items) => write_joined(w, items, " AND ", d),
        Filter::Or(items) => write_joined(w, items, " OR ", d),
        Filter::Not(inner, _) => {
            w.push("NOT (");
            write_filter(w, inner, d);
            w.push(")");
        }
        Filter::Compare(c) => {
            let column = c.target.field.column;
            match (&c.value.value, c.op) {
                (Value::Null, CmpOp::Ne) => w.push(&format!("{column} IS NOT NULL")),
                (Value::Null, _) => w.push(&format!("{column} IS NULL")),
                (v, CmpOp::Ne) if c.target.field.nullable => {
                    w.push(&format!("({column} IS NULL OR {} <> ", expr(&c.target)));
                    w.bind(storage(v));
                    w.push(")");
                }
                (v, op) => guarded(w, &c.target, |w| {
                    w.push(&format!("{} {} ", expr(&c.target), op_sql(op)));
                    w.bind(storage(v));
                }),
            }
        }
        Filter::In(m) => guarded(w, &m.target, |w| {
            w.push(&format!("{} IN (", expr(&m.target)));
            for (i, v) in m.values.iter().enumerate() {
                if i > 0 {
                    w.push(", ");
                }
                w.bind(storage(&v.value));
            }
            w.push(")");
        }),
        Filter::Text(t) => guarded(w, &t.target, |w| {
            let text = match &t.pattern.value {
                Value::Text(s) => like_escaped(s, d),
                other => like_escaped(&other.to_string(), d),
            };
            let pattern = match t.func {
                TextFn::Contains => format!("%{text}%"),
                TextFn::StartsWith => format!("{text}%"),
                TextFn::EndsWith => format!("%{text}"),
            };
            let column = t.target.field.column;
            // SQLite: `startswith` also bounds the column to the prefix's range (see
            // `prefix_range`), so an index on it serves the filter.
            let range = match (&t.pattern.value, t.func, t.target.field.ty, d) {
                (Value::Text(s), TextFn::StartsWith, FieldType::String | FieldType::Enum(_), Dialect::Sqlite)
                    if w.prefix_ranges =>
                {
                    prefix_range(&s.to_ascii_lowercase())
                }
                _ => None,
            };
            if range.is_some() {
                w.push("(");
            }
            w.push(&format!("LOWER({column}) LIKE "));
            w.bind(SqlValue::Text(pattern));
            w.push(" ESCAPE '\\'");
            if let Some((low, high)) = range {
                w.push(&format!(" AND {column} >= "));
                w.bind(SqlValue::Text(low));
                if let Some(high) = high {
                    w.push(&format!(" AND {column} < "));
                    w.bind(SqlValue::Text(high));
                }
                w.push(")");
            }
        }),
    }
}

/// SQLite's `startswith`: the range of the column that holds every value whose
/// ASCII-folded form (SQLite's `LOWER`) starts with `folded`, so that an index on the
/// column serves it (the first page of `startswith(name,'x')` sorted by name read every
/// row from the end of the index to the prefix). In byte order, which SQLite's default
/// collation is, each such value is at least the prefix in upper case (an upper-case
/// letter sorts before its lower case) and below the prefix with its last character
/// incremented (UTF-8 keeps code point order). The LIKE stays: the range only narrows.
/// PostgreSQL gets no range: its `LOWER` folds Unicode (the Kelvin sign folds to `k`) and
/// its collation may not be bytes; a range on `LOWER(name) COLLATE ucs_basic` with its own
/// index was measured and made the planner sort the whole prefix for every cursor page
/// (docs/PERFORMANCE.md, "Agent directory").
pub(super) fn prefix_range(folded: &str) -> Option<(String, Option<String>)> {
    let mut chars = folded.chars();
    let last = chars.next_back()?;
    let next = (u32::from(last) + 1..=u32::from(char::MAX)).find_map(char::from_u32);
    let high = next.map(|c| format!("{}{c}", chars.as_str()));
    Some((folded.to_ascii_uppercase(), high))
}

/// `ORDER BY k1 ASC, ..., id ASC`: the keys, then the registry's id in the direction of the
/// last key (ascending without keys), so the order is total. NULLs sort first ascending and
/// last descending on both backends (NULL is the smallest value), spelled out with
/// `NULLS FIRST`/`NULLS LAST` because the two backends' defaults differ.
pub fn order_sql(keys: &[OrderKey], reg: &Registry) -> String {
    let mut parts: Vec<String> = keys
        .iter()
        .map(|k| {
            let dir = if k.desc { "DESC" } else { "ASC" };
            match (k.field.nullable, k.desc) {
                (false, _) => format!("{} {dir}", k.field.column),
                (true, false) => format!("{} ASC NULLS FIRST", k.field.column),
                (true, true) => format!("{} DESC NULLS LAST", k.field.column),
            }
        })
        .collect();
    let id_desc = keys.last().is_some_and(|k| k.desc);
    parts.push(format!("{} {}", reg.id_column, if id_desc { "DESC" } else { "ASC" }));
    format!("ORDER BY {}", parts.join(", "))
}
