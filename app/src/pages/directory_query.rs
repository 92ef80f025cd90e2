//! The agents table's view as its URL carries it (`?q=churn&status=active&orderby=name
//! desc&cols=name,status&top=50&cursor=…`), and the OData query it maps to, one to one:
//! the search, the status and type pickers and the advanced filter are `and`-ed into
//! `$filter`; the sort is `$orderby`; the columns are `$select`; the page size `$top`; the
//! cursor `$skiptoken`. The advanced filter is checked with the services' own parser and
//! field registry before anything is sent, so its errors point into what the user typed.

use agentry_services::catalog::AGENT_FIELDS;
use agentry_services::model::AgentListQuery;
use agentry_services::odata::{parse_filter, parse_orderby, Budget};

/// The columns a user may show, `(field, heading)`, in table order.
pub const COLUMNS: &[(&str, &str)] = &[
    ("slug", "Slug"),
    ("status", "Status"),
    ("type", "Type"),
    ("registration", "Identity"),
    ("enabled", "Enabled"),
    ("scheduleEnabled", "Schedule"),
    ("email", "Email"),
    ("ownerId", "Owner"),
    ("createdAt", "Created"),
    ("updatedAt", "Updated"),
];

/// The columns shown when the URL names none.
pub const DEFAULT_COLUMNS: &[&str] = &["status", "type", "registration", "enabled", "updatedAt"];

/// Page sizes offered.
pub const PAGE_SIZES: &[&str] = &["25", "50", "100"];

/// The table's state, as the URL holds it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DirectoryParams {
    /// Search: the name, slug or email contains it (ignoring case).
    pub q: String,
    /// `draft` or `active` (or empty: any).
    pub status: String,
    /// `task` or `workflow` (or empty).
    pub agent_type: String,
    /// An advanced OData `$filter`, `and`-ed with the rest.
    pub filter: String,
    /// OData `$orderby` (empty: newest first by id).
    pub orderby: String,
    /// Comma-separated columns (empty: [`DEFAULT_COLUMNS`]).
    pub cols: String,
    /// Page size (empty: 25).
    pub top: String,
    /// The next page's cursor.
    pub cursor: String,
    /// `1`: include deleted agents (owners and admins).
    pub deleted: String,
}

/// OData string literal: single quotes doubled.
fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

impl DirectoryParams {
    /// The state of a URL query (`get` reads one parameter).
    pub fn from_query(get: impl Fn(&str) -> Option<String>) -> Self {
        let v = |k: &str| get(k).unwrap_or_default();
        DirectoryParams {
            q: v("q"),
            status: v("status"),
            agent_type: v("type"),
            filter: v("filter"),
            orderby: v("orderby"),
            cols: v("cols"),
            top: v("top"),
            cursor: v("cursor"),
            deleted: v("deleted"),
        }
    }

    /// The URL query names with their values, the cursor excluded.
    pub fn pairs(&self) -> Vec<(&'static str, &str)> {
        vec![
            ("q", &self.q),
            ("status", &self.status),
            ("type", &self.agent_type),
            ("filter", &self.filter),
            ("orderby", &self.orderby),
            ("cols", &self.cols),
            ("top", &self.top),
            ("deleted", &self.deleted),
        ]
    }

