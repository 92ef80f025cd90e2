//! `$orderby`, `$select`, `$top`, `$skip` and `$count`.

use super::fields::{Field, Registry, Usage};
use super::lexer::{Lexer, Tok};
use super::ODataError;

/// `$top` when the client sends none.
pub const DEFAULT_TOP: u32 = 50;
/// The largest `$top` a list endpoint serves.
pub const MAX_TOP: u32 = 1000;
/// The largest `$skip` (deep offsets are slow: past this, clients page with the cursor).
pub const MAX_SKIP: u32 = 1_000_000;
/// The longest `$orderby` or `$select` value.
const MAX_LEN: usize = 2000;

/// One sort key of `$orderby`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrderKey {
    /// A sortable field.
    pub field: &'static Field,
    /// `desc`.
    pub desc: bool,
}

fn too_long(param: &'static str, src: &str) -> Result<(), ODataError> {
    if src.len() <= MAX_LEN {
        return Ok(());
    }
    let mut at = MAX_LEN;
    while !src.is_char_boundary(at) {
        at -= 1;
    }
    Err(ODataError::new(param, at, format!("{param} is {} bytes long; at most {MAX_LEN} are allowed.", src.len())))
}

/// Walks `field [word], field [word], ...`, calling `each` with the field, the optional word
/// after it and its position.
fn fields_list(
    src: &str,
    reg: &Registry,
    usage: Usage,
    words: &[&str],
    mut each: impl FnMut(&'static Field, usize, Option<&str>) -> Result<(), ODataError>,
) -> Result<(), ODataError> {
    let param = usage.param();
    too_long(param, src)?;
    let mut lexer = Lexer::new(src, param);
    loop {
        let tok = lexer.next_token()?;
        let Tok::Word(name) = tok.tok else {
            let found =
                if tok.tok == Tok::End { "the end".to_string() } else { format!("`{}`", &src[tok.start..tok.end]) };
            let message = format!("Expected a field name at position {}, found {found}.", tok.start);
            return Err(ODataError::new(param, tok.start, message).expecting(reg.names_for(usage)));
        };
        let field = reg.resolve(name, usage, tok.start)?;
        let mut next = lexer.next_token()?;
        let mut word = None;
        if let Tok::Word(w) = next.tok {
            if words.contains(&w) {
                word = Some(w);
                next = lexer.next_token()?;
            }
        }
        each(field, tok.start, word)?;
        match next.tok {
            Tok::End => return Ok(()),
            Tok::Comma => {}
            _ => {
                let text = &src[next.start..next.end];
                let mut expected: Vec<String> = words.iter().map(|w| (*w).to_string()).collect();
                expected.push(",".into());
                let guess = words.iter().find(|w| w.eq_ignore_ascii_case(text)).map(|w| (*w).to_string());
                let mut message = format!("Expected `,` after `{name}` at position {}, found `{text}`.", next.start);
                if word.is_none() && !words.is_empty() {
                    message = format!(
                        "Expected `asc`, `desc` or `,` after `{name}` at position {}, found `{text}`.",
                        next.start
                    );
                }
                if let Some(g) = &guess {
                    message.push_str(&format!(" Keywords are lower case: did you mean `{g}`?"));
                }
                return Err(ODataError::new(param, next.start, message).expecting(expected).suggesting(guess));
            }
        }
    }
}

/// Parses `$orderby`: `field [asc|desc], ...`, sortable fields only, each at most once.
pub fn parse_orderby(src: &str, reg: &Registry) -> Result<Vec<OrderKey>, ODataError> {
    let mut keys: Vec<OrderKey> = Vec::new();
    fields_list(src, reg, Usage::Sort, &["asc", "desc"], |field, at, word| {
        if keys.iter().any(|k| std::ptr::eq(k.field, field)) {
            let message = format!("{} appears twice in $orderby (position {at}).", field.name);
            return Err(ODataError::new("$orderby", at, message));
        }
        keys.push(OrderKey { field, desc: word == Some("desc") });
        Ok(())
    })?;
    Ok(keys)
}

/// Parses `$select`: `field, ...`, selectable fields only. A repeated field is kept once.
pub fn parse_select(src: &str, reg: &Registry) -> Result<Vec<&'static Field>, ODataError> {
    let mut fields: Vec<&'static Field> = Vec::new();
    fields_list(src, reg, Usage::Select, &[], |field, _, _| {
        if !fields.iter().any(|f| std::ptr::eq(*f, field)) {
            fields.push(field);
        }
        Ok(())
    })?;
    Ok(fields)
}

/// A whole number in `0..=max`: ASCII digits only, no sign or spaces.
fn whole_number(param: &'static str, src: &str, max: u32) -> Result<u32, ODataError> {
    let bad = src.bytes().position(|b| !b.is_ascii_digit());
    let message = || format!("{param} must be a whole number from 0 to {max}; `{src}` is not.");
    if src.is_empty() || bad.is_some() {
        return Err(ODataError::new(param, bad.unwrap_or(0), message()));
    }
    match src.parse::<u32>() {
        Ok(n) if n <= max => Ok(n),
        _ => Err(ODataError::new(param, 0, message())),
    }
}

/// Parses `$top` (`None`: `default`); at most `max`. Use [`DEFAULT_TOP`] and [`MAX_TOP`].
pub fn parse_top(src: Option<&str>, default: u32, max: u32) -> Result<u32, ODataError> {
    src.map_or(Ok(default), |s| whole_number("$top", s, max))
}

/// Parses `$skip` (`None`: 0); at most [`MAX_SKIP`].
pub fn parse_skip(src: Option<&str>) -> Result<u32, ODataError> {
    src.map_or(Ok(0), |s| whole_number("$skip", s, MAX_SKIP))
}

/// Parses `$count`: `true` or `false` (`None`: false).
pub fn parse_count(src: Option<&str>) -> Result<bool, ODataError> {
    match src {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => {
            let guess = ["true", "false"].into_iter().find(|w| w.eq_ignore_ascii_case(other)).map(str::to_string);
            let mut message = format!("$count must be `true` or `false`; `{other}` is not.");
            if let Some(g) = &guess {
                message.push_str(&format!(" Did you mean `{g}`?"));
            }
            Err(ODataError::new("$count", 0, message).expecting(["true", "false"]).suggesting(guess))
        }
    }
}
