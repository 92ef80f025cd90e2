//! `$orderby` and the list's whole set of query options.

use super::{is_identifier, Filter};
use crate::Error;

/// `$orderby`: sort keys in order.
///
/// ```
/// use agentry_client::odata::OrderBy;
/// assert_eq!(OrderBy::asc("name").then_desc("createdAt").to_string(), "name asc,createdAt desc");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderBy {
    keys: Vec<(String, bool)>,
    raw: Option<String>,
}

impl OrderBy {
    /// Sorts by `field`, ascending.
    pub fn asc(field: impl Into<String>) -> OrderBy {
        OrderBy { keys: vec![(field.into(), false)], raw: None }
    }

    /// Sorts by `field`, descending.
    pub fn desc(field: impl Into<String>) -> OrderBy {
        OrderBy { keys: vec![(field.into(), true)], raw: None }
    }

    /// Then by `field`, ascending.
    pub fn then_asc(mut self, field: impl Into<String>) -> OrderBy {
        self.keys.push((field.into(), false));
        self
    }

    /// Then by `field`, descending.
    pub fn then_desc(mut self, field: impl Into<String>) -> OrderBy {
        self.keys.push((field.into(), true));
        self
    }

    /// An `$orderby` written by hand (`"name desc,createdAt"`), passed on as it is.
    pub fn raw(text: impl Into<String>) -> OrderBy {
        OrderBy { keys: Vec::new(), raw: Some(text.into()) }
    }

    fn to_odata(&self) -> Result<String, String> {
        if let Some((bad, _)) = self.keys.iter().find(|(f, _)| !is_identifier(f)) {
            return Err(format!("{bad:?} is not a field name"));
        }
        Ok(self.to_string())
    }
}

impl std::fmt::Display for OrderBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(raw) = &self.raw {
            return f.write_str(raw);
        }
        for (i, (field, desc)) in self.keys.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{field} {}", if *desc { "desc" } else { "asc" })?;
        }
        Ok(())
    }
}

/// The agent list's query options (all optional).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ListOptions {
    filter: Option<Filter>,
    orderby: Option<OrderBy>,
    select: Vec<String>,
    top: Option<u32>,
    skip: Option<u32>,
    count: bool,
    email: Option<String>,
    include_deleted: bool,
}

impl ListOptions {
    /// No options: the server's default sort and page size (50).
    pub fn new() -> Self {
        Self::default()
    }

    /// `$filter`.
    pub fn filter(mut self, filter: Filter) -> Self {
        self.filter = Some(filter);
        self
    }

    /// `$orderby`.
    pub fn orderby(mut self, orderby: OrderBy) -> Self {
        self.orderby = Some(orderby);
        self
    }

    /// `$select`: only these fields (the server adds `id`).
    pub fn select<S: Into<String>>(mut self, fields: impl IntoIterator<Item = S>) -> Self {
        self.select = fields.into_iter().map(Into::into).collect();
        self
    }

    /// `$top`: rows per page (the server allows 0 to 1000).
    pub fn top(mut self, n: u32) -> Self {
        self.top = Some(n);
        self
    }

    /// `$skip`: rows to skip before the first page.
    pub fn skip(mut self, n: u32) -> Self {
        self.skip = Some(n);
        self
    }

    /// `$count=true`: the page carries `@odata.count`, the number of matching rows.
    pub fn count(mut self, yes: bool) -> Self {
        self.count = yes;
        self
    }

    /// `email=`: the agent with this address (exact, ignoring case).
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// `includeDeleted=true`: soft-deleted agents too (owners and admins only).
    pub fn include_deleted(mut self, yes: bool) -> Self {
        self.include_deleted = yes;
        self
    }

    /// The query string's pairs (not yet URL-encoded), in a fixed order; an
    /// [`Error::InvalidArgument`] for a builder holding a field name that is not an
    /// identifier or an empty `in` list.
    pub fn query_pairs(&self) -> Result<Vec<(&'static str, String)>, Error> {
        let mut out = Vec::new();
        if let Some(f) = &self.filter {
            out.push(("$filter", f.to_odata().map_err(|e| Error::InvalidArgument(format!("$filter: {e}")))?));
        }
        if let Some(o) = &self.orderby {
            out.push(("$orderby", o.to_odata().map_err(|e| Error::InvalidArgument(format!("$orderby: {e}")))?));
        }
        if !self.select.is_empty() {
            if let Some(bad) = self.select.iter().find(|f| !is_identifier(f)) {
                return Err(Error::InvalidArgument(format!("$select: {bad:?} is not a field name")));
            }
            out.push(("$select", self.select.join(",")));
        }
        if let Some(n) = self.top {
            out.push(("$top", n.to_string()));
        }
        if let Some(n) = self.skip {
            out.push(("$skip", n.to_string()));
        }
        if self.count {
            out.push(("$count", "true".into()));
        }
        if let Some(e) = &self.email {
            out.push(("email", e.clone()));
        }
        if self.include_deleted {
            out.push(("includeDeleted", "true".into()));
        }
        Ok(out)
    }
}
