//! Tokens of the query options, with byte spans. Lazy, so the first error reported is the
//! first one in the text. Every step consumes at least one byte: linear time.

use chrono::{DateTime, NaiveDate};

use super::ODataError;

/// One token. `Word` covers field names and keywords (told apart by the parser).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Tok<'a> {
    Word(&'a str),
    /// A quoted string, unescaped.
    Str(String),
    Int(i64),
    /// A number with a fraction or exponent, kept as written.
    Decimal(&'a str),
    /// Milliseconds since the Unix epoch.
    DateTime(i64),
    LParen,
    RParen,
    Comma,
    End,
}

/// A token and where it sits in the source.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Token<'a> {
    pub tok: Tok<'a>,
    pub start: usize,
    pub end: usize,
}

pub(crate) struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    param: &'static str,
}

/// Symbols people type for operators, and the OData keyword they mean.
const SYMBOLS: &[(&str, &str)] = &[
    ("==", "eq"),
    ("!=", "ne"),
    ("<>", "ne"),
    (">=", "ge"),
    ("<=", "le"),
    ("&&", "and"),
    ("||", "or"),
    ("=", "eq"),
    (">", "gt"),
    ("<", "lt"),
    ("&", "and"),
    ("|", "or"),
    ("!", "not"),
];

impl<'a> Lexer<'a> {
    pub(crate) fn new(src: &'a str, param: &'static str) -> Self {
        Lexer { src, pos: 0, param }
    }

    fn byte(&self, at: usize) -> Option<u8> {
        self.src.as_bytes().get(at).copied()
    }

    fn error(&self, at: usize, message: String) -> ODataError {
        ODataError::new(self.param, at, message)
    }

    pub(crate) fn next_token(&mut self) -> Result<Token<'a>, ODataError> {
        while self.byte(self.pos).is_some_and(|b| b.is_ascii_whitespace()) {
            self.pos += 1;
        }
        let start = self.pos;
        let Some(b) = self.byte(start) else {
            return Ok(Token { tok: Tok::End, start, end: start });
        };
        let tok = match b {
            b'(' => self.single(Tok::LParen),
            b')' => self.single(Tok::RParen),
            b',' => self.single(Tok::Comma),
            b'\'' => Tok::Str(self.string(start)?),
            b'"' => return Err(self.double_quoted(start)),
            b'0'..=b'9' => self.number(start)?,
            b'-' | b'+' if self.byte(start + 1).is_some_and(|c| c.is_ascii_digit()) => self.number(start)?,
            b if b.is_ascii_alphabetic() || b == b'_' => {
                while self.byte(self.pos).is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_') {
                    self.pos += 1;
                }
                Tok::Word(&self.src[start..self.pos])
            }
            _ => return Err(self.unexpected(start)),
        };
        Ok(Token { tok, start, end: self.pos })
    }

    fn single(&mut self, tok: Tok<'a>) -> Tok<'a> {
        self.pos += 1;
        tok
    }

    /// A `'...'` string; `''` stands for one quote.
    fn string(&mut self, start: usize) -> Result<String, ODataError> {
        let mut out = String::new();
        let mut from = start + 1;
        loop {
            let Some(rel) = self.src[from..].find('\'') else {
                return Err(self.error(
                    start,
                    format!(
                        "The string starting at position {start} is never closed; end it with `'` (write `''` for a quote inside it)."
                    ),
                ));
            };
            let quote = from + rel;
            out.push_str(&self.src[from..quote]);
            if self.byte(quote + 1) == Some(b'\'') {
                out.push('\'');
                from = quote + 2;
            } else {
                self.pos = quote + 1;
                return Ok(out);
            }
        }
    }

    fn double_quoted(&self, start: usize) -> ODataError {
        let guess = self.src[start + 1..]
            .find('"')
            .map(|rel| format!("'{}'", self.src[start + 1..start + 1 + rel].replace('\'', "''")));
        let message = match &guess {
            Some(g) => format!("Strings use single quotes (position {start}). Did you mean {g}?"),
            None => format!("Strings use single quotes (position {start}), as in 'text'."),
        };
        self.error(start, message).suggesting(guess)
    }

    fn unexpected(&self, start: usize) -> ODataError {
        let rest = &self.src[start..];
        if let Some((sym, word)) = SYMBOLS.iter().find(|(sym, _)| rest.starts_with(sym)) {
            return self
                .error(start, format!("`{sym}` is not an OData operator (position {start}). Did you mean `{word}`?"))
                .suggesting(Some((*word).to_string()));
        }
        let c = rest.chars().next().unwrap_or(' ');
        self.error(start, format!("Unexpected character `{c}` at position {start}."))
    }

    fn digits(&mut self) -> usize {
        let from = self.pos;
        while self.byte(self.pos).is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        self.pos - from
    }

    /// An integer, a decimal (`1.5`, `2e3`), or, for `dddd-`, a date or datetime.
    fn number(&mut self, start: usize) -> Result<Tok<'a>, ODataError> {
        let signed = !self.byte(start).is_some_and(|c| c.is_ascii_digit());
        if signed {
            self.pos += 1;
        }
        let count = self.digits();
        if !signed && count == 4 && self.byte(self.pos) == Some(b'-') {
            return self.datetime(start);
        }
        let mut decimal = false;
        if self.byte(self.pos) == Some(b'.') && self.byte(self.pos + 1).is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
            self.digits();
            decimal = true;
        }
        if matches!(self.byte(self.pos), Some(b'e' | b'E')) {
            let sign = usize::from(matches!(self.byte(self.pos + 1), Some(b'+' | b'-')));
            if self.byte(self.pos + 1 + sign).is_some_and(|c| c.is_ascii_digit()) {
                self.pos += 1 + sign;
                self.digits();
                decimal = true;
            }
        }
        let text = &self.src[start..self.pos];
        if decimal {
            return Ok(Tok::Decimal(text));
        }
        text.parse().map(Tok::Int).map_err(|_| {
            self.error(
                start,
                format!(
                    "The number {text} at position {start} is too large: integers go from {} to {}.",
                    i64::MIN,
                    i64::MAX
                ),
            )
        })
    }

    fn datetime(&mut self, start: usize) -> Result<Tok<'a>, ODataError> {
        while self.byte(self.pos).is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, b':' | b'.' | b'+' | b'-')) {
            self.pos += 1;
        }
        let text = &self.src[start..self.pos];
        parse_datetime(text).map(Tok::DateTime).ok_or_else(|| {
            self.error(
                start,
                format!(
                    "{text} at position {start} is not a valid date or datetime; write it like 2026-05-01 or 2026-05-01T10:00:00Z."
                ),
            )
        })
    }
}

