//! The field registries of the OData lists: for each field of a list, its JSON name, the
//! SQL expression it reads, its type, and whether it can be filtered, sorted and
//! selected. Identifiers in list SQL come only from here. Compiled for the browser too, so
//! the directory page checks a filter with the same rules before it asks. Two lists: the
//! agent directory ([`AGENT_FIELDS`]) and the audit log ([`AUDIT_FIELDS`]).

use crate::odata::{Field, FieldType, Registry};

const STATUS: &[&str] = &["draft", "active", "deleted"];
const TYPE: &[&str] = &["task", "workflow"];
const SOURCE: &[&str] = &["local", "sync"];
const REGISTRATION: &[&str] = &["pending_invite", "registered", "revoked"];

const fn f(name: &'static str, column: &'static str, ty: FieldType, nullable: bool, sort: bool) -> Field {
    Field { name, column, ty, nullable, filter: true, sort, select: true }
}

/// Derived or structured fields: selectable only.
const fn derived(name: &'static str) -> Field {
    Field { name, column: "", ty: FieldType::String, nullable: true, filter: false, sort: false, select: true }
}

/// The agent directory (`GET /api/agents`).
pub static AGENT_FIELDS: Registry = Registry {
    fields: &[
        f("id", "a.id", FieldType::Int, false, true),
        f("slug", "a.slug", FieldType::String, false, true),
        f("name", "a.name", FieldType::String, false, true),
        Field {
            name: "description",
            column: "a.description",
            ty: FieldType::String,
            nullable: false,
            filter: true,
            sort: false,
            select: true,
        },
        f("email", "a.email", FieldType::String, true, true),
        f("status", "a.status", FieldType::Enum(STATUS), false, true),
        f("type", "a.type", FieldType::Enum(TYPE), false, true),
        f("source", "a.source", FieldType::Enum(SOURCE), false, true),
        f("enabled", "a.enabled", FieldType::Bool, false, true),
        f("registration", "a.registration", FieldType::Enum(REGISTRATION), true, true),
        f("ownerId", "a.owner_id", FieldType::Int, true, true),
        f("scheduleEnabled", "a.schedule_enabled", FieldType::Bool, false, true),
        f("activeVariationId", "a.active_variation_id", FieldType::String, true, false),
        f("draftVariationId", "a.draft_variation_id", FieldType::String, true, false),
        f("createdAt", "a.created_at", FieldType::DateTime, false, true),
        f("updatedAt", "a.updated_at", FieldType::DateTime, false, true),
        f("deletedAt", "a.deleted_at", FieldType::DateTime, true, true),
        derived("orgId"),
        derived("hasUnpublishedChanges"),
        derived("accessConfig"),
        derived("canManage"),
        derived("canUse"),
        derived("pendingOwnershipTransfer"),
    ],
    id_column: "a.id",
};

/// Text fields of the audit log that can be filtered but not sorted on (long or opaque
/// values would make long cursors for no useful order).
const fn filter_only(name: &'static str, column: &'static str) -> Field {
    Field { name, column, ty: FieldType::String, nullable: true, filter: true, sort: false, select: true }
}

/// The audit log's list (`GET /api/v1/organizations/{org_id}/audit`): `a` is `audit_log`,
/// `u` the actor's user (a LEFT JOIN, so `actorEmail` is NULL for the system or a removed
/// account). `targetType` and `targetId` read the `object_type` and `object_id` columns.
pub static AUDIT_FIELDS: Registry = Registry {
    fields: &[
        f("id", "a.id", FieldType::Int, false, true),
        f("action", "a.action", FieldType::String, false, true),
        f("actorUserId", "a.actor_user_id", FieldType::Int, true, true),
        f("actorEmail", "u.email", FieldType::String, true, true),
        f("targetType", "a.object_type", FieldType::String, true, true),
        f("targetId", "a.object_id", FieldType::String, true, true),
        f("ip", "a.ip", FieldType::String, true, true),
        filter_only("userAgent", "a.user_agent"),
        filter_only("reason", "a.reason"),
        f("createdAt", "a.created_at", FieldType::DateTime, false, true),
        f("chainSeq", "a.chain_seq", FieldType::Int, true, true),
        filter_only("prevHash", "a.prev_hash"),
        filter_only("hash", "a.hash"),
        derived("orgId"),
        derived("detail"),
    ],
    id_column: "a.id",
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::odata::{parse_filter, parse_orderby, parse_select, Budget};

    #[test]
    fn the_agent_registry_reads_the_directory_queries() {
        let b = Budget::default();
        assert!(parse_filter("status eq 'active' and contains(tolower(name), 'churn')", &AGENT_FIELDS, &b).is_ok());
        assert!(parse_filter("createdAt ge 2026-01-01T00:00:00Z and ownerId eq null", &AGENT_FIELDS, &b).is_ok());
        let e = parse_filter("nmae eq 'x'", &AGENT_FIELDS, &b).unwrap_err();
        assert_eq!(e.did_you_mean.as_deref(), Some("name"));
        assert!(parse_filter("canUse eq true", &AGENT_FIELDS, &b).is_err());
        assert!(parse_orderby("name desc,createdAt", &AGENT_FIELDS).is_ok());
        assert!(parse_orderby("description", &AGENT_FIELDS).is_err());
        assert_eq!(parse_select("id,name,canManage", &AGENT_FIELDS).unwrap().len(), 3);
    }

    #[test]
    fn the_audit_registry_reads_the_audit_queries() {
        let b = Budget::default();
        let q = "startswith(action, 'member.') and actorUserId in (1, 2) and createdAt lt 2026-01-01T00:00:00Z";
        assert!(parse_filter(q, &AUDIT_FIELDS, &b).is_ok());
        assert!(
            parse_filter("contains(tolower(actorEmail), '@example') or targetId eq null", &AUDIT_FIELDS, &b).is_ok()
        );
        let e = parse_filter("acton eq 'x'", &AUDIT_FIELDS, &b).unwrap_err();
        assert_eq!((e.did_you_mean.as_deref(), e.position), (Some("action"), 0));
        assert!(parse_filter("detail eq 'x'", &AUDIT_FIELDS, &b).is_err());
        assert!(parse_orderby("action,createdAt desc,chainSeq", &AUDIT_FIELDS).is_ok());
        assert!(parse_orderby("userAgent", &AUDIT_FIELDS).is_err());
        assert_eq!(parse_select("action,detail,orgId", &AUDIT_FIELDS).unwrap().len(), 3);
        // Every filterable or sortable field reads a column; the others read none.
        for f in AUDIT_FIELDS.fields {
            assert_eq!(f.filter || f.sort, !f.column.is_empty(), "{}", f.name);
        }
    }
}
