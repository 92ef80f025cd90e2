use agentry_tests::{both, client, problem};
use serde_json::{json, Value};

both!(api_keys_are_shown_once_stored_hashed_and_work_as_bearer_and_x_api_key, |app| {
    app.signup().await;
    let res = app.post("/api/v1/api-keys", json!({"name": "ci"})).await;
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    let secret = created["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("uak_") && secret.len() == 47, "{secret}");
    assert!(created["lastUsedAt"].is_null());

    let listed = app.get("/api/v1/api-keys").await.text().await.unwrap();
    assert!(!listed.contains(&secret[4..]), "list leaks the secret");

    let bearer = client().get(app.url("/api/v1/me")).bearer_auth(&secret).send().await.unwrap();
    assert_eq!(bearer.status(), 200);
    let header = client().get(app.url("/api/v1/me")).header("x-api-key", &secret).send().await.unwrap();
    assert_eq!(header.status(), 200);
    let listed: Value = app.get("/api/v1/api-keys").await.json().await.unwrap();
    assert!(listed[0]["lastUsedAt"].is_string());

    // No raw secret at rest.
    let row = sqlx::query("SELECT key_hash, prefix FROM api_keys").fetch_one(&app.services.db().pool).await.unwrap();
    let hash: String = sqlx::Row::try_get(&row, "key_hash").unwrap();
    assert_ne!(hash, secret);
    assert!(!hash.contains(&secret[4..]));

    // API keys are not cookies: no CSRF check applies to them.
    let res = client()
        .post(app.url("/api/v1/api-keys"))
        .bearer_auth(&secret)
        .header("origin", "http://elsewhere.example")
        .json(&json!({"name": "from script"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);

    let id = created["id"].as_i64().unwrap();
    let res =
        app.client.delete(app.url(&format!("/api/v1/api-keys/{id}"))).header("origin", &app.base).send().await.unwrap();
    assert_eq!(res.status(), 200);
    problem(client().get(app.url("/api/v1/me")).bearer_auth(&secret).send().await.unwrap(), 401).await;
});

both!(keys_of_other_users_and_bad_ids_are_not_revocable, |app| {
    app.signup().await;
    let created: Value = app.post("/api/v1/api-keys", json!({"name": "mine"})).await.json().await.unwrap();
    let id = created["id"].as_i64().unwrap();
    let other = client();
    let email = format!("x-{}@example.com", uuid::Uuid::new_v4().simple());
    other
        .post(app.url("/api/v1/auth/signup"))
        .json(&json!({"email": email, "password": agentry_tests::PASSWORD, "organization": "X"}))
        .send()
        .await
        .unwrap();
    let res = other.delete(app.url(&format!("/api/v1/api-keys/{id}"))).send().await.unwrap();
    problem(res, 404).await;
    let res = other.delete(app.url("/api/v1/api-keys/abc")).send().await.unwrap();
    problem(res, 400).await;
    problem(app.post("/api/v1/api-keys", json!({"name": ""})).await, 400).await;
    problem(client().get(app.url("/api/v1/me")).bearer_auth("uak_forged").send().await.unwrap(), 401).await;
    problem(client().get(app.url("/api/v1/me")).header("x-api-key", "nonsense").send().await.unwrap(), 401).await;
    let secret = created["secret"].as_str().unwrap();
    assert_eq!(client().get(app.url("/api/v1/me")).bearer_auth(secret).send().await.unwrap().status(), 200);
});
