//! `GET /api/v1/agents/{id}/audit` through real HTTP on both backends: the entries about
//! one agent, newest first, paged by cursor; for its managers only; another organization's
//! agent is 404; bad paging is 400.
use super::directory::{create, patch};
use super::transfers::as_user;
use agentry_tests::{both, problem_code, user};
use reqwest::Method;
use serde_json::{json, Value};

both!(an_agents_trail_newest_first_for_its_managers, |app| {
    app.signup().await;
    let a = create(&app, json!({"name": "Audited"})).await;
    let id = a["id"].as_i64().unwrap();
    let other = create(&app, json!({"name": "Elsewhere"})).await["id"].as_i64().unwrap();
    let etag = app.get(&format!("/api/agents/{id}")).await.headers()["etag"].to_str().unwrap().to_string();
    assert_eq!(patch(&app, id, r#"{"description": "now described"}"#, Some(&etag)).await.status(), 200);
    assert_eq!(app.post(&format!("/api/agents/{id}/deactivate"), json!({})).await.status(), 200);

    let path = format!("/api/v1/agents/{id}/audit");
    let page: Value = app.get(&path).await.json().await.unwrap();
    let actions: Vec<&str> = page["value"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["agent.deactivated", "agent.updated", "agent.created"], "{page}");
    for e in page["value"].as_array().unwrap() {
        assert_eq!((e["targetType"].as_str(), e["targetId"].as_str()), (Some("agent"), Some(id.to_string().as_str())));
    }
    assert!(page.get("@odata.nextLink").is_none_or(Value::is_null), "one page: {page}");

    // Paged one at a time: the next link continues with older entries, then stops.
    let mut seen = Vec::new();
    let mut next = Some(format!("{path}?$top=1"));
    while let Some(url) = next {
        let p: Value = app.get(&url).await.json().await.unwrap();
        seen.push(p["value"][0]["action"].as_str().unwrap().to_string());
        next = p["@odata.nextLink"].as_str().map(String::from);
        assert!(seen.len() <= 3, "the pages end");
    }
    assert_eq!(seen, actions);

    // Bad paging is 400; nobody signed in is 401.
    problem_code(app.get(&format!("{path}?$top=0")).await, 400, "validation").await;
    assert_eq!(app.get(&format!("{path}?cursor=abc")).await.status(), 400);
    assert_eq!(app.get("/api/v1/agents/abc/audit").await.status(), 400);
    assert_eq!(agentry_tests::client().get(app.url(&path)).send().await.unwrap().status(), 401);

    // A member who may not manage it: 403. Named a manager in its access: 200.
    let bob = agentry_tests::member_of(&app, app.org_id().await, "member").await;
    problem_code(as_user(&app, &bob, Method::GET, &path).send().await.unwrap(), 403, "not_allowed").await;
    let access =
        json!({"accessConfig": {"manage": {"users": [bob.id], "roles": []}, "use": {"users": [], "roles": []}}});
    let etag = app.get(&format!("/api/agents/{other}")).await.headers()["etag"].to_str().unwrap().to_string();
    assert_eq!(patch(&app, other, &access.to_string(), Some(&etag)).await.status(), 200);
    let theirs: Value = as_user(&app, &bob, Method::GET, &format!("/api/v1/agents/{other}/audit"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(theirs["value"][0]["action"], "agent.updated", "{theirs}");

    // Another organization's user: the agent does not exist for them.
    let carol = user(&app).await;
    problem_code(as_user(&app, &carol, Method::GET, &path).send().await.unwrap(), 404, "agent_not_found").await;
    problem_code(app.get("/api/v1/agents/999999/audit").await, 404, "agent_not_found").await;
});
