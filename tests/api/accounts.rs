use crate::invariants::{count, spread};
use agentry_tests::{both, client, problem, problem_code, raced, PASSWORD};
use serde_json::{json, Value};

both!(signup_returns_201_sets_a_safe_cookie_and_me_works, |app| {
    let email = format!("Ann-{}@Example.com", uuid::Uuid::new_v4().simple());
    let res =
        app.post("/api/v1/auth/signup", json!({"email": email, "password": PASSWORD, "organization": "Acme"})).await;
    assert_eq!(res.status(), 201);
    let cookie = res.headers().get("set-cookie").unwrap().to_str().unwrap().to_string();
    assert!(cookie.starts_with("agentry_session="));
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attr), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "http public URL must not set Secure: {cookie}");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["user"]["email"], email.to_lowercase());
    assert_eq!(body["role"], "owner");
    assert_eq!(body["currentOrganization"]["name"], "Acme");
    assert_eq!(body["memberships"][0]["role"], "owner");

    let me: Value = app.get("/api/v1/me").await.json().await.unwrap();
    assert_eq!(me["user"]["email"], email.to_lowercase());
    assert_eq!(me["currentOrganization"]["seatLimit"], 3);
    assert_eq!(me["currentOrganization"]["plan"], "free");
});

both!(login_returns_200_and_wrong_password_and_unknown_email_get_the_same_401, |app| {
    let email = app.signup().await;
    let fresh = client();
    let res = fresh
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": email.to_uppercase(), "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers().get("set-cookie").is_some());
    let me = fresh.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(me.status(), 200);

    let wrong =
        problem(app.post("/api/v1/auth/login", json!({"email": email, "password": "wrong password!"})).await, 401)
            .await;
    let unknown = problem(
        app.post("/api/v1/auth/login", json!({"email": "nobody@example.com", "password": "wrong password!"})).await,
        401,
    )
    .await;
    assert_eq!(wrong, unknown);
});

both!(logout_ends_the_session, |app| {
    app.signup().await;
    assert_eq!(app.get("/api/v1/me").await.status(), 200);
    let res = app.post("/api/v1/auth/logout", json!({})).await;
    assert_eq!(res.status(), 204);
    problem(app.get("/api/v1/me").await, 401).await;
    assert_eq!(app.count("sessions").await, 0);
});

