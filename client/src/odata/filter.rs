//! `$filter` expressions: [`Filter::field`] starts a condition, [`Filter::and`],
//! [`Filter::or`] and [`Filter::not`] combine them; `Display` prints the OData text with the
//! parentheses its precedence needs.

use super::is_identifier;
use chrono::{DateTime, SecondsFormat, Utc};
use std::fmt;

/// A literal on the right of a comparison.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Literal {
    /// `null`.
    Null,
    /// A string or enumeration value: `'it''s'`.
    String(String),
    /// An integer.
    Int(i64),
    /// `true` or `false`.
    Bool(bool),
    /// A datetime, written bare in UTC: `2026-05-01T10:00:00Z`.
    DateTime(DateTime<Utc>),
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Null => f.write_str("null"),
            Literal::String(s) => write!(f, "'{}'", s.replace('\'', "''")),
            Literal::Int(i) => write!(f, "{i}"),
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::DateTime(d) => {
                let precision =
                    if d.timestamp_subsec_nanos() == 0 { SecondsFormat::Secs } else { SecondsFormat::AutoSi };
                f.write_str(&d.to_rfc3339_opts(precision, true))
            }
        }
    }
}

impl From<&str> for Literal {
    fn from(s: &str) -> Self {
        Literal::String(s.to_string())
    }
}
impl From<String> for Literal {
    fn from(s: String) -> Self {
        Literal::String(s)
    }
}
impl From<&String> for Literal {
    fn from(s: &String) -> Self {
        Literal::String(s.clone())
    }
}
impl From<i64> for Literal {
    fn from(i: i64) -> Self {
        Literal::Int(i)
    }
}
impl From<i32> for Literal {
    fn from(i: i32) -> Self {
        Literal::Int(i64::from(i))
    }
}
impl From<u32> for Literal {
    fn from(i: u32) -> Self {
        Literal::Int(i64::from(i))
    }
}
impl From<bool> for Literal {
    fn from(b: bool) -> Self {
        Literal::Bool(b)
    }
}
impl From<DateTime<Utc>> for Literal {
    fn from(d: DateTime<Utc>) -> Self {
        Literal::DateTime(d)
    }
}
impl<T: Into<Literal>> From<Option<T>> for Literal {
    fn from(v: Option<T>) -> Self {
        v.map_or(Literal::Null, Into::into)
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Node {
    /// A comparison, `in` or text function: never needs parentheses.
    Atom(String),
    /// Caller-written text: parenthesised whenever it is combined.
    Raw(String),
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    /// A field name that is not an identifier, or an empty `in` list: refused when the
    /// options are turned into a query.
    Invalid(String),
}

/// A `$filter` expression.
#[derive(Clone, Debug, PartialEq)]
pub struct Filter(Node);

/// A field (or `tolower(field)`) about to be compared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    name: String,
    lower: bool,
}

impl Filter {
    /// Starts a condition on `name` (`"type"`, `"createdAt"`).
    pub fn field(name: impl Into<String>) -> Field {
        Field { name: name.into(), lower: false }
    }

    /// A filter written by hand (say, from a command line), passed on as it is; combined
    /// with others it is parenthesised.
    pub fn raw(text: impl Into<String>) -> Filter {
        Filter(Node::Raw(text.into()))
    }

    /// Both.
    pub fn and(self, other: Filter) -> Filter {
        Filter(join(self.0, other.0, true))
    }

    /// Either.
    pub fn or(self, other: Filter) -> Filter {
        Filter(join(self.0, other.0, false))
    }

    /// The negation (`not (…)`).
    #[allow(clippy::should_implement_trait)]
    pub fn not(self) -> Filter {
        match self.0 {
            Node::Invalid(e) => Filter(Node::Invalid(e)),
            Node::Not(inner) => Filter(*inner),
            other => Filter(Node::Not(Box::new(other))),
        }
    }

    /// All of `filters`; `None` when there are none.
    pub fn all(filters: impl IntoIterator<Item = Filter>) -> Option<Filter> {
        filters.into_iter().reduce(Filter::and)
    }

    /// Any of `filters`; `None` when there are none.
    pub fn any(filters: impl IntoIterator<Item = Filter>) -> Option<Filter> {
        filters.into_iter().reduce(Filter::or)
    }

