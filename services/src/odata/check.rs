//! Type checking of one literal against its field: the rules of which value fits which field,
//! and the messages that say why one does not.

use super::ast::{CmpOp, Value};
use super::error::one_of;
use super::fields::{suggest, Field, FieldType};
use super::lexer::{parse_datetime, Tok};
use super::ODataError;

const PARAM: &str = "$filter";

/// "a string", "an integer"...: what kind of literal a token is.
fn kind(tok: &Tok<'_>) -> &'static str {
    match tok {
        Tok::Str(_) => "a string",
        Tok::Int(_) => "an integer",
        Tok::Decimal(_) => "a decimal",
        Tok::DateTime(_) => "a datetime",
        Tok::Word("true" | "false") => "a boolean",
        _ => "not a value",
    }
}

/// The literals `field` accepts, as examples for `expected`, and the one the user probably
/// meant when they wrote `word` (e.g. `TRUE`).
pub(crate) fn value_hints(field: &Field, word: Option<&str>) -> (Vec<String>, Option<String>) {
    let mut expected: Vec<String> = match field.ty {
        FieldType::String => vec!["'text'".into()],
        FieldType::Int => vec!["123".into()],
        FieldType::Bool => vec!["true".into(), "false".into()],
        FieldType::DateTime => vec!["2026-05-01T10:00:00Z".into()],
        FieldType::Enum(values) => values.iter().map(|v| format!("'{v}'")).collect(),
    };
    if field.nullable {
        expected.push("null".into());
    }
    let guess = word.and_then(|w| {
        ["null", "true", "false"].into_iter().find(|k| *k != w && k.eq_ignore_ascii_case(w)).map(str::to_string)
    });
    (expected, guess)
}

fn mismatch(field: &Field, text: &str, tok: &Tok<'_>, at: usize) -> ODataError {
    let message = format!("{} is {}; {text} is {}.", field.name, field.ty.described(), kind(tok));
    let (expected, _) = value_hints(field, None);
    ODataError::new(PARAM, at, message).expecting(expected)
}

/// Checks the literal `tok` (written as `text` at `at`) against `field` under `op` (`None`:
/// inside an `in` list) and returns it in storage form.
///
/// Decimals: a decimal fits an integer field only when it is integral and written without
/// an exponent (`3.0` means 3); anything else is a type error, as no field is a decimal.
pub(crate) fn check_value(
    field: &Field,
    op: Option<CmpOp>,
    tok: &Tok<'_>,
    text: &str,
    at: usize,
) -> Result<Value, ODataError> {
    let name = field.name;
    match (field.ty, tok) {
        (_, Tok::Word("null")) => match op {
            None => Err(ODataError::new(
                PARAM,
                at,
                format!("null cannot be part of an `in` list (position {at}); use `{name} eq null` instead."),
            )),
            Some(op) if op.is_ordering() => Err(ODataError::new(
                PARAM,
                at,
                format!("null can only be compared with eq or ne (position {at}), not with {}.", op.keyword()),
            )),
            Some(_) if !field.nullable => {
                Err(ODataError::new(PARAM, at, format!("{name} is never null, so it cannot be compared with null.")))
            }
            Some(_) => Ok(Value::Null),
        },
        (FieldType::String, Tok::Str(s)) => Ok(Value::Text(s.clone())),
        (FieldType::Enum(values), Tok::Str(s)) => {
            if values.contains(&s.as_str()) {
                return Ok(Value::Text(s.clone()));
            }
            let guess = suggest(s, values.iter().copied()).map(|g| format!("'{g}'"));
            let mut message = format!("{name} is an enumeration; {text} is not one of its values: {}.", one_of(values));
            if let Some(g) = &guess {
                message.push_str(&format!(" Did you mean {g}?"));
            }
            let expected: Vec<String> = values.iter().map(|v| format!("'{v}'")).collect();
            Err(ODataError::new(PARAM, at, message).expecting(expected).suggesting(guess))
        }
        (FieldType::Int, Tok::Int(i)) => Ok(Value::Int(*i)),
        (FieldType::Int, Tok::Decimal(d)) => integral(d).map(Value::Int).ok_or_else(|| mismatch(field, text, tok, at)),
        (FieldType::Bool, Tok::Word("true")) => Ok(Value::Bool(true)),
        (FieldType::Bool, Tok::Word("false")) => Ok(Value::Bool(false)),
        (FieldType::DateTime, Tok::DateTime(ms)) => Ok(Value::DateTime(*ms)),
        (FieldType::DateTime, Tok::Str(s)) if parse_datetime(s).is_some() => {
            let message =
                format!("{name} is a datetime; {text} is a string. Datetimes are written without quotes: {s}.");
            Err(ODataError::new(PARAM, at, message).expecting([s.clone()]).suggesting(Some(s.clone())))
        }
        _ => Err(mismatch(field, text, tok, at)),
    }
}

/// `-3.000` → -3; `1.5`, `2e3` or out-of-range → `None`.
fn integral(text: &str) -> Option<i64> {
    let (whole, fraction) = text.split_once('.')?;
    if !fraction.bytes().all(|b| b == b'0') {
        return None;
    }
    whole.parse().ok()
}
