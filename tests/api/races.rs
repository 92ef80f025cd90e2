//! Concurrency: single-use challenges, seat limits (also across two server instances on
//! one PostgreSQL database), single-use delegated tokens.

use agentry_tests::{both, keypair, registration, TestApp, Who};
use reqwest::Method;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;

both!(fifty_concurrent_uses_of_one_solved_challenge_give_one_201_and_49_409, |app| {
    app.signup().await;
    let key = app.user_key().await;
    let who = Who::Bearer(key);
    let c = app.challenge(&who, "").await;
    let (_, pk) = keypair();
    let body = registration(&c, &pk, "racer");
    let sends = (0..50).map(|_| app.req(Method::POST, "/api/v1/registration/agent", &who).json(&body).send());
    let statuses: Vec<u16> =
        futures::future::join_all(sends).await.into_iter().map(|r| r.unwrap().status().as_u16()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 49, "{statuses:?}");
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

both!(twenty_concurrent_registrations_never_exceed_three_seats, |app| {
    seat_race(std::slice::from_ref(&app)).await;
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_registrations_on_two_instances_share_three_seats_postgres() {
    let apps = agentry_tests::spawn_many(agentry_tests::Backend::Postgres, agentry_tests::test_config(), 2).await;
    assert_ne!(apps[0].base, apps[1].base);
    seat_race(&apps).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_registrations_on_two_instances_share_three_seats_sqlite() {
    let apps = agentry_tests::spawn_many(agentry_tests::Backend::Sqlite, agentry_tests::test_config(), 2).await;
    seat_race(&apps).await;
}

both!(a_delegated_token_used_concurrently_registers_exactly_once, |app| {
    app.signup().await;
    let t: Value = app.post("/api/v1/registration/delegated-token", json!({})).await.json().await.unwrap();
    let who = Who::Bearer(t["token"].as_str().unwrap().to_string());
    let mut bodies = Vec::new();
    for i in 0..10 {
        let c = app.challenge(&who, "").await;
        let (_, pk) = keypair();
        bodies.push(registration(&c, &pk, &format!("dlg-{i}")));
    }
    let sends = bodies.iter().map(|b| app.req(Method::POST, "/api/v1/registration/agent", &who).json(b).send());
    let statuses: Vec<u16> =
        futures::future::join_all(sends).await.into_iter().map(|r| r.unwrap().status().as_u16()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 9, "{statuses:?}");
    assert_eq!(app.count("agents").await, 1);
    // The losers' challenges were not burned: their transactions rolled back.
    let row = sqlx::query("SELECT COUNT(*) AS n FROM challenges WHERE used_at IS NULL")
        .fetch_one(&app.services.db().pool)
        .await
        .unwrap();
    assert_eq!(sqlx::Row::try_get::<i64, _>(&row, "n").unwrap(), 9);
});

both!(confirm_and_cancel_of_one_invite_race_to_one_outcome, |app| {
    let email = app.signup().await;
    let org = app.org_id().await;
    let c = app.challenge(&Who::Anon, "?invite=true").await;
    let (_, pk) = keypair();
    let mut body = registration(&c, &pk, "contested");
    body["ownerEmail"] = json!(email);
    let r: Value = agentry_tests::client()
        .post(app.url("/api/v1/registration/agent"))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = r["agent"]["id"].as_i64().unwrap();
    let token = app.invite_token(&email).await;
    let confirm = app.post("/api/v1/registration/invite/confirm", json!({"token": token}));
    let cancel_path = format!("/api/v1/agents/{id}/invite/cancel");
    let cancel = app.post(&cancel_path, json!({"reason": "race"}));
    let (a, b) = tokio::join!(confirm, cancel);
    let (a, b) = (a.status().as_u16(), b.status().as_u16());
    assert!((a == 200) ^ (b == 200), "confirm {a}, cancel {b}");
    let row = sqlx::query("SELECT seats_used FROM organizations WHERE id = $1")
        .bind(org)
        .fetch_one(&app.services.db().pool)
        .await
        .unwrap();
    let seats: i64 = sqlx::Row::try_get(&row, "seats_used").unwrap();
    assert_eq!(seats, i64::from(a == 200));
});
