//! Saved views: a user's named queries of a list (the agent directory's URL query).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Most characters of a view's name.
pub const VIEW_NAME_MAX: usize = 60;
/// Most characters of a view's query.
pub const VIEW_QUERY_MAX: usize = 2000;
/// Most views a user keeps per list and organization.
pub const VIEWS_MAX: usize = 50;

/// A saved view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SavedView {
    /// Its id.
    pub id: i64,
    /// The list it belongs to: `agents`.
    pub list: String,
    /// Its name, unique per list.
    pub name: String,
    /// The list page's URL query, `?…` (empty: the default view).
    pub query: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last saved.
    pub updated_at: DateTime<Utc>,
}

/// `GET /api/v1/me/saved-views`: by name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct SavedViewList {
    /// The views, by name.
    pub value: Vec<SavedView>,
}

/// `POST /api/v1/me/saved-views`: saving under an existing name replaces its query.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SaveViewRequest {
    /// The list: `agents`.
    #[cfg_attr(feature = "server", schema(pattern = "^agents$"))]
    pub list: String,
    /// 1 to 60 characters once surrounding whitespace is trimmed.
    #[cfg_attr(feature = "server", schema(schema_with = crate::schemas::view_name))]
    pub name: String,
    /// The URL query, empty or starting with `?`, at most 2000 characters.
    #[cfg_attr(feature = "server", schema(max_length = 2000, pattern = "^(\\?[^\\x00-\\x1f]*)?$"))]
    pub query: String,
}

/// A save request, parsed: every invalid field at once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ViewSpec {
    /// `agents`.
    pub list: &'static str,
    /// Trimmed name.
    pub name: String,
    /// The query.
    pub query: String,
}

impl ViewSpec {
    /// Parses `list`, `name` and `query`.
    pub fn parse(req: &SaveViewRequest) -> Result<Self, Vec<crate::FieldError>> {
        let mut errors = Vec::new();
        let list = match req.list.as_str() {
            "agents" => Some("agents"),
            _ => {
                errors.push(crate::FieldError::new("list", "The only list with saved views is agents."));
                None
            }
        };
        let name = req.name.trim().to_string();
        let n = name.chars().count();
        if n == 0 || n > VIEW_NAME_MAX {
            errors.push(crate::FieldError::new(
                "name",
                format!("A name is 1 to {VIEW_NAME_MAX} characters once surrounding whitespace is trimmed."),
            ));
        }
        let query = req.query.clone();
        if query.chars().count() > VIEW_QUERY_MAX
            || !(query.is_empty() || query.starts_with('?'))
            || query.chars().any(|c| u32::from(c) < 0x20)
        {
            errors.push(crate::FieldError::new(
                "query",
                format!("A query is empty or starts with ?, at most {VIEW_QUERY_MAX} characters."),
            ));
        }
        match (list, errors.is_empty()) {
            (Some(list), true) => Ok(ViewSpec { list, name, query }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_view_is_parsed_with_every_error_at_once() {
        let ok = SaveViewRequest { list: "agents".into(), name: " Mine ".into(), query: "?q=churn".into() };
        assert_eq!(ViewSpec::parse(&ok).map(|v| v.name), Ok("Mine".to_string()));
        let bad = SaveViewRequest { list: "runs".into(), name: "".into(), query: "q=x".into() };
        let fields: Vec<String> = ViewSpec::parse(&bad).unwrap_err().into_iter().map(|f| f.field).collect();
        assert_eq!(fields, ["list", "name", "query"]);
    }
}
