//! The database side of the directory benchmark: seeding agents in bulk, dropping and
//! recreating the indexes of migration 0008 (the "before" and "after" of one run), and the
//! query plans of the list, the cursor page and the get.

use agentry_services::catalog::AGENT_FIELDS;
use agentry_services::definition::Definition;
use agentry_services::model::AgentType;
use agentry_services::odata::{self, Budget, Dialect, SqlValue};
use sqlx::{AnyPool, Row};
use std::time::Instant;

/// Copy of `RECORD_COLS` and `RECORD_FROM` in `services/src/agents/record.rs` (crate
/// private there), for the plans; `$1` is now. Checked against the statements the server
/// logs with `RUST_LOG=sqlx::query=debug` (bench/directory/README.md).
const RECORD: &str = "SELECT a.id, a.slug, a.name, a.description, a.email, a.status, a.type, a.source, \
     a.enabled, a.registration, a.owner_id, a.schedule_enabled, a.access_config, a.active_variation_id, \
     a.draft_variation_id, a.created_at, a.updated_at, a.deleted_at, a.revision, o.uuid AS org_uuid, \
     CAST(CASE WHEN a.draft_variation_id IS NULL THEN 0 WHEN a.active_variation_id IS NULL THEN 1 \
       WHEN (SELECT d.definition FROM agent_variations d WHERE d.id = a.draft_variation_id) \
          = (SELECT v.definition FROM agent_variations v WHERE v.id = a.active_variation_id) THEN 0 \
       ELSE 1 END AS BIGINT) AS unpublished, \
     t.id AS t_id, t.from_user_id AS t_from, t.to_user_id AS t_to, t.requested_by AS t_by, \
     t.message AS t_message, t.created_at AS t_created, t.expires_at AS t_expires \
     FROM agents a JOIN organizations o ON o.id = a.org_id \
     LEFT JOIN agent_transfers t ON t.agent_id = a.id AND t.status = 'pending' AND t.expires_at > $1";

const SQLITE_0008: &str = include_str!("../../services/migrations/sqlite/0008_directory_indexes.sql");
const POSTGRES_0008: &str = include_str!("../../services/migrations/postgres/0008_directory_indexes.sql");

fn quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// `n` agents in organization `org`, owned by `user`, named `agent-1` … `agent-n` (so
/// `startswith(name,'agent-1')` matches 11,112 of 100,000): every 50th soft-deleted,
/// the others alternately active (deployed version 1, and a draft that differs from it
/// for every 7th) and draft; every third has an email; every 100th live agent has a
/// pending ownership transfer and as many have a declined one. Every agent has its draft
/// variation, as `POST /api/v1/agents` makes it. Set-based SQL, the same text on both
/// backends.
pub async fn seed(db: &AnyPool, org: i64, user: i64, n: i64, now: i64) {
    let t0 = now - n * 1000;
    let same = quoted(&Definition::empty(AgentType::Task).to_json().to_string());
    let mut other = Definition::empty(AgentType::Task);
    other.agent_selection.insert("bench".into(), true.into());
    let other = quoted(&other.to_json().to_string());
    let statements = [
        format!(
            "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n})
             INSERT INTO agents (uuid, org_id, owner_id, name, description, registration, holds_seat, metadata,
                                 created_at, updated_at, slug, email, status, type, deleted_at)
             SELECT 'bench-' || i, {org}, {user}, 'agent-' || i, 'Seeded agent ' || i, NULL, 0, '{{}}',
                    {t0} + i * 1000, {t0} + i * 1000, 'agent-' || i,
                    CASE WHEN i % 3 = 0 THEN 'agent-' || i || '@example.com' END,
                    CASE WHEN i % 50 = 0 THEN 'deleted' WHEN i % 2 = 0 THEN 'active' ELSE 'draft' END, 'task',
                    CASE WHEN i % 50 = 0 THEN {t0} + i * 1000 END
             FROM s"
        ),
        format!(
            "INSERT INTO agent_variations (id, agent_id, number, definition, created_by, created_at, updated_at)
             SELECT 'draft-' || a.id, a.id, NULL, CASE WHEN a.id % 7 = 0 THEN {other} ELSE {same} END, {user},
                    a.created_at, a.created_at
             FROM agents a WHERE a.org_id = {org} AND a.uuid LIKE 'bench-%'"
        ),
        format!(
            "INSERT INTO agent_variations (id, agent_id, number, definition, created_by, deployed_by, deployed_at,
                                           created_at, updated_at)
             SELECT 'v1-' || a.id, a.id, 1, {same}, {user}, {user}, a.created_at, a.created_at, a.created_at
             FROM agents a WHERE a.org_id = {org} AND a.uuid LIKE 'bench-%' AND a.status = 'active'"
        ),
        format!(
            "UPDATE agents SET draft_variation_id = 'draft-' || id,
                    active_variation_id = CASE WHEN status = 'active' THEN 'v1-' || id END
             WHERE org_id = {org} AND uuid LIKE 'bench-%'"
        ),
        format!(
            "INSERT INTO agent_transfers (id, agent_id, org_id, from_user_id, to_user_id, requested_by, status,
                                          created_at, expires_at, resolved_at)
             SELECT 'transfer-' || a.id, a.id, a.org_id, {user}, {user}, {user},
                    CASE WHEN a.id % 100 = 7 THEN 'pending' ELSE 'declined' END, {now}, {now} + 604800000,
                    CASE WHEN a.id % 100 = 7 THEN NULL ELSE {now} END
             FROM agents a WHERE a.org_id = {org} AND a.uuid LIKE 'bench-%' AND a.deleted_at IS NULL
               AND a.id % 100 IN (3, 7)"
        ),
    ];
    for s in statements {
        sqlx::query(&s).execute(db).await.unwrap();
    }
}

