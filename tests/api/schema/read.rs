//! Reading a schema back from SQLite's pragmas and PostgreSQL's catalogs.

use super::{Column, ForeignKey, Index, Schema, Table};
use sqlx::{AnyPool, Row};

fn text(row: &sqlx::any::AnyRow, col: &str) -> String {
    row.try_get::<Option<String>, _>(col).unwrap().unwrap_or_default()
}

fn list(s: &str) -> Vec<String> {
    s.split(',').filter(|c| !c.is_empty()).map(str::to_string).collect()
}

/// Tables (not SQLite's own nor sqlx's bookkeeping) from pragma_table_info,
/// pragma_index_list / pragma_index_info, pragma_foreign_key_list, and the CHECKs of the
/// stored `CREATE TABLE`.
pub(super) async fn sqlite(pool: &AnyPool) -> Schema {
    let mut schema = Schema::new();
    let tables = sqlx::query(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table'
         AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_sqlx%' ESCAPE '\\'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    for t in tables {
        let name = text(&t, "name");
        let mut table = Table { checks: sqlite_checks(&text(&t, "sql")), ..Table::default() };
        let cols =
            sqlx::query("SELECT name, type, \"notnull\" AS nn, dflt_value, pk FROM pragma_table_info($1) ORDER BY cid")
                .bind(&name)
                .fetch_all(pool)
                .await
                .unwrap();
        let mut pk: Vec<(i64, String)> = Vec::new();
        for c in &cols {
            let p: i64 = c.try_get("pk").unwrap();
            if p > 0 {
                pk.push((p, text(c, "name")));
            }
        }
        pk.sort();
        table.primary_key = pk.into_iter().map(|(_, n)| n).collect();
        for c in &cols {
            let col = text(c, "name");
            let sql_type = text(c, "type");
            let in_pk = table.primary_key.contains(&col);
            table.columns.push(Column {
                // SQLite lets a non-INTEGER primary key hold NULL (a legacy quirk) and
                // reports INTEGER PRIMARY KEY as nullable; neither is a migration's doing.
                not_null: c.try_get::<i64, _>("nn").unwrap() != 0 || in_pk,
                // A lone INTEGER PRIMARY KEY is the rowid: generated.
                generated: in_pk && table.primary_key.len() == 1 && sql_type.eq_ignore_ascii_case("integer"),
                default: c.try_get::<Option<String>, _>("dflt_value").unwrap(),
                name: col,
                sql_type,
            });
        }
        let indexes = sqlx::query("SELECT name, \"unique\" AS u, origin, partial FROM pragma_index_list($1)")
            .bind(&name)
            .fetch_all(pool)
            .await
            .unwrap();
        for i in indexes {
            let index = text(&i, "name");
            let columns: Vec<String> = sqlx::query("SELECT name FROM pragma_index_info($1) ORDER BY seqno")
                .bind(&index)
                .fetch_all(pool)
                .await
                .unwrap()
                .iter()
                .map(|r| text(r, "name"))
                .collect();
            match text(&i, "origin").as_str() {
                "u" => table.uniques.push(columns),
                "c" => table.indexes.push(Index {
                    name: index,
                    columns,
                    unique: i.try_get::<i64, _>("u").unwrap() != 0,
                    partial: i.try_get::<i64, _>("partial").unwrap() != 0,
                }),
                _ => {} // "pk": the primary key, read above.
            }
        }
        let fks = sqlx::query(
            "SELECT id, \"table\" AS ref_table, \"from\" AS col, \"to\" AS ref_col, on_update, on_delete
             FROM pragma_foreign_key_list($1) ORDER BY id, seq",
        )
        .bind(&name)
        .fetch_all(pool)
        .await
        .unwrap();
        let mut by_id: std::collections::BTreeMap<i64, ForeignKey> = Default::default();
        for f in fks {
            let fk = by_id.entry(f.try_get("id").unwrap()).or_insert_with(|| ForeignKey {
                columns: Vec::new(),
                ref_table: text(&f, "ref_table"),
                ref_columns: Vec::new(),
                on_update: text(&f, "on_update"),
                on_delete: text(&f, "on_delete"),
            });
            fk.columns.push(text(&f, "col"));
            fk.ref_columns.push(text(&f, "ref_col"));
        }
        table.foreign_keys = by_id.into_values().collect();
        schema.insert(name, table);
    }
    schema
}

/// The expressions of `CHECK (...)` in a `CREATE TABLE` (comments dropped first).
pub(super) fn sqlite_checks(sql: &str) -> Vec<String> {
    let sql: String = sql.lines().map(|l| l.split("--").next().unwrap_or("")).collect::<Vec<_>>().join("\n");
    let upper = sql.to_uppercase();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = upper[from..].find("CHECK").map(|i| i + from) {
        from = at + "CHECK".len();
        let before_ok = at == 0 || !upper[..at].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_');
        let rest = sql[from..].trim_start();
        if !before_ok || !rest.starts_with('(') {
            continue;
        }
        let (mut depth, mut quoted) = (0usize, false);
        for (i, c) in rest.char_indices() {
            match c {
                '\'' => quoted = !quoted,
                '(' if !quoted => depth += 1,
                ')' if !quoted => {
                    depth -= 1;
                    if depth == 0 {
                        out.push(rest[1..i].trim().to_string());
                        break;
                    }
                }
                _ => {}
            }
        }
    }
    out
}

