//! Seed 000 invites: the unauthenticated flow, confirmation, the pending list, resend,
//! cancel.

use agentry_tests::{both, client, keypair, problem, problem_code, registration, TestApp, Who};
use serde_json::{json, Value};

/// Registers an agent through the invite flow for `email`; returns the response body.
async fn invite(app: &TestApp, email: &str, name: &str) -> Value {
    let c = app.challenge(&Who::Anon, "?invite=true").await;
    let (_, pk) = keypair();
    let mut body = registration(&c, &pk, name);
    body["ownerEmail"] = json!(email);
    let res = client().post(app.url("/api/v1/registration/agent")).json(&body).send().await.unwrap();
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    res.json().await.unwrap()
}

/// A second signed-up user with their own client; returns (client, email).
async fn other_user(app: &TestApp) -> (reqwest::Client, String) {
    let c = client();
    let email = format!("o-{}@example.com", uuid::Uuid::new_v4().simple());
    let res = c
        .post(app.url("/api/v1/auth/signup"))
        .json(&json!({"email": email, "password": agentry_tests::PASSWORD, "organization": "Other"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    (c, email)
}

both!(invite_flow_for_an_existing_account_reserves_a_seat_and_confirms, |app| {
    let email = app.signup().await;
    let org = app.org_id().await;
    let r = invite(&app, &email, "helper").await;
    assert_eq!(r["status"], "pending_invite");
    assert_eq!(r["agent"]["registration"], "pending_invite");
    assert!(r["agent"]["orgId"].is_null() && r["agent"]["ownerId"].is_null());
    assert!(r.get("apiKey").is_none() && r["inviteExpiresAt"].is_string());
    let agent_id = r["agent"]["id"].as_i64().unwrap();
    assert_eq!(app.seats_used(org).await, 1, "the recipient's organization holds a seat");

    // The email is in the outbox, sealed at rest, with a one-time link.
    let (_, body) = app.last_email(&email).await.unwrap();
    assert!(body.contains("/invite/confirm?token=inv_"), "{body}");
    let token = app.invite_token(&email).await;

    // The owner sees it in the pending list.
    let list: Value = app.get("/api/v1/agents/pending").await.json().await.unwrap();
    assert_eq!(list["total"], 1);
    assert_eq!(list["invites"][0]["agentId"], agent_id);
    assert_eq!(list["invites"][0]["email"], email);
    assert_eq!(list["invites"][0]["status"], "pending");
    assert_eq!(list["invites"][0]["expired"], false);

    let res = app.post("/api/v1/registration/invite/confirm", json!({"token": token})).await;
    assert_eq!(res.status(), 200);
    let c: Value = res.json().await.unwrap();
    assert_eq!(c["status"], "registered");
    assert_eq!(c["agent"]["orgId"], org);
    let key = c["apiKey"].as_str().unwrap();
    assert_eq!(client().get(app.url("/api/v1/agents/self")).bearer_auth(key).send().await.unwrap().status(), 200);
    assert_eq!(app.seats_used(org).await, 1, "confirming keeps the one seat");
    // 409: already claimed.
    problem(app.post("/api/v1/registration/invite/confirm", json!({"token": token})).await, 409).await;
    let list: Value = app.get("/api/v1/agents/pending").await.json().await.unwrap();
    assert_eq!(list["total"], 0);
});

both!(invite_answers_are_identical_whether_the_address_has_an_account, |app| {
    let known = app.signup().await;
    let a = invite(&app, &known, "same").await;
    let b = invite(&app, "nobody-here@example.com", "same").await;
    let shape = |v: &Value| {
        let mut v = v.clone();
        for f in ["id", "publicKey", "createdAt"] {
            v["agent"][f] = Value::Null;
        }
        v["inviteExpiresAt"] = Value::Null;
        v
    };
    assert_eq!(shape(&a), shape(&b));
    assert!(app.last_email("nobody-here@example.com").await.is_some());
    // An invite challenge needs an ownerEmail, a valid one.
    let c = app.challenge(&Who::Anon, "?invite=true").await;
    let (_, pk) = keypair();
    problem(
        client().post(app.url("/api/v1/registration/agent")).json(&registration(&c, &pk, "x")).send().await.unwrap(),
        400,
    )
    .await;
    let mut body = registration(&c, &pk, "x");
    body["ownerEmail"] = json!("not an email");
    problem(client().post(app.url("/api/v1/registration/agent")).json(&body).send().await.unwrap(), 400).await;
});

both!(invite_confirmation_status_codes, |app| {
    let email = app.signup().await;
    let org = app.org_id().await;
    invite(&app, &email, "a").await;
    let token = app.invite_token(&email).await;

    problem(
        client()
            .post(app.url("/api/v1/registration/invite/confirm"))
            .json(&json!({"token": token}))
            .send()
            .await
            .unwrap(),
        401,
    )
    .await;
    problem(app.post("/api/v1/registration/invite/confirm", json!({})).await, 400).await;
    problem(app.post("/api/v1/registration/invite/confirm", json!({"token": "garbage"})).await, 400).await;
    let forged = format!("inv_{}", "A".repeat(43));
    problem_code(
        app.post("/api/v1/registration/invite/confirm", json!({"token": forged})).await,
        404,
        "invite_not_found",
    )
    .await;
    // 403: someone else's invite.
    let (other, _) = other_user(&app).await;
    let res =
        other.post(app.url("/api/v1/registration/invite/confirm")).json(&json!({"token": token})).send().await.unwrap();
    problem_code(res, 403, "not_invite_recipient").await;
    // 410: expired.
    sqlx::query("UPDATE invites SET expires_at = 1").execute(&app.services.db().pool).await.unwrap();
    problem_code(app.post("/api/v1/registration/invite/confirm", json!({"token": token})).await, 410, "invite_expired")
        .await;

    // 403: no free seat at confirmation (an invite to an address without an account yet).
    let late = format!("late-{}@example.com", uuid::Uuid::new_v4().simple());
    invite(&app, &late, "b").await;
    let late_token = app.invite_token(&late).await;
    let late_client = client();
    let res = late_client
        .post(app.url("/api/v1/auth/signup"))
        .json(&json!({"email": late, "password": agentry_tests::PASSWORD, "organization": "Late"}))
        .send()
        .await
        .unwrap();
    let late_org = res.json::<Value>().await.unwrap()["currentOrganization"]["id"].as_i64().unwrap();
    app.set_seat_limit(late_org, 0).await;
    let res = late_client
        .post(app.url("/api/v1/registration/invite/confirm"))
        .json(&json!({"token": late_token}))
        .send()
        .await
        .unwrap();
    problem_code(res, 403, "no_free_seat").await;
    app.set_seat_limit(late_org, 5).await;
    let res = late_client
        .post(app.url("/api/v1/registration/invite/confirm"))
        .json(&json!({"token": late_token}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["agent"]["orgId"], late_org);
    assert_eq!(app.seats_used(late_org).await, 1);

    // 409: cancelled.
    let r = invite(&app, &email, "c").await;
    let id = r["agent"]["id"].as_i64().unwrap();
    let t = app.invite_token(&email).await;
    assert_eq!(app.post(&format!("/api/v1/agents/{id}/invite/cancel"), json!({"reason": "no"})).await.status(), 200);
    problem(app.post("/api/v1/registration/invite/confirm", json!({"token": t})).await, 409).await;
    let _ = org;
});

both!(pending_list_visibility_and_paging, |app| {
    let email = app.signup().await;
    let org = app.org_id().await;
    app.set_seat_limit(org, 100).await;
    for i in 0..3 {
        invite(&app, &email, &format!("p{i}")).await;
    }
    problem(client().get(app.url("/api/v1/agents/pending")).send().await.unwrap(), 401).await;
    let list: Value = app.get("/api/v1/agents/pending?limit=1000&offset=1").await.json().await.unwrap();
    assert_eq!(list["limit"], 200);
    assert_eq!(list["offset"], 1);
    assert_eq!(list["total"], 3);
    assert_eq!(list["invites"].as_array().unwrap().len(), 2);
    let list: Value = app.get("/api/v1/agents/pending?limit=1").await.json().await.unwrap();
    assert_eq!(list["invites"].as_array().unwrap().len(), 1);
    let list: Value = app.get("/api/v1/agents/pending?email=someone-else@example.com").await.json().await.unwrap();
    assert_eq!(list["total"], 0);
    // Expired ones are included by default, and can be left out.
    sqlx::query("UPDATE invites SET expires_at = 1 WHERE id = (SELECT MIN(id) FROM invites)")
        .execute(&app.services.db().pool)
        .await
        .unwrap();
    let list: Value = app.get("/api/v1/agents/pending").await.json().await.unwrap();
    assert_eq!(list["total"], 3);
    assert_eq!(list["invites"][0]["expired"], true);
    let list: Value = app.get("/api/v1/agents/pending?include_expired=false").await.json().await.unwrap();
    assert_eq!(list["total"], 2);
    problem(app.get("/api/v1/agents/pending?limit=x").await, 400).await;

    // A plain member with no invites: 403. Once an invite is addressed to them: only theirs.
    let (member, member_email) = other_user(&app).await;
    sqlx::query("UPDATE memberships SET role = 'member' WHERE user_id = (SELECT id FROM users WHERE email = $1)")
        .bind(&member_email)
        .execute(&app.services.db().pool)
        .await
        .unwrap();
    problem_code(member.get(app.url("/api/v1/agents/pending")).send().await.unwrap(), 403, "not_allowed").await;
    invite(&app, &member_email, "for-member").await;
    let list: Value = member.get(app.url("/api/v1/agents/pending")).send().await.unwrap().json().await.unwrap();
    assert_eq!(list["total"], 1);
    assert_eq!(list["invites"][0]["email"], member_email);
});

both!(resend_issues_a_new_token_and_extends_the_expiry, |app| {
    let email = app.signup().await;
    let org = app.org_id().await;
    let r = invite(&app, &email, "r").await;
    let id = r["agent"]["id"].as_i64().unwrap();
    let old = app.invite_token(&email).await;
    sqlx::query("UPDATE invites SET expires_at = 1").execute(&app.services.db().pool).await.unwrap();
    let emails_before = app.count("outbox").await;

    problem(client().post(app.url(&format!("/api/v1/agents/{id}/invite/resend"))).send().await.unwrap(), 401).await;
    problem(app.post("/api/v1/agents/abc/invite/resend", json!({})).await, 400).await;
    problem(app.post("/api/v1/agents/987654/invite/resend", json!({})).await, 404).await;
    let (member, _) = other_user(&app).await;
    problem(member.post(app.url(&format!("/api/v1/agents/{id}/invite/resend"))).send().await.unwrap(), 404).await;
    let uid: i64 = sqlx::Row::try_get(
        &sqlx::query("SELECT MAX(id) AS id FROM users").fetch_one(&app.services.db().pool).await.unwrap(),
        "id",
    )
    .unwrap();
    sqlx::query("INSERT INTO memberships (user_id, org_id, role, created_at) VALUES ($1, $2, 'member', 0)")
        .bind(uid)
        .bind(org)
        .execute(&app.services.db().pool)
        .await
        .unwrap();
    let switched = member
        .post(app.url("/api/v1/me/organization"))
        .json(&json!({"organization": org.to_string()}))
        .send()
        .await
        .unwrap();
    assert_eq!(switched.status(), 200);
    problem_code(
        member.post(app.url(&format!("/api/v1/agents/{id}/invite/resend"))).send().await.unwrap(),
        403,
        "not_allowed",
    )
    .await;

    let res = app
        .client
        .post(app.url(&format!("/api/v1/agents/{id}/invite/resend")))
        .header("origin", &app.base)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["agentId"], id);
    assert_eq!(v["email"], email);
    assert_eq!(v["resendCount"], 1);
    let exp = chrono::DateTime::parse_from_rfc3339(v["expiresAt"].as_str().unwrap()).unwrap();
    assert!(exp.with_timezone(&chrono::Utc) > chrono::Utc::now() + chrono::Duration::days(6));
    assert_eq!(app.count("outbox").await, emails_before + 1);
    let new = app.invite_token(&email).await;
    assert_ne!(new, old);
    problem(app.post("/api/v1/registration/invite/confirm", json!({"token": old})).await, 404).await;
    assert_eq!(app.post("/api/v1/registration/invite/confirm", json!({"token": new})).await.status(), 200);
    problem(app.post(&format!("/api/v1/agents/{id}/invite/resend"), json!({})).await, 404).await;
});

both!(cancel_frees_the_seat_and_records_the_reason, |app| {
    let email = app.signup().await;
    let org = app.org_id().await;
    let r = invite(&app, &email, "doomed").await;
    let id = r["agent"]["id"].as_i64().unwrap();
    assert_eq!(app.seats_used(org).await, 1);

    problem(
        client().post(app.url(&format!("/api/v1/agents/{id}/invite/cancel"))).json(&json!({})).send().await.unwrap(),
        401,
    )
    .await;
    problem(app.post("/api/v1/agents/abc/invite/cancel", json!({})).await, 400).await;
    problem(app.post("/api/v1/agents/987654/invite/cancel", json!({})).await, 404).await;
    let (member, _) = other_user(&app).await;
    let uid: i64 = sqlx::Row::try_get(
        &sqlx::query("SELECT MAX(id) AS id FROM users").fetch_one(&app.services.db().pool).await.unwrap(),
        "id",
    )
    .unwrap();
    sqlx::query("INSERT INTO memberships (user_id, org_id, role, created_at) VALUES ($1, $2, 'member', 0)")
        .bind(uid)
        .bind(org)
        .execute(&app.services.db().pool)
        .await
        .unwrap();
    member
        .post(app.url("/api/v1/me/organization"))
        .json(&json!({"organization": org.to_string()}))
        .send()
        .await
        .unwrap();
    problem(
        member.post(app.url(&format!("/api/v1/agents/{id}/invite/cancel"))).json(&json!({})).send().await.unwrap(),
        403,
    )
    .await;

    let res = app.post(&format!("/api/v1/agents/{id}/invite/cancel"), json!({"reason": "not mine"})).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap(), json!({"agentId": id, "status": "cancelled", "reason": "not mine"}));
    assert_eq!(app.seats_used(org).await, 0);
    let row = sqlx::query("SELECT metadata, registration FROM agents WHERE id = $1")
        .bind(id)
        .fetch_one(&app.services.db().pool)
        .await
        .unwrap();
    let md: Value = serde_json::from_str(&sqlx::Row::try_get::<String, _>(&row, "metadata").unwrap()).unwrap();
    assert_eq!(md["inviteCancelReason"], "not mine");
    let row = sqlx::query("SELECT detail FROM audit_log WHERE action = 'agent.invite_cancelled'")
        .fetch_one(&app.services.db().pool)
        .await
        .unwrap();
    assert!(sqlx::Row::try_get::<String, _>(&row, "detail").unwrap().contains("not mine"));
    problem(app.post(&format!("/api/v1/agents/{id}/invite/cancel"), json!({})).await, 404).await;
    // The recipient may cancel too (no body needed).
    let r = invite(&app, &email, "second").await;
    let id = r["agent"]["id"].as_i64().unwrap();
    let res = app
        .client
        .post(app.url(&format!("/api/v1/agents/{id}/invite/cancel")))
        .header("origin", &app.base)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
});
