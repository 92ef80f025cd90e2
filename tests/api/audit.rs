//! The audit log: filters and keyset paging, who may read it, the hash chain (verify, a
//! tampered row, a removed row), the JSON Lines export, and one chain written and sealed
//! by two instances at once.
use agentry_tests::{both, join, problem, problem_code, raced, user, TestApp};
use reqwest::Method;
use serde_json::{json, Value};

/// Renames the organization `n` times with the app's session (one audit row each).
async fn renames(app: &TestApp, org: i64, n: usize) {
    for i in 0..n {
        let res = app
            .client
            .patch(app.url(&format!("/api/v1/organizations/{org}")))
            .header("origin", &app.base)
            .header("user-agent", "audit-test/1.0")
            .json(&json!({"name": format!("Name {i}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
}

async fn get(app: &TestApp, path: &str) -> Value {
    let res = app.get(path).await;
    assert_eq!(res.status(), 200, "{path}: {}", res.text().await.unwrap());
    res.json().await.unwrap()
}

both!(the_log_is_filtered_and_paged_newest_first, |app| {
    app.signup().await;
    let org = app.org_id().await;
    renames(&app, org, 5).await;
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

    let all = get(&app, &format!("/api/v1/organizations/{org}/audit")).await;
    let entries = all["value"].as_array().unwrap();
    let ids: Vec<i64> = entries.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");
    assert_eq!(entries[0]["action"], "member.role_changed");
    assert_eq!(entries[0]["targetType"], "user");
    assert_eq!(entries[0]["detail"], json!({"from": "member", "to": "operator"}));
    assert!(entries[0]["hash"].as_str().is_some_and(|h| h.len() == 64), "reading seals: {}", entries[0]);
    let renamed = &entries[1];
    assert_eq!(renamed["action"], "organization.updated");
    assert_eq!(renamed["userAgent"], "audit-test/1.0");
    assert_eq!(renamed["ip"], "127.0.0.1");
    assert!(renamed["actorEmail"].as_str().unwrap().contains('@'));

    let q = |query: &str| format!("/api/v1/organizations/{org}/audit?{query}");
    let updated = get(&app, &q("action=organization.updated")).await;
    assert_eq!(updated["value"].as_array().unwrap().len(), 5);
    let actor = renamed["actorUserId"].as_i64().unwrap();
    let by_actor = get(&app, &q(&format!("actor={actor}&action=member.role_changed"))).await;
    assert_eq!(by_actor["value"].as_array().unwrap().len(), 1);
    let by_target = get(&app, &q(&format!("targetType=user&targetId={}", other.id))).await;
    assert_eq!(by_target["value"].as_array().unwrap().len(), 1);
    let future = get(&app, &q("since=2999-01-01T00:00:00Z")).await;
    assert_eq!(future["value"], json!([]));
    let past = get(&app, &q("until=2000-01-01T00:00:00%2B02:00")).await;
    assert_eq!(past["value"], json!([]));

    // Keyset paging walks every entry once, keeping the filter.
    let mut seen = Vec::new();
    let mut next = Some(q("action=organization.updated&$top=2"));
    while let Some(path) = next {
        let page = get(&app, &path).await;
        seen.extend(page["value"].as_array().unwrap().iter().map(|e| e["id"].as_i64().unwrap()));
        next = page["@odata.nextLink"].as_str().map(String::from);
        if let Some(n) = &next {
            assert!(n.contains("action=organization.updated"), "{n}");
        }
    }
    let expected: Vec<i64> = updated["value"].as_array().unwrap().iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert_eq!(seen, expected);
});

both!(only_owners_admins_and_operators_read_the_log, |app| {
    app.signup().await;
    let org = app.org_id().await;
    let (admin, operator, member, outsider) = (user(&app).await, user(&app).await, user(&app).await, user(&app).await);
    join(&app, org, &admin, "admin").await;
    join(&app, org, &operator, "operator").await;
    join(&app, org, &member, "member").await;
    for suffix in ["", "/verify", "/export"] {
        let path = format!("/api/v1/organizations/{org}/audit{suffix}");
        for u in [&admin, &operator] {
            assert_eq!(u.client.get(app.url(&path)).send().await.unwrap().status(), 200, "{path}");
        }
        problem_code(member.client.get(app.url(&path)).send().await.unwrap(), 403, "not_allowed").await;
        let res = outsider.client.get(app.url(&path)).send().await.unwrap();
        problem_code(res, 404, "organization_not_found").await;
        problem(agentry_tests::client().get(app.url(&path)).send().await.unwrap(), 401).await;
    }
    let q = |query: &str| format!("/api/v1/organizations/{org}/audit?{query}");
    problem_code(app.get(&q("since=yesterday")).await, 400, "validation").await;
    problem_code(app.get(&q("actor=abc")).await, 400, "invalid_query").await;
    problem_code(app.get(&q(&format!("action={}", "a".repeat(201)))).await, 400, "validation").await;
    problem_code(app.get(&q("$top=x")).await, 400, "invalid_query").await;
});

both!(verify_names_a_tampered_row_and_the_row_after_a_removed_one, |app| {
    app.signup().await;
    let org = app.org_id().await;
    renames(&app, org, 6).await;
    let v = get(&app, &format!("/api/v1/organizations/{org}/audit/verify")).await;
    assert_eq!(v["ok"], true, "{v}");
    let checked = v["checked"].as_i64().unwrap();
    assert!(checked >= 6, "{v}");
    assert_eq!(v["firstBadId"], Value::Null);
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT id FROM audit_log WHERE org_id = $1 AND action = 'organization.updated' ORDER BY chain_seq",
    )
    .bind(org)
    .fetch_all(&app.services.db().pool)
    .await
    .unwrap();
    let pool = &app.services.db().pool;

    // Alter one row's detail: verify names it.
    let victim = rows[3].0;
    sqlx::query("UPDATE audit_log SET detail = '{\"name\":\"Evil\"}' WHERE id = $1")
        .bind(victim)
        .execute(pool)
        .await
        .unwrap();
    let v = get(&app, &format!("/api/v1/organizations/{org}/audit/verify")).await;
    assert_eq!((v["ok"].clone(), v["firstBadId"].clone()), (json!(false), json!(victim)), "{v}");

    // On a fresh chain, remove a row: verify names the one after it.
    sqlx::query("DELETE FROM audit_log WHERE org_id = $1").bind(org).execute(pool).await.unwrap();
    sqlx::query("DELETE FROM audit_chains WHERE org_key = $1").bind(org).execute(pool).await.unwrap();
    renames(&app, org, 4).await;
    assert_eq!(get(&app, &format!("/api/v1/organizations/{org}/audit/verify")).await["ok"], true);
    let rows: Vec<(i64,)> = sqlx::query_as("SELECT id FROM audit_log WHERE org_id = $1 ORDER BY chain_seq")
        .bind(org)
        .fetch_all(pool)
        .await
        .unwrap();
    sqlx::query("DELETE FROM audit_log WHERE id = $1").bind(rows[1].0).execute(pool).await.unwrap();
    let v = get(&app, &format!("/api/v1/organizations/{org}/audit/verify")).await;
    assert_eq!((v["ok"].clone(), v["firstBadId"].clone()), (json!(false), json!(rows[2].0)), "{v}");

    // Cutting off the end is caught by the chain's head.
    sqlx::query("DELETE FROM audit_log WHERE org_id = $1").bind(org).execute(pool).await.unwrap();
    sqlx::query("DELETE FROM audit_chains WHERE org_key = $1").bind(org).execute(pool).await.unwrap();
    renames(&app, org, 3).await;
    assert_eq!(get(&app, &format!("/api/v1/organizations/{org}/audit/verify")).await["ok"], true);
    sqlx::query("DELETE FROM audit_log WHERE org_id = $1 AND chain_seq = 3").bind(org).execute(pool).await.unwrap();
    let v = get(&app, &format!("/api/v1/organizations/{org}/audit/verify")).await;
    assert_eq!((v["ok"].clone(), v["firstBadId"].clone()), (json!(false), Value::Null), "{v}");
});

both!(the_export_streams_json_lines_in_chain_order_without_secrets, |app| {
    app.signup().await;
    let org = app.org_id().await;
    renames(&app, org, 3).await;
    let email = format!("x-{}@example.com", uuid::Uuid::new_v4().simple());
    let res =
        app.post(&format!("/api/v1/organizations/{org}/invitations"), json!({"email": email, "role": "member"})).await;
    assert_eq!(res.status(), 201);
    let key = app.user_key().await;
    let res = app.req(
        Method::GET,
        &format!("/api/v1/organizations/{org}/audit/export"),
        &agentry_tests::Who::Bearer(key.clone()),
    );
    let res = res.send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/x-ndjson");
    assert!(res.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
    let body = res.text().await.unwrap();
    let token = app.emailed_token(&email, "mbr_").await;
    assert!(!body.contains(&token) && !body.contains(&key) && !body.contains("mbr_"), "no secret in the log");
    let lines: Vec<Value> = body.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(lines.len() >= 4, "{body}");
    let seqs: Vec<i64> = lines.iter().map(|l| l["chainSeq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, (1..=i64::try_from(lines.len()).unwrap()).collect::<Vec<_>>());
    for w in lines.windows(2) {
        assert_eq!(w[1]["prevHash"], w[0]["hash"]);
    }
    let only = app.get(&format!("/api/v1/organizations/{org}/audit/export?action=member.invited")).await;
    assert_eq!(only.text().await.unwrap().lines().count(), 1);
});

// Both instances write audit rows and seal the chain at once (their clients share the
// session), on SQLite and on PostgreSQL.
raced!(two_instances_appending_to_one_chain_at_once_keep_it_linear, agentry_tests::test_config(), |apps| {
    apps[0].signup().await;
    let org = apps[0].org_id().await;
    for _ in 0..4 {
        let writes = apps.iter().map(|a| renames(a, org, 10));
        let seals = apps.iter().map(|a| a.services.seal_audit());
        let (_, sealed) = tokio::join!(futures::future::join_all(writes), futures::future::join_all(seals));
        assert!(sealed.iter().all(Result::is_ok));
    }
    let seals = apps.iter().map(|a| a.services.seal_audit());
    futures::future::join_all(seals).await;
    let v = get(&apps[1], &format!("/api/v1/organizations/{org}/audit/verify")).await;
    assert_eq!(v["ok"], true, "{v}");
    let rows: Vec<(Option<i64>,)> =
        sqlx::query_as("SELECT chain_seq FROM audit_log WHERE org_id = $1 ORDER BY chain_seq")
            .bind(org)
            .fetch_all(&apps[0].services.db().pool)
            .await
            .unwrap();
    let seqs: Vec<i64> = rows.iter().map(|r| r.0.unwrap()).collect();
    assert_eq!(seqs, (1..=i64::try_from(seqs.len()).unwrap()).collect::<Vec<_>>());
    assert_eq!(v["checked"].as_i64().unwrap(), i64::try_from(seqs.len()).unwrap());
    assert!(seqs.len() >= 80);
});

both!(logging_in_and_out_is_audited_in_the_sessions_organization, |app| {
    let email = app.signup().await;
    let org = app.org_id().await;
    let other = agentry_tests::client();
    let res = other
        .post(app.url("/api/v1/auth/login"))
        .header("origin", &app.base)
        .header("user-agent", "login-test/2.0")
        .json(&json!({"email": email, "password": agentry_tests::PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = other.post(app.url("/api/v1/auth/logout")).header("origin", &app.base).send().await.unwrap();
    assert_eq!(res.status(), 204);
    // Logging out again (no session any more) records nothing.
    let res = other.post(app.url("/api/v1/auth/logout")).header("origin", &app.base).send().await.unwrap();
    assert_eq!(res.status(), 204);

    let log = get(&app, &format!("/api/v1/organizations/{org}/audit?targetType=user")).await;
    let actions: Vec<&str> = log["value"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["user.logout", "user.login", "user.signup"]);
    let login = &log["value"][1];
    assert_eq!(login["userAgent"], "login-test/2.0");
    assert!(!login.to_string().contains(agentry_tests::PASSWORD));
    let verify = get(&app, &format!("/api/v1/organizations/{org}/audit/verify")).await;
    assert_eq!(verify["ok"], true);
});
