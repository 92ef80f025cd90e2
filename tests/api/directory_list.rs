//! The directory's OData list and variations through real HTTP on both backends: filters,
//! sorts, `$select`, `$count`, paging by signed cursor under concurrent inserts, positioned
//! errors; draft validation at the node, deploy, history, restore, roll back, schedule.
use super::directory::create;
use agentry_tests::{both, problem_code, TestApp, Who};
use reqwest::Method;
use serde_json::{json, Value};

async fn page(app: &TestApp, query: &str) -> Value {
    let res = app.get(&format!("/api/agents?{query}")).await;
    assert_eq!(res.status(), 200, "{query}: {}", res.text().await.unwrap());
    res.json().await.unwrap()
}

fn enc(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { char::from(b).to_string() } else { format!("%{b:02X}") }).collect()
}

fn names(p: &Value) -> Vec<String> {
    p["value"].as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap().to_string()).collect()
}

// `startswith` on SQLite also bounds the column to a range (so an index serves it): every
// case of the prefix must still match, and nothing outside it, in both directions.
both!(startswith_matches_every_case_of_the_prefix, |app| {
    app.signup().await;
    let all = [
        "agent-1",
        "AGENT-10",
        "Agent-1 b",
        "aGeNt-19",
        "agent-2",
        "agent-",
        "Agent",
        "Zed",
        "ágent-1",
        "agent-1ÿ",
        "b",
    ];
    for name in all {
        create(&app, json!({"name": name})).await;
    }
    for prefix in ["agent-1", "AGENT-1", "Agent", "agent-", "ágent", "agent-1ÿ", "z", "%", "_"] {
        for order in ["name", "name desc", "id"] {
            let f = enc(&format!("startswith(name, '{prefix}')"));
            let got = names(&page(&app, &format!("$filter={f}&$orderby={}", enc(order))).await);
            let mut want: Vec<&str> =
                all.iter().copied().filter(|n| n.to_lowercase().starts_with(&prefix.to_lowercase())).collect();
            match order {
                "name" => want.sort_unstable(),
                "name desc" => want.sort_unstable_by(|a, b| b.cmp(a)),
                _ => {}
            }
            if order == "id" {
                let (mut g, mut w) = (got.clone(), want.clone());
                g.sort_unstable();
                w.sort_unstable();
                assert_eq!(g, w, "startswith(name, '{prefix}')");
            } else if app.database_url.starts_with("sqlite") {
                // PostgreSQL sorts by its collation; SQLite by bytes, as Rust does.
                assert_eq!(got, want, "startswith(name, '{prefix}') by {order}");
            }
        }
    }
});

both!(filters_sorts_selects_and_counts, |app| {
    app.signup().await;
    for (name, ty, email) in [
        ("Alpha", "task", Some("alpha@example.com")),
        ("beta", "workflow", None),
        ("Gamma 100%", "task", None),
        ("Delta_x", "workflow", Some("delta@example.com")),
        ("epsilon", "task", None),
    ] {
        create(&app, json!({"name": name, "type": ty, "email": email})).await;
    }
    let q = |s: &str| enc(s);
    assert_eq!(
        names(&page(&app, &format!("$filter={}&$orderby=name", q("type eq 'workflow'"))).await),
        ["Delta_x", "beta"]
    );
    assert_eq!(names(&page(&app, &format!("$filter={}", q("contains(name, '100%')"))).await), ["Gamma 100%"]);
    assert_eq!(names(&page(&app, &format!("$filter={}", q("contains(name, '_')"))).await), ["Delta_x"]);
    assert_eq!(
        names(
            &page(&app, &format!("$filter={}&$orderby=id", q("startswith(name, 'ALP') or endswith(name, 'LON')")))
                .await
        ),
        ["Alpha", "epsilon"]
    );
    assert_eq!(
        names(&page(&app, &format!("$filter={}&$orderby=id", q("email ne null and not (type in ('workflow'))"))).await),
        ["Alpha"]
    );
    assert_eq!(names(&page(&app, &format!("$filter={}", q("tolower(name) eq 'beta'"))).await), ["beta"]);
    assert_eq!(names(&page(&app, "email=DELTA@example.com").await), ["Delta_x"]);
    let desc = page(&app, "$orderby=type desc,name asc&$count=true&$top=2").await;
    assert_eq!(names(&desc), ["Delta_x", "beta"]);
    assert_eq!(desc["@odata.count"], 5);
    let sel = page(&app, "$select=name,status&$top=1").await;
    let row = sel["value"][0].as_object().unwrap();
    assert_eq!(row.keys().cloned().collect::<Vec<_>>().len(), 3, "{row:?}");
    assert!(row.contains_key("id") && row.contains_key("status"));
    let since = page(&app, &format!("$filter={}", q("createdAt ge 2020-01-01T00:00:00Z and enabled eq true"))).await;
    assert_eq!(since["value"].as_array().unwrap().len(), 5);
    // Injection attempts are plain values.
    assert_eq!(names(&page(&app, &format!("$filter={}", q("name eq 'x'' OR 1=1 --'"))).await), Vec::<String>::new());
    assert_eq!(app.count("agents").await, 5);
});

