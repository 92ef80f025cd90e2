//! The invariants of docs/ARCHITECTURE.md § Invariants that make something happen once or
//! number it: single-use tokens, unique names and keys, version and event numbers. Each
//! test races requests spread over two instances on one database ([`raced!`]).

use crate::invariants::{count, scalar, spread};
use crate::run_support::{claim, create_run, runnable_agent, runner};
use agentry_tests::{raced, Who};
use reqwest::Method;
use serde_json::{json, Value};

// A public key is registered once: of ten registrations with one key, one wins and the
// others answer 409 public_key_taken.
raced!(one_public_key_registers_once, agentry_tests::test_config(), |apps| {
    let app = &apps[0];
    app.signup().await;
    let who = Who::Bearer(app.user_key().await);
    let (_, pk) = agentry_tests::keypair();
    let mut bodies = Vec::new();
    for i in 0..10 {
        let c = apps[i % 2].challenge(&who, "").await;
        bodies.push(agentry_tests::registration(&c, &pk, &format!("twin-{i}")));
    }
    let statuses =
        spread(&apps, 10, |a, i| a.req(Method::POST, "/api/v1/registration/agent", &who).json(&bodies[i]).send()).await;
    assert_eq!((count(&statuses, 201), count(&statuses, 409)), (1, 9), "{statuses:?}");
    assert_eq!(app.count("agents").await, 1);
});

// A slug names one live agent of an organization: of ten creates with one slug, one wins
// and the others answer 409 slug_taken.
raced!(one_slug_names_one_agent, agentry_tests::test_config(), |apps| {
    let app = &apps[0];
    app.signup().await;
    let org = app.org_id().await;
    let statuses =
        spread(&apps, 10, |a, i| a.post("/api/agents", json!({"name": format!("Twin {i}"), "slug": "twin"}))).await;
    assert_eq!((count(&statuses, 201), count(&statuses, 409)), (1, 9), "{statuses:?}");
    assert_eq!(scalar(app, "SELECT COUNT(*) FROM agents WHERE org_id = $1 AND slug = 'twin'", org).await, 1);
});

