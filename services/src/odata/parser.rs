//! `$filter`: recursive descent over the lazy lexer, type-checking each predicate against the
//! registry as it is built. Precedence: `not` > `and` > `or`. Recursion happens only at `(`
//! and `not`, each of which counts against the depth budget before descending.

use super::ast::{CmpOp, Comparison, Filter, Literal, Membership, Span, Target, TextFn, TextMatch, Value};
use super::check::{check_value, value_hints};
use super::fields::{Registry, Usage};
use super::lexer::{Lexer, Tok, Token};
use super::ODataError;

const PARAM: &str = "$filter";

/// Words that are never field names here, so an error does not suggest a field for them.
const RESERVED: &[&str] = &["and", "or", "eq", "ne", "gt", "ge", "lt", "le", "in", "null", "true", "false"];

/// However large a budget asks for, nesting stops here: it bounds the parser's recursion
/// (and that of everything walking the tree), so no input can overflow the stack.
pub const DEPTH_CAP: usize = 64;

/// Limits on one `$filter`. Exceeding any is an error at the place it happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// Conditions, `and`/`or` operators and `not`s together.
    pub max_nodes: usize,
    /// Nesting of parentheses and `not` (capped at [`DEPTH_CAP`]).
    pub max_depth: usize,
    /// Values in one `in (...)` list.
    pub max_in_list: usize,
    /// Bytes of the whole value.
    pub max_len: usize,
}

impl Default for Budget {
    fn default() -> Self {
        Budget { max_nodes: 100, max_depth: 10, max_in_list: 100, max_len: 2000 }
    }
}

/// Parses and type-checks a `$filter` value.
pub fn parse_filter(src: &str, reg: &Registry, budget: &Budget) -> Result<Filter, ODataError> {
    if src.len() > budget.max_len {
        let mut at = budget.max_len;
        while !src.is_char_boundary(at) {
            at -= 1;
        }
        return Err(ODataError::new(
            PARAM,
            at,
            format!("The filter is {} bytes long; at most {} are allowed.", src.len(), budget.max_len),
        ));
    }
    let mut lexer = Lexer::new(src, PARAM);
    let tok = lexer.next_token()?;
    let mut p = Parser { src, lexer, tok, reg, budget: *budget, nodes: 0, depth: 0 };
    let filter = p.or_expr()?;
    match &p.tok.tok {
        Tok::End => Ok(filter),
        Tok::RParen => Err(p.error(format!("Unmatched `)` at position {}.", p.tok.start)).expecting(["and", "or"])),
        _ => Err(p.expected_connective(false)),
    }
}

struct Parser<'a> {
    src: &'a str,
    lexer: Lexer<'a>,
    tok: Token<'a>,
    reg: &'a Registry,
    budget: Budget,
    nodes: usize,
    depth: usize,
}

/// A keyword written in the wrong case (`AND` for `and`).
fn miscased(word: &str, keywords: &[&str]) -> Option<String> {
    keywords.iter().find(|k| **k != word && k.eq_ignore_ascii_case(word)).map(|k| (*k).to_string())
}

impl<'a> Parser<'a> {
    fn error(&self, message: String) -> ODataError {
        ODataError::new(PARAM, self.tok.start, message)
    }

