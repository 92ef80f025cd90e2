//! The typed syntax tree of `$filter`, already checked against the registry: every field is
//! a registry entry and every literal has the type its field needs. `Display` prints the
//! canonical OData text, which parses back to the same tree.

use std::fmt;

use chrono::{DateTime, SecondsFormat};

use super::fields::Field;

/// Byte range in the parameter's value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

/// A boolean expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Filter {
    /// All of these (two or more; a parenthesised `and` stays a child of its own).
    And(Vec<Filter>),
    /// Any of these (two or more).
    Or(Vec<Filter>),
    /// The negation.
    Not(Box<Filter>, Span),
    /// `target op value`.
    Compare(Comparison),
    /// `target in (values...)`.
    In(Membership),
    /// `contains(target, 'text')` and its siblings.
    Text(TextMatch),
}

/// A field, possibly lower-cased: `name` or `tolower(name)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    /// The registry entry.
    pub field: &'static Field,
    /// Wrapped in `tolower(...)`.
    pub lower: bool,
    /// Where it was written.
    pub span: Span,
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    /// `eq`
    Eq,
    /// `ne`
    Ne,
    /// `gt`
    Gt,
    /// `ge`
    Ge,
    /// `lt`
    Lt,
    /// `le`
    Le,
}

impl CmpOp {
    /// Every operator with its keyword.
    pub const ALL: [(CmpOp, &'static str); 6] = [
        (CmpOp::Eq, "eq"),
        (CmpOp::Ne, "ne"),
        (CmpOp::Gt, "gt"),
        (CmpOp::Ge, "ge"),
        (CmpOp::Lt, "lt"),
        (CmpOp::Le, "le"),
    ];

    /// The OData keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            CmpOp::Eq => "eq",
            CmpOp::Ne => "ne",
            CmpOp::Gt => "gt",
            CmpOp::Ge => "ge",
            CmpOp::Lt => "lt",
            CmpOp::Le => "le",
        }
    }

    /// Whether it orders (and so needs an ordered type).
    pub fn is_ordering(self) -> bool {
        !matches!(self, CmpOp::Eq | CmpOp::Ne)
    }
}

/// A checked literal, in storage form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// `null` (only with `eq`/`ne` on nullable fields).
    Null,
    /// A string or enumeration value.
    Text(String),
    /// An integer.
    Int(i64),
    /// `true` / `false`.
    Bool(bool),
    /// Milliseconds since the Unix epoch.
    DateTime(i64),
}

/// A literal and where it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct Literal {
    /// The value.
    pub value: Value,
    /// Where.
    pub span: Span,
}

/// `target op value`.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// Left side.
    pub target: Target,
    /// Operator.
    pub op: CmpOp,
    /// Right side.
    pub value: Literal,
}

/// `target in (values...)`: never empty, never holds `null`.
#[derive(Clone, Debug, PartialEq)]
pub struct Membership {
    /// Left side.
    pub target: Target,
    /// The list.
    pub values: Vec<Literal>,
}

/// The text functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextFn {
    /// `contains`
    Contains,
    /// `startswith`
    StartsWith,
    /// `endswith`
    EndsWith,
}

impl TextFn {
    /// Every function with its name.
    pub const ALL: [(TextFn, &'static str); 3] =
        [(TextFn::Contains, "contains"), (TextFn::StartsWith, "startswith"), (TextFn::EndsWith, "endswith")];

    /// The OData name.
    pub fn name(self) -> &'static str {
        match self {
            TextFn::Contains => "contains",
            TextFn::StartsWith => "startswith",
            TextFn::EndsWith => "endswith",
        }
    }
}

/// `contains(target, 'pattern')`: case-insensitive (see `sql.rs`).
#[derive(Clone, Debug, PartialEq)]
pub struct TextMatch {
    /// Which function.
    pub func: TextFn,
    /// The field searched.
    pub target: Target,
    /// The text looked for, as written.
    pub pattern: Literal,
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Text(s) => write!(f, "'{}'", s.replace('\'', "''")),
            Value::Int(i) => write!(f, "{i}"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::DateTime(ms) => match DateTime::from_timestamp_millis(*ms) {
                Some(d) if ms % 1000 == 0 => f.write_str(&d.to_rfc3339_opts(SecondsFormat::Secs, true)),
                Some(d) => f.write_str(&d.to_rfc3339_opts(SecondsFormat::Millis, true)),
                // Out of chrono's range: only a hand-built tree gets here; never panic.
                None => write!(f, "{ms}"),
            },
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.lower {
            write!(f, "tolower({})", self.field.name)
        } else {
            f.write_str(self.field.name)
        }
    }
}

impl Filter {
    fn is_compound(&self) -> bool {
        matches!(self, Filter::And(_) | Filter::Or(_))
    }

    fn write_joined(
        f: &mut fmt::Formatter<'_>,
        items: &[Filter],
        word: &str,
        wrap: fn(&Filter) -> bool,
    ) -> fmt::Result {
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                write!(f, " {word} ")?;
            }
            if wrap(item) {
                write!(f, "({item})")?;
            } else {
                write!(f, "{item}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // A nested `and` keeps its parentheses so the tree survives a round trip.
            Filter::And(items) => Filter::write_joined(f, items, "and", Filter::is_compound),
            Filter::Or(items) => Filter::write_joined(f, items, "or", |i| matches!(i, Filter::Or(_))),
            Filter::Not(inner, _) => match inner.as_ref() {
                Filter::Text(_) | Filter::Not(..) => write!(f, "not {inner}"),
                _ => write!(f, "not ({inner})"),
            },
            Filter::Compare(c) => write!(f, "{} {} {}", c.target, c.op.keyword(), c.value.value),
            Filter::In(m) => {
                write!(f, "{} in (", m.target)?;
                for (i, v) in m.values.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{}", v.value)?;
                }
                f.write_str(")")
            }
            Filter::Text(t) => write!(f, "{}({},{})", t.func.name(), t.target, t.pattern.value),
        }
    }
}
