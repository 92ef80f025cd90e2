//! `GET /metrics`: queue gauges read at the scrape, run counters, HTTP histograms by
//! route; loopback only, or a bearer token when one is configured.
use crate::run_support::{claim, create_run, runnable_agent};
use agentry_tests::both;
use serde_json::json;

both!(metrics_show_the_queue_the_counters_and_the_requests, |app| {
    app.signup().await;
    let org = app.org_id().await;
    let (agent, key) = runnable_agent(&app, "measured").await;
    for _ in 0..2 {
        assert_eq!(create_run(&app, org, json!({"prompt": "p", "agent_id": agent})).await.status(), 200);
    }
    assert!(claim(&app, &key).await.is_some());
    let res = app.get("/metrics").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("application/openmetrics-text"));
    let text = res.text().await.unwrap();
    for want in [
        format!("agentry_runs_queued{{org_id=\"{org}\",agent_id=\"{agent}\"}} 1"),
        format!("agentry_runs_running{{org_id=\"{org}\"}} 1"),
        "agentry_run_claim_wait_seconds_count 1".to_string(),
        "agentry_run_lease_expiries_total 0".to_string(),
        "agentry_run_cancels_total 0".to_string(),
        "agentry_runs_oldest_queued_age_seconds ".to_string(),
        "agentry_http_request_duration_seconds_count{method=\"POST\",route=\"/v1/organizations/{org_id}/agent/run\",status=\"200\"} 2".to_string(),
        "# EOF".to_string(),
    ] {
        assert!(text.contains(&want), "missing {want} in\n{text}");
    }
    let queued: serde_json::Value =
        app.get(&format!("/v1/organizations/{org}/agent/run?status=queued")).await.json().await.unwrap();
    let id = queued["value"][0]["id"].as_i64().unwrap();
    assert_eq!(app.post(&format!("/v1/organizations/{org}/agent/run/{id}/cancel"), json!({})).await.status(), 200);
    let text = app.get("/metrics").await.text().await.unwrap();
    assert!(text.contains("agentry_run_cancels_total 1"), "{text}");
    assert!(!text.contains(&format!("agent_id=\"{agent}\"}} 1")), "nothing queued any more:\n{text}");
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_token_metrics_need_it() {
    let config =
        agentry_services::Config { metrics_token: Some("s3cret-token".into()), ..agentry_tests::test_config() };
    let app = agentry_tests::spawn_with(agentry_tests::Backend::Sqlite, config).await;
    let get = |token: Option<&str>| {
        let mut req = agentry_tests::client().get(app.url("/metrics"));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send()
    };
    assert_eq!(get(None).await.unwrap().status(), 404);
    assert_eq!(get(Some("wrong")).await.unwrap().status(), 404);
    let res = get(Some("s3cret-token")).await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("agentry_runs_oldest_queued_age_seconds 0"));
}
