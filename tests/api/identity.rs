//! One agent, two ways in: a definition created with `POST /api/agents` gets its identity
//! from `POST /api/v1/registration/agent` with `agentId`, on both backends; who may, and
//! what it costs (a seat), and the bad paths.
use super::directory::create;
use agentry_tests::{both, join, keypair, problem_code, registration, user, TestApp, Who};
use reqwest::Method;
use serde_json::{json, Value};

async fn register_into(app: &TestApp, who: &Who, agent_id: Value) -> reqwest::Response {
    let c = app.challenge(who, "").await;
    let (_, pk) = keypair();
    let mut body = registration(&c, &pk, "ignored name");
    body["agentId"] = agent_id;
    app.req(Method::POST, "/api/v1/registration/agent", who).json(&body).send().await.unwrap()
}

both!(a_definition_gets_its_identity_and_keeps_its_name, |app| {
    app.signup().await;
    let org = app.org_id().await;
    let a = create(&app, json!({"name": "Defined First", "slug": "defined"})).await;
    let id = a["id"].as_i64().unwrap();
    assert!(a["registration"].is_null() && a["status"] == "draft", "{a}");
    let seats = app.seats_used(org).await;

    let res = register_into(&app, &Who::Session, json!(id)).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let r: Value = res.json().await.unwrap();
    assert_eq!(r["agent"]["id"], id, "no new agent");
    assert_eq!(r["agent"]["name"], "Defined First");
    let key = r["apiKey"].as_str().unwrap().to_string();
    assert!(key.starts_with("agk_"));
    assert_eq!(app.seats_used(org).await, seats + 1, "an identity takes a seat");

    // The key authenticates as that agent; the directory shows it registered.
    let me: Value =
        app.req(Method::GET, "/api/v1/agents/self", &Who::Bearer(key)).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["id"], id);
    let seen: Value = app.get(&format!("/api/agents/{id}")).await.json().await.unwrap();
    assert_eq!((seen["registration"].as_str(), seen["slug"].as_str()), (Some("registered"), Some("defined")));
    assert_eq!(app.count("agents").await, 1);

    // A second identity for the same agent is a conflict, and takes nothing.
    problem_code(register_into(&app, &Who::Session, json!(id)).await, 409, "agent_has_identity").await;
    assert_eq!(app.seats_used(org).await, seats + 1);
});

both!(only_managers_of_a_live_agent_of_this_organization, |app| {
    app.signup().await;
    let org = app.org_id().await;
    let id = create(&app, json!({"name": "Guarded"})).await["id"].as_i64().unwrap();
    let agents = app.count("agents").await;

    // Unknown, another organization's, or a bad value.
    problem_code(register_into(&app, &Who::Session, json!(999_999)).await, 404, "agent_not_found").await;
    let outsider = user(&app).await;
    let key: Value = outsider
        .client
        .post(app.url("/api/v1/api-keys"))
        .header("origin", &app.base)
        .json(&json!({"name": "k"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let theirs = Who::Bearer(key["secret"].as_str().unwrap().to_string());
    problem_code(register_into(&app, &theirs, json!(id)).await, 404, "agent_not_found").await;
    let res = register_into(&app, &Who::Session, json!("seven")).await;
    assert!(res.status() == 400 || res.status() == 422, "{}", res.status());

    // A plain member may not give an identity to someone else's agent.
    let member = user(&app).await;
    join(&app, org, &member, "member").await;
    let switch = json!({"organization": org.to_string()});
    let res = member
        .client
        .post(app.url("/api/v1/me/organization"))
        .header("origin", &app.base)
        .json(&switch)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = member.client.get(app.url("/api/v1/registration/challenge")).send().await.unwrap();
    assert_eq!(res.status(), 201);
    let c: Value = res.json().await.unwrap();
    let (_, pk) = keypair();
    let mut body = registration(&c, &pk, "mine");
    body["agentId"] = json!(id);
    let res = member
        .client
        .post(app.url("/api/v1/registration/agent"))
        .header("origin", &app.base)
        .json(&body)
        .send()
        .await
        .unwrap();
    problem_code(res, 403, "not_allowed").await;

    // A deleted definition cannot get one; an invite challenge cannot carry agentId.
    assert_eq!(
        app.req(Method::DELETE, &format!("/api/agents/{id}"), &Who::Session).send().await.unwrap().status(),
        200
    );
    problem_code(register_into(&app, &Who::Session, json!(id)).await, 409, "agent_deleted").await;
    let c = app.challenge(&Who::Anon, "?invite=true").await;
    let (_, pk) = keypair();
    let mut body = registration(&c, &pk, "invited");
    body["ownerEmail"] = json!("someone@example.com");
    body["agentId"] = json!(id);
    let res = app.req(Method::POST, "/api/v1/registration/agent", &Who::Anon).json(&body).send().await.unwrap();
    let p = problem_code(res, 400, "validation").await;
    assert_eq!(p["errors"][0]["field"], "agentId");
    assert_eq!(app.count("agents").await, agents, "nothing was created");
});
