//! The agent directory (seeds 002 and 003) through real HTTP on both backends: create with
//! Idempotency-Key, get with ETag/304, merge patch (415, 400, 422, 412, 409), lifecycle,
//! soft delete, access, and another organization's ids.
use agentry_tests::{both, problem, problem_code, user, TestApp, Who};
use reqwest::Method;
use serde_json::{json, Value};

pub const MERGE: &str = "application/merge-patch+json";

pub async fn create(app: &TestApp, body: Value) -> Value {
    let res = app.post("/api/agents", body).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    res.json().await.unwrap()
}

pub async fn patch(app: &TestApp, id: i64, body: &str, if_match: Option<&str>) -> reqwest::Response {
    let mut req = app.req(Method::PATCH, &format!("/api/agents/{id}"), &Who::Session).header("content-type", MERGE);
    if let Some(tag) = if_match {
        req = req.header("if-match", tag);
    }
    req.body(body.to_string()).send().await.unwrap()
}

fn etag(res: &reqwest::Response) -> String {
    res.headers()["etag"].to_str().unwrap().to_string()
}

both!(create_get_and_every_seed_field, |app| {
    app.signup().await;
    let res = app.post("/api/v1/agents", json!({"name": "Customer Churn Analyzer", "type": "workflow"})).await;
    assert_eq!(res.status(), 201);
    let tag = etag(&res);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let a: Value = res.json().await.unwrap();
    let id = a["id"].as_i64().unwrap();
    assert_eq!(location, format!("/api/v1/agents/{id}"));
    for f in [
        "id",
        "slug",
        "name",
        "description",
        "status",
        "type",
        "orgId",
        "hasUnpublishedChanges",
        "scheduleEnabled",
        "accessConfig",
        "canManage",
        "canUse",
        "activeVariationId",
        "draftVariationId",
        "createdAt",
        "updatedAt",
        "deletedAt",
        "email",
        "ownerId",
        "enabled",
        "registration",
        "source",
    ] {
        assert!(a.get(f).is_some(), "missing {f}: {a}");
    }
    assert!(a.get("pendingOwnershipTransfer").is_none() && a.get("variation").is_none());
    assert_eq!(
        (a["status"].as_str(), a["type"].as_str(), a["registration"].as_null()),
        (Some("draft"), Some("workflow"), Some(()))
    );
    assert!(a["slug"].as_str().unwrap().starts_with("customer-churn-analyzer-"));
    assert_eq!(a["hasUnpublishedChanges"], true);
    assert_eq!((a["canManage"].as_bool(), a["canUse"].as_bool()), (Some(true), Some(true)));
    let me: Value = app.get("/api/v1/me").await.json().await.unwrap();
    assert_eq!(a["orgId"], me["memberships"][0]["organization"]["uuid"]);
    assert_eq!(app.seats_used(app.org_id().await).await, 0);

    // Both paths; 304 for the current tag, 200 after a change.
    let got = app.get(&format!("/api/agents/{id}")).await;
    assert_eq!((got.status().as_u16(), etag(&got)), (200, tag.clone()));
    let cached =
        app.client.get(app.url(&format!("/api/v1/agents/{id}"))).header("if-none-match", &tag).send().await.unwrap();
    assert_eq!(cached.status(), 304);
    let with_draft: Value = app.get(&format!("/api/agents/{id}?view=draft")).await.json().await.unwrap();
    assert_eq!(with_draft["variation"]["trigger"], "manual");
    assert_eq!(with_draft["variation"]["workflowStructure"]["steps"][0]["id"], "main");
    problem_code(app.get(&format!("/api/agents/{id}?view=both")).await, 400, "validation").await;
    problem_code(app.get("/api/agents/999999").await, 404, "agent_not_found").await;
    problem_code(app.get("/api/agents/abc").await, 400, "invalid_path").await;

    // Bad create bodies change nothing.
    let before = app.count("agents").await;
    problem_code(app.post("/api/agents", json!({"name": ""})).await, 400, "validation").await;
    problem_code(app.post("/api/agents", json!({"name": "x", "type": "manager"})).await, 422, "invalid_body").await;
    problem_code(app.post("/api/agents", json!({"name": "x", "colour": "red"})).await, 422, "invalid_body").await;
    problem_code(app.post("/api/agents", json!({"name": "x", "slug": "Not A Slug"})).await, 400, "validation").await;
    let huge = "x".repeat(5000);
    problem_code(app.post("/api/agents", json!({"name": "x", "description": huge})).await, 400, "validation").await;
    assert_eq!(app.count("agents").await, before);
    problem_code(app.req(Method::GET, "/api/agents", &Who::Anon).send().await.unwrap(), 401, "unauthorized").await;
});

