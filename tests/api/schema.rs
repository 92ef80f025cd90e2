//! The SQLite and PostgreSQL migrations must build the same schema. Both are applied to
//! fresh databases, read back from the catalogs, normalized (type families, loose
//! defaults, identity vs AUTOINCREMENT), and compared fact by fact.

use agentry_tests::{spawn, Backend};
use std::collections::{BTreeMap, BTreeSet};

/// Tables by name.
type Schema = BTreeMap<String, Table>;

#[derive(Debug, Default, Clone)]
struct Table {
    columns: Vec<Column>,
    primary_key: Vec<String>,
    /// Unique constraints (not explicit indexes), by columns.
    uniques: Vec<Vec<String>>,
    foreign_keys: Vec<ForeignKey>,
    /// Check constraint expressions as the database shows them.
    checks: Vec<String>,
    /// Explicit indexes (`CREATE [UNIQUE] INDEX`).
    indexes: Vec<Index>,
}

#[derive(Debug, Clone)]
struct Column {
    name: String,
    sql_type: String,
    not_null: bool,
    default: Option<String>,
    /// AUTOINCREMENT / identity.
    generated: bool,
}

#[derive(Debug, Clone)]
struct ForeignKey {
    columns: Vec<String>,
    ref_table: String,
    ref_columns: Vec<String>,
    on_update: String,
    on_delete: String,
}

#[derive(Debug, Clone)]
struct Index {
    name: String,
    columns: Vec<String>,
    unique: bool,
    partial: bool,
}

/// One family per storage class: what both backends store and sqlx decodes alike.
fn type_family(t: &str) -> String {
    let t = t.trim().to_lowercase();
    let base = t.split('(').next().unwrap_or("").trim();
    match base {
        "integer" | "int" | "int2" | "int4" | "int8" | "bigint" | "smallint" | "tinyint" | "mediumint" => "integer",
        "text" | "varchar" | "character varying" | "char" | "character" | "clob" => "text",
        "real" | "double" | "double precision" | "float" | "float4" | "float8" | "numeric" => "real",
        "blob" | "bytea" => "blob",
        "boolean" | "bool" => "boolean",
        other => other,
    }
    .to_string()
}

/// `'{}'::text` → `'{}'`, `('0'::bigint)` → `0`, `0` → `0`.
fn normalize_default(d: &str) -> String {
    let mut s = d.trim().to_string();
    loop {
        let before = s.clone();
        if let Some(inner) = s.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
            s = inner.trim().to_string();
        }
        // Drop a trailing cast (outside quotes).
        if let Some(at) = s.rfind("::").filter(|&at| !s[at..].contains('\'')) {
            s = s[..at].trim().to_string();
        }
        if s == before {
            break;
        }
    }
    if let Some(inner) = s.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')) {
        if !inner.is_empty() && inner.trim_start_matches('-').chars().all(|c| c.is_ascii_digit() || c == '.') {
            return inner.to_string();
        }
        return s;
    }
    s.to_lowercase()
}

/// A check's loose signature: the table's columns it names and the literals it uses, so
/// `role IN ('a','b')` matches PostgreSQL's `role = ANY (ARRAY['a'::text, 'b'::text])`.
fn check_signature(expr: &str, columns: &[String]) -> String {
    let mut names = BTreeSet::new();
    let mut literals = BTreeSet::new();
    let mut chars = expr.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' {
            let mut lit = String::new();
            while let Some(n) = chars.next() {
                if n == '\'' && chars.peek() != Some(&'\'') {
                    break;
                }
                if n == '\'' {
                    chars.next();
                }
                lit.push(n);
            }
            literals.insert(format!("'{lit}'"));
        } else if c.is_ascii_alphanumeric() || c == '_' {
            let mut word = c.to_string();
            while let Some(&n) = chars.peek().filter(|n| n.is_ascii_alphanumeric() || **n == '_') {
                word.push(n);
                chars.next();
            }
            if columns.iter().any(|col| col.eq_ignore_ascii_case(&word)) {
                names.insert(word.to_lowercase());
            } else if word.chars().all(|ch| ch.is_ascii_digit()) {
                literals.insert(word);
            }
        }
    }
    let join = |s: BTreeSet<String>| s.into_iter().collect::<Vec<_>>().join(", ");
    format!("[{}] with [{}]", join(names), join(literals))
}

