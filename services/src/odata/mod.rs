//! OData query options for list endpoints (`$filter`, `$orderby`, `$select`, `$top`,
//! `$skip`, `$count`), held to the bar of Microsoft Graph.
//!
//! A hand-written lexer and recursive-descent parser produce a typed tree with byte
//! positions, checked against a [`Registry`] of the endpoint's fields, then translated to SQL
//! with bound parameters: no identifier reaches SQL except from the registry, and every
//! value is bound. Errors ([`ODataError`]) carry the position, the accepted tokens and a
//! suggestion. Parsing is linear and bounded by a [`Budget`]. Compiled for the browser too
//! (std, chrono and serde_json only).

mod ast;
mod check;
mod error;
mod fields;
mod keyset;
mod lexer;
mod options;
mod parser;
mod sql;

pub use ast::{CmpOp, Comparison, Filter, Literal, Membership, Span, Target, TextFn, TextMatch, Value};
pub use error::ODataError;
pub use fields::{Field, FieldType, Registry};
pub use keyset::{after_sql, canonical};
pub use options::{
    parse_count, parse_orderby, parse_select, parse_skip, parse_top, OrderKey, DEFAULT_TOP, MAX_SKIP, MAX_TOP,
};
pub use parser::{parse_filter, Budget, DEPTH_CAP};
pub use sql::{filter_sql, filter_sql_with, order_sql, Dialect, SqlFragment, SqlValue};

#[cfg(test)]
mod fuzz;
#[cfg(test)]
mod tests;