    fn advance(&mut self) -> Result<Token<'a>, ODataError> {
        let next = self.lexer.next_token()?;
        Ok(std::mem::replace(&mut self.tok, next))
    }

    fn word(&self) -> Option<&'a str> {
        match self.tok.tok {
            Tok::Word(w) => Some(w),
            _ => None,
        }
    }

    fn text(&self) -> &'a str {
        &self.src[self.tok.start..self.tok.end]
    }

    fn found(&self) -> String {
        match self.tok.tok {
            Tok::End => "the end of the filter".to_string(),
            _ => format!("`{}`", self.text()),
        }
    }

    fn count(&mut self, at: usize) -> Result<(), ODataError> {
        self.nodes += 1;
        if self.nodes > self.budget.max_nodes {
            let max = self.budget.max_nodes;
            return Err(ODataError::new(
                PARAM,
                at,
                format!("The filter has more than {max} conditions and operators (position {at}); simplify it."),
            ));
        }
        Ok(())
    }

    fn enter(&mut self, at: usize) -> Result<(), ODataError> {
        let max = self.budget.max_depth.min(DEPTH_CAP);
        if self.depth >= max {
            return Err(ODataError::new(
                PARAM,
                at,
                format!("The filter nests parentheses and `not` more than {max} levels deep (position {at})."),
            ));
        }
        self.depth += 1;
        Ok(())
    }

    fn expect(&mut self, want: Tok<'static>, shown: &str, after: &str) -> Result<Token<'a>, ODataError> {
        if self.tok.tok == want {
            return self.advance();
        }
        let message =
            format!("Expected `{shown}` after {after} at position {}, found {}.", self.tok.start, self.found());
        Err(self.error(message).expecting([shown]))
    }

    fn expected_connective(&self, in_parens: bool) -> ODataError {
        let mut expected = vec!["and", "or"];
        if in_parens {
            expected.push(")");
        }
        let end = if in_parens { "`)`" } else { "the end of the filter" };
        let guess = self.word().and_then(|w| miscased(w, &["and", "or"]));
        let mut message =
            format!("Expected `and`, `or` or {end} at position {}, found {}.", self.tok.start, self.found());
        if let Some(g) = &guess {
            message.push_str(&format!(" Keywords are lower case: did you mean `{g}`?"));
        }
        self.error(message).expecting(expected).suggesting(guess)
    }

    fn or_expr(&mut self) -> Result<Filter, ODataError> {
        let first = self.and_expr()?;
        let mut rest = Vec::new();
        while self.word() == Some("or") {
            self.count(self.tok.start)?;
            self.advance()?;
            rest.push(self.and_expr()?);
        }
        if rest.is_empty() {
            return Ok(first);
        }
        rest.insert(0, first);
        Ok(Filter::Or(rest))
    }

    fn and_expr(&mut self) -> Result<Filter, ODataError> {
        let first = self.unary()?;
        let mut rest = Vec::new();
        while self.word() == Some("and") {
            self.count(self.tok.start)?;
            self.advance()?;
            rest.push(self.unary()?);
        }
        if rest.is_empty() {
            return Ok(first);
        }
        rest.insert(0, first);
        Ok(Filter::And(rest))
    }

    fn unary(&mut self) -> Result<Filter, ODataError> {
        if self.word() != Some("not") {
            return self.primary();
        }
        let start = self.tok.start;
        self.count(start)?;
        self.enter(start)?;
        self.advance()?;
        let inner = self.unary()?;
        self.depth -= 1;
        Ok(Filter::Not(Box::new(inner), Span { start, end: start + 3 }))
    }

    fn primary(&mut self) -> Result<Filter, ODataError> {
        if self.tok.tok == Tok::LParen {
            self.enter(self.tok.start)?;
            self.advance()?;
            let inner = self.or_expr()?;
            if self.tok.tok != Tok::RParen {
                return Err(self.expected_connective(true));
            }
            self.advance()?;
            self.depth -= 1;
            return Ok(inner);
        }
        let start = self.tok.start;
        self.count(start)?;
        let Some(word) = self.word() else {
            let message =
                format!("Expected a condition at position {start}, such as `name eq 'x'`, found {}.", self.found());
            let mut expected = vec!["(".to_string(), "not".to_string()];
            expected.extend(TextFn::ALL.iter().map(|(_, n)| n.to_string()));
            expected.push("tolower".into());
            expected.extend(self.reg.names_for(Usage::Filter));
            return Err(self.error(message).expecting(expected));
        };
        if let Some((func, _)) = TextFn::ALL.iter().find(|(_, n)| *n == word) {
            return self.text_call(*func);
        }
        let target = self.target()?;
        self.predicate(target)
    }

    /// `name` or `tolower(name)`.
    fn target(&mut self) -> Result<Target, ODataError> {
        let start = self.tok.start;
        let Some(word) = self.word() else {
            let message = format!("Expected a field name at position {start}, found {}.", self.found());
            return Err(self.error(message).expecting(self.reg.names_for(Usage::Filter)));
        };
        if word == "tolower" {
            self.advance()?;
            self.expect(Tok::LParen, "(", "`tolower`")?;
            let field_at = self.tok.start;
            let inner = self.target_field()?;
            let close = self.expect(Tok::RParen, ")", "the field")?;
            if !inner.ty.is_text() {
                let message = format!("tolower needs a string field; {} is {}.", inner.name, inner.ty.described());
                return Err(ODataError::new(PARAM, field_at, message));
            }
            return Ok(Target { field: inner, lower: true, span: Span { start, end: close.end } });
        }
        let field = self.target_field()?;
        Ok(Target { field, lower: false, span: Span { start, end: start + field.name.len() } })
    }

    fn target_field(&mut self) -> Result<&'static super::Field, ODataError> {
        let start = self.tok.start;
        let Some(word) = self.word() else {
            let message = format!("Expected a field name at position {start}, found {}.", self.found());
            return Err(self.error(message).expecting(self.reg.names_for(Usage::Filter)));
        };
        if self.reg.get(word).is_none() {
            if RESERVED.contains(&word) {
                let message = format!("Expected a field name at position {start}, found the keyword `{word}`.");
                return Err(self.error(message).expecting(self.reg.names_for(Usage::Filter)));
            }
            let keywords = ["not", "tolower", "contains", "startswith", "endswith"];
            if let Some(k) = miscased(word, &keywords) {
                let message = format!("Keywords are lower case: did you mean `{k}` at position {start}?");
                return Err(self.error(message).expecting([k.clone()]).suggesting(Some(k)));
            }
        }
        let field = self.reg.resolve(word, Usage::Filter, start)?;
        self.advance()?;
        Ok(field)
    }

    fn predicate(&mut self, target: Target) -> Result<Filter, ODataError> {
        let ops: Vec<&str> = CmpOp::ALL.iter().map(|(_, k)| *k).chain(["in"]).collect();
        let op_at = self.tok.start;
        let word = self.word().unwrap_or("");
        if let Some((op, _)) = CmpOp::ALL.iter().find(|(_, k)| *k == word) {
            let field = target.field;
            if op.is_ordering() && matches!(field.ty, super::FieldType::Bool | super::FieldType::Enum(_)) {
                let message = format!(
                    "{} is {}; it can only be compared with eq, ne or in (position {op_at}).",
                    field.name,
                    field.ty.described()
                );
                return Err(self.error(message).expecting(["eq", "ne", "in"]));
            }
            self.advance()?;
            let value = self.literal(&target, Some(*op), word)?;
            return Ok(Filter::Compare(Comparison { target, op: *op, value }));
        }
        if word == "in" {
            self.advance()?;
            self.expect(Tok::LParen, "(", "`in`")?;
            let mut values = vec![self.literal(&target, None, "in")?];
            while self.tok.tok == Tok::Comma {
                self.advance()?;
                if values.len() >= self.budget.max_in_list {
                    let max = self.budget.max_in_list;
                    let at = self.tok.start;
                    return Err(self.error(format!("An `in` list can hold at most {max} values (position {at}).")));
                }
                values.push(self.literal(&target, None, "in")?);
            }
            if self.tok.tok != Tok::RParen {
                let message = format!(
                    "Expected `,` or `)` in the `in` list at position {}, found {}.",
                    self.tok.start,
                    self.found()
                );
                return Err(self.error(message).expecting([",", ")"]));
            }
            self.advance()?;
            return Ok(Filter::In(Membership { target, values }));
        }
        let guess = miscased(word, &ops);
        let mut message =
            format!("Expected a comparison operator after `{target}` at position {op_at}, found {}.", self.found());
        if let Some(g) = &guess {
            message.push_str(&format!(" Operators are lower case: did you mean `{g}`?"));
        }
        Err(self.error(message).expecting(ops).suggesting(guess))
    }

    /// A literal for `target`, checked; `op` is `None` inside an `in` list.
    fn literal(&mut self, target: &Target, op: Option<CmpOp>, after: &str) -> Result<Literal, ODataError> {
        let span = Span { start: self.tok.start, end: self.tok.end };
        let text = self.text();
        let is_value = match self.tok.tok {
            Tok::Str(_) | Tok::Int(_) | Tok::Decimal(_) | Tok::DateTime(_) => true,
            Tok::Word(w) => matches!(w, "null" | "true" | "false"),
            _ => false,
        };
        if !is_value {
            let (expected, guess) = value_hints(target.field, self.word());
            let mut message =
                format!("Expected a value after `{after}` at position {}, found {}.", span.start, self.found());
            if let Some(g) = &guess {
                message.push_str(&format!(" Did you mean `{g}`?"));
            }
            return Err(self.error(message).expecting(expected).suggesting(guess));
        }
        let value = check_value(target.field, op, &self.tok.tok, text, span.start)?;
        self.advance()?;
        Ok(Literal { value, span })
    }

    /// `contains(target, 'text')`, optionally followed by `eq true` / `eq false` (or `ne`).
    fn text_call(&mut self, func: TextFn) -> Result<Filter, ODataError> {
        let name = func.name();
        self.advance()?;
        self.expect(Tok::LParen, "(", &format!("`{name}`"))?;
        let target = self.target()?;
        if !target.field.ty.is_text() {
            let field = target.field;
            let message = format!("{name} needs a string field; {} is {}.", field.name, field.ty.described());
            return Err(ODataError::new(PARAM, target.span.start, message));
        }
        self.expect(Tok::Comma, ",", "the field")?;
        let span = Span { start: self.tok.start, end: self.tok.end };
        let Tok::Str(pattern) = &self.tok.tok else {
            let message = format!(
                "{name} needs a string to look for, like 'text', at position {}; found {}.",
                span.start,
                self.found()
            );
            return Err(self.error(message).expecting(["'text'"]));
        };
        let pattern = Literal { value: Value::Text(pattern.clone()), span };
        self.advance()?;
        self.expect(Tok::RParen, ")", "the text")?;
        let call = Filter::Text(TextMatch { func, target, pattern });
        let Some(op @ ("eq" | "ne")) = self.word() else { return Ok(call) };
        let op_at = self.tok.start;
        self.advance()?;
        let truth = match self.word() {
            Some("true") => true,
            Some("false") => false,
            _ => {
                let message = format!(
                    "Expected `true` or `false` after `{op}` at position {}, found {}.",
                    self.tok.start,
                    self.found()
                );
                return Err(self.error(message).expecting(["true", "false"]));
            }
        };
        self.advance()?;
        if truth == (op == "eq") {
            return Ok(call);
        }
        self.count(op_at)?;
        Ok(Filter::Not(Box::new(call), Span { start: op_at, end: op_at + 2 }))
    }
}