/// PostgreSQL: what autovacuum would do a minute after the bulk insert (SQLite: nothing;
/// the server never runs `ANALYZE`, so its planner has no statistics, as in production).
pub async fn settle(db: &AnyPool, postgres: bool) {
    if postgres {
        for t in ["agents", "agent_variations", "agent_transfers"] {
            sqlx::query(&format!("VACUUM ANALYZE {t}")).execute(db).await.unwrap();
        }
    }
}

/// The statements of migration 0008 and the index each creates.
fn migration_0008(postgres: bool) -> Vec<(String, String)> {
    let text = if postgres { POSTGRES_0008 } else { SQLITE_0008 };
    let code: String = text.lines().filter(|l| !l.trim_start().starts_with("--")).collect::<Vec<_>>().join("\n");
    code.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            let words: Vec<&str> = s.split_whitespace().collect();
            let at = words.iter().position(|w| w.eq_ignore_ascii_case("INDEX")).unwrap();
            (words[at + 1].to_string(), s.to_string())
        })
        .collect()
}

/// The indexes of migration 0008: dropped (`present == false`, the schema before it) or
/// created again exactly as the migration does. Returns their names.
pub async fn set_new_indexes(db: &AnyPool, postgres: bool, present: bool) -> Vec<String> {
    let mut names = Vec::new();
    for (name, create) in migration_0008(postgres) {
        sqlx::query(&format!("DROP INDEX IF EXISTS {name}")).execute(db).await.unwrap();
        if present {
            sqlx::query(&create).execute(db).await.unwrap();
        }
        names.push(name);
    }
    names
}

/// A query of the read path with its parameters.
pub struct Query {
    pub label: &'static str,
    pub sql: String,
    pub binds: Vec<SqlValue>,
}

/// A list request's options.
pub struct Page<'a> {
    pub filter: &'a str,
    pub orderby: &'a str,
    pub top: i64,
}