/// Every fact of a schema as one line, prefixed by its table.
fn facts(schema: &Schema) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (name, t) in schema {
        let col_names: Vec<String> = t.columns.iter().map(|c| c.name.clone()).collect();
        out.insert(format!("{name}: table"));
        for c in &t.columns {
            let null = if c.not_null { "not null" } else { "null" };
            let default = match (&c.default, c.generated) {
                (_, true) => " default <generated>".to_string(),
                (Some(d), false) => format!(" default {}", normalize_default(d)),
                (None, false) => String::new(),
            };
            out.insert(format!("{name}: column {} {} {null}{default}", c.name, type_family(&c.sql_type)));
        }
        if !t.primary_key.is_empty() {
            out.insert(format!("{name}: primary key ({})", t.primary_key.join(", ")));
        }
        for u in &t.uniques {
            out.insert(format!("{name}: unique ({})", u.join(", ")));
        }
        for f in &t.foreign_keys {
            out.insert(format!(
                "{name}: foreign key ({}) references {}({}) on update {} on delete {}",
                f.columns.join(", "),
                f.ref_table,
                f.ref_columns.join(", "),
                f.on_update.to_lowercase(),
                f.on_delete.to_lowercase()
            ));
        }
        for c in &t.checks {
            out.insert(format!("{name}: check {}", check_signature(c, &col_names)));
        }
        for i in &t.indexes {
            let kind = if i.unique { "unique index" } else { "index" };
            let partial = if i.partial { " (partial)" } else { "" };
            out.insert(format!("{name}: {kind} {} ({}){partial}", i.name, i.columns.join(", ")));
        }
    }
    out
}

/// `Ok` when both describe the same schema, else a diff: `-` only in SQLite, `+` only in
/// PostgreSQL.
fn compare(sqlite: &Schema, postgres: &Schema) -> Result<(), String> {
    let (s, p) = (facts(sqlite), facts(postgres));
    let mut lines: Vec<(String, char)> = s.difference(&p).map(|f| (f.clone(), '-')).collect();
    lines.extend(p.difference(&s).map(|f| (f.clone(), '+')));
    if lines.is_empty() {
        return Ok(());
    }
    lines.sort();
    let body: Vec<String> = lines.into_iter().map(|(f, sign)| format!("  {sign} {f}")).collect();
    Err(format!(
        "the SQLite and PostgreSQL migrations disagree (- only in SQLite, + only in PostgreSQL):\n{}",
        body.join("\n")
    ))
}

mod read;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_and_postgres_migrations_build_the_same_schema() {
    let sqlite = spawn(Backend::Sqlite).await;
    let postgres = spawn(Backend::Postgres).await;
    let s = read::sqlite(&sqlite.services.db().pool).await;
    let p = read::postgres(&postgres.services.db().pool).await;
    // The readers see every kind of fact (an empty reading would agree with anything).
    let known = [
        "organizations: column seats_used integer not null default 0",
        "organizations: column id integer not null default <generated>",
        "agents: column metadata text not null default '{}'",
        "memberships: primary key (user_id, org_id)",
        "users: unique (email)",
        "memberships: foreign key (user_id) references users(id) on update no action on delete no action",
        "memberships: check [role] with ['admin', 'member', 'operator', 'owner']",
        "invites: index invites_email (email, id)",
    ];
    for (backend, schema) in [("SQLite", &s), ("PostgreSQL", &p)] {
        let f = facts(schema);
        for k in known {
            assert!(f.contains(k), "{backend} lacks {k:?}; it has:\n{}", f.into_iter().collect::<Vec<_>>().join("\n"));
        }
    }
    if let Err(diff) = compare(&s, &p) {
        panic!("{diff}");
    }
    // PostgreSQL names unique constraints `<table>_<columns>_key`; the error mapping may rely on it.
    for (table, name, cols) in read::postgres_unique_names(&postgres.services.db().pool).await {
        assert_eq!(name, format!("{table}_{}_key", cols.join("_")), "unique constraint on {table}({cols:?})");
    }
}

/// The comparison itself, on hand-made schemas: it must be able to fail.
mod comparison {
    use super::*;

    fn col(name: &str, sql_type: &str, not_null: bool, default: Option<&str>) -> Column {
        Column {
            name: name.into(),
            sql_type: sql_type.into(),
            not_null,
            default: default.map(Into::into),
            generated: false,
        }
    }

