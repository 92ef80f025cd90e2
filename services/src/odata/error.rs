//! The one error type of every query option: where it went wrong and what would have worked.

use std::fmt;

/// A rejected query option, meant to be shown to the client as is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ODataError {
    /// The query parameter at fault: `$filter`, `$orderby`, `$select`, `$top`, `$skip`
    /// or `$count`.
    pub param: &'static str,
    /// Byte offset in that parameter's value (always on a char boundary).
    pub position: usize,
    /// A full English sentence.
    pub message: String,
    /// Tokens that would have been accepted at `position`, e.g. `["eq", "ne"]`.
    pub expected: Vec<String>,
    /// The likely intended token, when the input was close to one.
    pub did_you_mean: Option<String>,
}

impl ODataError {
    pub(crate) fn new(param: &'static str, position: usize, message: impl Into<String>) -> Self {
        ODataError { param, position, message: message.into(), expected: Vec::new(), did_you_mean: None }
    }

    pub(crate) fn expecting<S: Into<String>>(mut self, expected: impl IntoIterator<Item = S>) -> Self {
        self.expected = expected.into_iter().map(Into::into).collect();
        self
    }

    pub(crate) fn suggesting(mut self, guess: Option<String>) -> Self {
        self.did_you_mean = guess;
        self
    }
}

impl fmt::Display for ODataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Invalid {}: {}", self.param, self.message)
    }
}

impl std::error::Error for ODataError {}

/// "`a`, `b` or `c`": a list of tokens for a sentence.
pub(crate) fn one_of(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("`{i}`")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}