    /// The OData text, or why it cannot be written (a field name that is not an
    /// identifier, an empty `in` list).
    pub fn to_odata(&self) -> Result<String, String> {
        match find_invalid(&self.0) {
            Some(e) => Err(e.to_string()),
            None => Ok(self.to_string()),
        }
    }
}

fn find_invalid(n: &Node) -> Option<&str> {
    match n {
        Node::Invalid(e) => Some(e),
        Node::And(items) | Node::Or(items) => items.iter().find_map(find_invalid),
        Node::Not(inner) => find_invalid(inner),
        Node::Atom(_) | Node::Raw(_) => None,
    }
}

/// `a and b` (or `a or b`), flattening chains of the same connective.
fn join(a: Node, b: Node, and: bool) -> Node {
    let mut items = Vec::new();
    for n in [a, b] {
        match n {
            Node::And(inner) if and => items.extend(inner),
            Node::Or(inner) if !and => items.extend(inner),
            other => items.push(other),
        }
    }
    if and {
        Node::And(items)
    } else {
        Node::Or(items)
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Atom(s) | Node::Raw(s) => f.write_str(s),
            Node::Invalid(e) => write!(f, "<invalid: {e}>"),
            Node::And(items) | Node::Or(items) => {
                let and = matches!(self, Node::And(_));
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(if and { " and " } else { " or " })?;
                    }
                    // `and` binds tighter than `or`: an `or` inside an `and` needs parentheses;
                    // raw text always gets them, whatever it holds.
                    let wrap = matches!(item, Node::Raw(_)) || (and && matches!(item, Node::Or(_)));
                    if wrap {
                        write!(f, "({item})")?;
                    } else {
                        write!(f, "{item}")?;
                    }
                }
                Ok(())
            }
            Node::Not(inner) => write!(f, "not ({inner})"),
        }
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Field {
    /// Compares `tolower(field)` instead (a string field).
    pub fn lower(mut self) -> Field {
        self.lower = true;
        self
    }

    fn target(&self) -> Result<String, Node> {
        if !is_identifier(&self.name) {
            return Err(Node::Invalid(format!("{:?} is not a field name", self.name)));
        }
        Ok(if self.lower { format!("tolower({})", self.name) } else { self.name.clone() })
    }

    fn compare(self, op: &str, value: Literal) -> Filter {
        Filter(match self.target() {
            Ok(t) => Node::Atom(format!("{t} {op} {value}")),
            Err(invalid) => invalid,
        })
    }

    fn text(self, func: &str, text: String) -> Filter {
        Filter(match self.target() {
            Ok(t) => Node::Atom(format!("{func}({t},{})", Literal::String(text))),
            Err(invalid) => invalid,
        })
    }

    /// `field eq value` (`null` for `None`).
    pub fn eq(self, value: impl Into<Literal>) -> Filter {
        self.compare("eq", value.into())
    }
    /// `field ne value`.
    pub fn ne(self, value: impl Into<Literal>) -> Filter {
        self.compare("ne", value.into())
    }
    /// `field gt value`.
    pub fn gt(self, value: impl Into<Literal>) -> Filter {
        self.compare("gt", value.into())
    }
    /// `field ge value`.
    pub fn ge(self, value: impl Into<Literal>) -> Filter {
        self.compare("ge", value.into())
    }
    /// `field lt value`.
    pub fn lt(self, value: impl Into<Literal>) -> Filter {
        self.compare("lt", value.into())
    }
    /// `field le value`.
    pub fn le(self, value: impl Into<Literal>) -> Filter {
        self.compare("le", value.into())
    }
    /// `field eq null`.
    pub fn is_null(self) -> Filter {
        self.compare("eq", Literal::Null)
    }
    /// `field ne null`.
    pub fn is_not_null(self) -> Filter {
        self.compare("ne", Literal::Null)
    }

    /// `field in (a,b,…)`; an empty list is refused.
    pub fn is_in<V: Into<Literal>>(self, values: impl IntoIterator<Item = V>) -> Filter {
        let values: Vec<String> = values.into_iter().map(|v| v.into().to_string()).collect();
        if values.is_empty() {
            return Filter(Node::Invalid(format!("`{} in ()` needs at least one value", self.name)));
        }
        Filter(match self.target() {
            Ok(t) => Node::Atom(format!("{t} in ({})", values.join(","))),
            Err(invalid) => invalid,
        })
    }

    /// `contains(field,'text')` (the server matches ignoring case).
    pub fn contains(self, text: impl Into<String>) -> Filter {
        self.text("contains", text.into())
    }
    /// `startswith(field,'text')`.
    pub fn starts_with(self, text: impl Into<String>) -> Filter {
        self.text("startswith", text.into())
    }
    /// `endswith(field,'text')`.
    pub fn ends_with(self, text: impl Into<String>) -> Filter {
        self.text("endswith", text.into())
    }
}
