//! Seats around failures: a registration that fails gives its seat back at once, and on
//! PostgreSQL (which reserves seats ahead of the registration's transaction) a reservation
//! whose request died is swept after its TTL, never before.

use agentry_tests::{both, keypair, problem_code, registration, spawn_with, test_config, Backend, Who};
use reqwest::Method;
use serde_json::Value;

both!(a_registration_that_fails_gives_its_seat_back, |app| {
    app.signup().await;
    let org = app.org_id().await;
    app.set_seat_limit(org, 2).await;
    let who = Who::Session;
    let c = app.challenge(&who, "").await;
    let (_, pk) = keypair();
    let first = app.req(Method::POST, "/api/v1/registration/agent", &who).json(&registration(&c, &pk, "a")).send();
    assert_eq!(first.await.unwrap().status(), 201);
    // The same public key again: 409, and the seat it took for a moment is free again.
    let c = app.challenge(&who, "").await;
    let again = app.req(Method::POST, "/api/v1/registration/agent", &who).json(&registration(&c, &pk, "b")).send();
    problem_code(again.await.unwrap(), 409, "public_key_taken").await;
    assert_eq!(app.seats_used(org).await, 1);
    assert_eq!(app.count("seat_reservations").await, 0);
    assert_eq!(app.register_as(&who, "c").await.status(), 201);
    problem_code(app.register_as(&who, "d").await, 403, "no_free_seat").await;
    assert_eq!(app.seats_used(org).await, 2);
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abandoned_seat_reservation_is_swept_after_its_ttl_postgres() {
    let config = agentry_services::Config { clock: agentry_services::Clock::manual(), ..test_config() };
    let app = spawn_with(Backend::Postgres, config).await;
    app.signup().await;
    let org = app.org_id().await;
    app.set_seat_limit(org, 1).await;
    // A request that reserved the organization's only seat and died before its transaction.
    let pool = &app.services.db().pool;
    sqlx::query("UPDATE organizations SET seats_used = seats_used + 1 WHERE id = $1")
        .bind(org)
        .execute(pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO seat_reservations (org_id, created_at) VALUES ($1, $2)")
        .bind(org)
        .bind(app.services.clock().now_ms())
        .execute(pool)
        .await
        .unwrap();
    // Full meanwhile (after waiting for the reservation in flight) ...
    problem_code(app.register_as(&Who::Session, "waits").await, 403, "no_free_seat").await;
    assert_eq!(app.services.sweep_seat_reservations().await.unwrap(), 0, "swept before its TTL");
    assert!(app.services.clock().advance(agentry_services::seats::RESERVATION_TTL + std::time::Duration::from_secs(1)));
    assert_eq!(app.services.sweep_seat_reservations().await.unwrap(), 1);
    assert_eq!(app.services.sweep_seat_reservations().await.unwrap(), 0, "swept twice");
    assert_eq!(app.seats_used(org).await, 0);
    let ok = app.register_as(&Who::Session, "seated").await;
    assert_eq!(ok.status(), 201, "{:?}", ok.json::<Value>().await);
    assert_eq!(app.seats_used(org).await, 1);
    assert_eq!(app.count("seat_reservations").await, 0);
}