// A password-reset link works once: of ten confirms with one token, one wins.
raced!(a_reset_link_confirmed_at_once_works_once, agentry_tests::test_config(), |apps| {
    let app = &apps[0];
    let email = app.signup().await;
    let res = agentry_tests::client()
        .post(app.url("/api/v1/auth/password-reset"))
        .json(&json!({"email": email}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    let token = crate::security::reset_token(app, &email).await;
    let statuses = spread(&apps, 10, |a, i| {
        let body = json!({"token": token, "newPassword": format!("a new passphrase number {i}")});
        agentry_tests::client().post(a.url("/api/v1/auth/password-reset/confirm")).json(&body).send()
    })
    .await;
    assert_eq!((count(&statuses, 204), count(&statuses, 404)), (1, 9), "{statuses:?}");
});

// Version numbers: deploys racing on both instances number the versions 1, 2, 3… with no
// gap and no repeat, and a deploy that finds nothing new answers 409 (never 500).
raced!(racing_deploys_number_versions_without_gaps, agentry_tests::test_config(), |apps| {
    let app = &apps[0];
    app.signup().await;
    let (agent, _) = runnable_agent(app, "versioned").await;
    for round in 0..5 {
        let draft = json!({"trigger": "manual",
            "workflowStructure": {"steps": [{"id": format!("step{round}"), "kind": "code"}]}});
        let res = app.req(Method::PUT, &format!("/api/agents/{agent}/draft"), &Who::Session).json(&draft).send().await;
        assert_eq!(res.unwrap().status(), 200);
        let deploy = format!("/api/agents/{agent}/deploy");
        let statuses = spread(&apps, 8, |a, _| a.post(&deploy, json!({}))).await;
        assert_eq!((count(&statuses, 200), count(&statuses, 409)), (1, 7), "round {round}: {statuses:?}");
    }
    let numbers: Vec<i64> = sqlx::query_scalar(
        "SELECT number FROM agent_variations WHERE agent_id = $1 AND number IS NOT NULL ORDER BY number",
    )
    .bind(agent)
    .fetch_all(&app.services.db().pool)
    .await
    .unwrap();
    let expected: Vec<i64> = (1..=i64::try_from(numbers.len()).unwrap()).collect();
    assert_eq!(numbers, expected);
});

/// Queues and claims a run of a fresh owner's agent `name` on `apps[0]`, then sends `n`
/// heartbeats of one log line each at once, spread over the instances: the run's id and
/// the heartbeats' statuses.
async fn heartbeats_with_a_line_each(apps: &[agentry_tests::TestApp], name: &str, n: usize) -> (i64, Vec<u16>) {
    let (_, _, key, id) = crate::run_support::one_queued_run(&apps[0], name).await;
    let lease = claim(&apps[0], &key).await.unwrap()["lease"].clone();
    let path = format!("/api/v1/runner/runs/{id}/progress");
    let statuses =
        spread(apps, n, |a, i| runner(a, &key, &path, json!({"lease": lease, "log": [format!("line {i}")]}))).await;
    (id, statuses)
}

// Run events: heartbeats with log lines racing on both instances append events numbered
// 1, 2, 3… with no gap and no repeat.
raced!(racing_heartbeats_number_events_without_gaps, agentry_tests::test_config(), |apps| {
    let app = &apps[0];
    let (id, statuses) = heartbeats_with_a_line_each(&apps, "chatty", 30).await;
    assert_eq!(count(&statuses, 200), 30, "{statuses:?}");
    let seqs: Vec<i64> = sqlx::query_scalar("SELECT seq FROM run_events WHERE run_id = $1 ORDER BY seq")
        .bind(id)
        .fetch_all(&app.services.db().pool)
        .await
        .unwrap();
    let expected: Vec<i64> = (1..=i64::try_from(seqs.len()).unwrap()).collect();
    assert_eq!(seqs, expected);
    let logs = "SELECT COUNT(*) FROM run_events WHERE run_id = $1 AND kind = 'log'";
    assert_eq!(scalar(app, logs, id).await, 30);
});

fn log_cap() -> agentry_services::Config {
    agentry_services::Config {
        clock: agentry_services::Clock::manual(),
        run_log_lines_per_minute: 5,
        ..agentry_tests::test_config()
    }
}

// Log lines per minute: heartbeats racing on both instances keep exactly the cap's lines
// of a minute, and one line saying the rest were dropped.
raced!(racing_heartbeats_keep_the_log_rate_cap, log_cap(), |apps| {
    let app = &apps[0];
    let (id, statuses) = heartbeats_with_a_line_each(&apps, "flooding", 20).await;
    assert_eq!(count(&statuses, 200), 20, "{statuses:?}");
    let lines = crate::run_support::log_lines(app, id).await;
    assert_eq!(lines.len(), 6, "{lines:?}");
    assert!(lines[5].contains("over 5 lines in a minute"), "{lines:?}");
});

/// The run events that end a run (`runs/runner.rs` complete, `runs/reaper.rs` cancel and
/// sweep): one per run.
const FINAL_EVENTS: &str =
    "SELECT COUNT(*) FROM run_events WHERE run_id = $1 AND kind IN ('completed', 'failed', 'cancelled', 'timed_out')";

// A run ends once: a complete on one instance racing a cancel on the other leaves one
// final status (cancelled when the cancel was asked first, which it then answers 200;
// completed when the cancel came too late, which it then answers 409), one final event
// and one webhook delivery.
raced!(a_cancel_racing_a_complete_leaves_one_final_outcome, agentry_tests::test_config(), |apps| {
    let app = &apps[0];
    app.signup().await;
    let org = app.org_id().await;
    let (agent, key) = runnable_agent(app, "contested").await;
    let hook = json!({"url": "http://127.0.0.1:9/hook"});
    let res = app.req(Method::PUT, &format!("/api/v1/agents/{agent}/webhook"), &Who::Session).json(&hook).send();
    assert_eq!(res.await.unwrap().status(), 200);
    for round in 0..10 {
        let run: Value = create_run(app, org, json!({"prompt": "p", "agent_id": agent})).await.json().await.unwrap();
        let id = run["id"].as_i64().unwrap();
        let c = claim(app, &key).await.expect("a run to claim");
        assert_eq!(c["run"]["id"].as_i64(), Some(id), "round {round}");
        let lease = c["lease"].clone();
        let complete_path = format!("/api/v1/runner/runs/{id}/complete");
        let body = json!({"lease": lease, "status": "completed", "result": {"ok": true}});
        let complete = runner(&apps[0], &key, &complete_path, body);
        let cancel_path = format!("/v1/organizations/{org}/agent/run/{id}/cancel");
        let cancel = apps[1].post(&cancel_path, json!({}));
        let (completed, cancelled) = tokio::join!(complete, cancel);
        let cancelled = cancelled.status().as_u16();
        assert_eq!(completed.status(), 200, "round {round}: cancel {cancelled}");
        let answered: Value = completed.json().await.unwrap();
        assert!(cancelled == 200 || cancelled == 409, "round {round}: cancel {cancelled}");
        let want = if cancelled == 200 { "cancelled" } else { "completed" };
        let seen: Value = app.get(&format!("/v1/organizations/{org}/agent/run/{id}")).await.json().await.unwrap();
        assert_eq!(seen["status"], want, "round {round}: cancel {cancelled}: {seen}");
        assert_eq!(answered["status"], want, "round {round}: the complete's answer {answered}");
        assert_eq!(scalar(app, FINAL_EVENTS, id).await, 1, "round {round}: cancel {cancelled}");
        let types: Vec<String> = sqlx::query_scalar("SELECT event_type FROM webhook_deliveries WHERE run_id = $1")
            .bind(id)
            .fetch_all(&app.services.db().pool)
            .await
            .unwrap();
        assert_eq!(types, [format!("run.{want}")], "round {round}: cancel {cancelled}");
    }
});

// Rate limits count every attempt once, whichever instance it reaches: of twenty log-ins
// at once for one address (limit 5 a window), five are judged and fifteen answer 429.
raced!(racing_logins_count_every_attempt, agentry_tests::test_config(), |apps| {
    let app = &apps[0];
    let email = app.signup().await;
    let statuses = spread(&apps, 20, |a, _| {
        let body = json!({"email": email, "password": "not the password at all"});
        agentry_tests::client().post(a.url("/api/v1/auth/login")).header("origin", &a.base).json(&body).send()
    })
    .await;
    assert_eq!((count(&statuses, 401), count(&statuses, 429)), (5, 15), "{statuses:?}");
});

// Rate limits hold across instances whose clocks differ: an instance whose clock is still
// in the previous window adds to the newer window's count instead of starting it again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_hold_across_instances_whose_clocks_differ() {
    for backend in [agentry_tests::Backend::Sqlite, agentry_tests::Backend::Postgres] {
        let ahead =
            agentry_services::Config { clock: agentry_services::Clock::manual(), ..agentry_tests::test_config() };
        assert!(ahead.clock.advance(ahead.rate_window));
        let behind =
            agentry_services::Config { clock: agentry_services::Clock::manual(), ..agentry_tests::test_config() };
        let a = agentry_tests::spawn_with(backend, ahead).await;
        let b = agentry_tests::spawn_on(&a.database_url, behind).await;
        let email = a.signup().await;
        let mut statuses = Vec::new();
        for i in 0..20 {
            let app = if i % 2 == 0 { &a } else { &b };
            let body = json!({"email": email, "password": "not the password at all"});
            let res =
                agentry_tests::client().post(app.url("/api/v1/auth/login")).header("origin", &app.base).json(&body);
            statuses.push(res.send().await.unwrap().status().as_u16());
        }
        assert_eq!((count(&statuses, 401), count(&statuses, 429)), (5, 15), "{backend:?}: {statuses:?}");
    }
}

fn manual_clock() -> agentry_services::Config {
    agentry_services::Config { clock: agentry_services::Clock::manual(), ..agentry_tests::test_config() }
}

// A cancel accepted while the sweep finds the run's lease lapsed ends the run cancelled:
// the sweep decides from the row it locked, so it never puts a cancelled run back in the
// queue.
raced!(a_cancel_racing_the_sweep_of_a_lapsed_lease_is_not_lost, manual_clock(), |apps| {
    let app = &apps[0];
    app.signup().await;
    let org = app.org_id().await;
    let (agent, key) = crate::run_support::runnable_agent_with_lease(app, "lapsing", 5).await;
    for round in 0..10 {
        let run: Value = create_run(app, org, json!({"prompt": "p", "agent_id": agent})).await.json().await.unwrap();
        let id = run["id"].as_i64().unwrap();
        claim(app, &key).await.unwrap();
        assert!(app.services.clock().advance(std::time::Duration::from_secs(6)));
        let path = format!("/v1/organizations/{org}/agent/run/{id}/cancel");
        let cancel = apps[1].post(&path, json!({}));
        let (cancelled, swept) = tokio::join!(cancel, apps[0].services.sweep_runs());
        swept.unwrap();
        assert_eq!(cancelled.status(), 200, "round {round}");
        let run: Value = app.get(&format!("/v1/organizations/{org}/agent/run/{id}")).await.json().await.unwrap();
        let cancel_asked = run["cancelRequestedAt"].is_string() || run["cancel_requested_at"].is_string();
        assert!(
            run["status"] == "cancelled" || (run["status"] == "running" && cancel_asked),
            "round {round}: a cancel was accepted, yet the run is {run}"
        );
        // Whatever is left, the next sweeps end it.
        app.services.sweep_runs().await.unwrap();
    }
});
