//! The audit filters as clients write them (REST query parameters, the audit page's form),
//! parsed into an [`AuditQuery`] in one place, so both edges answer the same errors.

use super::AuditQuery;
use crate::{FieldError, ServiceError};
use chrono::{DateTime, Utc};

pub use crate::model::AUDIT_FILTER_MAX as FILTER_MAX;

/// The filters before parsing. An empty or blank text is no filter.
#[derive(Clone, Debug, Default)]
pub struct AuditFilterText {
    /// Only this action, like `member.role_changed`.
    pub action: Option<String>,
    /// Only what this user (id) did.
    pub actor: Option<i64>,
    /// Only about this kind of object.
    pub target_type: Option<String>,
    /// Only about this object (its id).
    pub target_id: Option<String>,
    /// At or after this time (RFC 3339).
    pub since: Option<String>,
    /// Before this time (RFC 3339).
    pub until: Option<String>,
}

impl AuditQuery {
    /// The typed query, or every field that is wrong (named as the REST API names them).
    pub fn parse(f: AuditFilterText, top: Option<i64>, cursor: Option<i64>) -> Result<Self, ServiceError> {
        let mut errors = Vec::new();
        let mut text = |name: &str, v: Option<String>| {
            let v = v.map(|v| v.trim().to_string()).filter(|v| !v.is_empty())?;
            if v.chars().count() > FILTER_MAX {
                errors.push(FieldError::new(name, format!("At most {FILTER_MAX} characters.")));
                return None;
            }
            Some(v)
        };
        let (action, target_type, target_id) =
            (text("action", f.action), text("targetType", f.target_type), text("targetId", f.target_id));
        let mut time = |name: &str, v: Option<String>| {
            let v = v.filter(|v| !v.trim().is_empty())?;
            match DateTime::parse_from_rfc3339(v.trim()) {
                Ok(t) => Some(t.with_timezone(&Utc)),
                Err(_) => {
                    errors.push(FieldError::new(name, "An RFC 3339 time, like 2026-12-04T10:00:00Z."));
                    None
                }
            }
        };
        let (since, until) = (time("since", f.since), time("until", f.until));
        if !errors.is_empty() {
            return Err(ServiceError::validation(errors));
        }
        Ok(AuditQuery { action, actor: f.actor, target_type, target_id, since, until, top, cursor })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blanks_are_no_filter_and_bad_values_are_named() {
        let f = AuditFilterText { action: Some(" ".into()), since: Some(String::new()), ..Default::default() };
        let q = AuditQuery::parse(f, None, None);
        assert!(matches!(q, Ok(AuditQuery { action: None, since: None, .. })));
        let f = AuditFilterText {
            target_id: Some("x".repeat(FILTER_MAX + 1)),
            until: Some("yesterday".into()),
            ..Default::default()
        };
        let Err(e) = AuditQuery::parse(f, None, None) else { panic!("accepted") };
        let names: Vec<String> = e.fields().iter().map(|f| f.field.clone()).collect();
        assert_eq!(names, ["targetId", "until"]);
    }
}
