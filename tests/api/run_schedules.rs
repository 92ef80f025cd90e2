//! Schedules: one run per tick with two instances on one database, time driven by the
//! injectable clock, and one catch-up run after downtime.
use crate::run_support::{deploy, runnable_agent};
use serde_json::{json, Value};
use std::time::Duration;

async fn scheduled_runs(app: &agentry_tests::TestApp, agent: i64) -> Vec<(i64, String)> {
    sqlx::query_as("SELECT scheduled_for, metadata FROM runs WHERE agent_id = $1 ORDER BY scheduled_for")
        .bind(agent)
        .fetch_all(&app.services.db().pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schedule_makes_exactly_one_run_per_tick_across_instances() {
    for backend in [agentry_tests::Backend::Sqlite, agentry_tests::Backend::Postgres] {
        let config =
            agentry_services::Config { clock: agentry_services::Clock::manual(), ..agentry_tests::test_config() };
        let apps = agentry_tests::spawn_many(backend, config, 2).await;
        let app = &apps[0];
        app.signup().await;
        let (agent, _) = runnable_agent(app, "nightly").await;
        let draft = json!({"trigger": {"cron": "*/5 * * * *", "timezone": "Europe/Berlin"},
            "workflowStructure": {"steps": [{"id": "only", "kind": "code"}]}});
        deploy(app, agent, draft).await;
        let res = app.post(&format!("/api/agents/{agent}/toggle"), json!({"enabled": true})).await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());

        // Both instances tick at once, many times: the schedule starts, and no run yet.
        let tick_all = || async {
            for _ in 0..5 {
                let (a, b) = tokio::join!(apps[0].services.tick_schedules(), apps[1].services.tick_schedules());
                a.unwrap();
                b.unwrap();
            }
        };
        tick_all().await;
        assert!(scheduled_runs(app, agent).await.is_empty());
        let next_at: i64 = sqlx::query_scalar("SELECT next_at FROM agent_schedules WHERE agent_id = $1")
            .bind(agent)
            .fetch_one(&app.services.db().pool)
            .await
            .unwrap();
        assert_eq!(next_at % 300_000, 0, "a five-minute boundary");

        // Two ticks, each made once.
        for (n, tick) in [(1, next_at), (2, next_at + 300_000)] {
            assert!(app.services.clock().advance(Duration::from_secs(300)));
            tick_all().await;
            let runs = scheduled_runs(app, agent).await;
            assert_eq!(runs.len(), n, "{runs:?}");
            assert_eq!(runs[n - 1].0, tick);
            let meta: Value = serde_json::from_str(&runs[n - 1].1).unwrap();
            assert_eq!(meta["schedule"]["catch_up"], false);
        }

        // Down for an hour: one catch-up run for the first missed tick, then on schedule.
        assert!(app.services.clock().advance(Duration::from_secs(3600)));
        tick_all().await;
        let runs = scheduled_runs(app, agent).await;
        assert_eq!(runs.len(), 3, "{runs:?}");
        let meta: Value = serde_json::from_str(&runs[2].1).unwrap();
        assert_eq!((runs[2].0, meta["schedule"]["catch_up"].as_bool()), (next_at + 600_000, Some(true)));
        tick_all().await;
        assert_eq!(scheduled_runs(app, agent).await.len(), 3, "nothing more until the next tick");

        // Off: no more runs; on again: afresh from the next tick, no catch-up.
        assert_eq!(app.post(&format!("/api/agents/{agent}/toggle"), json!({"enabled": false})).await.status(), 200);
        assert!(app.services.clock().advance(Duration::from_secs(900)));
        tick_all().await;
        assert_eq!(scheduled_runs(app, agent).await.len(), 3);
        assert_eq!(app.post(&format!("/api/agents/{agent}/toggle"), json!({"enabled": true})).await.status(), 200);
        tick_all().await;
        assert_eq!(scheduled_runs(app, agent).await.len(), 3);
        assert!(app.services.clock().advance(Duration::from_secs(300)));
        tick_all().await;
        assert_eq!(scheduled_runs(app, agent).await.len(), 4);
    }
}
