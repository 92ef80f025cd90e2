//! Property tests: the parsers never panic and stay fast on any input, printed trees parse
//! back to themselves, and no literal ever reaches the SQL text.
//!
//! The case count follows `PROPTEST_CASES` (default 256). A long fuzz:
//! `PROPTEST_CASES=1000000 cargo test -p agentry-services --lib odata::fuzz --release`

use std::time::{Duration, Instant};

use proptest::prelude::*;

use super::tests::{AGENTS, FIELDS};
use super::*;

/// Words and symbols of the grammar, plus near misses, to build plausible inputs.
const ALPHABET: &[&str] = &[
    "name",
    "email",
    "status",
    "enabled",
    "createdAt",
    "deletedAt",
    "ownerId",
    "id",
    "nmae",
    "description",
    "eq",
    "ne",
    "gt",
    "ge",
    "lt",
    "le",
    "in",
    "and",
    "or",
    "not",
    "AND",
    "Eq",
    "null",
    "true",
    "false",
    "tolower",
    "contains",
    "startswith",
    "endswith",
    "asc",
    "desc",
    "(",
    ")",
    ",",
    "'",
    "''",
    "'x'",
    "'a''b'",
    "'é🦀'",
    "\"",
    "1",
    "-5",
    "1.5",
    "2.0",
    "1e9",
    "99999999999999999999",
    "2026-05-01",
    "2026-05-01T10:00:00Z",
    "2026-13-45T99:00:00Z",
    "'active'",
    "=",
    ">=",
    "!",
    "&&",
    "é",
    "🦀",
    " ",
    "\t",
    "$",
    "%",
    "_",
    "\\",
];

fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(ALPHABET), 0..40)
        .prop_flat_map(|words| (Just(words.clone()), prop::collection::vec(any::<bool>(), words.len())))
        .prop_map(|(words, spaces)| {
            words.iter().zip(spaces).map(|(w, s)| if s { format!("{w} ") } else { (*w).to_string() }).collect()
        })
}

fn check_error(src: &str, e: &ODataError) {
    assert!(e.position <= src.len() && src.is_char_boundary(e.position), "{src:?}: bad position {}", e.position);
    assert!(!e.message.is_empty());
}

/// Everything a request would run on `src`, with the invariants that hold on any input.
fn run_all(src: &str) {
    let started = Instant::now();
    match parse_filter(src, &AGENTS, &Budget::default()) {
        Ok(f) => {
            let printed = f.to_string();
            let again = parse_filter(&printed, &AGENTS, &Budget { max_len: usize::MAX, ..Budget::default() });
            assert_eq!(again.map(|g| g.to_string()), Ok(printed), "{src:?}");
            let sql = filter_sql(&f, Dialect::Postgres, 1);
            assert_eq!(sql.sql.matches('$').count(), sql.binds.len());
        }
        Err(e) => check_error(src, &e),
    }
    for r in [parse_orderby(src, &AGENTS).map(|_| ()), parse_select(src, &AGENTS).map(|_| ())] {
        if let Err(e) = r {
            check_error(src, &e);
        }
    }
    let _ = (parse_top(Some(src), 50, 1000), parse_skip(Some(src)), parse_count(Some(src)));
    assert!(started.elapsed() < Duration::from_secs(1), "{src:?} took {:?}", started.elapsed());
}

fn lit(value: Value) -> Literal {
    Literal { value, span: Span::default() }
}

/// A value of `field`'s type; `text` supplies strings.
fn value_for(field: &'static Field, text: BoxedStrategy<String>) -> BoxedStrategy<Value> {
    match field.ty {
        FieldType::String => text.prop_map(Value::Text).boxed(),
        FieldType::Int => any::<i64>().prop_map(Value::Int).boxed(),
        FieldType::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        // Years 0000 to 9999, the range of four-digit RFC 3339 years.
        FieldType::DateTime => (-62_167_219_200_000i64..253_402_300_800_000).prop_map(Value::DateTime).boxed(),
        FieldType::Enum(values) => prop::sample::select(values).prop_map(|v| Value::Text(v.to_string())).boxed(),
    }
}

/// A valid predicate on a filterable field, strings drawn from `text`.
fn leaf(text: fn() -> BoxedStrategy<String>) -> impl Strategy<Value = Filter> {
    let fields: Vec<&'static Field> = FIELDS.iter().filter(|f| f.filter).collect();
    (prop::sample::select(fields), any::<bool>(), 0usize..6, 0usize..3).prop_flat_map(
        move |(field, lower, op, kind)| {
            let text_field = field.ty.is_text();
            let target = Target { field, lower: lower && text_field, span: Span::default() };
            let ordered = !matches!(field.ty, FieldType::Bool | FieldType::Enum(_));
            let op = if ordered { CmpOp::ALL[op].0 } else { CmpOp::ALL[op % 2].0 };
            let values = value_for(field, text());
            match kind {
                0 if text_field => (prop::sample::select(TextFn::ALL.to_vec()), text())
                    .prop_map(move |((func, _), s)| {
                        Filter::Text(TextMatch { func, target: target.clone(), pattern: lit(Value::Text(s)) })
                    })
                    .boxed(),
                1 => prop::collection::vec(values, 1..4)
                    .prop_map(move |vs| {
                        Filter::In(Membership { target: target.clone(), values: vs.into_iter().map(lit).collect() })
                    })
                    .boxed(),
                _ => {
                    let null_ok = field.nullable && !op.is_ordering();
                    (values, any::<bool>())
                        .prop_map(move |(v, null)| {
                            let value = if null && null_ok { Value::Null } else { v };
                            Filter::Compare(Comparison { target: target.clone(), op, value: lit(value) })
                        })
                        .boxed()
                }
            }
        },
    )
}