/// The list's first page, its next page after `last` (the sort value and id a cursor
/// carries), and the get of `id`, built with the same OData functions
/// `services/src/agents/list.rs` calls.
pub fn read_queries(postgres: bool, page: &Page<'_>, org: i64, now: i64, last: (&str, i64), id: i64) -> Vec<Query> {
    let d = if postgres { Dialect::Postgres } else { Dialect::Sqlite };
    let (filter, orderby, top) = (page.filter, page.orderby, page.top);
    let f = odata::parse_filter(filter, &AGENT_FIELDS, &Budget::default()).unwrap();
    let order = odata::parse_orderby(orderby, &AGENT_FIELDS).unwrap();
    let frag = odata::filter_sql(&f, d, 3);
    let order_sql = odata::order_sql(&order, &AGENT_FIELDS);
    let mut binds = vec![SqlValue::Int(now), SqlValue::Int(org)];
    binds.extend(frag.binds.clone());
    let base = format!("{RECORD} WHERE a.org_id = $2 AND a.deleted_at IS NULL AND ({})", frag.sql);
    let first = Query {
        label: "filtered page",
        sql: format!("{base} {order_sql} LIMIT {} OFFSET 0", top + 1),
        binds: binds.clone(),
    };
    let after = odata::after_sql(&order, &AGENT_FIELDS, &[SqlValue::Text(last.0.into())], last.1, d, binds.len() + 1);
    let mut cursor_binds = binds;
    cursor_binds.extend(after.binds);
    let cursor = Query {
        label: "cursor page",
        sql: format!("{base} AND ({}) {order_sql} LIMIT {} OFFSET 0", after.sql, top + 1),
        binds: cursor_binds,
    };
    let get = Query {
        label: "get by id",
        sql: format!("{RECORD} WHERE a.id = $2 AND a.org_id = $3"),
        binds: vec![SqlValue::Int(now), SqlValue::Int(id), SqlValue::Int(org)],
    };
    vec![first, cursor, get]
}

fn literal(v: &SqlValue) -> String {
    match v {
        SqlValue::Text(s) => quoted(s),
        SqlValue::Int(i) => i.to_string(),
        SqlValue::Float(f) => f.to_string(),
        SqlValue::Null => "NULL".into(),
    }
}

fn bound<'q>(q: &'q Query) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    let mut s = sqlx::query(&q.sql);
    for b in &q.binds {
        s = match b {
            SqlValue::Text(t) => s.bind(t.as_str()),
            SqlValue::Int(i) => s.bind(*i),
            SqlValue::Float(f) => s.bind(*f),
            SqlValue::Null => s.bind(Option::<i64>::None),
        };
    }
    s
}

/// Prints each query's plan and its median time alone (50 runs, ms). SQLite:
/// `EXPLAIN QUERY PLAN` of the statement with its parameters bound. PostgreSQL: the
/// statement is prepared and executed six times (after five, PostgreSQL may switch a
/// prepared statement to a generic plan, as it does for the server's cached statements),
/// then `EXPLAIN (ANALYZE, BUFFERS) EXECUTE`.
pub async fn print_plans(db: &AnyPool, postgres: bool, queries: &[Query]) {
    for q in queries {
        let mut times = Vec::new();
        for _ in 0..50 {
            let t = Instant::now();
            bound(q).fetch_all(db).await.unwrap();
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        println!("-- {}: {:.2} ms alone (median of 50, through sqlx)", q.label, times[25]);
        if postgres {
            let mut conn = db.acquire().await.unwrap();
            let args = q.binds.iter().map(literal).collect::<Vec<_>>().join(", ");
            sqlx::raw_sql(&format!("PREPARE bench_plan AS {}", q.sql)).execute(&mut *conn).await.unwrap();
            for _ in 0..6 {
                sqlx::raw_sql(&format!("EXECUTE bench_plan({args})")).execute(&mut *conn).await.unwrap();
            }
            let rows = sqlx::raw_sql(&format!("EXPLAIN (ANALYZE, BUFFERS) EXECUTE bench_plan({args})"))
                .fetch_all(&mut *conn)
                .await
                .unwrap();
            for r in rows {
                println!("   {}", r.try_get::<String, _>(0).unwrap());
            }
            sqlx::raw_sql("DEALLOCATE bench_plan").execute(&mut *conn).await.unwrap();
        } else {
            let eqp = Query { label: q.label, sql: format!("EXPLAIN QUERY PLAN {}", q.sql), binds: q.binds.clone() };
            let rows = bound(&eqp).fetch_all(db).await.unwrap();
            let mut depth = std::collections::HashMap::new();
            for r in rows {
                let (id, parent): (i64, i64) = (r.try_get(0).unwrap(), r.try_get(1).unwrap());
                let d = depth.get(&parent).map_or(0, |d| d + 1);
                depth.insert(id, d);
                println!("   {}{}", "  ".repeat(d), r.try_get::<String, _>(3).unwrap());
            }
        }
    }
}
