//! Account security: changing the password, sessions, and password reset by email
//! (enumeration-safe, single use, one hour, rate limited).
use agentry_tests::{both, client, problem, problem_code, test_config, TestApp, PASSWORD};
use reqwest::Method;
use serde_json::{json, Value};

const NEW_PASSWORD: &str = "a brand new passphrase";

/// A second browser, logged in as `email`.
async fn login(app: &TestApp, email: &str, password: &str) -> reqwest::Client {
    let c = client();
    let res = c
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    c
}

async fn status_of(app: &TestApp, c: &reqwest::Client, path: &str) -> u16 {
    c.get(app.url(path)).send().await.unwrap().status().as_u16()
}

/// The reset token of the newest email to `to`, once the background task has queued it.
pub(crate) async fn reset_token(app: &TestApp, to: &str) -> String {
    for _ in 0..200 {
        if let Some((_, body)) = app.last_email(to).await {
            let at = body.find("token=pwr_").expect("a reset link") + "token=".len();
            return body[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-').collect();
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("no reset email to {to}");
}

both!(changing_the_password_needs_the_current_one_and_ends_other_sessions, |app| {
    let email = app.signup().await;
    let other = login(&app, &email, PASSWORD).await;
    let wrong =
        app.post("/api/v1/me/password", json!({"currentPassword": "not it at all", "newPassword": NEW_PASSWORD})).await;
    problem_code(wrong, 403, "wrong_password").await;
    let weak = app.post("/api/v1/me/password", json!({"currentPassword": PASSWORD, "newPassword": "short"})).await;
    let body = problem_code(weak, 400, "validation").await;
    assert_eq!(body["errors"][0]["field"], "newPassword");
    problem_code(app.post("/api/v1/me/password", json!({"currentPassword": PASSWORD})).await, 422, "invalid_body")
        .await;
    assert_eq!(status_of(&app, &other, "/api/v1/me").await, 200);

    let res = app.post("/api/v1/me/password", json!({"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD})).await;
    assert_eq!(res.status(), 204);
    assert_eq!(status_of(&app, &app.client, "/api/v1/me").await, 200, "this session goes on");
    assert_eq!(status_of(&app, &other, "/api/v1/me").await, 401, "the other one ended");
    problem(
        client()
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({"email": email, "password": PASSWORD}))
            .send()
            .await
            .unwrap(),
        401,
    )
    .await;
    login(&app, &email, NEW_PASSWORD).await;
    problem(
        client()
            .post(app.url("/api/v1/me/password"))
            .json(&json!({"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD}))
            .send()
            .await
            .unwrap(),
        401,
    )
    .await;
});

both!(sessions_are_listed_and_revoked_one_or_all_others, |app| {
    let email = app.signup().await;
    let (second, third) = (login(&app, &email, PASSWORD).await, login(&app, &email, PASSWORD).await);
    let list: Value = app.get("/api/v1/me/sessions").await.json().await.unwrap();
    let sessions = list["value"].as_array().unwrap();
    assert_eq!(sessions.len(), 3);
    assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);
    assert!(sessions.iter().all(|s| s["ip"] == "127.0.0.1" && s.get("token").is_none()));
    assert!(sessions.iter().any(|s| s["lastUsedAt"].is_string()), "authenticating records use: {list}");
    // The newest session is the third browser's.
    let third_id = sessions[0]["id"].as_i64().unwrap();
    let res = app
        .req(Method::DELETE, &format!("/api/v1/me/sessions/{third_id}"), &agentry_tests::Who::Session)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(status_of(&app, &third, "/api/v1/me").await, 401);
    assert_eq!(status_of(&app, &second, "/api/v1/me").await, 200);
    let again = app
        .req(Method::DELETE, &format!("/api/v1/me/sessions/{third_id}"), &agentry_tests::Who::Session)
        .send()
        .await
        .unwrap();
    problem_code(again, 404, "session_not_found").await;

    // Someone else's session is not yours to end.
    let stranger = client();
    let signup = json!({"email": format!("s-{}@example.com", uuid::Uuid::new_v4().simple()), "password": PASSWORD, "organization": "S"});
    assert_eq!(stranger.post(app.url("/api/v1/auth/signup")).json(&signup).send().await.unwrap().status(), 201);
    let theirs: Value = stranger.get(app.url("/api/v1/me/sessions")).send().await.unwrap().json().await.unwrap();
    let theirs = theirs["value"][0]["id"].as_i64().unwrap();
    let res = app
        .req(Method::DELETE, &format!("/api/v1/me/sessions/{theirs}"), &agentry_tests::Who::Session)
        .send()
        .await
        .unwrap();
    problem_code(res, 404, "session_not_found").await;
    assert_eq!(status_of(&app, &stranger, "/api/v1/me").await, 200);

    let revoked: Value = app.post("/api/v1/me/sessions/revoke-others", json!({})).await.json().await.unwrap();
    assert_eq!(revoked["revoked"], 1);
    assert_eq!(status_of(&app, &second, "/api/v1/me").await, 401);
    assert_eq!(status_of(&app, &app.client, "/api/v1/me").await, 200);
});

both!(a_password_reset_says_nothing_about_the_address_and_works_once, |app| {
    let email = app.signup().await;
    let known = client()
        .post(app.url("/api/v1/auth/password-reset"))
        .json(&json!({"email": email.to_uppercase()}))
        .send()
        .await
        .unwrap();
    let unknown = client()
        .post(app.url("/api/v1/auth/password-reset"))
        .json(&json!({"email": "nobody@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!((known.status().as_u16(), unknown.status().as_u16()), (202, 202));
    assert_eq!(known.text().await.unwrap(), unknown.text().await.unwrap());
    let token = reset_token(&app, &email).await;
    assert!(app.last_email("nobody@example.com").await.is_none());
    assert_eq!(app.count("password_resets").await, 1);

    let bad = json!({"token": token, "newPassword": "aaaaaaaaaaaa"});
    problem_code(
        client().post(app.url("/api/v1/auth/password-reset/confirm")).json(&bad).send().await.unwrap(),
        400,
        "validation",
    )
    .await;
    let ok = json!({"token": token, "newPassword": NEW_PASSWORD});
    let res = client().post(app.url("/api/v1/auth/password-reset/confirm")).json(&ok).send().await.unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(status_of(&app, &app.client, "/api/v1/me").await, 401, "every session ended");
    login(&app, &email, NEW_PASSWORD).await;
    let replay = client().post(app.url("/api/v1/auth/password-reset/confirm")).json(&ok).send().await.unwrap();
    problem_code(replay, 404, "reset_token_invalid").await;
    let forged = json!({"token": "pwr_nope", "newPassword": NEW_PASSWORD});
    problem_code(
        client().post(app.url("/api/v1/auth/password-reset/confirm")).json(&forged).send().await.unwrap(),
        404,
        "reset_token_invalid",
    )
    .await;
    problem_code(
        client()
            .post(app.url("/api/v1/auth/password-reset"))
            .json(&json!({"email": "not an email"}))
            .send()
            .await
            .unwrap(),
        400,
        "validation",
    )
    .await;
});

both!(password_reset_requests_are_rate_limited_per_account, |app| {
    let email = app.signup().await;
    let limit = test_config().password_reset_limit_per_account;
    for _ in 0..limit {
        let res =
            client().post(app.url("/api/v1/auth/password-reset")).json(&json!({"email": email})).send().await.unwrap();
        assert_eq!(res.status(), 202);
    }
    let res =
        client().post(app.url("/api/v1/auth/password-reset")).json(&json!({"email": email})).send().await.unwrap();
    assert!(res.headers().get("retry-after").is_some());
    problem_code(res, 429, "rate_limited").await;
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_link_expires_after_an_hour() {
    for backend in [agentry_tests::Backend::Sqlite, agentry_tests::Backend::Postgres] {
        let config = agentry_services::Config { clock: agentry_services::Clock::manual(), ..test_config() };
        let app = agentry_tests::spawn_with(backend, config).await;
        let email = app.signup().await;
        let res =
            client().post(app.url("/api/v1/auth/password-reset")).json(&json!({"email": email})).send().await.unwrap();
        assert_eq!(res.status(), 202);
        let token = reset_token(&app, &email).await;
        assert!(app.services.clock().advance(std::time::Duration::from_secs(3601)));
        let res = client()
            .post(app.url("/api/v1/auth/password-reset/confirm"))
            .json(&json!({"token": token, "newPassword": NEW_PASSWORD}))
            .send()
            .await
            .unwrap();
        problem_code(res, 404, "reset_token_invalid").await;
    }
}