fn any_text() -> BoxedStrategy<String> {
    any::<String>().boxed()
}

fn tree(text: fn() -> BoxedStrategy<String>) -> impl Strategy<Value = Filter> {
    leaf(text).prop_recursive(5, 40, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(Filter::And),
            prop::collection::vec(inner.clone(), 2..4).prop_map(Filter::Or),
            inner.prop_map(|f| Filter::Not(Box::new(f), Span::default())),
        ]
    })
}

/// The tree without positions, to compare a parsed tree with a generated one.
fn erase(f: &mut Filter) {
    match f {
        Filter::And(items) | Filter::Or(items) => items.iter_mut().for_each(erase),
        Filter::Not(inner, span) => {
            *span = Span::default();
            erase(inner);
        }
        Filter::Compare(c) => {
            c.target.span = Span::default();
            c.value.span = Span::default();
        }
        Filter::In(m) => {
            m.target.span = Span::default();
            m.values.iter_mut().for_each(|v| v.span = Span::default());
        }
        Filter::Text(t) => {
            t.target.span = Span::default();
            t.pattern.span = Span::default();
        }
    }
}

/// Every string literal replaced by `x`: the same shape, other values.
fn blank(f: &mut Filter) {
    let x = || Value::Text("x".into());
    match f {
        Filter::And(items) | Filter::Or(items) => items.iter_mut().for_each(blank),
        Filter::Not(inner, _) => blank(inner),
        Filter::Compare(c) if matches!(c.value.value, Value::Text(_)) => c.value.value = x(),
        Filter::In(m) => m.values.iter_mut().filter(|v| matches!(v.value, Value::Text(_))).for_each(|v| v.value = x()),
        Filter::Text(t) => t.pattern.value = x(),
        Filter::Compare(_) => {}
    }
}

/// Characters the SQL skeleton never uses (it uses `'` and `\` only in `ESCAPE '\'`).
const HOSTILE: &str = "\";-/*#é🦀%\u{0}\n";

fn hostile_text() -> BoxedStrategy<String> {
    prop::collection::vec(prop::sample::select(HOSTILE.chars().collect::<Vec<_>>()), 1..8)
        .prop_map(|cs| cs.into_iter().collect())
        .boxed()
}

/// A valid filter with a few edits (a grammar token inserted, or a few chars removed, at
/// random char boundaries): inputs near the grammar, which random soup rarely reaches.
fn near_miss() -> impl Strategy<Value = String> {
    let edit = (any::<prop::sample::Index>(), prop::sample::select(ALPHABET), any::<bool>(), 1usize..4);
    (tree(any_text), prop::collection::vec(edit, 0..4)).prop_map(|(f, edits)| {
        let mut src = f.to_string();
        for (at, token, insert, len) in edits {
            let bounds: Vec<usize> = (0..=src.len()).filter(|i| src.is_char_boundary(*i)).collect();
            let i = bounds[at.index(bounds.len())];
            if insert {
                src.insert_str(i, token);
            } else {
                let end = bounds.iter().copied().find(|b| *b >= i + len).unwrap_or(src.len());
                src.replace_range(i..end, "");
            }
        }
        src
    })
}

const ROOMY: Budget = Budget { max_nodes: 100_000, max_depth: 64, max_in_list: 100, max_len: usize::MAX };

proptest! {
    #[test]
    fn arbitrary_strings_never_panic(src in any::<String>()) {
        run_all(&src);
    }

    #[test]
    fn token_soup_never_panics(src in token_soup()) {
        run_all(&src);
    }

    #[test]
    fn near_misses_never_panic(src in near_miss()) {
        run_all(&src);
    }

    #[test]
    fn printed_trees_parse_back_to_themselves(f in tree(any_text)) {
        let printed = f.to_string();
        let mut parsed = parse_filter(&printed, &AGENTS, &ROOMY).map_err(|e| TestCaseError::fail(format!("{printed}: {e}")))?;
        erase(&mut parsed);
        prop_assert_eq!(parsed, f);
    }

    #[test]
    fn literals_only_ever_reach_the_binds(f in tree(hostile_text), pg in any::<bool>()) {
        let d = if pg { Dialect::Postgres } else { Dialect::Sqlite };
        let sql = filter_sql(&f, d, 1);
        prop_assert!(!sql.sql.contains(|c| HOSTILE.contains(c)), "{}", sql.sql);
        let mut shape = f.clone();
        blank(&mut shape);
        prop_assert_eq!(&filter_sql(&shape, d, 1).sql, &sql.sql);
        let placeholders: Vec<String> = (1..=sql.binds.len()).map(|n| format!("${n}")).collect();
        let mut at = 0;
        for p in &placeholders {
            let found = sql.sql[at..].find(p.as_str()).map(|i| i + at);
            prop_assert!(found.is_some(), "{} not after {} in {}", p, at, sql.sql);
            at = found.unwrap_or(at) + p.len();
        }
    }
}