/// Tables in `public` (not sqlx's bookkeeping) from information_schema and pg_catalog.
pub(super) async fn postgres(pool: &AnyPool) -> Schema {
    let mut schema = Schema::new();
    let tables = sqlx::query(
        "SELECT table_name::text AS name FROM information_schema.tables
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name NOT LIKE '\\_sqlx%'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    for t in tables {
        let name = text(&t, "name");
        let mut table = Table::default();
        let cols = sqlx::query(
            "SELECT column_name::text AS name, data_type::text AS type, is_nullable::text AS nullable,
                    column_default::text AS dflt, is_identity::text AS ident
             FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1
             ORDER BY ordinal_position",
        )
        .bind(&name)
        .fetch_all(pool)
        .await
        .unwrap();
        for c in cols {
            let default: Option<String> = c.try_get("dflt").unwrap();
            table.columns.push(Column {
                name: text(&c, "name"),
                sql_type: text(&c, "type"),
                not_null: text(&c, "nullable") == "NO",
                generated: text(&c, "ident") == "YES" || default.as_deref().is_some_and(|d| d.starts_with("nextval(")),
                default,
            });
        }
        let constraints = sqlx::query(&format!(
            "SELECT c.contype::text AS kind, pg_get_constraintdef(c.oid)::text AS def,
                    {} AS cols, {} AS ref_cols, r.relname::text AS ref_table,
                    c.confupdtype::text AS upd, c.confdeltype::text AS del
             FROM pg_constraint c
             JOIN pg_class t ON t.oid = c.conrelid
             JOIN pg_namespace n ON n.oid = t.relnamespace
             LEFT JOIN pg_class r ON r.oid = c.confrelid
             WHERE n.nspname = 'public' AND t.relname = $1",
            attnames("c.conkey", "c.conrelid"),
            attnames("c.confkey", "c.confrelid"),
        ))
        .bind(&name)
        .fetch_all(pool)
        .await
        .unwrap();
        for c in constraints {
            let cols = list(&text(&c, "cols"));
            match text(&c, "kind").as_str() {
                "p" => table.primary_key = cols,
                "u" => table.uniques.push(cols),
                "c" => table.checks.push(text(&c, "def")),
                "f" => table.foreign_keys.push(ForeignKey {
                    columns: cols,
                    ref_table: text(&c, "ref_table"),
                    ref_columns: list(&text(&c, "ref_cols")),
                    on_update: fk_action(&text(&c, "upd")),
                    on_delete: fk_action(&text(&c, "del")),
                }),
                other => panic!("constraint kind {other} on {name} is not compared yet"),
            }
        }
        // Indexes that back no constraint (those are the primary key and uniques above).
        let indexes = sqlx::query(
            "SELECT i.relname::text AS name, ix.indisunique::int::int8 AS u, (ix.indpred IS NOT NULL)::int::int8 AS partial,
                    (SELECT string_agg(pg_get_indexdef(ix.indexrelid, k, true), ',' ORDER BY k)
                     FROM generate_series(1, ix.indnkeyatts::int) k)::text AS cols
             FROM pg_index ix
             JOIN pg_class i ON i.oid = ix.indexrelid
             JOIN pg_class t ON t.oid = ix.indrelid
             JOIN pg_namespace n ON n.oid = t.relnamespace
             WHERE n.nspname = 'public' AND t.relname = $1
               AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = ix.indexrelid)",
        )
        .bind(&name)
        .fetch_all(pool)
        .await
        .unwrap();
        for i in indexes {
            table.indexes.push(Index {
                name: text(&i, "name"),
                columns: list(&text(&i, "cols")),
                unique: i.try_get::<i64, _>("u").unwrap() != 0,
                partial: i.try_get::<i64, _>("partial").unwrap() != 0,
            });
        }
        schema.insert(name, table);
    }
    schema
}

/// A comma-joined list of the attribute names in `keys` (an int2[] of `rel`), in order.
fn attnames(keys: &str, rel: &str) -> String {
    format!(
        "(SELECT string_agg(a.attname::text, ',' ORDER BY k.ord)
          FROM unnest({keys}) WITH ORDINALITY AS k(attnum, ord)
          JOIN pg_attribute a ON a.attrelid = {rel} AND a.attnum = k.attnum)::text"
    )
}

/// PostgreSQL's one-letter referential actions in SQLite's words.
fn fk_action(code: &str) -> String {
    match code {
        "a" => "NO ACTION",
        "r" => "RESTRICT",
        "c" => "CASCADE",
        "n" => "SET NULL",
        "d" => "SET DEFAULT",
        other => other,
    }
    .to_string()
}

/// (table, constraint name, columns) of every unique constraint in `public`.
pub(super) async fn postgres_unique_names(pool: &AnyPool) -> Vec<(String, String, Vec<String>)> {
    sqlx::query(&format!(
        "SELECT t.relname::text AS tbl, c.conname::text AS name, {} AS cols
         FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
         WHERE n.nspname = 'public' AND c.contype = 'u' ORDER BY 1, 2",
        attnames("c.conkey", "c.conrelid"),
    ))
    .fetch_all(pool)
    .await
    .unwrap()
    .iter()
    .map(|r| (text(r, "tbl"), text(r, "name"), list(&text(r, "cols"))))
    .collect()
}
