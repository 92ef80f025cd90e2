//! Unit tests against a registry shaped like the agents list.

use super::*;

mod errors;
mod filter;
mod keyset;
mod options;
mod sql;

pub(super) const STATUS: &[&str] = &["draft", "active", "deleted"];
pub(super) const KIND: &[&str] = &["task", "workflow"];

const fn field(name: &'static str, column: &'static str, ty: FieldType, nullable: bool) -> Field {
    Field { name, column, ty, nullable, filter: true, sort: true, select: true }
}

pub(super) static FIELDS: &[Field] = &[
    field("id", "a.id", FieldType::Int, false),
    field("name", "a.name", FieldType::String, false),
    field("slug", "a.slug", FieldType::String, false),
    field("email", "a.email", FieldType::String, true),
    field("status", "a.status", FieldType::Enum(STATUS), false),
    field("type", "a.kind", FieldType::Enum(KIND), false),
    field("enabled", "a.enabled", FieldType::Bool, false),
    field("createdAt", "a.created_at", FieldType::DateTime, false),
    field("updatedAt", "a.updated_at", FieldType::DateTime, false),
    field("deletedAt", "a.deleted_at", FieldType::DateTime, true),
    field("ownerId", "a.owner_id", FieldType::Int, true),
    Field {
        name: "description",
        column: "a.description",
        ty: FieldType::String,
        nullable: false,
        filter: false,
        sort: false,
        select: true,
    },
    Field {
        name: "secretHash",
        column: "a.secret_hash",
        ty: FieldType::String,
        nullable: false,
        filter: false,
        sort: false,
        select: false,
    },
];

pub(super) static AGENTS: Registry = Registry { fields: FIELDS, id_column: "a.id" };

pub(super) fn parse(src: &str) -> Result<Filter, ODataError> {
    parse_filter(src, &AGENTS, &Budget::default())
}

/// The canonical text of a filter that must parse.
pub(super) fn canon(src: &str) -> String {
    match parse(src) {
        Ok(f) => f.to_string(),
        Err(e) => panic!("{src:?} rejected: {e}"),
    }
}

pub(super) fn err(src: &str) -> ODataError {
    match parse(src) {
        Ok(f) => panic!("{src:?} accepted as {f}"),
        Err(e) => e,
    }
}

pub(super) fn sqlite(src: &str) -> SqlFragment {
    filter_sql(&parse(src).unwrap(), Dialect::Sqlite, 1)
}