both!(errors_point_at_the_problem, |app| {
    app.signup().await;
    let q = |s: &str| enc(s);
    let p =
        problem_code(app.get(&format!("/api/agents?$filter={}", q("nmae eq 'x'"))).await, 400, "invalid_query_option")
            .await;
    assert_eq!(
        (p["param"].as_str(), p["position"].as_i64(), p["didYouMean"].as_str()),
        (Some("$filter"), Some(0), Some("name"))
    );
    let p = problem_code(app.get(&format!("/api/agents?$filter={}", q("name eq"))).await, 400, "invalid_query_option")
        .await;
    assert_eq!(p["position"], 7);
    assert!(!p["expected"].as_array().unwrap().is_empty());
    let p = problem_code(
        app.get(&format!("/api/agents?$filter={}", q("createdAt gt 'yesterday'"))).await,
        400,
        "invalid_query_option",
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("createdAt"), "{p}");
    let deep = format!("{}name eq 'a'{}", "(".repeat(200), ")".repeat(200));
    problem_code(app.get(&format!("/api/agents?$filter={}", q(&deep))).await, 400, "invalid_query_option").await;
    let list = (0..500).map(|i| format!("'{i}'")).collect::<Vec<_>>().join(",");
    problem_code(
        app.get(&format!("/api/agents?$filter={}", q(&format!("name in ({list})")))).await,
        400,
        "invalid_query_option",
    )
    .await;
    for bad in [
        "$top=1001",
        "$top=-1",
        "$top=abc",
        "$skip=x",
        "$count=yes",
        "$orderby=description",
        "$orderby=name sideways",
        "$select=secret",
    ] {
        let p = problem_code(app.get(&format!("/api/agents?{bad}")).await, 400, "invalid_query_option").await;
        assert_eq!(p["param"].as_str(), bad.split('=').next(), "{bad}");
    }
    problem_code(app.get("/api/agents?includeDeleted=maybe").await, 400, "validation").await;
    problem_code(app.get("/api/agents?email=not-an-email").await, 400, "validation").await;
});

both!(cursor_pages_are_stable_signed_and_bound, |app| {
    app.signup().await;
    for i in 0..7 {
        create(&app, json!({"name": format!("Agent {}", i % 3)})).await;
    }
    let mut seen = Vec::new();
    let mut next = Some("/api/agents?$orderby=name desc&$top=3".to_string());
    let mut inserted = false;
    while let Some(link) = next {
        let p: Value = app.get(&link).await.json().await.unwrap();
        seen.extend(p["value"].as_array().unwrap().iter().map(|a| a["id"].as_i64().unwrap()));
        if !inserted {
            // An insert between pages sorts before the cursor and never shifts the pages.
            create(&app, json!({"name": "Agent 9"})).await;
            inserted = true;
        }
        next = p["@odata.nextLink"].as_str().map(str::to_string);
    }
    let mut unique = seen.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!((seen.len(), unique.len()), (7, 7), "{seen:?}");

    let first: Value = app.get("/api/agents?$orderby=name&$top=2").await.json().await.unwrap();
    let link = first["@odata.nextLink"].as_str().unwrap();
    let token = link.split("skiptoken=").nth(1).unwrap();
    let other = format!("/api/agents?$orderby=createdAt&$top=2&$skiptoken={token}");
    problem_code(app.get(&other).await, 400, "cursor_mismatch").await;
    let tampered = format!("/api/agents?$orderby=name&$top=2&$skiptoken=A{token}");
    problem_code(app.get(&tampered).await, 400, "cursor_mismatch").await;
    assert_eq!(app.get(link).await.status(), 200);
});

async fn put_draft(app: &TestApp, id: i64, body: Value) -> reqwest::Response {
    app.req(Method::PUT, &format!("/api/v1/agents/{id}/draft"), &Who::Session).json(&body).send().await.unwrap()
}

