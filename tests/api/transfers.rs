//! Ownership transfers through real HTTP on both backends: only the recipient accepts or
//! declines, the requester or a manager cancels, one pending at a time, the recipient must
//! be a member, a transfer lapses after 7 days, a cancel racing an accept, the inbox, the
//! audit trail, and another organization's ids.
use super::directory::create;
use agentry_tests::{both, problem, problem_code, raced, user, TestApp, User};
use reqwest::Method;
use serde_json::{json, Value};

/// A new member of the app's organization, signed in there.
async fn member_of(app: &TestApp, role: &str) -> User {
    agentry_tests::member_of(app, app.org_id().await, role).await
}

pub(crate) fn as_user(app: &TestApp, u: &User, m: Method, path: &str) -> reqwest::RequestBuilder {
    u.client.request(m, app.url(path)).header("origin", &app.base)
}

async fn owner_id(app: &TestApp, id: i64) -> i64 {
    let a: Value = app.get(&format!("/api/agents/{id}")).await.json().await.unwrap();
    a["ownerId"].as_i64().unwrap()
}

both!(request_accept_and_the_agent_moves, |app| {
    app.signup().await;
    let a = create(&app, json!({"name": "Moving"})).await;
    let (id, me) = (a["id"].as_i64().unwrap(), a["ownerId"].as_i64().unwrap());
    let bob = member_of(&app, "member").await;
    let carol = member_of(&app, "member").await;

    let path = format!("/api/v1/agents/{id}/ownership-transfer");
    let res = app.post(&path, json!({"toUserId": bob.id, "message": "yours now"})).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let t: Value = res.json().await.unwrap();
    assert_eq!(
        (t["status"].as_str(), t["toUserId"].as_i64(), t["fromUserId"].as_i64()),
        (Some("pending"), Some(bob.id), Some(me))
    );

    // The agent shows it; a second request is a conflict.
    let seen: Value = app.get(&format!("/api/agents/{id}")).await.json().await.unwrap();
    assert_eq!(seen["pendingOwnershipTransfer"]["toUserId"], bob.id);
    assert_eq!(seen["pendingOwnershipTransfer"]["message"], "yours now");
    problem_code(app.post(&path, json!({"toUserId": carol.id})).await, 409, "transfer_pending").await;
    // The list derives it too: in full rows, and when `$select` names it (a `$select`
    // without it leaves the join out).
    for q in ["", "&$select=name,pendingOwnershipTransfer"] {
        let list: Value = app.get(&format!("/api/agents?$filter=id eq {id}{q}")).await.json().await.unwrap();
        assert_eq!(list["value"][0]["pendingOwnershipTransfer"]["toUserId"], bob.id, "{q}: {list}");
    }

    // The inbox: Bob sees it, Carol does not.
    let inbox: Value =
        as_user(&app, &bob, Method::GET, "/api/v1/me/ownership-transfers").send().await.unwrap().json().await.unwrap();
    assert_eq!(inbox["value"][0]["agentId"], id);
    assert_eq!(inbox["value"][0]["agentName"], "Moving");
    let other: Value = as_user(&app, &carol, Method::GET, "/api/v1/me/ownership-transfers")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(other["value"], json!([]));

    // Only the recipient accepts: not Carol, not the owner.
    problem_code(
        as_user(&app, &carol, Method::POST, &format!("{path}/accept")).send().await.unwrap(),
        403,
        "not_allowed",
    )
    .await;
    problem_code(app.post(&format!("{path}/accept"), json!({})).await, 403, "not_allowed").await;
    assert_eq!(owner_id(&app, id).await, me, "a refused accept changes nothing");

    let res =
        as_user(&app, &bob, Method::POST, &format!("/api/agents/{id}/ownership-transfer/accept")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers().contains_key("etag"));
    let moved: Value = res.json().await.unwrap();
    assert_eq!(moved["ownerId"], bob.id);
    assert_eq!(moved["canManage"], true, "the new owner manages it");
    assert!(moved.get("pendingOwnershipTransfer").is_none_or(Value::is_null), "{moved}");
    // Accepting twice: nothing is pending any more.
    problem_code(
        as_user(&app, &bob, Method::POST, &format!("{path}/accept")).send().await.unwrap(),
        404,
        "transfer_not_found",
    )
    .await;

    // The audit log records what moved, from whom to whom.
    let org = app.org_id().await;
    let log: Value = app
        .get(&format!("/api/v1/organizations/{org}/audit?targetType=agent&targetId={id}"))
        .await
        .json()
        .await
        .unwrap();
    let actions: Vec<&str> = log["value"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
    assert!(
        actions.contains(&"agent.transfer_requested") && actions.contains(&"agent.transfer_accepted"),
        "{actions:?}"
    );
});

both!(decline_cancel_and_who_may, |app| {
    app.signup().await;
    let id = create(&app, json!({"name": "Kept"})).await["id"].as_i64().unwrap();
    let me = owner_id(&app, id).await;
    let bob = member_of(&app, "member").await;
    let admin = member_of(&app, "admin").await;
    let path = format!("/api/agents/{id}/ownership-transfer");

    // A plain member may not ask; the recipient must be a member and not the owner.
    problem_code(
        as_user(&app, &bob, Method::POST, &path).json(&json!({"toUserId": me})).send().await.unwrap(),
        403,
        "not_allowed",
    )
    .await;
    let stranger = user(&app).await;
    let p = problem_code(app.post(&path, json!({"toUserId": stranger.id})).await, 422, "invalid_recipient").await;
    assert_eq!(p["errors"][0]["field"], "toUserId", "{p}");
    problem_code(app.post(&path, json!({"toUserId": me})).await, 422, "invalid_recipient").await;
    // Bad bodies: unknown field, wrong type, huge message, no body.
    problem(app.post(&path, json!({"toUserId": bob.id, "extra": 1})).await, 422).await;
    problem(app.post(&path, json!({"toUserId": "bob"})).await, 422).await;
    problem_code(app.post(&path, json!({"toUserId": bob.id, "message": "x".repeat(1001)})).await, 400, "validation")
        .await;
    let res = app
        .req(Method::POST, &path, &agentry_tests::Who::Session)
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    problem(res, 400).await;
    assert_eq!(app.count("agent_transfers").await, 0, "bad input changes nothing");

    // Decline: only the recipient.
    assert_eq!(app.post(&path, json!({"toUserId": bob.id})).await.status(), 201);
    problem_code(app.post(&format!("{path}/decline"), json!({})).await, 403, "not_allowed").await;
    let res = as_user(&app, &bob, Method::POST, &format!("{path}/decline")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "declined");
    assert_eq!(owner_id(&app, id).await, me);

    // Cancel: the recipient may not; the requester or a manager (an admin) may.
    assert_eq!(app.post(&path, json!({"toUserId": bob.id})).await.status(), 201);
    problem_code(
        as_user(&app, &bob, Method::POST, &format!("{path}/cancel")).send().await.unwrap(),
        403,
        "not_allowed",
    )
    .await;
    let res = as_user(&app, &admin, Method::POST, &format!("{path}/cancel")).send().await.unwrap();
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "cancelled");
    problem_code(app.post(&format!("{path}/cancel"), json!({})).await, 404, "transfer_not_found").await;
    assert_eq!(app.post(&path, json!({"toUserId": bob.id})).await.status(), 201);
    assert_eq!(app.post(&format!("{path}/cancel"), json!({})).await.status(), 200);

    // Another organization's agent is 404, never 403.
    let outsider = user(&app).await;
    for p in [path.clone(), format!("{path}/accept"), format!("{path}/decline"), format!("{path}/cancel")] {
        let res =
            as_user(&app, &outsider, Method::POST, &p).json(&json!({"toUserId": outsider.id})).send().await.unwrap();
        problem_code(res, 404, "agent_not_found").await;
    }

    // A deleted agent cannot be transferred, and deleting cancels a pending transfer.
    assert_eq!(app.post(&path, json!({"toUserId": bob.id})).await.status(), 201);
    assert_eq!(
        app.req(Method::DELETE, &format!("/api/agents/{id}"), &agentry_tests::Who::Session)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let inbox: Value =
        as_user(&app, &bob, Method::GET, "/api/v1/me/ownership-transfers").send().await.unwrap().json().await.unwrap();
    assert_eq!(inbox["value"], json!([]));
    problem_code(app.post(&path, json!({"toUserId": bob.id})).await, 409, "agent_deleted").await;
});

// Each round sends the accept to one instance and the cancel to the other, alternating.
raced!(a_cancel_racing_an_accept_leaves_one_outcome, agentry_tests::test_config(), |apps| {
    let app = &apps[0];
    app.signup().await;
    let bob = member_of(app, "member").await;
    for round in 0..8 {
        let id = create(app, json!({"name": format!("Race {round}")})).await["id"].as_i64().unwrap();
        let owner = owner_id(app, id).await;
        let path = format!("/api/agents/{id}/ownership-transfer");
        assert_eq!(app.post(&path, json!({"toUserId": bob.id})).await.status(), 201);
        let (accept_at, cancel_at) = (&apps[round % 2], &apps[(round + 1) % 2]);
        let accept = as_user(accept_at, &bob, Method::POST, &format!("{path}/accept")).send();
        let cancel = cancel_at.req(Method::POST, &format!("{path}/cancel"), &agentry_tests::Who::Session).send();
        let (a, c) = tokio::join!(accept, cancel);
        let (a, c) = (a.unwrap().status().as_u16(), c.unwrap().status().as_u16());
        let now = owner_id(app, id).await;
        match (a, c) {
            (200, 404) => assert_eq!(now, bob.id),
            (404, 200) => assert_eq!(now, owner),
            other => panic!("round {round}: accept and cancel answered {other:?}"),
        }
        let resolved: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM agent_transfers WHERE agent_id = $1 AND status <> 'pending'")
                .bind(id)
                .fetch_one(&app.services.db().pool)
                .await
                .unwrap();
        assert_eq!(resolved, 1);
    }
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transfer_lapses_after_seven_days() {
    for backend in [agentry_tests::Backend::Sqlite, agentry_tests::Backend::Postgres] {
        let config =
            agentry_services::Config { clock: agentry_services::Clock::manual(), ..agentry_tests::test_config() };
        let app = agentry_tests::spawn_with(backend, config).await;
        app.signup().await;
        let id = create(&app, json!({"name": "Slow"})).await["id"].as_i64().unwrap();
        let bob = member_of(&app, "member").await;
        let path = format!("/api/agents/{id}/ownership-transfer");
        assert_eq!(app.post(&path, json!({"toUserId": bob.id})).await.status(), 201);
        assert!(app.services.clock().advance(std::time::Duration::from_secs(7 * 24 * 3600 - 60)));
        let seen: Value = app.get(&format!("/api/agents/{id}")).await.json().await.unwrap();
        assert!(seen["pendingOwnershipTransfer"].is_object(), "still pending a minute before");
        assert!(app.services.clock().advance(std::time::Duration::from_secs(61)));
        let seen: Value = app.get(&format!("/api/agents/{id}")).await.json().await.unwrap();
        assert!(seen.get("pendingOwnershipTransfer").is_none_or(Value::is_null), "{seen}");
        problem_code(
            as_user(&app, &bob, Method::POST, &format!("{path}/accept")).send().await.unwrap(),
            404,
            "transfer_not_found",
        )
        .await;
        let inbox: Value = as_user(&app, &bob, Method::GET, "/api/v1/me/ownership-transfers")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(inbox["value"], json!([]));
        // The sweep records the expiry once, however often it runs; a new request may follow.
        assert_eq!(app.services.sweep_transfers().await.unwrap(), 1);
        assert_eq!(app.services.sweep_transfers().await.unwrap(), 0);
        let status: String = sqlx::query_scalar("SELECT status FROM agent_transfers WHERE agent_id = $1")
            .bind(id)
            .fetch_one(&app.services.db().pool)
            .await
            .unwrap();
        assert_eq!(status, "expired");
        assert_eq!(app.post(&path, json!({"toUserId": bob.id})).await.status(), 201);
    }
}

both!(removing_the_recipient_cancels_the_transfer, |app| {
    app.signup().await;
    let org = app.org_id().await;
    let id = create(&app, json!({"name": "Orphan"})).await["id"].as_i64().unwrap();
    let bob = member_of(&app, "member").await;
    let path = format!("/api/agents/{id}/ownership-transfer");
    assert_eq!(app.post(&path, json!({"toUserId": bob.id})).await.status(), 201);
    let res = app
        .req(Method::DELETE, &format!("/api/v1/organizations/{org}/members/{}", bob.id), &agentry_tests::Who::Session)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    let seen: Value = app.get(&format!("/api/agents/{id}")).await.json().await.unwrap();
    assert!(seen.get("pendingOwnershipTransfer").is_none_or(Value::is_null), "{seen}");
    assert_eq!(app.post(&path, json!({"toUserId": bob.id})).await.status(), 422, "no longer a member");
});