both!(signup_rejects_bad_input_and_changes_nothing, |app| {
    let cases = [
        (json!({"email": "not-an-email", "password": PASSWORD, "organization": "Acme"}), 400, "email"),
        (json!({"email": "a@example.com", "password": "short", "organization": "Acme"}), 400, "password"),
        (json!({"email": "a@example.com", "password": "aaaaaaaaaaaa", "organization": "Acme"}), 400, "password"),
        (json!({"email": "a@example.com", "password": PASSWORD, "organization": "   "}), 400, "organization"),
    ];
    for (body, status, field) in cases {
        let p = problem(app.post("/api/v1/auth/signup", body).await, status).await;
        assert_eq!(p["errors"][0]["field"], field, "{p}");
    }
    let p = problem(
        app.post("/api/v1/auth/signup", json!({"email": 5, "password": PASSWORD, "organization": "Acme"})).await,
        422,
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("email"), "{p}");
    problem(app.post("/api/v1/auth/signup", json!({"email": "a@example.com"})).await, 422).await;
    let res = app
        .client
        .post(app.url("/api/v1/auth/signup"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    problem(res, 400).await;
    let res = app.client.post(app.url("/api/v1/auth/signup")).body("email=a").send().await.unwrap();
    problem(res, 415).await;
    let huge = "x".repeat(200 * 1024);
    problem(
        app.post("/api/v1/auth/signup", json!({"email": "a@example.com", "password": PASSWORD, "organization": huge}))
            .await,
        413,
    )
    .await;
    assert_eq!(app.count("users").await, 0);
    assert_eq!(app.count("organizations").await, 0);
});

both!(a_taken_email_gets_409_case_insensitively, |app| {
    let email = app.signup().await;
    let res = client()
        .post(app.url("/api/v1/auth/signup"))
        .json(&json!({"email": email.to_uppercase(), "password": PASSWORD, "organization": "B"}))
        .send()
        .await
        .unwrap();
    let p = problem(res, 409).await;
    assert!(p["type"].as_str().unwrap().ends_with("email_taken"));
    assert_eq!(app.count("users").await, 1);
});

// Twelve signups for one address, spread over both instances.
raced!(racing_signups_for_one_email_yield_exactly_one_account, agentry_tests::test_config(), |apps| {
    let email = format!("race-{}@example.com", uuid::Uuid::new_v4().simple());
    let statuses = spread(&apps, 12, |a, i| {
        let body = json!({"email": email, "password": PASSWORD, "organization": format!("Org {i}")});
        client().post(a.url("/api/v1/auth/signup")).json(&body).send()
    })
    .await;
    assert_eq!(count(&statuses, 201), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 201 || *s == 409), "{statuses:?}");
    assert_eq!(apps[0].count("users").await, 1);
    assert_eq!(apps[0].count("organizations").await, 1);
});

both!(missing_forged_and_expired_sessions_get_401, |app| {
    problem(client().get(app.url("/api/v1/me")).send().await.unwrap(), 401).await;
    let forged =
        client().get(app.url("/api/v1/me")).header("cookie", "agentry_session=forged-token").send().await.unwrap();
    problem(forged, 401).await;
    app.signup().await;
    sqlx::query("UPDATE sessions SET expires_at = 0").execute(&app.services.db().pool).await.unwrap();
    problem(app.get("/api/v1/me").await, 401).await;
});

both!(login_is_rate_limited_with_retry_after, |app| {
    let email = app.signup().await;
    let mut last = None;
    for _ in 0..6 {
        last = Some(app.post("/api/v1/auth/login", json!({"email": email, "password": "wrong password!"})).await);
    }
    let res = last.unwrap();
    let retry: u64 = res.headers().get("retry-after").unwrap().to_str().unwrap().parse().unwrap();
    assert!((1..=300).contains(&retry));
    problem(res, 429).await;
    // Even the right password is refused while the limit holds.
    problem(app.post("/api/v1/auth/login", json!({"email": email, "password": PASSWORD})).await, 429).await;
});

both!(cross_origin_cookie_posts_are_rejected, |app| {
    app.signup().await;
    let res = app
        .client
        .post(app.url("/api/v1/api-keys"))
        .header("origin", "http://evil.example")
        .json(&json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    problem_code(res, 403, "csrf").await;
    let res = app
        .client
        .post(app.url("/api/v1/api-keys"))
        .header("sec-fetch-site", "cross-site")
        .json(&json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    problem_code(res, 403, "csrf").await;
    assert_eq!(app.count("api_keys").await, 0);
    assert_eq!(app.post("/api/v1/api-keys", json!({"name": "ok"})).await.status(), 201);
});

both!(switching_organization_needs_a_membership, |app| {
    app.signup().await;
    let me: Value = app.get("/api/v1/me").await.json().await.unwrap();
    let user_id = me["user"]["id"].as_i64().unwrap();
    // A second organization this user joins as operator (no invite API yet: storage).
    let other = app.client.clone();
    let other_app_email = format!("o-{}@example.com", uuid::Uuid::new_v4().simple());
    let res = client()
        .post(app.url("/api/v1/auth/signup"))
        .json(&json!({"email": other_app_email, "password": PASSWORD, "organization": "Beta"}))
        .send()
        .await
        .unwrap();
    let beta: Value = res.json().await.unwrap();
    let beta_id = beta["currentOrganization"]["id"].as_i64().unwrap();
    let beta_uuid = beta["currentOrganization"]["uuid"].as_str().unwrap().to_string();
    problem_code(
        app.post("/api/v1/me/organization", json!({"organization": beta_uuid})).await,
        404,
        "organization_not_found",
    )
    .await;
    sqlx::query("INSERT INTO memberships (user_id, org_id, role, created_at) VALUES ($1, $2, 'operator', 0)")
        .bind(user_id)
        .bind(beta_id)
        .execute(&app.services.db().pool)
        .await
        .unwrap();
    let res = other
        .post(app.url("/api/v1/me/organization"))
        .header("origin", &app.base)
        .json(&json!({"organization": beta_uuid}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let me: Value = app.get("/api/v1/me").await.json().await.unwrap();
    assert_eq!(me["currentOrganization"]["name"], "Beta");
    assert_eq!(me["role"], "operator");
    assert_eq!(me["memberships"].as_array().unwrap().len(), 2);
    let res = app
        .post(
            "/api/v1/me/organization",
            json!({"organization": me["memberships"][0]["organization"]["id"].to_string()}),
        )
        .await;
    assert_eq!(res.status(), 200);
});