    /// The columns to show (known ones only, in table order).
    pub fn columns(&self) -> Vec<&'static str> {
        let named: Vec<&str> = self.cols.split(',').map(str::trim).filter(|c| !c.is_empty()).collect();
        let wanted: &[&str] = if named.is_empty() { DEFAULT_COLUMNS } else { &named };
        COLUMNS.iter().map(|(c, _)| *c).filter(|c| wanted.contains(c)).collect()
    }

    /// The sort of `field`, if the table is sorted by it first: `Some(true)` descending.
    pub fn sorted_by(&self, field: &str) -> Option<bool> {
        let first = self.orderby.split(',').next()?.trim();
        let mut words = first.split_whitespace();
        (words.next()? == field).then(|| words.next().is_some_and(|d| d.eq_ignore_ascii_case("desc")))
    }

    /// The state sorted by `field`: ascending, or descending when it already is ascending.
    pub fn sort_by(&self, field: &str) -> Self {
        let dir = if self.sorted_by(field) == Some(false) { "desc" } else { "asc" };
        DirectoryParams { orderby: format!("{field} {dir}"), cursor: String::new(), ..self.clone() }
    }

    /// The advanced filter's error, checked with the services' parser: `(message, position)`.
    pub fn filter_error(&self) -> Option<(String, usize)> {
        let f = self.filter.trim();
        if f.is_empty() {
            return None;
        }
        parse_filter(f, &AGENT_FIELDS, &Budget::default()).err().map(|e| {
            let hint = e.did_you_mean.as_ref().map(|d| format!(" Did you mean {d}?")).unwrap_or_default();
            (format!("{}{hint}", e.message), e.position)
        })
    }

    /// The sort's error, if any.
    pub fn orderby_error(&self) -> Option<String> {
        let o = self.orderby.trim();
        (!o.is_empty()).then(|| parse_orderby(o, &AGENT_FIELDS).err().map(|e| e.message)).flatten()
    }

    /// The `$filter` this state means (empty: none).
    pub fn odata_filter(&self) -> String {
        let mut parts = Vec::new();
        let q = self.q.trim().to_lowercase();
        if !q.is_empty() {
            let l = literal(&q);
            parts.push(format!(
                "(contains(tolower(name), {l}) or contains(tolower(slug), {l}) or contains(tolower(email), {l}))"
            ));
        }
        if matches!(self.status.as_str(), "draft" | "active" | "deleted") {
            parts.push(format!("status eq '{}'", self.status));
        }
        if matches!(self.agent_type.as_str(), "task" | "workflow") {
            parts.push(format!("type eq '{}'", self.agent_type));
        }
        if !self.filter.trim().is_empty() {
            parts.push(format!("({})", self.filter.trim()));
        }
        parts.join(" and ")
    }

    /// The OData query this state maps to.
    pub fn odata(&self) -> AgentListQuery {
        let some = |s: String| Some(s).filter(|s| !s.trim().is_empty());
        let mut select = vec!["name".to_string()];
        select.extend(self.columns().into_iter().map(String::from));
        AgentListQuery {
            filter: some(self.odata_filter()),
            orderby: some(if self.orderby.trim().is_empty() { "id desc".into() } else { self.orderby.clone() }),
            select: Some(select.join(",")),
            top: Some(if PAGE_SIZES.contains(&self.top.as_str()) { self.top.clone() } else { "25".into() }),
            count: Some("true".into()),
            skiptoken: some(self.cursor.clone()),
            include_deleted: (self.deleted == "1").then(|| "true".into()),
            ..Default::default()
        }
    }

    /// The REST request this view makes, to show and to copy.
    pub fn rest_url(&self) -> String {
        let q = self.odata();
        let pairs = [
            ("$filter", q.filter.unwrap_or_default()),
            ("$orderby", q.orderby.unwrap_or_default()),
            ("$select", q.select.unwrap_or_default()),
            ("$top", q.top.unwrap_or_default()),
            ("$count", q.count.unwrap_or_default()),
            ("includeDeleted", q.include_deleted.unwrap_or_default()),
        ];
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        format!("/api/v1/agents{}", crate::routing::query(&pairs))
    }
}

/// The `$skiptoken` of a next link.
pub fn skiptoken(next_link: &str) -> Option<String> {
    let query = next_link.split_once('?')?.1;
    query.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == "$skiptoken" || k == "%24skiptoken").then(|| decode(v))
    })
}

fn decode(v: &str) -> String {
    let bytes = v.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1..i + 3)) {
            (b'%', Some(h)) if std::str::from_utf8(h).ok().and_then(|h| u8::from_str_radix(h, 16).ok()).is_some() => {
                out.push(std::str::from_utf8(h).ok().and_then(|h| u8::from_str_radix(h, 16).ok()).unwrap_or_default());
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> DirectoryParams {
        DirectoryParams::from_query(|k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string()))
    }

    #[test]
    fn the_url_maps_to_one_odata_query() {
        let p = params(&[("q", "O'Brien"), ("status", "active"), ("filter", "enabled eq true or type eq 'task'")]);
        assert_eq!(
            p.odata_filter(),
            "(contains(tolower(name), 'o''brien') or contains(tolower(slug), 'o''brien') or contains(tolower(email), 'o''brien')) \
             and status eq 'active' and (enabled eq true or type eq 'task')"
        );
        assert!(parse_filter(&p.odata_filter(), &AGENT_FIELDS, &Budget::default()).is_ok());
        let q = p.odata();
        assert_eq!(q.select.as_deref(), Some("name,status,type,registration,enabled,updatedAt"));
        assert_eq!((q.top.as_deref(), q.orderby.as_deref()), (Some("25"), Some("id desc")));
        assert_eq!(params(&[("status", "nonsense")]).odata_filter(), "");
    }

    #[test]
    fn sorting_toggles_and_resets_the_cursor() {
        let p = params(&[("orderby", "name asc"), ("cursor", "abc")]);
        assert_eq!(p.sorted_by("name"), Some(false));
        let flipped = p.sort_by("name");
        assert_eq!((flipped.orderby.as_str(), flipped.cursor.as_str()), ("name desc", ""));
        assert_eq!(flipped.sort_by("name").orderby, "name asc");
        assert_eq!(p.sort_by("updatedAt").orderby, "updatedAt asc");
    }

    #[test]
    fn the_advanced_filter_is_checked_where_it_was_typed() {
        let (msg, pos) = params(&[("filter", "nmae eq 'x'")]).filter_error().unwrap();
        assert_eq!(pos, 0);
        assert!(msg.contains("Did you mean name?"), "{msg}");
        assert!(params(&[("filter", "status eq 'draft'")]).filter_error().is_none());
        assert!(params(&[("orderby", "description")]).orderby_error().is_some());
    }

    #[test]
    fn columns_and_cursor() {
        assert_eq!(params(&[("cols", "email,bogus,status")]).columns(), ["status", "email"]);
        assert_eq!(skiptoken("/api/v1/agents?$top=2&$skiptoken=a%2Bb%3D").as_deref(), Some("a+b="));
    }
}
