//! The field registry: the only source of SQL identifiers. A list endpoint declares which
//! JSON fields exist, the SQL expression behind each, its type, and what it may be used for.

/// The type of a field, which decides which literals and operators it accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldType {
    /// TEXT.
    String,
    /// BIGINT.
    Int,
    /// BIGINT holding 0 or 1.
    Bool,
    /// BIGINT holding milliseconds since the Unix epoch.
    DateTime,
    /// TEXT holding one of these values.
    Enum(&'static [&'static str]),
}

impl FieldType {
    /// "a string", "an integer"...: the type as said in an error message.
    pub(crate) fn described(self) -> &'static str {
        match self {
            FieldType::String => "a string",
            FieldType::Int => "an integer",
            FieldType::Bool => "a boolean",
            FieldType::DateTime => "a datetime",
            FieldType::Enum(_) => "an enumeration",
        }
    }

    /// Whether the text functions (`contains`, `tolower`...) apply.
    pub(crate) fn is_text(self) -> bool {
        matches!(self, FieldType::String | FieldType::Enum(_))
    }
}

/// One field of a list endpoint.
#[derive(Debug, PartialEq, Eq)]
pub struct Field {
    /// The JSON name clients use, e.g. `createdAt`.
    pub name: &'static str,
    /// The SQL expression it reads, e.g. `a.created_at`. Never built from input.
    pub column: &'static str,
    /// Its type.
    pub ty: FieldType,
    /// Whether the column may hold NULL.
    pub nullable: bool,
    /// Usable in `$filter`.
    pub filter: bool,
    /// Usable in `$orderby`.
    pub sort: bool,
    /// Usable in `$select`.
    pub select: bool,
}

/// What a field is being used for, to pick the right permission and wording.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Usage {
    Filter,
    Sort,
    Select,
}

impl Usage {
    pub(crate) fn param(self) -> &'static str {
        match self {
            Usage::Filter => "$filter",
            Usage::Sort => "$orderby",
            Usage::Select => "$select",
        }
    }

    fn allows(self, f: &Field) -> bool {
        match self {
            Usage::Filter => f.filter,
            Usage::Sort => f.sort,
            Usage::Select => f.select,
        }
    }
}

/// The fields of one list endpoint.
#[derive(Debug)]
pub struct Registry {
    /// Every field, in the order error messages list them.
    pub fields: &'static [Field],
    /// The unique, non-null tie-breaker column every order ends with, e.g. `a.id`.
    pub id_column: &'static str,
}

impl Registry {
    /// The field with this exact (case-sensitive) JSON name.
    pub fn get(&self, name: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The names of the fields allowed for `usage`.
    pub(crate) fn names_for(&self, usage: Usage) -> Vec<String> {
        self.fields.iter().filter(|f| usage.allows(f)).map(|f| f.name.to_string()).collect()
    }

    /// Resolves `name` for `usage`, or explains why not (unknown, with a suggestion, or
    /// not allowed there).
    pub(crate) fn resolve(
        &self,
        name: &str,
        usage: Usage,
        position: usize,
    ) -> Result<&'static Field, super::ODataError> {
        let param = usage.param();
        match self.get(name) {
            Some(f) if usage.allows(f) => Ok(f),
            Some(f) => {
                let what = match usage {
                    Usage::Filter => "filtered on",
                    Usage::Sort => "sorted on",
                    Usage::Select => "selected",
                };
                Err(super::ODataError::new(
                    param,
                    position,
                    format!("{} cannot be {what} (position {position}).", f.name),
                )
                .expecting(self.names_for(usage)))
            }
            None => {
                let names = self.names_for(usage);
                let guess = suggest(name, names.iter().map(String::as_str));
                let message = match &guess {
                    Some(g) => format!("There is no field `{name}` at position {position}. Did you mean `{g}`?"),
                    None => format!("There is no field `{name}` at position {position}."),
                };
                Err(super::ODataError::new(param, position, message).expecting(names).suggesting(guess))
            }
        }
    }
}

/// The candidate closest to `word`: a case-insensitive match first, else the nearest within
/// an edit distance of 2 (transpositions count as one edit).
pub(crate) fn suggest<'a>(word: &str, candidates: impl Iterator<Item = &'a str> + Clone) -> Option<String> {
    if let Some(c) = candidates.clone().find(|c| c.eq_ignore_ascii_case(word)) {
        return Some(c.to_string());
    }
    candidates
        .map(|c| (distance(word, c), c))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.to_string())
}

/// Optimal string alignment distance (Damerau-Levenshtein without substring moves), on
/// chars. Inputs longer than 64 chars are never close to a field name: answer "far".
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len() > 64 || b.len() > 64 {
        return usize::MAX;
    }
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    for i in 0..=a.len() {
        d[i * width] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(width) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best =
                (d[(i - 1) * width + j] + 1).min(d[i * width + j - 1] + 1).min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = best;
        }
    }
    d[a.len() * width + b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_counts_edits_and_transpositions() {
        assert_eq!(distance("name", "name"), 0);
        assert_eq!(distance("nmae", "name"), 1);
        assert_eq!(distance("nam", "name"), 1);
        assert_eq!(distance("naem", "name"), 1);
        assert_eq!(distance("xyz", "name"), 4);
        assert_eq!(distance("", "ab"), 2);
    }

    #[test]
    fn suggestions_prefer_case_matches_then_nearest() {
        let names = ["name", "slug", "createdAt"];
        assert_eq!(suggest("CreatedAT", names.iter().copied()), Some("createdAt".into()));
        assert_eq!(suggest("slg", names.iter().copied()), Some("slug".into()));
        assert_eq!(suggest("zzzzzz", names.iter().copied()), None);
    }
}
