//! The role matrix: every organization endpoint, called by an owner, an admin, an
//! operator, a member, a signed-in non-member and an anonymous client, answers its
//! documented status; and another organization's objects are 404 under this one's path.
//!
//! Calls that succeed must not spoil the next caller's, so each case either changes
//! nothing (a rename to the same name, a role "change" to the same role, a plan dry run) or
//! acts on an object made for that one call (`{fresh}`: a new member; `{inv}`: a new
//! invitation; `{email}`: a new address).
use agentry_tests::{both, client, join, problem_code, user, TestApp, User};
use reqwest::Method;
use serde_json::{json, Value};

const CALLERS: [&str; 6] = ["owner", "admin", "operator", "member", "outsider", "anonymous"];

/// One endpoint: method, path template, body template, and the status per caller in the
/// order of [`CALLERS`].
type Case = (Method, &'static str, Option<&'static str>, [u16; 6]);

fn cases() -> Vec<Case> {
    use Method as M;
    vec![
        (M::GET, "/api/v1/organizations", None, [200, 200, 200, 200, 200, 401]),
        (M::POST, "/api/v1/organizations", Some(r#"{"name": "Another"}"#), [201, 201, 201, 201, 201, 401]),
        (M::GET, "/api/v1/organizations/{org}", None, [200, 200, 200, 200, 404, 401]),
        (M::GET, "/api/v1/organizations/{uuid}", None, [200, 200, 200, 200, 404, 401]),
        (M::PATCH, "/api/v1/organizations/{org}", Some(r#"{"name": "Matrix"}"#), [200, 200, 403, 403, 404, 401]),
        (M::GET, "/api/v1/organizations/{org}/members", None, [200, 200, 200, 200, 404, 401]),
        (
            M::PATCH,
            "/api/v1/organizations/{org}/members/{target}",
            Some(r#"{"role": "member"}"#),
            [200, 200, 403, 403, 404, 401],
        ),
        (M::DELETE, "/api/v1/organizations/{org}/members/{fresh}", None, [204, 204, 403, 403, 404, 401]),
        (M::GET, "/api/v1/plans", None, [200, 200, 200, 200, 200, 401]),
        (
            M::PUT,
            "/api/v1/organizations/{org}/plan?dryRun=true",
            Some(r#"{"plan": "team"}"#),
            [200, 403, 403, 403, 404, 401],
        ),
        (
            M::POST,
            "/api/v1/organizations/{org}/invitations",
            Some(r#"{"email": "{email}", "role": "member"}"#),
            [201, 201, 403, 403, 404, 401],
        ),
        (M::GET, "/api/v1/organizations/{org}/invitations", None, [200, 200, 403, 403, 404, 401]),
        (M::POST, "/api/v1/organizations/{org}/invitations/{inv}/resend", None, [200, 200, 403, 403, 404, 401]),
        (M::POST, "/api/v1/organizations/{org}/invitations/{inv}/cancel", None, [200, 200, 403, 403, 404, 401]),
        (M::GET, "/api/v1/organizations/{org}/audit", None, [200, 200, 200, 403, 404, 401]),
        (M::GET, "/api/v1/organizations/{org}/audit/verify", None, [200, 200, 200, 403, 404, 401]),
        (M::GET, "/api/v1/organizations/{org}/audit/export", None, [200, 200, 200, 403, 404, 401]),
        (M::GET, "/api/v1/me/sessions", None, [200, 200, 200, 200, 200, 401]),
        (
            M::POST,
            "/api/v1/invitations/accept",
            Some(r#"{"token": "mbr_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}"#),
            [404, 404, 404, 404, 404, 401],
        ),
    ]
}

fn unique_email() -> String {
    format!("m-{}@example.com", uuid::Uuid::new_v4().simple())
}

/// A new invitation in `org`, made by the owner (the app's session); its id.
async fn invitation(app: &TestApp, org: i64) -> i64 {
    let path = format!("/api/v1/organizations/{org}/invitations");
    let res = app.post(&path, json!({"email": unique_email(), "role": "member"})).await;
    assert_eq!(res.status(), 201);
    res.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

/// Sends one case as `caller`, filling the templates.
async fn call(app: &TestApp, org: (i64, &str), target: i64, case: &Case, caller: Option<&reqwest::Client>) -> u16 {
    let (method, path, body, _) = case;
    let mut path = path.replace("{org}", &org.0.to_string()).replace("{uuid}", org.1);
    path = path.replace("{target}", &target.to_string());
    if path.contains("{fresh}") {
        let fresh = user(app).await;
        join(app, org.0, &fresh, "member").await;
        path = path.replace("{fresh}", &fresh.id.to_string());
    }
    if path.contains("{inv}") {
        path = path.replace("{inv}", &invitation(app, org.0).await.to_string());
    }
    let anonymous = client();
    let c = caller.unwrap_or(&anonymous);
    let mut req = c.request(method.clone(), app.url(&path)).header("origin", &app.base);
    if let Some(b) = body {
        req = req.header("content-type", "application/json").body(b.replace("{email}", &unique_email()));
    }
    req.send().await.unwrap().status().as_u16()
}

both!(every_organization_endpoint_answers_each_role_as_documented, |app| {
    app.signup().await;
    let org = app.org_id().await;
    let me: Value = app.get(&format!("/api/v1/organizations/{org}")).await.json().await.unwrap();
    let uuid = me["organization"]["uuid"].as_str().unwrap().to_string();
    let rename = app.client.patch(app.url(&format!("/api/v1/organizations/{org}"))).header("origin", &app.base);
    assert_eq!(rename.json(&json!({"name": "Matrix"})).send().await.unwrap().status(), 200);
    let (admin, operator, member, outsider) = (user(&app).await, user(&app).await, user(&app).await, user(&app).await);
    join(&app, org, &admin, "admin").await;
    join(&app, org, &operator, "operator").await;
    join(&app, org, &member, "member").await;
    let target = user(&app).await;
    join(&app, org, &target, "member").await;
    let callers: [Option<&User>; 6] = [None, Some(&admin), Some(&operator), Some(&member), Some(&outsider), None];

    let mut wrong = Vec::new();
    for case in cases() {
        for (i, who) in CALLERS.iter().enumerate() {
            let c = match (i, callers[i]) {
                (0, _) => Some(&app.client),
                (_, Some(u)) => Some(&u.client),
                _ => None,
            };
            let got = call(&app, (org, &uuid), target.id, &case, c).await;
            if got != case.3[i] {
                wrong.push(format!("{} {} as {who}: {got}, documented {}", case.0, case.1, case.3[i]));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
});

both!(another_organizations_objects_are_404_under_this_ones_path, |app| {
    app.signup().await;
    let theirs = app.org_id().await;
    let their_member = user(&app).await;
    join(&app, theirs, &their_member, "member").await;
    let their_invitation = invitation(&app, theirs).await;

    // An owner of another organization names those objects under their own organization.
    let other = user(&app).await;
    let orgs: Value = other.client.get(app.url("/api/v1/organizations")).send().await.unwrap().json().await.unwrap();
    let mine = orgs["value"][0]["organization"]["id"].as_i64().unwrap();
    let send = |m: Method, path: String, body: Option<Value>| {
        let mut r = other.client.request(m, app.url(&path)).header("origin", &app.base);
        if let Some(b) = body {
            r = r.json(&b);
        }
        async move { r.send().await.unwrap() }
    };
    let base = format!("/api/v1/organizations/{mine}");
    let checks = [
        (
            Method::PATCH,
            format!("{base}/members/{}", their_member.id),
            Some(json!({"role": "admin"})),
            "member_not_found",
        ),
        (Method::DELETE, format!("{base}/members/{}", their_member.id), None, "member_not_found"),
        (Method::POST, format!("{base}/invitations/{their_invitation}/resend"), None, "invitation_not_found"),
        (Method::POST, format!("{base}/invitations/{their_invitation}/cancel"), None, "invitation_not_found"),
    ];
    for (m, path, body, code) in checks {
        problem_code(send(m, path, body).await, 404, code).await;
    }
    // And under the other organization's path they are simply not theirs.
    let res = send(Method::GET, format!("/api/v1/organizations/{theirs}/members"), None).await;
    assert_eq!(res.status(), 404);

    // Nothing changed.
    let list: Value = app.get(&format!("/api/v1/organizations/{theirs}/invitations")).await.json().await.unwrap();
    assert_eq!(list["value"][0]["status"], "pending");
    let members: Value = app.get(&format!("/api/v1/organizations/{theirs}/members")).await.json().await.unwrap();
    assert_eq!(members["@odata.count"], 2);
});
