//! Concurrency, raced over two instances on one database ([`raced!`]): single-use
//! challenges, seat limits, single-use delegated tokens, an invite confirmed and
//! cancelled at once.

use crate::invariants::{count, spread};
use agentry_tests::{keypair, raced, registration, TestApp, Who};
use reqwest::Method;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;

// Every loser is refused for the used challenge itself (not for the public key, which all
// fifty share: its unique index would hide a second use of the challenge).
raced!(fifty_concurrent_uses_of_one_solved_challenge_give_one_201_and_49_409, agentry_tests::test_config(), |apps| {
    let app = &apps[0];
    app.signup().await;
    let key = app.user_key().await;
    let who = Who::Bearer(key);
    let c = app.challenge(&who, "").await;
    let (_, pk) = keypair();
    let body = registration(&c, &pk, "racer");
    let sends = (0..50).map(|i| apps[i % 2].req(Method::POST, "/api/v1/registration/agent", &who).json(&body).send());
    let mut statuses = Vec::new();
    let mut refusals = Vec::new();
    for res in futures::future::join_all(sends).await {
        let res = res.unwrap();
        statuses.push(res.status().as_u16());
        if res.status() == 409 {
            let problem: Value = res.json().await.unwrap();
            refusals.push(problem["type"].as_str().unwrap_or_default().to_string());
        }
    }
    assert_eq!(count(&statuses, 201), 1, "{statuses:?}");
    assert_eq!(count(&statuses, 409), 49, "{statuses:?}");
    let used = "https://agentry.dev/problems/challenge_used";
    assert!(refusals.iter().all(|t| t == used), "{refusals:?}");
    assert_eq!(app.count("agents").await, 1);
    assert_eq!(app.count("agent_keys").await, 1);
});

/// Watches `seats_used` of `org` until stopped; returns the largest value seen.
fn watch_seats(app: &TestApp, org: i64, stop: Arc<AtomicBool>) -> tokio::task::JoinHandle<i64> {
    let pool = app.services.db().pool.clone();
    let max = Arc::new(AtomicI64::new(0));
    tokio::spawn(async move {
        while !stop.load(Ordering::Relaxed) {
            if let Ok(row) =
                sqlx::query("SELECT seats_used FROM organizations WHERE id = $1").bind(org).fetch_one(&pool).await
            {
                let n: i64 = sqlx::Row::try_get(&row, "seats_used").unwrap();
                max.fetch_max(n, Ordering::Relaxed);
            }
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
        max.load(Ordering::Relaxed)
    })
}

/// 20 concurrent registrations by one owner with `seat_limit = 3`, spread over `apps`
/// (instances sharing one database): exactly 3 succeed.
async fn seat_race(apps: &[TestApp]) {
    let app = &apps[0];
    app.signup().await;
    let org = app.org_id().await;
    app.set_seat_limit(org, 3).await;
    let who = Who::Bearer(app.user_key().await);
    let mut bodies = Vec::new();
    for i in 0..20 {
        let c = apps[i % apps.len()].challenge(&who, "").await;
        let (_, pk) = keypair();
        bodies.push(registration(&c, &pk, &format!("seat-{i}")));
    }
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = watch_seats(app, org, stop.clone());
    let sends = bodies
        .iter()
        .enumerate()
        .map(|(i, b)| apps[i % apps.len()].req(Method::POST, "/api/v1/registration/agent", &who).json(b).send());
    let statuses: Vec<u16> =
        futures::future::join_all(sends).await.into_iter().map(|r| r.unwrap().status().as_u16()).collect();
    stop.store(true, Ordering::Relaxed);
    let max_seen = watcher.await.unwrap();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 3, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 403).count(), 17, "{statuses:?}");
    assert!(max_seen <= 3, "seats_used reached {max_seen}");
    let row = sqlx::query("SELECT seats_used FROM organizations WHERE id = $1")
        .bind(org)
        .fetch_one(&app.services.db().pool)
        .await
        .unwrap();
    assert_eq!(sqlx::Row::try_get::<i64, _>(&row, "seats_used").unwrap(), 3);
    let row = sqlx::query("SELECT COUNT(*) AS n FROM agents WHERE org_id = $1 AND holds_seat = 1")
        .bind(org)
        .fetch_one(&app.services.db().pool)
        .await
        .unwrap();
    assert_eq!(sqlx::Row::try_get::<i64, _>(&row, "n").unwrap(), 3);
}

