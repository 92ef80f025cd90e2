//! Organizations and members: CRUD, the role rules, removal with owned agents, the
//! last-owner invariant under concurrent demotions, and another organization's ids.
use agentry_tests::{both, client, join, keypair, problem, problem_code, raced, registration, user, TestApp, User};
use reqwest::Method;
use serde_json::{json, Value};

async fn send(app: &TestApp, c: &reqwest::Client, m: Method, path: &str, body: Option<Value>) -> reqwest::Response {
    let r = c.request(m, app.url(path)).header("origin", &app.base);
    let r = match body {
        Some(b) => r.json(&b),
        None => r,
    };
    r.send().await.unwrap()
}

async fn me_id(app: &TestApp) -> i64 {
    let me: Value = app.get("/api/v1/me").await.json().await.unwrap();
    me["user"]["id"].as_i64().unwrap()
}

async fn owners(app: &TestApp, org: i64) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM memberships WHERE org_id = $1 AND role = 'owner'")
        .bind(org)
        .fetch_one(&app.services.db().pool)
        .await
        .unwrap()
}

both!(organizations_are_listed_created_read_and_renamed, |app| {
    app.signup().await;
    let first = app.org_id().await;
    let res = app.post("/api/v1/organizations", json!({"name": "  Second  "})).await;
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    assert_eq!(created["role"], "owner");
    assert_eq!(created["organization"]["name"], "Second");
    let uuid = created["organization"]["uuid"].as_str().unwrap().to_string();
    let list: Value = app.get("/api/v1/organizations").await.json().await.unwrap();
    assert_eq!(list["value"].as_array().unwrap().len(), 2);

    let by_uuid: Value = app.get(&format!("/api/v1/organizations/{uuid}")).await.json().await.unwrap();
    assert_eq!(by_uuid, created);
    let path = format!("/api/v1/organizations/{first}");
    let patched = app
        .client
        .patch(app.url(&path))
        .header("origin", &app.base)
        .header("content-type", "application/merge-patch+json")
        .body(r#"{"name":"Renamed"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);
    let v: Value = patched.json().await.unwrap();
    assert_eq!(v["organization"]["name"], "Renamed");
    let audit: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'organization.updated'")
        .fetch_one(&app.services.db().pool)
        .await
        .unwrap();
    assert_eq!(audit, 1);
    // An empty patch changes nothing.
    let same: Value = send(&app, &app.client, Method::PATCH, &path, Some(json!({}))).await.json().await.unwrap();
    assert_eq!(same["organization"]["name"], "Renamed");
});

both!(bad_organization_input_is_refused_and_changes_nothing, |app| {
    app.signup().await;
    let org = app.org_id().await;
    let path = format!("/api/v1/organizations/{org}");
    problem_code(app.post("/api/v1/organizations", json!({"name": "   "})).await, 400, "validation").await;
    problem_code(app.post("/api/v1/organizations", json!({"name": "x".repeat(101)})).await, 400, "validation").await;
    problem_code(app.post("/api/v1/organizations", json!({"name": 7})).await, 422, "invalid_body").await;
    problem_code(app.post("/api/v1/organizations", json!({"name": "a", "plan": "x"})).await, 422, "invalid_body").await;
    let null = send(&app, &app.client, Method::PATCH, &path, Some(json!({"name": null}))).await;
    problem_code(null, 422, "invalid_body").await;
    let text = app
        .client
        .patch(app.url(&path))
        .header("origin", &app.base)
        .header("content-type", "text/plain")
        .body(r#"{"name":"x"}"#)
        .send()
        .await
        .unwrap();
    problem_code(text, 415, "unsupported_media_type").await;
    let broken = app
        .client
        .patch(app.url(&path))
        .header("origin", &app.base)
        .header("content-type", "application/merge-patch+json")
        .body("{")
        .send()
        .await
        .unwrap();
    problem_code(broken, 400, "malformed_json").await;
    assert_eq!(app.count("organizations").await, 1);
    let v: Value = app.get(&path).await.json().await.unwrap();
    assert_eq!(v["organization"]["name"], "Acme");
    // Nobody, and another organization's ids.
    problem(client().get(app.url("/api/v1/organizations")).send().await.unwrap(), 401).await;
    let other = user(&app).await;
    for p in [path.clone(), format!("{path}/members"), "/api/v1/organizations/nope".into()] {
        let res = send(&app, &other.client, Method::GET, &p, None).await;
        problem_code(res, 404, "organization_not_found").await;
    }
    let res = send(&app, &other.client, Method::PATCH, &path, Some(json!({"name": "Hijack"}))).await;
    problem_code(res, 404, "organization_not_found").await;
});

both!(a_user_key_sees_only_its_own_organization, |app| {
    app.signup().await;
    let first = app.org_id().await;
    let second: Value = app.post("/api/v1/organizations", json!({"name": "Second"})).await.json().await.unwrap();
    let key = app.user_key().await;
    let keyed = client();
    let list: Value =
        keyed.get(app.url("/api/v1/organizations")).bearer_auth(&key).send().await.unwrap().json().await.unwrap();
    assert_eq!(list["value"].as_array().unwrap().len(), 1);
    assert_eq!(list["value"][0]["organization"]["id"], first);
    let other = format!("/api/v1/organizations/{}", second["organization"]["id"]);
    let res = keyed.get(app.url(&other)).bearer_auth(&key).send().await.unwrap();
    problem_code(res, 404, "organization_not_found").await;
});

both!(role_rules_hold_for_every_role, |app| {
    app.signup().await;
    let org = app.org_id().await;
    let (admin, operator, member) = (user(&app).await, user(&app).await, user(&app).await);
    join(&app, org, &admin, "admin").await;
    join(&app, org, &operator, "operator").await;
    join(&app, org, &member, "member").await;
    let role = |u: i64| format!("/api/v1/organizations/{org}/members/{u}");

    // Any member lists the members, paged.
    let page: Value =
        send(&app, &member.client, Method::GET, &format!("/api/v1/organizations/{org}/members?$top=2"), None)
            .await
            .json()
            .await
            .unwrap();
    assert_eq!(page["@odata.count"], 4);
    assert_eq!(page["value"].as_array().unwrap().len(), 2);
    let next = page["@odata.nextLink"].as_str().unwrap().to_string();
    let rest: Value = send(&app, &member.client, Method::GET, &next, None).await.json().await.unwrap();
    assert_eq!(rest["value"].as_array().unwrap().len(), 2);
    assert!(rest.get("@odata.nextLink").is_none());

    // Admins manage operators and members, never admins or owners.
    let res = send(&app, &admin.client, Method::PATCH, &role(member.id), Some(json!({"role": "operator"}))).await;
    assert_eq!(res.status(), 200);
    let res = send(&app, &admin.client, Method::PATCH, &role(member.id), Some(json!({"role": "admin"}))).await;
    problem_code(res, 403, "not_allowed").await;
    let owner_id = me_id(&app).await;
    let res = send(&app, &admin.client, Method::PATCH, &role(owner_id), Some(json!({"role": "member"}))).await;
    problem_code(res, 403, "not_allowed").await;
    // Operators and members change nobody, and may not rename the organization.
    let res = send(&app, &operator.client, Method::PATCH, &role(member.id), Some(json!({"role": "member"}))).await;
    problem_code(res, 403, "not_allowed").await;
    let rename = format!("/api/v1/organizations/{org}");
    let res = send(&app, &operator.client, Method::PATCH, &rename, Some(json!({"name": "Mine"}))).await;
    problem_code(res, 403, "not_allowed").await;
    // Bad ids and roles.
    problem_code(
        send(&app, &app.client, Method::PATCH, &role(999_999), Some(json!({"role": "member"}))).await,
        404,
        "member_not_found",
    )
    .await;
    problem_code(
        send(&app, &app.client, Method::PATCH, &role(member.id), Some(json!({"role": "king"}))).await,
        422,
        "invalid_body",
    )
    .await;
    let bad = send(
        &app,
        &app.client,
        Method::PATCH,
        &format!("/api/v1/organizations/{org}/members/x"),
        Some(json!({"role": "member"})),
    )
    .await;
    problem_code(bad, 400, "invalid_path").await;

    // The owner makes the operator an admin; it applies to their very next request.
    assert_eq!(
        send(&app, &app.client, Method::PATCH, &role(operator.id), Some(json!({"role": "admin"}))).await.status(),
        200
    );
    let res = send(&app, &operator.client, Method::PATCH, &rename, Some(json!({"name": "Ours"}))).await;
    assert_eq!(res.status(), 200);
    // The last owner cannot step down.
    let res = send(&app, &app.client, Method::PATCH, &role(owner_id), Some(json!({"role": "admin"}))).await;
    problem_code(res, 409, "last_owner").await;
    assert_eq!(owners(&app, org).await, 1);
});

both!(members_leave_or_are_removed_and_their_credentials_stop_working, |app| {
    app.signup().await;
    let org = app.org_id().await;
    let owner_id = me_id(&app).await;
    let (admin, member, other_admin) = (user(&app).await, user(&app).await, user(&app).await);
    join(&app, org, &admin, "admin").await;
    join(&app, org, &member, "member").await;
    join(&app, org, &other_admin, "admin").await;
    let path = |u: i64| format!("/api/v1/organizations/{org}/members/{u}");
    let seen = format!("/api/v1/organizations/{org}");

    // The member's key in this organization dies with the membership.
    sqlx::query("UPDATE sessions SET org_id = $1 WHERE user_id = $2")
        .bind(org)
        .bind(member.id)
        .execute(&app.services.db().pool)
        .await
        .unwrap();
    let key: Value = send(&app, &member.client, Method::POST, "/api/v1/api-keys", Some(json!({"name": "k"})))
        .await
        .json()
        .await
        .unwrap();
    let key = key["secret"].as_str().unwrap().to_string();
    assert_eq!(client().get(app.url(&seen)).bearer_auth(&key).send().await.unwrap().status(), 200);

    problem_code(send(&app, &admin.client, Method::DELETE, &path(other_admin.id), None).await, 403, "not_allowed")
        .await;
    problem_code(send(&app, &member.client, Method::DELETE, &path(admin.id), None).await, 403, "not_allowed").await;
    assert_eq!(send(&app, &admin.client, Method::DELETE, &path(member.id), None).await.status(), 204);
    problem(client().get(app.url(&seen)).bearer_auth(&key).send().await.unwrap(), 401).await;
    problem(send(&app, &member.client, Method::GET, "/api/v1/me", None).await, 401).await;
    problem_code(send(&app, &app.client, Method::DELETE, &path(member.id), None).await, 404, "member_not_found").await;

    // Anyone may leave, but not the last owner.
    assert_eq!(send(&app, &other_admin.client, Method::DELETE, &path(other_admin.id), None).await.status(), 204);
    problem_code(send(&app, &app.client, Method::DELETE, &path(owner_id), None).await, 409, "last_owner").await;
    let audit: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action IN ('member.left', 'member.removed')")
            .fetch_one(&app.services.db().pool)
            .await
            .unwrap();
    assert_eq!(audit, 2);
});

both!(a_member_who_owns_agents_is_removed_only_with_a_reassignment, |app| {
    app.signup().await;
    let org = app.org_id().await;
    let owner_id = me_id(&app).await;
    let operator = user(&app).await;
    join(&app, org, &operator, "operator").await;
    sqlx::query("UPDATE sessions SET org_id = $1 WHERE user_id = $2")
        .bind(org)
        .bind(operator.id)
        .execute(&app.services.db().pool)
        .await
        .unwrap();
    // The operator registers an agent, which they then own.
    let c: Value =
        send(&app, &operator.client, Method::GET, "/api/v1/registration/challenge", None).await.json().await.unwrap();
    let (_, pk) = keypair();
    let res =
        send(&app, &operator.client, Method::POST, "/api/v1/registration/agent", Some(registration(&c, &pk, "bot")))
            .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let path = format!("/api/v1/organizations/{org}/members/{}", operator.id);

    let refused =
        problem_code(send(&app, &app.client, Method::DELETE, &path, None).await, 409, "member_owns_agents").await;
    assert_eq!(refused["agents"][0]["name"], "bot");
    let nobody = send(&app, &app.client, Method::DELETE, &format!("{path}?reassignTo=999999"), None).await;
    problem_code(nobody, 400, "validation").await;
    let themselves = send(&app, &app.client, Method::DELETE, &format!("{path}?reassignTo={}", operator.id), None).await;
    problem_code(themselves, 400, "validation").await;
    assert_eq!(app.count("memberships").await, 3);

    let res = send(&app, &app.client, Method::DELETE, &format!("{path}?reassignTo={owner_id}"), None).await;
    assert_eq!(res.status(), 204);
    let owner: Option<i64> = sqlx::query_scalar("SELECT owner_id FROM agents WHERE name = 'bot'")
        .fetch_one(&app.services.db().pool)
        .await
        .unwrap();
    assert_eq!(owner, Some(owner_id));
});

// Each round sends the two demotions to different instances, alternating.
raced!(two_owners_demoting_each_other_at_once_leave_exactly_one_owner, agentry_tests::test_config(), |apps| {
    let app = &apps[0];
    app.signup().await;
    let org = app.org_id().await;
    let first = User { client: app.client.clone(), id: me_id(app).await, email: String::new() };
    for round in 0..5 {
        let second = user(app).await;
        join(app, org, &second, "owner").await;
        let (to_second, to_first) = (
            format!("/api/v1/organizations/{org}/members/{}", second.id),
            format!("/api/v1/organizations/{org}/members/{}", first.id),
        );
        let (at_a, at_b) = (&apps[round % 2], &apps[(round + 1) % 2]);
        let a = send(at_a, &first.client, Method::PATCH, &to_second, Some(json!({"role": "member"})));
        let b = send(at_b, &second.client, Method::PATCH, &to_first, Some(json!({"role": "member"})));
        let (a, b) = tokio::join!(a, b);
        let statuses = [a.status().as_u16(), b.status().as_u16()];
        assert_eq!(owners(app, org).await, 1, "round {round}: {statuses:?}");
        assert!(statuses.contains(&200), "round {round}: {statuses:?}");
        // Put the first user back in charge for the next round.
        let survivor: i64 = sqlx::query_scalar("SELECT user_id FROM memberships WHERE org_id = $1 AND role = 'owner'")
            .bind(org)
            .fetch_one(&app.services.db().pool)
            .await
            .unwrap();
        sqlx::query("UPDATE memberships SET role = 'owner' WHERE org_id = $1 AND user_id = $2")
            .bind(org)
            .bind(first.id)
            .execute(&app.services.db().pool)
            .await
            .unwrap();
        sqlx::query("UPDATE memberships SET role = 'member' WHERE org_id = $1 AND user_id = $2 AND user_id <> $3")
            .bind(org)
            .bind(survivor)
            .bind(first.id)
            .execute(&app.services.db().pool)
            .await
            .unwrap();
    }
});

both!(creating_organizations_is_rate_limited_per_user, |app| {
    app.signup().await;
    let limit = agentry_tests::test_config().org_create_limit_per_user;
    for i in 0..limit {
        assert_eq!(app.post("/api/v1/organizations", json!({"name": format!("Org {i}")})).await.status(), 201);
    }
    let res = app.post("/api/v1/organizations", json!({"name": "One too many"})).await;
    assert!(res.headers().get("retry-after").is_some());
    problem_code(res, 429, "rate_limited").await;
    let count: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM organizations").fetch_one(&app.services.db().pool).await.unwrap();
    assert_eq!(count, i64::try_from(limit).unwrap() + 1);
});