/// `2026-05-01T10:00:00.5+02:00` (RFC 3339) or `2026-05-01` (midnight UTC), in milliseconds
/// since the epoch. Digits below the millisecond are dropped.
pub(crate) fn parse_datetime(text: &str) -> Option<i64> {
    if text.contains(['T', 't']) {
        return DateTime::parse_from_rfc3339(text).ok().map(|d| d.timestamp_millis());
    }
    if text.len() != 10 {
        return None;
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(src: &str) -> Result<Vec<Tok<'_>>, ODataError> {
        let mut lx = Lexer::new(src, "$filter");
        let mut out = Vec::new();
        loop {
            let t = lx.next_token()?;
            if t.tok == Tok::End {
                return Ok(out);
            }
            out.push(t.tok);
        }
    }

    #[test]
    fn tokens_of_every_kind() {
        let toks = all("name eq 'it''s' and (n gt -5, 1.5 2e3 +7 2026-05-01 2026-05-01T10:00:00.250Z)").unwrap();
        assert_eq!(
            toks,
            vec![
                Tok::Word("name"),
                Tok::Word("eq"),
                Tok::Str("it's".into()),
                Tok::Word("and"),
                Tok::LParen,
                Tok::Word("n"),
                Tok::Word("gt"),
                Tok::Int(-5),
                Tok::Comma,
                Tok::Decimal("1.5"),
                Tok::Decimal("2e3"),
                Tok::Int(7),
                Tok::DateTime(1_777_593_600_000),
                Tok::DateTime(1_777_629_600_250),
                Tok::RParen,
            ]
        );
    }

    #[test]
    fn datetimes_honour_offsets() {
        assert_eq!(parse_datetime("2026-05-01T12:00:00+02:00"), parse_datetime("2026-05-01T10:00:00Z"));
        assert_eq!(parse_datetime("1970-01-01"), Some(0));
        assert_eq!(parse_datetime("2026-02-30"), None);
        assert_eq!(parse_datetime("2026-05-01T25:00:00Z"), None);
    }

    #[test]
    fn lexical_errors_point_at_the_culprit() {
        let e = all("name eq 'abc").unwrap_err();
        assert_eq!(e.position, 8);
        assert!(e.message.contains("never closed"), "{}", e.message);
        let e = all("name >= 3").unwrap_err();
        assert_eq!((e.position, e.did_you_mean.as_deref()), (5, Some("ge")));
        let e = all("name eq \"a'b\"").unwrap_err();
        assert_eq!((e.position, e.did_you_mean.as_deref()), (8, Some("'a''b'")));
        let e = all("né eq 1").unwrap_err();
        assert_eq!(e.position, 1);
        assert!(e.message.contains("`é`"));
        let e = all("n eq 99999999999999999999").unwrap_err();
        assert!(e.message.contains("too large"));
        let e = all("n eq 2026-13-01").unwrap_err();
        assert_eq!(e.position, 5);
    }
}
