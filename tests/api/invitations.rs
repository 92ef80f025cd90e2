//! Member invitations: invite, email, sign up and accept; resend kills the old link;
//! cancel; expiry; the recipient rule; the role rules; answers that say nothing about
//! accounts; bad input; and races on one link.
use crate::invariants::spread;
use agentry_tests::{both, join, problem, problem_code, raced, user, user_with_email, TestApp, User};
use reqwest::Method;
use serde_json::{json, Value};

async fn send(app: &TestApp, c: &reqwest::Client, m: Method, path: &str, body: Option<Value>) -> reqwest::Response {
    let r = c.request(m, app.url(path)).header("origin", &app.base);
    match body {
        Some(b) => r.json(&b),
        None => r,
    }
    .send()
    .await
    .unwrap()
}

/// Invites `email` as `role` with the app's session; asserts 201.
async fn invite(app: &TestApp, org: i64, email: &str, role: &str) -> Value {
    let res =
        app.post(&format!("/api/v1/organizations/{org}/invitations"), json!({"email": email, "role": role})).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    res.json().await.unwrap()
}

async fn accept(app: &TestApp, u: &User, token: &str) -> reqwest::Response {
    send(app, &u.client, Method::POST, "/api/v1/invitations/accept", Some(json!({"token": token}))).await
}

fn fresh_email() -> String {
    format!("new-{}@example.com", uuid::Uuid::new_v4().simple())
}

both!(a_new_person_signs_up_from_the_link_and_joins_with_the_role, |app| {
    app.signup().await;
    let org = app.org_id().await;
    let email = fresh_email();
    let inv = invite(&app, org, &format!("  {}  ", email.to_uppercase()), "operator").await;
    assert_eq!(inv["email"], email);
    assert_eq!(inv["role"], "operator");
    assert_eq!(inv["status"], "pending");
    assert!(inv.get("token").is_none(), "the token is only in the email");
    let token = app.emailed_token(&email, "mbr_").await;
    assert!(token.len() >= 4 + 43, "256 bits: {token}");
    let (_, body) = app.last_email(&email).await.unwrap();
    assert!(body.contains("/join?token=mbr_"), "{body}");
    let list: Value = app.get(&format!("/api/v1/organizations/{org}/invitations")).await.json().await.unwrap();
    assert_eq!(list["value"].as_array().unwrap().len(), 1);

    // Nobody but its SHA-256 is stored.
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM member_invitations WHERE token_hash = $1")
        .bind(agentry_services::secrets::hash(&token))
        .fetch_one(&app.services.db().pool)
        .await
        .unwrap();
    assert_eq!(stored, 1);

    // The recipient signs up (the address in another case) and accepts.
    let newcomer = user_with_email(&app, &email.replace("new-", "NEW-")).await;
    let res = accept(&app, &newcomer, &format!(" {token} ")).await;
    assert_eq!(res.status(), 200);
    let joined: Value = res.json().await.unwrap();
    assert_eq!(joined["role"], "operator");
    assert_eq!(joined["organization"]["id"], org);
    let members: Value = app.get(&format!("/api/v1/organizations/{org}/members")).await.json().await.unwrap();
    assert_eq!(members["@odata.count"], 2);
    let list: Value = app.get(&format!("/api/v1/organizations/{org}/invitations")).await.json().await.unwrap();
    assert_eq!(list["value"], json!([]));

    // The link works once.
    problem_code(accept(&app, &newcomer, &token).await, 404, "invitation_not_found").await;
    // The audit log has both, and never the token.
    let rows: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT action, detail FROM audit_log WHERE action IN ('member.invited', 'member.joined') ORDER BY id",
    )
    .fetch_all(&app.services.db().pool)
    .await
    .unwrap();
    assert_eq!(rows.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(), ["member.invited", "member.joined"]);
    assert!(rows.iter().all(|r| !r.1.clone().unwrap_or_default().contains("mbr_")));
});

both!(answers_do_not_tell_whether_an_address_has_an_account, |app| {
    app.signup().await;
    let org = app.org_id().await;
    let known = user(&app).await;
    let unknown = fresh_email();
    let a = invite(&app, org, &known.email, "member").await;
    let b = invite(&app, org, &unknown, "member").await;
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&a), keys(&b));
    let (_, body_a) = app.last_email(&known.email).await.unwrap();
    let (_, body_b) = app.last_email(&unknown).await.unwrap();
    let shape = |s: &str| s.split_whitespace().filter(|w| !w.contains("mbr_")).count();
    assert_eq!(shape(&body_a), shape(&body_b));
});

