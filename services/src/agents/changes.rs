//! What a create or a merge patch may set on an agent, parsed into typed values: the
//! editable fields, the immutable ones (422 naming the field), the read-only ones that
//! change through their own operation, and everything else (unknown: 400).

use crate::errors::{ErrorCode, FieldError};
use crate::model::AccessConfig;
use crate::vocab::{AgentName, Description, Email, Slug};
use crate::ServiceError;
use serde_json::{Map, Value};

/// Fields a merge patch may change.
pub(crate) const EDITABLE: &[&str] = &["name", "slug", "description", "email", "accessConfig"];

/// Fields that never change (seed 003, DESIGN §5).
pub(crate) const IMMUTABLE: &[&str] = &["id", "orgId", "type", "createdAt", "updatedAt", "deletedAt", "status"];

/// Fields that change only through their own operation, and which one.
pub(crate) const READ_ONLY: &[(&str, &str)] = &[
    ("ownerId", "The owner changes through an ownership transfer (POST /api/v1/agents/{id}/ownership-transfer)."),
    ("enabled", "enabled changes with POST /api/v1/agents/{id}/activate and /deactivate."),
    ("scheduleEnabled", "scheduleEnabled changes with POST /api/v1/agents/{id}/toggle."),
    ("registration", "registration changes through registration and revocation."),
    ("source", "source is set by the upstream that syncs an agent."),
    ("hasUnpublishedChanges", "hasUnpublishedChanges is derived from the draft and the active version."),
    ("canManage", "canManage is derived from the caller and accessConfig."),
    ("canUse", "canUse is derived from the caller and accessConfig."),
    ("activeVariationId", "The active version changes with deploy and /variations/{vid}/activate."),
    ("draftVariationId", "The draft changes with PUT /api/v1/agents/{id}/draft."),
    ("pendingOwnershipTransfer", "Transfers change through /ownership-transfer."),
    ("variation", "The definition changes with PUT /api/v1/agents/{id}/draft."),
];

/// Most users one access rule may name.
pub const ACCESS_USERS_MAX: usize = 100;

/// The editable fields, parsed.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct AgentFields {
    pub name: AgentName,
    pub slug: Slug,
    pub description: Description,
    pub email: Option<Email>,
    pub access: AccessConfig,
}

/// The editable fields as a merge patch's target document.
pub(crate) fn document(f: &AgentFields) -> Value {
    serde_json::json!({
        "name": f.name.as_str(),
        "slug": f.slug.as_str(),
        "description": f.description.as_str(),
        "email": f.email.as_ref().map(Email::as_str),
        "accessConfig": f.access,
    })
}

/// Checks a patch's keys: unknown keys are a 400 listing them; immutable and read-only
/// ones a 422 naming the first.
pub(crate) fn check_patch_keys(patch: &Map<String, Value>) -> Result<(), ServiceError> {
    let unknown: Vec<FieldError> = patch
        .keys()
        .filter(|k| {
            !EDITABLE.contains(&k.as_str())
                && !IMMUTABLE.contains(&k.as_str())
                && !READ_ONLY.iter().any(|(f, _)| f == k)
        })
        .map(|k| {
            FieldError::new(
                k.as_str(),
                format!("Unknown field {k:?}; an agent's editable fields are {}.", EDITABLE.join(", ")),
            )
        })
        .collect();
    if !unknown.is_empty() {
        return Err(ServiceError::validation(unknown));
    }
    if let Some(k) = patch.keys().find(|k| IMMUTABLE.contains(&k.as_str())) {
        return Err(immutable(k, format!("{k} cannot be changed.")));
    }
    if let Some((k, why)) = READ_ONLY.iter().find(|(f, _)| patch.contains_key(*f)) {
        return Err(immutable(k, (*why).to_string()));
    }
    Ok(())
}

fn immutable(field: &str, message: String) -> ServiceError {
    ServiceError::new(ErrorCode::ImmutableField, message.clone())
        .with_extension("field", field.into())
        .with_extension("errors", serde_json::json!([{ "field": field, "message": message }]))
}

