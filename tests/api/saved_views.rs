//! Saved views of the directory through real HTTP on both backends: save, replace by name,
//! list by name, delete, another user's view, bad input, the cap.
use agentry_tests::{both, problem, problem_code, user, Who};
use reqwest::Method;
use serde_json::{json, Value};

both!(save_replace_list_and_delete_views, |app| {
    app.signup().await;
    let path = "/api/v1/me/saved-views";
    let res = app.post(path, json!({"list": "agents", "name": "Churn", "query": "?q=churn"})).await;
    assert_eq!(res.status(), 201);
    let first: Value = res.json().await.unwrap();
    let res = app.post(path, json!({"list": "agents", "name": "  Churn ", "query": "?q=churn&status=active"})).await;
    assert_eq!(res.status(), 200, "the same name replaces the query");
    let replaced: Value = res.json().await.unwrap();
    assert_eq!(
        (replaced["id"].clone(), replaced["query"].as_str()),
        (first["id"].clone(), Some("?q=churn&status=active"))
    );
    assert_eq!(app.post(path, json!({"list": "agents", "name": "All", "query": ""})).await.status(), 201);
    let list: Value = app.get(&format!("{path}?list=agents")).await.json().await.unwrap();
    let names: Vec<&str> = list["value"].as_array().unwrap().iter().map(|v| v["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["All", "Churn"]);

    // Bad input changes nothing.
    let p = problem_code(app.post(path, json!({"list": "runs", "name": "", "query": "q=1"})).await, 400, "validation")
        .await;
    assert_eq!(p["errors"].as_array().unwrap().len(), 3, "{p}");
    problem(app.post(path, json!({"list": "agents", "name": "x", "query": "?a", "extra": 1})).await, 422).await;
    let long = format!("?{}", "a".repeat(2000));
    problem_code(app.post(path, json!({"list": "agents", "name": "x", "query": long})).await, 400, "validation").await;
    problem_code(app.get(&format!("{path}?list=runs")).await, 400, "validation").await;
    problem(app.get(path).await, 400).await;

    // Another user sees none of them and cannot delete them.
    let other = user(&app).await;
    let theirs: Value =
        other.client.get(app.url(&format!("{path}?list=agents"))).send().await.unwrap().json().await.unwrap();
    assert_eq!(theirs["value"], json!([]));
    let id = first["id"].as_i64().unwrap();
    let res = other.client.delete(app.url(&format!("{path}/{id}"))).header("origin", &app.base).send().await.unwrap();
    problem_code(res, 404, "not_found").await;
    let res = app.req(Method::DELETE, &format!("{path}/{id}"), &Who::Session).send().await.unwrap();
    assert_eq!(res.status(), 204);
    let res = app.req(Method::DELETE, &format!("{path}/{id}"), &Who::Session).send().await.unwrap();
    problem_code(res, 404, "not_found").await;
    problem(app.req(Method::GET, &format!("{path}?list=agents"), &Who::Anon).send().await.unwrap(), 401).await;

    // At most 50 per list.
    for i in 0..49 {
        assert_eq!(app.post(path, json!({"list": "agents", "name": format!("v{i}"), "query": ""})).await.status(), 201);
    }
    problem_code(
        app.post(path, json!({"list": "agents", "name": "one more", "query": ""})).await,
        409,
        "too_many_views",
    )
    .await;
    assert_eq!(
        app.post(path, json!({"list": "agents", "name": "v3", "query": "?q=3"})).await.status(),
        200,
        "replacing is fine"
    );
});