both!(idempotency_keys_replay_and_refuse_another_body, |app| {
    app.signup().await;
    let send = |body: Value| {
        app.req(Method::POST, "/api/agents", &Who::Session).header("idempotency-key", "create-1").json(&body).send()
    };
    let a: Value = send(json!({"name": "Once", "slug": "once"})).await.unwrap().json().await.unwrap();
    let again = send(json!({"slug": "once", "name": "Once"})).await.unwrap();
    assert_eq!(again.status(), 201);
    let b: Value = again.json().await.unwrap();
    assert_eq!(a["id"], b["id"]);
    problem_code(send(json!({"name": "Twice"})).await.unwrap(), 422, "idempotency_key_reused").await;
    assert_eq!(app.count("agents").await, 1);
    let bad = app
        .req(Method::POST, "/api/agents", &Who::Session)
        .header("idempotency-key", "a b")
        .json(&json!({"name": "x"}));
    problem_code(bad.send().await.unwrap(), 400, "validation").await;
});

both!(merge_patch_rules, |app| {
    app.signup().await;
    let a =
        create(&app, json!({"name": "Patchy", "slug": "patchy", "description": "d", "email": "Bot@Example.com"})).await;
    let id = a["id"].as_i64().unwrap();
    assert_eq!(a["email"], "bot@example.com");
    let tag = etag(&app.get(&format!("/api/agents/{id}")).await);

    // Media types: only merge-patch+json.
    let json_ct = app.req(Method::PATCH, &format!("/api/agents/{id}"), &Who::Session).json(&json!({"name": "x"}));
    problem_code(json_ct.send().await.unwrap(), 415, "unsupported_media_type").await;
    let none = app.req(Method::PATCH, &format!("/api/agents/{id}"), &Who::Session).body("{}");
    problem_code(none.send().await.unwrap(), 415, "unsupported_media_type").await;
    problem_code(patch(&app, id, "{\"name\": ", None).await, 400, "malformed_json").await;
    problem_code(patch(&app, id, "[1]", None).await, 400, "validation").await;
    // Unknown 400, immutable 422 naming the field, read-only 422 with the way to change it.
    let p = problem_code(patch(&app, id, r#"{"nmae": "x"}"#, None).await, 400, "validation").await;
    assert_eq!(p["errors"][0]["field"], "nmae");
    for field in ["id", "orgId", "type", "createdAt", "updatedAt", "deletedAt", "status"] {
        let p =
            problem_code(patch(&app, id, &format!(r#"{{"{field}": null}}"#), None).await, 422, "immutable_field").await;
        assert_eq!(p["field"], field);
    }
    let p = problem_code(patch(&app, id, r#"{"ownerId": 1}"#, None).await, 422, "immutable_field").await;
    assert!(p["detail"].as_str().unwrap().contains("ownership transfer"));
    problem_code(patch(&app, id, r#"{"name": null}"#, None).await, 400, "validation").await;
    problem_code(patch(&app, id, r#"{"name": 7}"#, None).await, 400, "validation").await;

    // A stale tag is 412; the right one works and changes the tag; null removes.
    problem_code(patch(&app, id, r#"{"name": "New"}"#, Some("\"999-abc\"")).await, 412, "precondition_failed").await;
    let ok = patch(&app, id, r#"{"name": "New", "description": null, "email": null}"#, Some(&tag)).await;
    assert_eq!(ok.status(), 200);
    let new_tag = etag(&ok);
    assert_ne!(new_tag, tag);
    let b: Value = ok.json().await.unwrap();
    assert_eq!((b["name"].as_str(), b["description"].as_str(), b["email"].is_null()), (Some("New"), Some(""), true));
    problem_code(patch(&app, id, r#"{"name": "Again"}"#, Some(&tag)).await, 412, "precondition_failed").await;
    // RFC 7396: nested objects merge, arrays are replaced whole.
    let b: Value =
        patch(&app, id, r#"{"accessConfig": {"use": {"roles": ["owner"]}}}"#, None).await.json().await.unwrap();
    assert_eq!(b["accessConfig"]["use"]["roles"], json!(["owner"]));
    assert_eq!(b["accessConfig"]["manage"]["roles"], json!(["owner", "admin", "operator"]));
    let p = problem_code(
        patch(&app, id, r#"{"accessConfig": {"use": {"users": [987654]}}}"#, None).await,
        422,
        "unknown_member",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "accessConfig.use.users");

    // Slugs: unique among live agents, freed by a delete.
    let other = create(&app, json!({"name": "Other", "slug": "taken"})).await;
    problem_code(patch(&app, id, r#"{"slug": "taken"}"#, None).await, 409, "slug_taken").await;
    problem_code(app.post("/api/agents", json!({"name": "Dup", "slug": "taken"})).await, 409, "slug_taken").await;
    let del = app.req(Method::DELETE, &format!("/api/agents/{}", other["id"]), &Who::Session).send().await.unwrap();
    assert_eq!(del.status(), 200);
    assert_eq!(patch(&app, id, r#"{"slug": "taken"}"#, None).await.status(), 200);

    // Synced agents are read-only.
    sqlx::query("UPDATE agents SET source = 'sync' WHERE id = $1")
        .bind(id)
        .execute(&app.services.db().pool)
        .await
        .unwrap();
    problem_code(patch(&app, id, r#"{"name": "x"}"#, None).await, 409, "agent_read_only").await;
});

both!(lifecycle_keys_seats_and_soft_delete, |app| {
    app.signup().await;
    let org = app.org_id().await;
    let r: Value = app.register_as(&Who::Session, "worker").await.json().await.unwrap();
    let id = r["agent"]["id"].as_i64().unwrap();
    let key = Who::Bearer(r["apiKey"].as_str().unwrap().to_string());
    let me = |k: &Who| app.req(Method::GET, "/api/v1/agents/self", k).send();
    assert_eq!(me(&key).await.unwrap().status(), 200);
    let got: Value = app.get(&format!("/api/agents/{id}")).await.json().await.unwrap();
    assert_eq!((got["registration"].as_str(), got["enabled"].as_bool()), (Some("registered"), Some(true)));

    let off: Value = app.post(&format!("/api/agents/{id}/deactivate"), json!({})).await.json().await.unwrap();
    assert_eq!(off["enabled"], false);
    assert_eq!(me(&key).await.unwrap().status(), 401);
    assert_eq!(app.post(&format!("/api/agents/{id}/deactivate"), json!({})).await.status(), 200);
    assert_eq!(app.post(&format!("/api/v1/agents/{id}/activate"), json!({})).await.status(), 200);
    assert_eq!(me(&key).await.unwrap().status(), 200);

    assert_eq!(app.seats_used(org).await, 1);
    let tag = etag(&app.get(&format!("/api/agents/{id}")).await);
    let stale = app.req(Method::DELETE, &format!("/api/agents/{id}"), &Who::Session).header("if-match", "\"1-x\"");
    problem_code(stale.send().await.unwrap(), 412, "precondition_failed").await;
    let del = app.req(Method::DELETE, &format!("/api/agents/{id}"), &Who::Session).header("if-match", &tag);
    let d: Value = del.send().await.unwrap().json().await.unwrap();
    assert_eq!(d["status"], "deleted");
    assert!(d["deletedAt"].is_string());
    assert_eq!(app.seats_used(org).await, 0);
    assert_eq!(me(&key).await.unwrap().status(), 401);
    let again = app.req(Method::DELETE, &format!("/api/agents/{id}"), &Who::Session).send().await.unwrap();
    assert_eq!(again.status(), 200);
    problem_code(patch(&app, id, r#"{"name": "zombie"}"#, None).await, 409, "agent_deleted").await;
    // Left out of lists unless includeDeleted=true.
    let page: Value = app.get("/api/agents").await.json().await.unwrap();
    assert!(page["value"].as_array().unwrap().iter().all(|a| a["id"] != id));
    let page: Value = app.get("/api/agents?includeDeleted=true").await.json().await.unwrap();
    assert!(page["value"].as_array().unwrap().iter().any(|a| a["id"] == id));
    // Ids are never reused.
    let next = create(&app, json!({"name": "Next"})).await;
    assert!(next["id"].as_i64().unwrap() > id);
});

both!(access_and_other_organizations, |app| {
    app.signup().await;
    let org = app.org_id().await;
    let a = create(&app, json!({"name": "Guarded", "slug": "guarded"})).await;
    let id = a["id"].as_i64().unwrap();
    let member = agentry_tests::member_of(&app, org, "member").await;
    let as_member = |m: Method, path: String| member.client.request(m, app.url(&path)).header("origin", &app.base);

    let seen: Value = as_member(Method::GET, format!("/api/agents/{id}")).send().await.unwrap().json().await.unwrap();
    assert_eq!((seen["canManage"].as_bool(), seen["canUse"].as_bool()), (Some(false), Some(true)));
    let res = as_member(Method::PATCH, format!("/api/agents/{id}"))
        .header("content-type", MERGE)
        .body(r#"{"name":"x"}"#)
        .send()
        .await
        .unwrap();
    problem_code(res, 403, "not_allowed").await;
    problem_code(as_member(Method::DELETE, format!("/api/agents/{id}")).send().await.unwrap(), 403, "not_allowed")
        .await;
    problem_code(
        as_member(Method::GET, "/api/agents?includeDeleted=true".into()).send().await.unwrap(),
        403,
        "not_allowed",
    )
    .await;

    // Named as a manager, the member may change it; with use revoked, canUse is false.
    let body = json!({"accessConfig": {"manage": {"roles": [], "users": [member.id]}, "use": {"roles": ["owner"]}}})
        .to_string();
    assert_eq!(patch(&app, id, &body, None).await.status(), 200);
    let res = as_member(Method::PATCH, format!("/api/agents/{id}"))
        .header("content-type", MERGE)
        .body(r#"{"description":"mine now"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body = json!({"accessConfig": {"manage": {"users": []}}}).to_string();
    assert_eq!(patch(&app, id, &body, None).await.status(), 200);
    let seen: Value = as_member(Method::GET, format!("/api/agents/{id}")).send().await.unwrap().json().await.unwrap();
    assert_eq!((seen["canManage"].as_bool(), seen["canUse"].as_bool()), (Some(false), Some(false)));
    problem_code(
        as_member(Method::GET, format!("/api/agents/{id}/variations")).send().await.unwrap(),
        403,
        "not_allowed",
    )
    .await;

    // Another organization's agent is 404 for every operation, and nothing changes.
    let outsider = user(&app).await;
    let as_out = |m: Method, path: String| outsider.client.request(m, app.url(&path)).header("origin", &app.base);
    for (m, path) in [
        (Method::GET, format!("/api/agents/{id}")),
        (Method::DELETE, format!("/api/agents/{id}")),
        (Method::POST, format!("/api/agents/{id}/deactivate")),
        (Method::POST, format!("/api/agents/{id}/deploy")),
        (Method::GET, format!("/api/agents/{id}/draft")),
        (Method::GET, format!("/api/agents/{id}/variations")),
        (Method::POST, format!("/api/agents/{id}/toggle")),
    ] {
        problem(as_out(m, path).send().await.unwrap(), 404).await;
    }
    let res = as_out(Method::PATCH, format!("/api/agents/{id}"))
        .header("content-type", MERGE)
        .body(r#"{"name":"x"}"#)
        .send()
        .await
        .unwrap();
    problem_code(res, 404, "agent_not_found").await;
    let mine: Value = app.get(&format!("/api/agents/{id}")).await.json().await.unwrap();
    assert_eq!((mine["name"].as_str(), mine["status"].as_str()), (Some("Guarded"), Some("draft")));
    let theirs: Value = as_out(Method::GET, "/api/agents".into()).send().await.unwrap().json().await.unwrap();
    assert_eq!(theirs["value"], json!([]));
});
