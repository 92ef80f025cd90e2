//! The audit list's OData query options through real HTTP on both backends: `$filter`
//! (startswith, in, a createdAt range, LIKE wildcards matched literally) AND-ed with the
//! simple filters, `$orderby` on several keys, `$select`, `$count`, `$skip`, paging by the
//! signed cursor of `@odata.nextLink` while entries are appended, a cursor reused for
//! another query, positioned errors, and who may read.
use agentry_tests::{both, join, problem_code, user, TestApp};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

/// Renames the organization once per user agent (one `organization.updated` entry each,
/// with that `userAgent`).
async fn renames(app: &TestApp, org: i64, agents: &[&str]) {
    for (i, ua) in agents.iter().enumerate() {
        let res = app
            .client
            .patch(app.url(&format!("/api/v1/organizations/{org}")))
            .header("origin", &app.base)
            .header("user-agent", *ua)
            .json(&json!({"name": format!("Name {i} {ua}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
}

fn enc(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { char::from(b).to_string() } else { format!("%{b:02X}") }).collect()
}

async fn page(app: &TestApp, org: i64, query: &str) -> Value {
    let res = app.get(&format!("/api/v1/organizations/{org}/audit?{query}")).await;
    assert_eq!(res.status(), 200, "{query}: {}", res.text().await.unwrap());
    res.json().await.unwrap()
}

fn rows(p: &Value) -> &Vec<Value> {
    p["value"].as_array().unwrap()
}

fn ids(p: &Value) -> Vec<i64> {
    rows(p).iter().map(|e| e["id"].as_i64().unwrap()).collect()
}

fn time(e: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(e["createdAt"].as_str().unwrap()).unwrap().with_timezone(&Utc)
}

/// The ids of `all` that `keep` keeps, in their order.
fn matching(all: &[Value], keep: impl Fn(&Value) -> bool) -> Vec<i64> {
    all.iter().filter(|e| keep(e)).map(|e| e["id"].as_i64().unwrap()).collect()
}

both!(audit_filters_sorts_selects_and_counts, |app| {
    app.signup().await;
    let org = app.org_id().await;
    renames(&app, org, &["ua 100%", "ua 1000", "a_b", "axb", "plain", "plain"]).await;
    let other = user(&app).await;
    join(&app, org, &other, "member").await;
    let res = app
        .client
        .patch(app.url(&format!("/api/v1/organizations/{org}/members/{}", other.id)))
        .header("origin", &app.base)
        .json(&json!({"role": "operator"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let everything = page(&app, org, "$top=200").await;
    let all = rows(&everything).clone();
    assert!(all.len() >= 8, "{everything}");
    let f = |filter: &str| format!("$top=200&$filter={}", enc(filter));

    let member = page(&app, org, &f("startswith(action, 'member.')")).await;
    assert_eq!(ids(&member), matching(&all, |e| e["action"].as_str().unwrap().starts_with("member.")));
    assert_eq!(ids(&member).len(), 1);
    let listed = page(&app, org, &f("action in ('member.role_changed', 'user.signup')")).await;
    let expected = matching(&all, |e| ["member.role_changed", "user.signup"].contains(&e["action"].as_str().unwrap()));
    assert_eq!((ids(&listed), ids(&listed).len()), (expected, 2));
    let negated = page(&app, org, &f("not (action eq 'organization.updated') and actorUserId ne null")).await;
    assert_eq!(ids(&negated), matching(&all, |e| e["action"] != "organization.updated" && !e["actorUserId"].is_null()));

    // LIKE's wildcards are plain characters; the simple filters are AND-ed with $filter.
    let agents = |p: &Value| rows(p).iter().map(|e| e["userAgent"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    assert_eq!(agents(&page(&app, org, &f("contains(userAgent, '100%')")).await), ["ua 100%"]);
    assert_eq!(agents(&page(&app, org, &f("contains(userAgent, 'a_b')")).await), ["a_b"]);
    assert_eq!(agents(&page(&app, org, &f("endswith(tolower(userAgent), '%')")).await), ["ua 100%"]);
    let both_ways = format!("action=organization.updated&{}", f("contains(userAgent, 'plain')"));
    assert_eq!(rows(&page(&app, org, &both_ways).await).len(), 2);
    let contradiction = format!("action=member.role_changed&{}", f("contains(userAgent, 'plain')"));
    assert_eq!(page(&app, org, &contradiction).await["value"], json!([]));

    // A createdAt range with datetime literals, as the list writes them.
    let renamed: Vec<&Value> = all.iter().filter(|e| e["action"] == "organization.updated").collect();
    let (from, to) = (renamed[4]["createdAt"].as_str().unwrap(), renamed[1]["createdAt"].as_str().unwrap());
    let range = page(&app, org, &f(&format!("createdAt ge {from} and createdAt le {to}"))).await;
    let (lo, hi) = (time(renamed[4]), time(renamed[1]));
    assert_eq!(ids(&range), matching(&all, |e| time(e) >= lo && time(e) <= hi));
    assert!(ids(&range).len() >= 4, "{range}");
    let none = page(&app, org, &f("createdAt lt 2000-01-01 or createdAt gt 2999-01-01T00:00:00+02:00")).await;
    assert_eq!(none["value"], json!([]));

    // Several sort keys; ties break by id in the last key's direction.
    let sorted = page(
        &app,
        org,
        &format!(
            "{}&$orderby={}",
            f("action in ('organization.updated', 'member.role_changed')"),
            enc("action desc, createdAt asc")
        ),
    )
    .await;
    let mut expected: Vec<&Value> = all
        .iter()
        .filter(|e| ["organization.updated", "member.role_changed"].contains(&e["action"].as_str().unwrap()))
        .collect();
    expected.sort_by(|a, b| {
        let key = |e: &Value| (e["action"].as_str().unwrap().to_string(), time(e), e["id"].as_i64().unwrap());
        let (ka, kb) = (key(a), key(b));
        kb.0.cmp(&ka.0).then(ka.1.cmp(&kb.1)).then(ka.2.cmp(&kb.2))
    });
    assert_eq!(ids(&sorted), expected.iter().map(|e| e["id"].as_i64().unwrap()).collect::<Vec<_>>());
    assert_eq!(rows(&sorted).len(), 7);

    // $select keeps id and the named fields; $count counts every match; $skip skips.
    let selected = page(&app, org, "$select=action,createdAt,detail&$top=3").await;
    for row in rows(&selected) {
        let mut keys: Vec<&str> = row.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["action", "createdAt", "detail", "id"], "{row}");
    }
    let counted = page(&app, org, "action=organization.updated&$count=true&$top=2").await;
    assert_eq!((counted["@odata.count"].as_i64(), rows(&counted).len()), (Some(6), 2));
    assert!(counted["@odata.nextLink"].as_str().unwrap().contains("%24skiptoken="), "{counted}");
    assert!(page(&app, org, "$top=2").await.get("@odata.count").is_none());
    let all_ids: Vec<i64> = all.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert_eq!(ids(&page(&app, org, "$skip=2&$top=3").await), all_ids[2..5]);
    // Without an OData option the next link is the audit page's cursor, as before.
    let plain = page(&app, org, "$top=2").await;
    assert!(plain["@odata.nextLink"].as_str().unwrap().ends_with(&format!("cursor={}", all_ids[1])), "{plain}");
    // Blank options are absent ones; $top is capped at 200 as before.
    assert_eq!(ids(&page(&app, org, "$filter=&$orderby=%20&$top=1000").await), all_ids);
});

both!(audit_next_links_page_without_gaps_while_entries_are_appended, |app| {
    app.signup().await;
    let org = app.org_id().await;
    renames(&app, org, &["a", "b", "c", "d", "e", "f", "g"]).await;
    let query =
        format!("$filter={}&$orderby={}&$top=3", enc("action eq 'organization.updated'"), enc("createdAt desc"));
    let first = page(&app, org, &query).await;
    let expected = ids(&page(&app, org, &query.replace("$top=3", "$top=50")).await);
    assert_eq!(expected.len(), 7);

    let (mut seen, mut pages) = (ids(&first), 1);
    let mut next = first["@odata.nextLink"].as_str().map(String::from);
    let token = next.as_deref().unwrap().split("skiptoken=").nth(1).unwrap().to_string();
    while let Some(link) = next {
        // Entries appended between pages are newer than the cursor: never on a later page.
        renames(&app, org, &["between"]).await;
        let res = app.get(&link).await;
        assert_eq!(res.status(), 200);
        let p: Value = res.json().await.unwrap();
        seen.extend(ids(&p));
        pages += 1;
        next = p["@odata.nextLink"].as_str().map(String::from);
    }
    assert_eq!((pages, seen.clone()), (3, expected), "no duplicate, no gap");

    // Ascending, the appended entries come last, each once.
    let asc = format!("action=organization.updated&$orderby={}&$top=4", enc("createdAt asc"));
    let mut seen = Vec::new();
    let mut next = Some(format!("/api/v1/organizations/{org}/audit?{asc}"));
    let mut appended = false;
    while let Some(link) = next {
        let p: Value = app.get(&link).await.json().await.unwrap();
        seen.extend(ids(&p));
        if !appended {
            renames(&app, org, &["late"]).await;
            appended = true;
        }
        next = p["@odata.nextLink"].as_str().map(String::from);
    }
    let every = ids(&page(&app, org, &asc.replace("$top=4", "$top=50")).await);
    assert_eq!(seen, every);
    assert_eq!(every.len(), 10);

    // A cursor resumes its own query only.
    let q = |s: &str| format!("/api/v1/organizations/{org}/audit?{s}&$skiptoken={token}");
    let other_filter = format!("$filter={}&$orderby={}&$top=3", enc("action eq 'user.signup'"), enc("createdAt desc"));
    problem_code(app.get(&q(&other_filter)).await, 400, "cursor_mismatch").await;
    problem_code(app.get(&q(&format!("{query}&actor=1"))).await, 400, "cursor_mismatch").await;
    problem_code(app.get(&q(&format!("$orderby={}&$top=3", enc("createdAt asc")))).await, 400, "cursor_mismatch").await;
    let tampered = format!("/api/v1/organizations/{org}/audit?{query}&$skiptoken=A{token}");
    problem_code(app.get(&tampered).await, 400, "cursor_mismatch").await;
    assert_eq!(app.get(&q(&query)).await.status(), 200);
    // Another organization's reader cannot replay it on theirs.
    let outsider = user(&app).await;
    let (their_org,): (i64,) = sqlx::query_as("SELECT org_id FROM memberships WHERE user_id = $1")
        .bind(outsider.id)
        .fetch_one(&app.services.db().pool)
        .await
        .unwrap();
    let replay = format!("/api/v1/organizations/{their_org}/audit?{query}&$skiptoken={token}");
    problem_code(outsider.client.get(app.url(&replay)).send().await.unwrap(), 400, "cursor_mismatch").await;
});

both!(audit_query_errors_point_at_the_problem_and_readers_stay_the_same, |app| {
    app.signup().await;
    let org = app.org_id().await;
    let path = |s: &str| format!("/api/v1/organizations/{org}/audit?{s}");
    let p =
        problem_code(app.get(&path(&format!("$filter={}", enc("acton eq 'x'")))).await, 400, "invalid_query_option")
            .await;
    assert_eq!(
        (p["param"].as_str(), p["position"].as_i64(), p["didYouMean"].as_str()),
        (Some("$filter"), Some(0), Some("action"))
    );
    assert!(p["expected"].as_array().unwrap().iter().any(|e| e == "createdAt"), "{p}");
    let p = problem_code(
        app.get(&path(&format!("$filter={}", enc("action eq 'x' and actorUserID eq 1")))).await,
        400,
        "invalid_query_option",
    )
    .await;
    assert_eq!((p["position"].as_i64(), p["didYouMean"].as_str()), (Some(18), Some("actorUserId")));
    let p = problem_code(
        app.get(&path(&format!("$filter={}", enc("createdAt gt 'yesterday'")))).await,
        400,
        "invalid_query_option",
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("createdAt"), "{p}");
    for bad in ["$orderby=userAgent", "$orderby=action sideways", "$select=secret", "$skip=x", "$count=yes"] {
        let p = problem_code(app.get(&path(bad)).await, 400, "invalid_query_option").await;
        assert_eq!(p["param"].as_str(), bad.split('=').next(), "{bad}");
    }
    let p = problem_code(app.get(&path("$orderby=actorEmal")).await, 400, "invalid_query_option").await;
    assert_eq!(p["didYouMean"], "actorEmail");
    problem_code(app.get(&path("$skiptoken=nonsense")).await, 400, "cursor_mismatch").await;
    // The simple filters answer as before.
    problem_code(app.get(&path("$top=x")).await, 400, "invalid_query").await;
    problem_code(app.get(&path("since=yesterday&$count=true")).await, 400, "validation").await;

    // Members may not read (even with a bad query); other organizations are not found.
    let (member, outsider) = (user(&app).await, user(&app).await);
    join(&app, org, &member, "member").await;
    for query in ["$count=true&$filter=startswith(action,'user.')", "$filter=nope"] {
        let res = member.client.get(app.url(&path(query))).send().await.unwrap();
        problem_code(res, 403, "not_allowed").await;
        let res = outsider.client.get(app.url(&path(query))).send().await.unwrap();
        problem_code(res, 404, "organization_not_found").await;
    }
});
