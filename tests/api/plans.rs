//! Plans and seats: the catalogue, owners changing the plan with a dry run first, limits
//! below usage refused with both numbers, and a plan change racing registrations.
use crate::invariants::{count, spread};
use agentry_tests::{both, client, join, keypair, problem, problem_code, raced, registration, user, TestApp, Who};
use reqwest::Method;
use serde_json::{json, Value};

async fn put_plan(app: &TestApp, c: &reqwest::Client, org: i64, query: &str, body: Value) -> reqwest::Response {
    c.put(app.url(&format!("/api/v1/organizations/{org}/plan{query}")))
        .header("origin", &app.base)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn limit_and_used(app: &TestApp, org: i64) -> (i64, i64) {
    let row = sqlx::query("SELECT seat_limit, seats_used FROM organizations WHERE id = $1")
        .bind(org)
        .fetch_one(&app.services.db().pool)
        .await
        .unwrap();
    (sqlx::Row::try_get(&row, "seat_limit").unwrap(), sqlx::Row::try_get(&row, "seats_used").unwrap())
}

both!(the_catalogue_lists_the_default_plans_and_new_organizations_start_free, |app| {
    app.signup().await;
    let plans: Value = app.get("/api/v1/plans").await.json().await.unwrap();
    let names: Vec<_> = plans["value"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["free", "team", "business", "enterprise"]);
    assert_eq!(plans["value"][0]["seatLimit"], 3);
    assert_eq!(plans["value"][3]["custom"], true);
    problem(client().get(app.url("/api/v1/plans")).send().await.unwrap(), 401).await;
    let me: Value = app.get("/api/v1/me").await.json().await.unwrap();
    assert_eq!(me["currentOrganization"]["plan"], "free");
});

both!(owners_preview_then_change_the_plan, |app| {
    app.signup().await;
    let org = app.org_id().await;
    let preview = put_plan(&app, &app.client, org, "?dryRun=true", json!({"plan": "team"})).await;
    assert_eq!(preview.status(), 200);
    let v: Value = preview.json().await.unwrap();
    assert_eq!(
        (v["dryRun"].clone(), v["seatLimitBefore"].clone(), v["seatLimitAfter"].clone()),
        (json!(true), json!(3), json!(25))
    );
    assert!(v.get("organization").is_none());
    assert_eq!(limit_and_used(&app, org).await, (3, 0), "a dry run changes nothing");

    let done: Value = put_plan(&app, &app.client, org, "", json!({"plan": "team"})).await.json().await.unwrap();
    assert_eq!(done["organization"]["organization"]["plan"], "team");
    assert_eq!(limit_and_used(&app, org).await, (25, 0));
    let custom = put_plan(&app, &app.client, org, "", json!({"plan": "enterprise", "seatLimit": 500})).await;
    assert_eq!(custom.status(), 200);
    assert_eq!(limit_and_used(&app, org).await, (500, 0));
    let audit: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'organization.plan_changed'")
        .fetch_one(&app.services.db().pool)
        .await
        .unwrap();
    assert_eq!(audit, 2);

    // A whole number written as a float is a whole number (JSON Schema's integer).
    let float = put_plan(&app, &app.client, org, "", json!({"plan": "enterprise", "seatLimit": 500.0})).await;
    assert_eq!(float.status(), 200);
    // Bad requests change nothing.
    problem_code(put_plan(&app, &app.client, org, "", json!({"plan": "gold"})).await, 400, "validation").await;
    problem_code(put_plan(&app, &app.client, org, "", json!({"plan": "enterprise"})).await, 400, "validation").await;
    problem_code(
        put_plan(&app, &app.client, org, "", json!({"plan": "team", "seatLimit": -1})).await,
        400,
        "validation",
    )
    .await;
    problem_code(
        put_plan(&app, &app.client, org, "", json!({"plan": "team", "seatLimit": "x"})).await,
        422,
        "invalid_body",
    )
    .await;
    problem_code(
        put_plan(&app, &app.client, org, "?dryRun=maybe", json!({"plan": "team"})).await,
        400,
        "invalid_query",
    )
    .await;
    assert_eq!(limit_and_used(&app, org).await, (500, 0));

    // Only owners; another organization is 404.
    let admin = user(&app).await;
    problem_code(put_plan(&app, &admin.client, org, "", json!({"plan": "free"})).await, 404, "organization_not_found")
        .await;
    join(&app, org, &admin, "admin").await;
    problem_code(put_plan(&app, &admin.client, org, "", json!({"plan": "free"})).await, 403, "not_allowed").await;
});

both!(a_limit_below_the_seats_in_use_is_refused_with_both_numbers, |app| {
    app.signup().await;
    let org = app.org_id().await;
    for i in 0..2 {
        assert_eq!(app.register_as(&Who::Session, &format!("bot-{i}")).await.status(), 201);
    }
    for query in ["?dryRun=true", ""] {
        let res = put_plan(&app, &app.client, org, query, json!({"plan": "free", "seatLimit": 1})).await;
        let p = problem_code(res, 409, "seat_limit_below_usage").await;
        assert_eq!((p["seatsUsed"].clone(), p["seatLimit"].clone()), (json!(2), json!(1)));
    }
    assert_eq!(limit_and_used(&app, org).await, (3, 2));
    let res = put_plan(&app, &app.client, org, "", json!({"plan": "free", "seatLimit": 2})).await;
    assert_eq!(res.status(), 200, "exactly the seats in use is fine");
});

// Each round, eight registrations spread over both instances race a plan change (on one
// of them, alternating) that lowers the limit to two seats above the seats in use.
raced!(
    a_plan_change_racing_registrations_never_leaves_more_seats_used_than_the_limit,
    agentry_tests::test_config(),
    |apps| {
        let app = &apps[0];
        app.signup().await;
        let org = app.org_id().await;
        put_plan(app, &app.client, org, "", json!({"plan": "team"})).await;
        let who = Who::Bearer(app.user_key().await);
        for round in 0..4 {
            let mut bodies = Vec::new();
            for i in 0..8 {
                let c = apps[i % 2].challenge(&who, "").await;
                let (_, pk) = keypair();
                bodies.push(registration(&c, &pk, &format!("r{round}-{i}")));
            }
            let registrations = spread(&apps, 8, |a, i| {
                a.req(Method::POST, "/api/v1/registration/agent", &who).json(&bodies[i]).send()
            });
            let (_, used_before) = limit_and_used(app, org).await;
            let at = &apps[(round + 1) % 2];
            let lower = put_plan(at, &at.client, org, "", json!({"plan": "team", "seatLimit": used_before + 2}));
            let (statuses, lowered) = tokio::join!(registrations, lower);
            let lowered = lowered.status().as_u16();
            assert!(lowered == 200 || lowered == 409, "{lowered}");
            let created = count(&statuses, 201);
            let (limit, used) = limit_and_used(app, org).await;
            assert!(used <= limit, "round {round}: {used} seats used over a limit of {limit}");
            let holding: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM agents WHERE org_id = $1 AND holds_seat = 1")
                .bind(org)
                .fetch_one(&app.services.db().pool)
                .await
                .unwrap();
            assert_eq!(holding, used, "round {round}: {created} created");
            put_plan(app, &app.client, org, "", json!({"plan": "enterprise", "seatLimit": used + 8})).await;
        }
    }
);
