//! A run's event stream (SSE), its attempts, the release of a stopped agent's runs, the
//! per-agent cap, and the wake-ups across instances, through real HTTP on both backends.
use crate::run_support::{claim, create_run, one_queued_run, runnable_agent, runner, SseReader};
use agentry_tests::{both, problem_code, user, Who};
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration;

both!(the_stream_replays_follows_resumes_without_gaps_and_ends_with_done, |app| {
    app.signup().await;
    let org = app.org_id().await;
    let (agent, key) = runnable_agent(&app, "streamer").await;
    let run: Value = create_run(&app, org, json!({"prompt": "p", "agent_id": agent})).await.json().await.unwrap();
    let id = run["id"].as_i64().unwrap();
    let lease = claim(&app, &key).await.unwrap()["lease"].as_str().unwrap().to_string();
    let progress = format!("/api/v1/runner/runs/{id}/progress");
    let say = |lines: Vec<String>| runner(&app, &key, &progress, json!({"lease": lease, "log": lines}));
    assert_eq!(say(vec!["one".into(), "two".into()]).await.status(), 200);
    let path = format!("/v1/organizations/{org}/agent/run/{id}/events");

    // The log so far (created, claimed, two lines), then live lines.
    let mut sse = SseReader::open(&app, &path, None).await;
    let mut seen = Vec::new();
    for _ in 0..4 {
        seen.push(sse.next().await.unwrap());
    }
    let kinds: Vec<&str> = seen.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(kinds, ["created", "claimed", "log", "log"]);
    assert_eq!(seen[2].data["data"]["line"], "one");
    assert_eq!(seen[3].data["seq"], 4);
    assert_eq!(say(vec!["three".into()]).await.status(), 200);
    let live = sse.next().await.unwrap();
    assert_eq!((live.id, live.data["data"]["line"].as_str()), (Some(5), Some("three")));
    seen.push(live);

    // The client goes away; the run goes on; it comes back with Last-Event-ID.
    drop(sse);
    for n in 0..3 {
        assert_eq!(say(vec![format!("while away {n}")]).await.status(), 200);
    }
    let mut sse = SseReader::open(&app, &path, seen.last().unwrap().id).await;
    for _ in 0..3 {
        seen.push(sse.next().await.unwrap());
    }
    let complete = format!("/api/v1/runner/runs/{id}/complete");
    let res =
        runner(&app, &key, &complete, json!({"lease": lease, "status": "completed", "result": {"ok": true}})).await;
    assert_eq!(res.status(), 200);
    let last = sse.next().await.unwrap();
    assert_eq!(last.event, "completed");
    seen.push(last);
    let done = sse.next().await.unwrap();
    assert_eq!((done.event.as_str(), done.id), ("done", None));
    assert_eq!((done.data["status"].as_str(), done.data["result"]["ok"].as_bool()), (Some("completed"), Some(true)));
    assert!(sse.next().await.is_none(), "the stream ends after done");
    let seqs: Vec<i64> = seen.iter().map(|e| e.id.unwrap()).collect();
    assert_eq!(seqs, (1..=9).collect::<Vec<_>>(), "no gaps and no duplicates across the reconnect");

    // A finished run's stream replays and ends; ?after= works without EventSource.
    let mut sse = SseReader::open(&app, &format!("{path}?after=7"), None).await;
    assert_eq!(sse.next().await.unwrap().id, Some(8));
    assert_eq!(sse.next().await.unwrap().id, Some(9));
    assert_eq!(sse.next().await.unwrap().event, "done");
    assert!(sse.next().await.is_none());

    // Bad input, and other people.
    let get = |p: String, who: Who| app.req(Method::GET, &p, &who).send();
    problem_code(get(format!("{path}?after=-1"), Who::Session).await.unwrap(), 400, "validation").await;
    let bad_header = app.req(Method::GET, &path, &Who::Session).header("Last-Event-ID", "x").send().await.unwrap();
    problem_code(bad_header, 400, "validation").await;
    assert_eq!(get(path.clone(), Who::Anon).await.unwrap().status(), 401);
    let stranger = user(&app).await;
    let res = stranger.client.get(app.url(&path)).send().await.unwrap();
    problem_code(res, 404, "organization_not_found").await;
    let nope = format!("/v1/organizations/{org}/agent/run/999999/events");
    problem_code(get(nope, Who::Session).await.unwrap(), 404, "run_not_found").await;
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_attempt_is_listed_and_a_stopped_agent_releases_its_runs() {
    for backend in [agentry_tests::Backend::Sqlite, agentry_tests::Backend::Postgres] {
        let config =
            agentry_services::Config { clock: agentry_services::Clock::manual(), ..agentry_tests::test_config() };
        let app = agentry_tests::spawn_with(backend, config).await;
        let (org, agent, key, id) = one_queued_run(&app, "worker").await;
        assert!(claim(&app, &key).await.is_some());
        assert!(app.services.clock().advance(Duration::from_secs(61)));
        app.services.sweep_runs().await.unwrap();
        assert!(app.services.clock().advance(Duration::from_secs(2)));
        let lease = claim(&app, &key).await.unwrap()["lease"].as_str().unwrap().to_string();
        let attempts: Value =
            app.get(&format!("/v1/organizations/{org}/agent/run/{id}/attempts")).await.json().await.unwrap();
        let rows = attempts["value"].as_array().unwrap();
        assert_eq!(rows.len(), 2, "{attempts}");
        assert_eq!((rows[0]["attempt"].as_i64(), rows[0]["outcome"].as_str()), (Some(1), Some("lease_expired")));
        assert_eq!((rows[1]["attempt"].as_i64(), rows[1]["outcome"].as_str()), (Some(2), None));

        // Deactivated: the running run goes back to the queue at once, the old lease is
        // fenced, and the agent cannot claim until it is activated again.
        let res = app.post(&format!("/api/agents/{agent}/deactivate"), json!({})).await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        let seen: Value = app.get(&format!("/v1/organizations/{org}/agent/run/{id}")).await.json().await.unwrap();
        assert_eq!(seen["status"], "queued", "{seen}");
        let progress = format!("/api/v1/runner/runs/{id}/progress");
        assert_eq!(runner(&app, &key, &progress, json!({"lease": lease})).await.status(), 401);
        assert_eq!(runner(&app, &key, "/api/v1/runner/claim?wait=0", json!({})).await.status(), 401);
        assert_eq!(app.post(&format!("/api/agents/{agent}/activate"), json!({})).await.status(), 200);
        problem_code(runner(&app, &key, &progress, json!({"lease": lease})).await, 409, "lease_lost").await;
        let third = claim(&app, &key).await.unwrap();
        assert_eq!((third["run"]["id"].as_i64(), third["run"]["attempt"].as_i64()), (Some(id), Some(3)));
        let outcomes: Value =
            app.get(&format!("/v1/organizations/{org}/agent/run/{id}/attempts")).await.json().await.unwrap();
        assert_eq!(outcomes["value"][1]["outcome"], "lease_released");

        // Revoked: its queued and running runs are cancelled, with the reason.
        let queued: Value =
            create_run(&app, org, json!({"prompt": "q", "agent_id": agent})).await.json().await.unwrap();
        let res = app.post(&format!("/api/v1/agents/{agent}/revoke"), json!({})).await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        for run in [id, queued["id"].as_i64().unwrap()] {
            let seen: Value = app.get(&format!("/v1/organizations/{org}/agent/run/{run}")).await.json().await.unwrap();
            assert_eq!(seen["status"], "cancelled", "{seen}");
            assert!(seen["error"]["message"].as_str().unwrap().contains("revoked"), "{seen}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_per_agent_cap_holds_inside_the_claim() {
    for backend in [agentry_tests::Backend::Sqlite, agentry_tests::Backend::Postgres] {
        let config = agentry_services::Config { run_running_limit_per_agent: 1, ..agentry_tests::test_config() };
        let app = agentry_tests::spawn_with(backend, config).await;
        app.signup().await;
        let org = app.org_id().await;
        let (agent, key) = runnable_agent(&app, "one-at-a-time").await;
        let (other, other_key) = runnable_agent(&app, "another").await;
        for a in [agent, agent, other] {
            assert_eq!(create_run(&app, org, json!({"prompt": "p", "agent_id": a})).await.status(), 200);
        }
        let first = claim(&app, &key).await.unwrap();
        assert!(claim(&app, &key).await.is_none(), "the agent is at its cap");
        assert!(claim(&app, &other_key).await.is_some(), "another agent is not held back");
        let id = first["run"]["id"].as_i64().unwrap();
        let body = json!({"lease": first["lease"], "status": "completed"});
        assert_eq!(runner(&app, &key, &format!("/api/v1/runner/runs/{id}/complete"), body).await.status(), 200);
        assert!(claim(&app, &key).await.is_some(), "a slot is free again");
    }
}

/// Two instances on one PostgreSQL: a change on one wakes the other's waiters through
/// LISTEN/NOTIFY (the waiters' fallback polls do not fire this signal).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_instances_wake_each_other() {
    let apps = agentry_tests::spawn_many(agentry_tests::Backend::Postgres, agentry_tests::test_config(), 2).await;
    let (a, b) = (&apps[0], &apps[1]);
    a.signup().await;
    let org = a.org_id().await;
    let (agent, _) = runnable_agent(a, "worker").await;
    // B's listener connects in the background; retry until it relays.
    for attempt in 0.. {
        let woken = b.services.run_change();
        assert_eq!(create_run(a, org, json!({"prompt": "p", "agent_id": agent})).await.status(), 200);
        if tokio::time::timeout(Duration::from_secs(2), woken).await.is_ok() {
            break;
        }
        assert!(attempt < 10, "instance B never heard of A's runs");
    }
}

both!(the_summary_counts_queued_running_and_failed_runs, |app| {
    app.signup().await;
    let org = app.org_id().await;
    let (agent, key) = runnable_agent(&app, "counted").await;
    let summary =
        || async { app.get(&format!("/api/v1/organizations/{org}/run-summary")).await.json::<Value>().await.unwrap() };
    assert_eq!(summary().await, json!({"queued": 0, "running": 0, "failedLastDay": 0, "oldestQueuedAt": null}));
    for _ in 0..3 {
        assert_eq!(create_run(&app, org, json!({"prompt": "p", "agent_id": agent})).await.status(), 200);
    }
    let c = claim(&app, &key).await.unwrap();
    let id = c["run"]["id"].as_i64().unwrap();
    let s = summary().await;
    assert_eq!((s["queued"].as_i64(), s["running"].as_i64()), (Some(2), Some(1)), "{s}");
    assert!(s["oldestQueuedAt"].is_string());
    let body = json!({"lease": c["lease"], "status": "failed", "error": {"message": "no"}});
    assert_eq!(runner(&app, &key, &format!("/api/v1/runner/runs/{id}/complete"), body).await.status(), 200);
    let s = summary().await;
    assert_eq!((s["running"].as_i64(), s["failedLastDay"].as_i64()), (Some(0), Some(1)), "{s}");
    let stranger = user(&app).await;
    let res = stranger.client.get(app.url(&format!("/api/v1/organizations/{org}/run-summary"))).send().await.unwrap();
    problem_code(res, 404, "organization_not_found").await;
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_claims_never_exceed_the_caps() {
    for backend in [agentry_tests::Backend::Sqlite, agentry_tests::Backend::Postgres] {
        let config = agentry_services::Config {
            run_running_limit_per_agent: 3,
            run_running_limit_per_org: 5,
            ..agentry_tests::test_config()
        };
        let app = agentry_tests::spawn_with(backend, config).await;
        app.signup().await;
        let org = app.org_id().await;
        let (a, a_key) = runnable_agent(&app, "first").await;
        let (b, b_key) = runnable_agent(&app, "second").await;
        for agent in [a, b] {
            for _ in 0..10 {
                assert_eq!(create_run(&app, org, json!({"prompt": "p", "agent_id": agent})).await.status(), 200);
            }
        }
        let claims = (0..24).map(|i| {
            let key = if i % 2 == 0 { &a_key } else { &b_key };
            runner(&app, key, "/api/v1/runner/claim?wait=0", json!({}))
        });
        let answers = futures::future::join_all(claims).await;
        let won = answers.iter().filter(|r| r.status() == 200).count();
        assert_eq!(won, 5, "the organization's cap of 5 running runs, whoever races");
        let per_agent: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT agent_id, COUNT(*) FROM runs WHERE status = 'running' GROUP BY agent_id ORDER BY agent_id",
        )
        .fetch_all(&app.services.db().pool)
        .await
        .unwrap();
        assert!(per_agent.iter().all(|(_, n)| *n <= 3), "the agents' cap of 3: {per_agent:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_lines_are_capped_in_size_and_rate() {
    for backend in [agentry_tests::Backend::Sqlite, agentry_tests::Backend::Postgres] {
        let config = agentry_services::Config {
            clock: agentry_services::Clock::manual(),
            run_log_lines_per_minute: 5,
            ..agentry_tests::test_config()
        };
        let app = agentry_tests::spawn_with(backend, config).await;
        app.signup().await;
        let org = app.org_id().await;
        let (agent, key) = runnable_agent(&app, "chatty").await;
        let run: Value = create_run(&app, org, json!({"prompt": "p", "agent_id": agent})).await.json().await.unwrap();
        let id = run["id"].as_i64().unwrap();
        let lease = claim(&app, &key).await.unwrap()["lease"].clone();
        let progress = format!("/api/v1/runner/runs/{id}/progress");
        let say = |lines: Vec<String>| runner(&app, &key, &progress, json!({"lease": lease, "log": lines}));
        // A minute's worth: a long line cut, then 4 more, then the rest dropped with one note.
        assert_eq!(say(vec!["x".repeat(9000), "a".into(), "b".into()]).await.status(), 200);
        assert_eq!(say(vec!["c".into(), "d".into(), "e".into(), "f".into()]).await.status(), 200);
        assert_eq!(say(vec!["g".into()]).await.status(), 200);
        assert!(app.services.clock().advance(Duration::from_secs(60)));
        assert_eq!(say(vec!["next minute".into()]).await.status(), 200);
        let rows: Vec<String> =
            sqlx::query_scalar("SELECT data FROM run_events WHERE run_id = $1 AND kind = 'log' ORDER BY seq")
                .bind(id)
                .fetch_all(&app.services.db().pool)
                .await
                .unwrap();
        let logs: Vec<Value> = rows.iter().map(|r| serde_json::from_str(r).unwrap()).collect();
        assert_eq!((logs[0]["line"].as_str().unwrap().len(), logs[0]["truncated"].as_bool()), (8192, Some(true)));
        let lines: Vec<&str> = logs[1..].iter().map(|l| l["line"].as_str().unwrap()).collect();
        assert_eq!(lines.len(), 6, "{lines:?}");
        assert_eq!(lines[..4], ["a", "b", "c", "d"]);
        assert!(lines[4].contains("over 5 lines in a minute"), "{lines:?}");
        assert_eq!(lines[5], "next minute");
    }
}