raced!(twenty_concurrent_registrations_on_two_instances_share_three_seats, agentry_tests::test_config(), |apps| {
    assert_ne!(apps[0].base, apps[1].base);
    seat_race(&apps).await;
});

raced!(a_delegated_token_used_concurrently_registers_exactly_once, agentry_tests::test_config(), |apps| {
    let app = &apps[0];
    app.signup().await;
    let t: Value = app.post("/api/v1/registration/delegated-token", json!({})).await.json().await.unwrap();
    let who = Who::Bearer(t["token"].as_str().unwrap().to_string());
    let mut bodies = Vec::new();
    for i in 0..10 {
        let c = apps[i % 2].challenge(&who, "").await;
        let (_, pk) = keypair();
        bodies.push(registration(&c, &pk, &format!("dlg-{i}")));
    }
    let statuses =
        spread(&apps, 10, |a, i| a.req(Method::POST, "/api/v1/registration/agent", &who).json(&bodies[i]).send()).await;
    assert_eq!(count(&statuses, 201), 1, "{statuses:?}");
    assert_eq!(count(&statuses, 401), 9, "{statuses:?}");
    assert_eq!(app.count("agents").await, 1);
    // The losers' challenges were not burned: their transactions rolled back.
    let row = sqlx::query("SELECT COUNT(*) AS n FROM challenges WHERE used_at IS NULL")
        .fetch_one(&app.services.db().pool)
        .await
        .unwrap();
    assert_eq!(sqlx::Row::try_get::<i64, _>(&row, "n").unwrap(), 9);
});

// Ten rounds, each with a fresh invite: the confirm goes to one instance and the cancel to
// the other; exactly one wins, and the seat follows the winner.
raced!(confirm_and_cancel_of_one_invite_race_to_one_outcome, agentry_tests::test_config(), |apps| {
    let app = &apps[0];
    let email = app.signup().await;
    let org = app.org_id().await;
    // Room for every round's agent (the free plan's 3 seats would refuse the 4th confirm).
    app.set_seat_limit(org, 100).await;
    let mut confirmed = 0;
    for round in 0..10 {
        let c = app.challenge(&Who::Anon, "?invite=true").await;
        let (_, pk) = keypair();
        let mut body = registration(&c, &pk, &format!("contested-{round}"));
        body["ownerEmail"] = json!(email);
        let res = agentry_tests::client().post(app.url("/api/v1/registration/agent")).json(&body).send().await.unwrap();
        assert_eq!(res.status(), 201, "round {round}");
        let r: Value = res.json().await.unwrap();
        let id = r["agent"]["id"].as_i64().unwrap();
        let token = app.invite_token(&email).await;
        let confirm = apps[0].post("/api/v1/registration/invite/confirm", json!({"token": token}));
        let cancel_path = format!("/api/v1/agents/{id}/invite/cancel");
        let cancel = apps[1].post(&cancel_path, json!({"reason": "race"}));
        let (a, b) = tokio::join!(confirm, cancel);
        let (a, b) = (a.status().as_u16(), b.status().as_u16());
        assert!((a == 200) ^ (b == 200), "round {round}: confirm {a}, cancel {b}");
        confirmed += i64::from(a == 200);
        let row = sqlx::query("SELECT seats_used FROM organizations WHERE id = $1")
            .bind(org)
            .fetch_one(&app.services.db().pool)
            .await
            .unwrap();
        let seats: i64 = sqlx::Row::try_get(&row, "seats_used").unwrap();
        assert_eq!(seats, confirmed, "round {round}: confirm {a}, cancel {b}");
    }
});
