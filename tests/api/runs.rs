//! Runs (seed 001) and the runner protocol through real HTTP on both backends: create,
//! get, claim with a lease, progress, complete; fencing of a lapsed lease; two-phase
//! cancel; validation, idempotency, and other organizations.
use crate::run_support::{claim, create_run, one_queued_run, runnable_agent, runner};
use agentry_tests::{both, problem_code, user, Who};
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration;

both!(a_run_is_created_claimed_reported_and_completed_once, |app| {
    app.signup().await;
    let org = app.org_id().await;
    let (agent, key) = runnable_agent(&app, "worker").await;
    let res =
        create_run(&app, org, json!({"prompt": "Summarise the week", "agent_id": agent, "metadata": {"k": 1}})).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let run: Value = res.json().await.unwrap();
    let id = run["id"].as_i64().unwrap();
    assert_eq!(
        (run["status"].as_str(), run["attempt"].as_i64(), run["organization_id"].as_i64(), run["agent_id"].as_i64()),
        (Some("queued"), Some(0), Some(org), Some(agent))
    );
    assert_eq!(run["metadata"]["k"], 1);
    assert!(run["web_url"].as_str().unwrap().ends_with(&format!("/runs/{id}")));
    let got: Value = app.get(&format!("/v1/organizations/{org}/agent/run/{id}")).await.json().await.unwrap();
    assert_eq!(got, run);

    let c = claim(&app, &key).await.expect("a run to claim");
    assert_eq!(
        (c["run"]["id"].as_i64(), c["run"]["status"].as_str(), c["run"]["attempt"].as_i64()),
        (Some(id), Some("running"), Some(1))
    );
    let lease = c["lease"].as_str().unwrap().to_string();
    assert!(c["leaseExpiresAt"].is_string());
    assert!(claim(&app, &key).await.is_none(), "claimed once");

    let progress = format!("/api/v1/runner/runs/{id}/progress");
    let res =
        runner(&app, &key, &progress, json!({"lease": lease, "percent": 50, "message": "half", "log": ["a", "b"]}))
            .await;
    assert_eq!(res.status(), 200);
    let ack: Value = res.json().await.unwrap();
    assert_eq!(ack["cancelRequested"], false);
    problem_code(runner(&app, &key, &progress, json!({"lease": "rls_nope"})).await, 409, "lease_lost").await;
    problem_code(runner(&app, &key, &progress, json!({"lease": lease, "percent": 101})).await, 400, "validation").await;
    assert_eq!(runner(&app, &key, &progress, json!({"lease": lease, "bogus": 1})).await.status(), 422);

    let complete = format!("/api/v1/runner/runs/{id}/complete");
    let res =
        runner(&app, &key, &complete, json!({"lease": lease, "status": "completed", "result": {"answer": 42}})).await;
    assert_eq!(res.status(), 200);
    let done: Value = res.json().await.unwrap();
    assert_eq!((done["status"].as_str(), done["result"]["answer"].as_i64()), (Some("completed"), Some(42)));
    assert_eq!((done["progress"]["percent"].as_i64(), done["progress"]["message"].as_str()), (Some(50), Some("half")));
    assert!(done["finished_at"].is_string());
    problem_code(runner(&app, &key, &complete, json!({"lease": lease, "status": "failed"})).await, 409, "run_finished")
        .await;

    // The event log: gapless, in order.
    let kinds: Vec<(i64, String)> = sqlx::query_as("SELECT seq, kind FROM run_events WHERE run_id = $1 ORDER BY seq")
        .bind(id)
        .fetch_all(&app.services.db().pool)
        .await
        .unwrap();
    let want = ["created", "claimed", "progress", "log", "log", "completed"];
    assert_eq!(kinds.iter().map(|(_, k)| k.as_str()).collect::<Vec<_>>(), want);
    assert_eq!(kinds.iter().map(|(s, _)| *s).collect::<Vec<_>>(), (1..=6).collect::<Vec<i64>>());

    // The list: newest first, filtered, paged by cursor.
    let second: Value =
        create_run(&app, org, json!({"prompt": "again", "agent_id": agent})).await.json().await.unwrap();
    let list = |q: &str| app.req(Method::GET, &format!("/v1/organizations/{org}/agent/run{q}"), &Who::Session).send();
    let all: Value = list("").await.unwrap().json().await.unwrap();
    let ids: Vec<i64> = all["value"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [second["id"].as_i64().unwrap(), id]);
    let done_only: Value = list("?status=completed").await.unwrap().json().await.unwrap();
    assert_eq!(done_only["value"][0]["id"], id);
    assert_eq!(done_only["value"].as_array().unwrap().len(), 1);
    let page: Value = list("?$top=1").await.unwrap().json().await.unwrap();
    let next = page["@odata.nextLink"].as_str().unwrap().to_string();
    let rest: Value = app.get(&next).await.json().await.unwrap();
    assert_eq!((rest["value"][0]["id"].as_i64(), rest.get("@odata.nextLink")), (Some(id), None));
    problem_code(list("?status=done").await.unwrap(), 400, "validation").await;
    problem_code(list("?since=yesterday").await.unwrap(), 400, "validation").await;
    let none: Value = list("?since=2999-01-01T00:00:00Z").await.unwrap().json().await.unwrap();
    assert_eq!(none["value"], json!([]));

    // Another agent's key cannot touch it; another organization cannot see it.
    let (_, other_key) = runnable_agent(&app, "other").await;
    problem_code(runner(&app, &other_key, &progress, json!({"lease": lease})).await, 404, "run_not_found").await;
    let stranger = user(&app).await;
    let res = stranger.client.get(app.url(&format!("/v1/organizations/{org}/agent/run/{id}"))).send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(
        agentry_tests::client()
            .get(app.url(&format!("/v1/organizations/{org}/agent/run/{id}")))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(runner(&app, "agk_nope", "/api/v1/runner/claim?wait=0", json!({})).await.status(), 401);
});

both!(bad_input_is_refused_and_changes_nothing, |app| {
    app.signup().await;
    let org = app.org_id().await;
    let (agent, _) = runnable_agent(&app, "worker").await;
    let e = problem_code(create_run(&app, org, json!({"prompt": "  "})).await, 422, "invalid_run").await;
    let fields: Vec<&str> = e["errors"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["prompt", "agent_id"], "{e}");
    problem_code(create_run(&app, org, json!({"prompt": "x", "agent_id": 999_999})).await, 422, "invalid_run").await;
    let draft = app.post("/api/agents", json!({"name": "Draft only"})).await.json::<Value>().await.unwrap();
    let e =
        problem_code(create_run(&app, org, json!({"prompt": "x", "agent_id": draft["id"]})).await, 422, "invalid_run")
            .await;
    assert!(e["detail"].as_str().unwrap().contains("not active"), "{e}");
    let long = "x".repeat(32_769);
    problem_code(create_run(&app, org, json!({"prompt": long, "agent_id": agent})).await, 422, "invalid_run").await;
    problem_code(
        create_run(&app, org, json!({"prompt": "x", "agent_id": agent, "metadata": [1]})).await,
        422,
        "invalid_run",
    )
    .await;
    assert_eq!(create_run(&app, org, json!({"prompt": 5})).await.status(), 422);
    assert_eq!(create_run(&app, org, json!({"prompt": "x", "extra": true})).await.status(), 422);
    assert_eq!(app.count("runs").await, 0, "nothing was created");
    problem_code(app.get(&format!("/v1/organizations/{org}/agent/run/999999")).await, 404, "run_not_found").await;
    assert_eq!(create_run(&app, 999_999, json!({"prompt": "x", "agent_id": agent})).await.status(), 404);

    // Idempotency-Key: the same body returns the same run; another body is 422.
    let send = |body: Value| {
        app.req(Method::POST, &format!("/v1/organizations/{org}/agent/run"), &Who::Session)
            .header("idempotency-key", "run-1")
            .json(&body)
            .send()
    };
    let a: Value = send(json!({"prompt": "once", "agent_id": agent})).await.unwrap().json().await.unwrap();
    let b: Value = send(json!({"agent_id": agent, "prompt": "once"})).await.unwrap().json().await.unwrap();
    assert_eq!(a["id"], b["id"]);
    problem_code(send(json!({"prompt": "twice", "agent_id": agent})).await.unwrap(), 422, "idempotency_key_reused")
        .await;
    assert_eq!(app.count("runs").await, 1);

    // The organization's default agent runs a run without `agent_id`.
    let set = |v: Value| {
        app.req(Method::PATCH, &format!("/api/v1/organizations/{org}"), &Who::Session)
            .header("content-type", "application/merge-patch+json")
            .body(json!({"defaultAgentId": v}).to_string())
            .send()
    };
    let res = set(json!(agent)).await.unwrap();
    assert_eq!(res.status(), 200);
    let m: Value = res.json().await.unwrap();
    assert_eq!(m["organization"]["defaultAgentId"], agent);
    let r: Value = create_run(&app, org, json!({"prompt": "default"})).await.json().await.unwrap();
    assert_eq!(r["agent_id"], agent, "{r}");
    problem_code(set(json!(999_999)).await.unwrap(), 422, "invalid_body").await;
    assert_eq!(set(Value::Null).await.unwrap().status(), 200);
    problem_code(create_run(&app, org, json!({"prompt": "no default"})).await, 422, "invalid_run").await;
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lapsed_lease_requeues_the_run_and_fences_the_old_worker() {
    for backend in [agentry_tests::Backend::Sqlite, agentry_tests::Backend::Postgres] {
        let config =
            agentry_services::Config { clock: agentry_services::Clock::manual(), ..agentry_tests::test_config() };
        let app = agentry_tests::spawn_with(backend, config).await;
        let (org, agent, key, id) = one_queued_run(&app, "worker").await;
        let first = claim(&app, &key).await.unwrap()["lease"].as_str().unwrap().to_string();
        // The first worker goes quiet past its lease; the sweep re-queues the run.
        assert!(app.services.clock().advance(Duration::from_secs(61)));
        app.services.sweep_runs().await.unwrap();
        let seen: Value = app.get(&format!("/v1/organizations/{org}/agent/run/{id}")).await.json().await.unwrap();
        assert_eq!((seen["status"].as_str(), seen["attempt"].as_i64()), (Some("queued"), Some(1)), "{seen}");
        assert!(claim(&app, &key).await.is_none(), "backing off before the retry");
        assert!(app.services.clock().advance(Duration::from_secs(2)));
        let second = claim(&app, &key).await.unwrap();
        assert_eq!(second["run"]["attempt"], 2);
        let second = second["lease"].as_str().unwrap().to_string();
        // The first worker wakes up: fenced.
        let complete = format!("/api/v1/runner/runs/{id}/complete");
        problem_code(
            runner(&app, &key, &complete, json!({"lease": first, "status": "completed"})).await,
            409,
            "lease_lost",
        )
        .await;
        let res = runner(&app, &key, &complete, json!({"lease": second, "status": "completed", "result": {}})).await;
        assert_eq!(res.status(), 200);
        let attempts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM run_attempts WHERE run_id = $1")
            .bind(id)
            .fetch_one(&app.services.db().pool)
            .await
            .unwrap();
        assert_eq!(attempts, 2, "every attempt is kept");

        // A run whose lease lapses on its last attempt times out.
        let run: Value = create_run(&app, org, json!({"prompt": "p", "agent_id": agent})).await.json().await.unwrap();
        let id = run["id"].as_i64().unwrap();
        for _ in 0..3 {
            assert!(claim(&app, &key).await.is_some());
            assert!(app.services.clock().advance(Duration::from_secs(61)));
            app.services.sweep_runs().await.unwrap();
            assert!(app.services.clock().advance(Duration::from_secs(10)));
        }
        let seen: Value = app.get(&format!("/v1/organizations/{org}/agent/run/{id}")).await.json().await.unwrap();
        assert_eq!(
            (seen["status"].as_str(), seen["timeout"].as_str()),
            (Some("timed_out"), Some("heartbeat")),
            "{seen}"
        );
    }
}

both!(cancel_has_two_phases_and_is_idempotent, |app| {
    app.signup().await;
    let org = app.org_id().await;
    let (agent, key) = runnable_agent(&app, "worker").await;
    let make = || create_run(&app, org, json!({"prompt": "p", "agent_id": agent}));
    let queued: Value = make().await.json().await.unwrap();
    let cancel = |id: i64| {
        app.req(Method::POST, &format!("/v1/organizations/{org}/agent/run/{id}/cancel"), &Who::Session)
            .json(&json!({}))
            .send()
    };
    let c: Value = cancel(queued["id"].as_i64().unwrap()).await.unwrap().json().await.unwrap();
    assert_eq!(c["status"], "cancelled", "a queued run is cancelled at once");
    assert!(claim(&app, &key).await.is_none(), "nothing left to claim");

    let running: Value = make().await.json().await.unwrap();
    let id = running["id"].as_i64().unwrap();
    let lease = claim(&app, &key).await.unwrap()["lease"].as_str().unwrap().to_string();
    let c: Value = cancel(id).await.unwrap().json().await.unwrap();
    assert_eq!((c["status"].as_str(), c["cancel_requested_at"].is_string()), (Some("running"), true));
    assert_eq!(cancel(id).await.unwrap().status(), 200, "asking twice is fine");
    let ack: Value = runner(&app, &key, &format!("/api/v1/runner/runs/{id}/progress"), json!({"lease": lease}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ack["cancelRequested"], true);
    let done: Value = runner(
        &app,
        &key,
        &format!("/api/v1/runner/runs/{id}/complete"),
        json!({"lease": lease, "status": "completed"}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(done["status"], "cancelled", "a cancelled run never becomes completed");
    assert_eq!(cancel(id).await.unwrap().status(), 200);

    let finished: Value = make().await.json().await.unwrap();
    let fid = finished["id"].as_i64().unwrap();
    let lease = claim(&app, &key).await.unwrap()["lease"].as_str().unwrap().to_string();
    runner(&app, &key, &format!("/api/v1/runner/runs/{fid}/complete"), json!({"lease": lease, "status": "completed"}))
        .await;
    problem_code(cancel(fid).await.unwrap(), 409, "run_finished").await;
});