    /// `organizations` as SQLite describes it.
    fn sqlite_like() -> Schema {
        let table = Table {
            columns: vec![
                Column { generated: true, ..col("id", "INTEGER", true, None) },
                col("uuid", "TEXT", true, None),
                col("seats_used", "BIGINT", true, Some("0")),
                col("plan", "TEXT", true, Some("'free'")),
                col("role", "TEXT", true, None),
            ],
            primary_key: vec!["id".into()],
            uniques: vec![vec!["uuid".into()]],
            foreign_keys: vec![],
            checks: vec!["seats_used >= 0".into(), "role IN ('owner', 'member')".into()],
            indexes: vec![Index {
                name: "organizations_plan".into(),
                columns: vec!["plan".into()],
                unique: false,
                partial: false,
            }],
        };
        Schema::from([("organizations".to_string(), table)])
    }

    /// The same table in PostgreSQL's words.
    fn postgres_like() -> Schema {
        let mut s = sqlite_like();
        let t = s.get_mut("organizations").unwrap();
        t.columns[0] = Column { generated: true, ..col("id", "bigint", true, None) };
        t.columns[1].sql_type = "text".into();
        t.columns[2] = col("seats_used", "bigint", true, Some("0"));
        t.columns[3].default = Some("'free'::text".into());
        t.columns[4].sql_type = "character varying(20)".into();
        t.checks = vec![
            "CHECK ((seats_used >= 0))".into(),
            "CHECK ((role = ANY (ARRAY['owner'::text, 'member'::text])))".into(),
        ];
        s
    }

    #[test]
    fn the_same_schema_in_two_dialects_agrees() {
        assert_eq!(compare(&sqlite_like(), &postgres_like()), Ok(()));
    }

    #[test]
    fn drift_is_reported_line_by_line() {
        let mut p = postgres_like();
        let t = p.get_mut("organizations").unwrap();
        t.columns[2].not_null = false; // nullability
        t.columns[3].default = Some("'pro'::text".into()); // default
        t.uniques.clear(); // unique constraint
        t.indexes[0].unique = true; // index kind
        t.checks[1] = "CHECK ((role = ANY (ARRAY['owner'::text, 'admin'::text])))".into();
        t.foreign_keys.push(ForeignKey {
            columns: vec!["uuid".into()],
            ref_table: "users".into(),
            ref_columns: vec!["uuid".into()],
            on_update: "NO ACTION".into(),
            on_delete: "CASCADE".into(),
        });
        p.insert("extra".into(), Table { columns: vec![col("x", "integer", false, None)], ..Table::default() });
        let diff = compare(&sqlite_like(), &p).unwrap_err();
        let expected = [
            "  - organizations: column seats_used integer not null default 0",
            "  + organizations: column seats_used integer null default 0",
            "  - organizations: column plan text not null default 'free'",
            "  + organizations: column plan text not null default 'pro'",
            "  - organizations: unique (uuid)",
            "  - organizations: index organizations_plan (plan)",
            "  + organizations: unique index organizations_plan (plan)",
            "  - organizations: check [role] with ['member', 'owner']",
            "  + organizations: check [role] with ['admin', 'owner']",
            "  + organizations: foreign key (uuid) references users(uuid) on update no action on delete cascade",
            "  + extra: table",
            "  + extra: column x integer null",
        ];
        for line in expected {
            assert!(diff.lines().any(|l| l == line), "missing {line:?} in\n{diff}");
        }
        assert_eq!(diff.lines().count(), expected.len() + 1, "{diff}");
    }

    #[test]
    fn types_and_defaults_normalize_loosely() {
        for (a, b) in
            [("INTEGER", "bigint"), ("BIGINT", "int8"), ("TEXT", "character varying"), ("REAL", "double precision")]
        {
            assert_eq!(type_family(a), type_family(b), "{a} vs {b}");
        }
        assert_ne!(type_family("TEXT"), type_family("BIGINT"));
        assert_eq!(normalize_default("'{}'::text"), "'{}'");
        assert_eq!(normalize_default("('0'::bigint)"), "0");
        assert_eq!(normalize_default("'-1'::integer"), "-1");
        assert_eq!(normalize_default("CURRENT_TIMESTAMP"), "current_timestamp");
        assert_eq!(normalize_default("'a::b'"), "'a::b'");
        let checks = read::sqlite_checks(
            "CREATE TABLE t (\n -- no CHECK here\n a TEXT CHECK (a IN ('x)', 'y')),\n b INT CHECK(b > (1)))",
        );
        assert_eq!(checks, ["a IN ('x)', 'y')", "b > (1)"]);
    }
}