both!(resend_kills_the_old_link_and_cancel_kills_the_new_one, |app| {
    app.signup().await;
    let org = app.org_id().await;
    let email = fresh_email();
    let id = invite(&app, org, &email, "member").await["id"].as_i64().unwrap();
    let old = app.emailed_token(&email, "mbr_").await;
    let res = app.post(&format!("/api/v1/organizations/{org}/invitations/{id}/resend"), json!({})).await;
    assert_eq!(res.status(), 200);
    let new = app.emailed_token(&email, "mbr_").await;
    assert_ne!(old, new);
    let newcomer = user_with_email(&app, &email).await;
    problem_code(accept(&app, &newcomer, &old).await, 404, "invitation_not_found").await;

    let res = app.post(&format!("/api/v1/organizations/{org}/invitations/{id}/cancel"), json!({})).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "cancelled");
    problem_code(accept(&app, &newcomer, &new).await, 404, "invitation_not_found").await;
    let again = app.post(&format!("/api/v1/organizations/{org}/invitations/{id}/cancel"), json!({})).await;
    problem_code(again, 409, "invitation_not_pending").await;
    let resend = app.post(&format!("/api/v1/organizations/{org}/invitations/{id}/resend"), json!({})).await;
    problem_code(resend, 409, "invitation_not_pending").await;
    // A cancelled invitation leaves room for a new one.
    invite(&app, org, &email, "member").await;
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_link_is_410_until_resent() {
    for backend in [agentry_tests::Backend::Sqlite, agentry_tests::Backend::Postgres] {
        let config =
            agentry_services::Config { clock: agentry_services::Clock::manual(), ..agentry_tests::test_config() };
        let app = agentry_tests::spawn_with(backend, config).await;
        app.signup().await;
        let org = app.org_id().await;
        let email = fresh_email();
        let id = invite(&app, org, &email, "member").await["id"].as_i64().unwrap();
        let token = app.emailed_token(&email, "mbr_").await;
        let newcomer = user_with_email(&app, &email).await;
        assert!(app.services.clock().advance(std::time::Duration::from_secs(7 * 24 * 3600 + 1)));
        let list: Value = app.get(&format!("/api/v1/organizations/{org}/invitations")).await.json().await.unwrap();
        assert_eq!(list["value"][0]["status"], "expired");
        problem_code(accept(&app, &newcomer, &token).await, 410, "invitation_expired").await;
        let res = app.post(&format!("/api/v1/organizations/{org}/invitations/{id}/resend"), json!({})).await;
        assert_eq!(res.status(), 200);
        let token = app.emailed_token(&email, "mbr_").await;
        assert_eq!(accept(&app, &newcomer, &token).await.status(), 200);
    }
}

both!(only_the_recipient_accepts_and_a_member_cannot_join_twice, |app| {
    app.signup().await;
    let org = app.org_id().await;
    let email = fresh_email();
    invite(&app, org, &email, "member").await;
    let token = app.emailed_token(&email, "mbr_").await;
    let stranger = user(&app).await;
    problem_code(accept(&app, &stranger, &token).await, 403, "not_invite_recipient").await;
    let list: Value = app.get(&format!("/api/v1/organizations/{org}/invitations")).await.json().await.unwrap();
    assert_eq!(list["value"][0]["status"], "pending", "a refused accept changes nothing");

    // Inviting a member, or an address with an open invitation, is a conflict.
    join(&app, org, &stranger, "member").await;
    let path = format!("/api/v1/organizations/{org}/invitations");
    let res = app.post(&path, json!({"email": stranger.email, "role": "member"})).await;
    problem_code(res, 409, "already_member").await;
    let res = app.post(&path, json!({"email": email, "role": "admin"})).await;
    let p = problem_code(res, 409, "invitation_pending").await;
    assert_eq!(p["invitationId"], list["value"][0]["id"]);
});

both!(invitations_follow_the_role_rules, |app| {
    app.signup().await;
    let org = app.org_id().await;
    let path = format!("/api/v1/organizations/{org}/invitations");
    let (admin, operator, member, outsider) = (user(&app).await, user(&app).await, user(&app).await, user(&app).await);
    join(&app, org, &admin, "admin").await;
    join(&app, org, &operator, "operator").await;
    join(&app, org, &member, "member").await;
    let body = |role: &str| Some(json!({"email": fresh_email(), "role": role}));
    // Owners invite any role; admins operators and members only.
    for role in ["owner", "admin", "operator", "member"] {
        assert_eq!(
            send(&app, &app.client, Method::POST, &path, body(role)).await.status(),
            201,
            "owner invites {role}"
        );
    }
    for (role, status) in [("owner", 403), ("admin", 403), ("operator", 201), ("member", 201)] {
        assert_eq!(
            send(&app, &admin.client, Method::POST, &path, body(role)).await.status(),
            status,
            "admin invites {role}"
        );
    }
    let id = invite(&app, org, &fresh_email(), "member").await["id"].as_i64().unwrap();
    for who in [&operator, &member] {
        problem_code(send(&app, &who.client, Method::POST, &path, body("member")).await, 403, "not_allowed").await;
        problem_code(send(&app, &who.client, Method::GET, &path, None).await, 403, "not_allowed").await;
        let resend = format!("{path}/{id}/resend");
        problem_code(send(&app, &who.client, Method::POST, &resend, None).await, 403, "not_allowed").await;
        let cancel = format!("{path}/{id}/cancel");
        problem_code(send(&app, &who.client, Method::POST, &cancel, None).await, 403, "not_allowed").await;
    }
    problem_code(send(&app, &outsider.client, Method::GET, &path, None).await, 404, "organization_not_found").await;
    let resend = format!("{path}/{id}/resend");
    problem_code(send(&app, &outsider.client, Method::POST, &resend, None).await, 404, "organization_not_found").await;
    problem(agentry_tests::client().get(app.url(&path)).send().await.unwrap(), 401).await;
    let anon = agentry_tests::client()
        .post(app.url("/api/v1/invitations/accept"))
        .json(&json!({"token": "mbr_aaaaaaaaaaaaaaaaaaaaaaaa"}));
    problem(anon.send().await.unwrap(), 401).await;
    // Admins manage the invitations (their own and others').
    assert_eq!(send(&app, &admin.client, Method::GET, &path, None).await.status(), 200);
    assert_eq!(send(&app, &admin.client, Method::POST, &format!("{path}/{id}/cancel"), None).await.status(), 200);
});

both!(bad_input_changes_nothing, |app| {
    app.signup().await;
    let org = app.org_id().await;
    let path = format!("/api/v1/organizations/{org}/invitations");
    let before = (app.count("member_invitations").await, app.count("outbox").await);
    problem_code(app.post(&path, json!({"email": "not-an-email", "role": "member"})).await, 400, "validation").await;
    problem_code(app.post(&path, json!({"email": fresh_email(), "role": "king"})).await, 422, "invalid_body").await;
    problem_code(app.post(&path, json!({"email": fresh_email()})).await, 422, "invalid_body").await;
    let extra = json!({"email": fresh_email(), "role": "member", "token": "x"});
    problem_code(app.post(&path, extra).await, 422, "invalid_body").await;
    let huge = format!("{}@example.com", "a".repeat(300));
    problem_code(app.post(&path, json!({"email": huge, "role": "member"})).await, 400, "validation").await;
    assert_eq!((app.count("member_invitations").await, app.count("outbox").await), before);
    problem_code(app.post("/api/v1/invitations/accept", json!({})).await, 400, "validation").await;
    problem_code(
        app.post("/api/v1/invitations/accept", json!({"token": "inv_aaaaaaaaaaaaaaaaaaaa"})).await,
        400,
        "validation",
    )
    .await;
    let unknown = json!({"token": "mbr_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"});
    problem_code(app.post("/api/v1/invitations/accept", unknown).await, 404, "invitation_not_found").await;
    problem_code(app.post(&format!("{path}/999999/resend"), json!({})).await, 404, "invitation_not_found").await;
    problem_code(app.post(&format!("{path}/abc/cancel"), json!({})).await, 400, "invalid_path").await;

    // Another organization's invitation is not found here.
    let other = user(&app).await;
    let res = send(&app, &other.client, Method::GET, "/api/v1/me", None).await;
    let other_org = res.json::<Value>().await.unwrap()["currentOrganization"]["id"].as_i64().unwrap();
    let theirs = send(
        &app,
        &other.client,
        Method::POST,
        &format!("/api/v1/organizations/{other_org}/invitations"),
        Some(json!({"email": fresh_email(), "role": "member"})),
    )
    .await;
    let id = theirs.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    problem_code(app.post(&format!("{path}/{id}/cancel"), json!({})).await, 404, "invitation_not_found").await;
});

// The two accepts go one to each instance, each with the newcomer's own client.
raced!(one_link_accepted_twice_at_once_joins_once, agentry_tests::test_config(), |apps| {
    let app = &apps[0];
    app.signup().await;
    let org = app.org_id().await;
    let email = fresh_email();
    invite(app, org, &email, "member").await;
    let token = app.emailed_token(&email, "mbr_").await;
    let newcomer = user_with_email(app, &email).await;
    let mut statuses = spread(&apps, 2, |a, _| accept(a, &newcomer, &token)).await;
    statuses.sort_unstable();
    assert!(statuses == [200, 404] || statuses == [200, 409], "{statuses:?}");
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM memberships WHERE org_id = $1 AND user_id = $2")
        .bind(org)
        .bind(newcomer.id)
        .fetch_one(&app.services.db().pool)
        .await
        .unwrap();
    assert_eq!(n, 1);

    // Two invitations to one address at once, one to each instance: one is created, the
    // other is a conflict.
    let email = fresh_email();
    let path = format!("/api/v1/organizations/{org}/invitations");
    let body = json!({"email": email, "role": "member"});
    let mut statuses = spread(&apps, 2, |a, _| a.post(&path, body.clone())).await;
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409]);
});
