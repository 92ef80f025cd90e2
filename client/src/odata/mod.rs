//! OData query options as typed builders, so that no caller writes (or mis-escapes) a
//! query string by hand:
//!
//! ```
//! use agentry_client::odata::{Filter, ListOptions, OrderBy};
//! let f = Filter::field("type").eq("task").and(Filter::field("name").contains("Bob's"));
//! assert_eq!(f.to_string(), "type eq 'task' and contains(name,'Bob''s')");
//! let opts = ListOptions::new()
//!     .filter(f)
//!     .orderby(OrderBy::asc("name").then_desc("createdAt"))
//!     .select(["id", "name"])
//!     .top(2)
//!     .count(true);
//! let pairs = opts.query_pairs().unwrap();
//! assert_eq!(pairs[1], ("$orderby", "name asc,createdAt desc".to_string()));
//! ```
//!
//! The server's grammar (`services/src/odata`): comparisons `eq ne gt ge lt le`, `in (…)`,
//! `contains`/`startswith`/`endswith`, `tolower(field)`, `not` > `and` > `or`; strings in
//! single quotes with a quote doubled; dates and datetimes bare (`2026-05-01T10:00:00Z`).

mod filter;
mod query;
#[cfg(test)]
mod tests;

pub use filter::{Field, Filter, Literal};
pub use query::{ListOptions, OrderBy};

/// Is `name` an OData identifier (`[A-Za-z_][A-Za-z0-9_]*`)? Anything else could change the
/// meaning of the expression it is written into, so builders refuse it.
pub(crate) fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