/// Parses the editable fields of a document (after a merge patch, or of a create body
/// with the generated slug filled in). Every problem is listed.
pub(crate) fn parse_fields(doc: &Map<String, Value>) -> Result<AgentFields, ServiceError> {
    let mut errors = Vec::new();
    let name = text(doc, "name", &mut errors).and_then(|s| keep(AgentName::parse(&s), "name", &mut errors));
    let slug = text(doc, "slug", &mut errors).and_then(|s| keep(Slug::parse(&s), "slug", &mut errors));
    let description = match doc.get("description") {
        None | Some(Value::Null) => keep(Description::parse(""), "description", &mut errors),
        Some(Value::String(s)) => keep(Description::parse(s), "description", &mut errors),
        Some(_) => wrong_type("description", "a string", &mut errors),
    };
    let email = match doc.get("email") {
        None | Some(Value::Null) => Some(None),
        Some(Value::String(s)) if s.trim().is_empty() => Some(None),
        Some(Value::String(s)) => keep(Email::parse(s), "email", &mut errors).map(Some),
        Some(_) => wrong_type("email", "a string or null", &mut errors),
    };
    let access = match doc.get("accessConfig") {
        None | Some(Value::Null) => Some(AccessConfig::default()),
        Some(v) => parse_access(v, &mut errors),
    };
    match (name, slug, description, email, access) {
        (Some(name), Some(slug), Some(description), Some(email), Some(access)) if errors.is_empty() => {
            Ok(AgentFields { name, slug, description, email, access })
        }
        _ => Err(ServiceError::validation(errors)),
    }
}

fn text(doc: &Map<String, Value>, field: &str, errors: &mut Vec<FieldError>) -> Option<String> {
    match doc.get(field) {
        Some(Value::String(s)) => Some(s.clone()),
        None | Some(Value::Null) => {
            errors.push(FieldError::new(field, format!("{field} is required.")));
            None
        }
        Some(_) => wrong_type(field, "a string", errors),
    }
}

fn wrong_type<T>(field: &str, what: &str, errors: &mut Vec<FieldError>) -> Option<T> {
    errors.push(FieldError::new(field, format!("{field} must be {what}.")));
    None
}

fn keep<T>(r: Result<T, crate::vocab::Invalid>, field: &str, errors: &mut Vec<FieldError>) -> Option<T> {
    r.map_err(|e| errors.push(FieldError::new(field, e.0))).ok()
}

/// An access configuration: known keys and roles only, users deduplicated and capped.
fn parse_access(v: &Value, errors: &mut Vec<FieldError>) -> Option<AccessConfig> {
    let mut access: AccessConfig = match serde_json::from_value(v.clone()) {
        Ok(a) => a,
        Err(e) => {
            errors.push(FieldError::new(
                "accessConfig",
                format!(
                    "accessConfig must be {{\"use\": {{\"roles\": [...], \"users\": [...]}}, \"manage\": {{...}}}} with roles among owner, admin, operator, member ({e})."
                ),
            ));
            return None;
        }
    };
    for (name, rule) in [("use", &mut access.use_), ("manage", &mut access.manage)] {
        rule.roles.sort();
        rule.roles.dedup();
        rule.users.sort_unstable();
        rule.users.dedup();
        if rule.users.len() > ACCESS_USERS_MAX {
            errors.push(FieldError::new(
                format!("accessConfig.{name}.users"),
                format!("An access rule names at most {ACCESS_USERS_MAX} users; grant a role instead."),
            ));
        }
    }
    Some(access)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn keys_are_sorted_into_unknown_immutable_and_read_only() {
        let e = check_patch_keys(&obj(json!({"nmae": "x"}))).unwrap_err();
        assert_eq!((e.status(), e.fields()[0].field.as_str()), (400, "nmae"));
        let e = check_patch_keys(&obj(json!({"name": "x", "type": "workflow"}))).unwrap_err();
        assert_eq!((e.status(), e.extensions()["field"].as_str()), (422, Some("type")));
        let e = check_patch_keys(&obj(json!({"ownerId": 3}))).unwrap_err();
        assert!(e.detail().contains("ownership transfer"));
        assert!(check_patch_keys(&obj(json!({"name": "x", "accessConfig": null}))).is_ok());
    }

    #[test]
    fn fields_parse_and_list_every_problem() {
        let ok = parse_fields(&obj(json!({"name": " A ", "slug": "a-1", "email": "X@Example.com"}))).unwrap();
        assert_eq!((ok.name.as_str(), ok.email.unwrap().as_str()), ("A", "x@example.com"));
        assert_eq!(ok.access, AccessConfig::default());
        let e = parse_fields(&obj(
            json!({"name": "", "slug": "A B", "email": 3, "accessConfig": {"use": {"roles": ["root"]}}}),
        ))
        .unwrap_err();
        let fields: Vec<_> = e.fields().iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["name", "slug", "email", "accessConfig"]);
    }

    #[test]
    fn access_users_are_deduplicated_and_capped() {
        let users: Vec<i64> = (0..=100).collect();
        let e = parse_fields(&obj(json!({"name": "a", "slug": "a", "accessConfig": {"use": {"users": users}}})))
            .unwrap_err();
        assert_eq!(e.fields()[0].field, "accessConfig.use.users");
        let ok =
            parse_fields(&obj(json!({"name": "a", "slug": "a", "accessConfig": {"manage": {"users": [3, 3, 1]}}})))
                .unwrap();
        assert_eq!(ok.access.manage.users, [1, 3]);
        assert!(ok.access.use_.roles.is_empty());
    }
}