both!(drafts_deploys_history_and_rollback, |app| {
    app.signup().await;
    let a = create(&app, json!({"name": "Flow", "type": "workflow"})).await;
    let id = a["id"].as_i64().unwrap();
    let cyclic = json!({"trigger": "manual", "workflowStructure": {
        "steps": [{"id": "a", "kind": "http"}, {"id": "b", "kind": "prompt"}, {"id": "c", "kind": "teleport"}],
        "edges": [{"from": "a", "to": "b"}, {"from": "b", "to": "a"}, {"from": "a", "to": "zz"}]}});
    let p = problem_code(put_draft(&app, id, cyclic).await, 422, "invalid_definition").await;
    let fields: Vec<&str> = p["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert!(fields.contains(&"/workflowStructure/steps/2/kind"), "{p}");
    assert!(fields.contains(&"/workflowStructure/edges/2/to"), "{p}");
    assert!(p["detail"].as_str().unwrap().contains("cycle"), "{p}");
    let bad_cron = json!({"trigger": {"cron": "61 * * * *", "timezone": "Mars/Olympus"}, "workflowStructure": {"steps": [{"id": "a", "kind": "http"}]}});
    let p = problem_code(put_draft(&app, id, bad_cron).await, 422, "invalid_definition").await;
    assert_eq!(p["errors"].as_array().unwrap().len(), 2, "{p}");

    let v1 = json!({"trigger": "manual", "workflowStructure": {"steps": [{"id": "fetch", "kind": "http"}, {"id": "sum", "kind": "prompt"}], "edges": [{"from": "fetch", "to": "sum"}]}});
    assert_eq!(put_draft(&app, id, v1).await.status(), 200);
    let d: Value = app
        .post(&format!("/api/v1/agents/{id}/deploy"), json!({"name": "First", "notes": "hello"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (d["status"].as_str(), d["hasUnpublishedChanges"].as_bool(), d["draftVariationId"].is_null()),
        (Some("active"), Some(false), true)
    );
    let first = d["activeVariationId"].as_str().unwrap().to_string();
    problem_code(app.post(&format!("/api/v1/agents/{id}/deploy"), json!({})).await, 409, "nothing_to_deploy").await;
    problem_code(app.post(&format!("/api/v1/agents/{id}/toggle"), json!({})).await, 409, "no_schedule").await;

    let v2 = json!({"trigger": {"cron": "0 9 * * 1-5", "timezone": "Europe/Berlin"}, "workflowStructure": {"steps": [{"id": "only", "kind": "code"}]}});
    assert_eq!(put_draft(&app, id, v2).await.status(), 200);
    let a: Value = app.get(&format!("/api/agents/{id}")).await.json().await.unwrap();
    assert_eq!(a["hasUnpublishedChanges"], true);
    // The list derives it in full rows and when `$select` names it.
    for q in ["", "&$select=name,hasUnpublishedChanges"] {
        let list: Value = app.get(&format!("/api/agents?$filter=id eq {id}{q}")).await.json().await.unwrap();
        assert_eq!(list["value"][0]["hasUnpublishedChanges"], true, "{q}: {list}");
    }
    let d: Value = app.post(&format!("/api/agents/{id}/deploy"), json!({})).await.json().await.unwrap();
    let second = d["activeVariationId"].as_str().unwrap().to_string();
    let t: Value = app.post(&format!("/api/agents/{id}/toggle"), json!({})).await.json().await.unwrap();
    assert_eq!(t["scheduleEnabled"], true);
    let t: Value = app.post(&format!("/api/agents/{id}/toggle"), json!({"enabled": true})).await.json().await.unwrap();
    assert_eq!(t["scheduleEnabled"], true);

    let h: Value = app.get(&format!("/api/agents/{id}/variations")).await.json().await.unwrap();
    let h = h["value"].as_array().unwrap();
    assert_eq!(
        (h.len(), h[0]["number"].as_i64(), h[0]["name"].as_str(), h[0]["active"].as_bool()),
        (2, Some(2), Some("Version 2"), Some(true))
    );
    assert_eq!((h[1]["name"].as_str(), h[1]["notes"].as_str()), (Some("First"), Some("hello")));
    assert!(h[1]["deployedBy"].is_i64() && h[1]["deployedAt"].is_string());

    // Roll back: the active version changes, the schedule stops (no cron), no draft appears.
    let r: Value =
        app.post(&format!("/api/agents/{id}/variations/{first}/activate"), json!({})).await.json().await.unwrap();
    assert_eq!((r["activeVariationId"].as_str(), r["scheduleEnabled"].as_bool()), (Some(first.as_str()), Some(false)));
    assert!(r["draftVariationId"].is_null());
    assert_eq!(r["variation"]["workflowStructure"]["steps"][0]["id"], "fetch");
    // Restore the second into the draft: a change to deploy; the active one stays.
    let r: Value =
        app.post(&format!("/api/agents/{id}/variations/{second}/restore"), json!({})).await.json().await.unwrap();
    assert_eq!(
        (r["activeVariationId"].as_str(), r["hasUnpublishedChanges"].as_bool()),
        (Some(first.as_str()), Some(true))
    );
    let draft: Value = app.get(&format!("/api/agents/{id}/draft")).await.json().await.unwrap();
    assert_eq!((draft["restoredFrom"].as_str(), draft["active"].as_bool()), (Some(second.as_str()), Some(false)));
    problem_code(
        app.post(&format!("/api/agents/{id}/variations/nope/activate"), json!({})).await,
        404,
        "variation_not_found",
    )
    .await;

    // A task is a single step.
    let task = create(&app, json!({"name": "Task"})).await;
    let two = json!({"workflowStructure": {"steps": [{"id": "a", "kind": "http"}, {"id": "b", "kind": "http"}]}});
    problem_code(put_draft(&app, task["id"].as_i64().unwrap(), two).await, 422, "invalid_definition").await;
});
