//! Completion webhooks: set by the agent's managers, delivered when a run ends, signed per
//! Standard Webhooks (checked here independently), retried, dead-lettered, redelivered.
use crate::run_support::{claim, create_run, runnable_agent, runner};
use agentry_tests::{both, member_of, problem_code, Who};
use base64::Engine;
use hmac::{Hmac, Mac};
use reqwest::Method;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the receiver got: the headers it cares about and the body.
type Got = Arc<Mutex<Vec<(String, String, String, String)>>>;

/// A webhook receiver on a free port answering `status`; its URL and what it got.
async fn receiver(status: Arc<AtomicU16>) -> (String, Got) {
    let got: Got = Arc::default();
    let seen = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let (seen, status) = (seen.clone(), status.clone());
            async move {
                let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
                seen.lock().unwrap().push((h("webhook-id"), h("webhook-timestamp"), h("webhook-signature"), body));
                axum::http::StatusCode::from_u16(status.load(Ordering::SeqCst)).unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, got)
}

/// Runs the delivery worker until the receiver has `n` requests (10 s at most).
async fn delivered(app: &agentry_tests::TestApp, got: &Got, n: usize) {
    for _ in 0..100 {
        app.services.deliver_webhooks().await.unwrap();
        if got.lock().unwrap().len() >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the receiver never got {n} deliveries");
}

both!(a_finished_run_is_delivered_signed_and_a_failing_receiver_dead_letters, |app| {
    app.signup().await;
    let org = app.org_id().await;
    let (agent, key) = runnable_agent(&app, "hooked").await;
    let status = Arc::new(AtomicU16::new(200));
    let (url, got) = receiver(status.clone()).await;
    let path = format!("/api/v1/agents/{agent}/webhook");
    let put = |body: Value| app.req(Method::PUT, &path, &Who::Session).json(&body).send();

    let made: Value = put(json!({"url": url})).await.unwrap().json().await.unwrap();
    let secret = made["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"), "{made}");
    let again: Value = put(json!({"url": url})).await.unwrap().json().await.unwrap();
    assert!(again.get("secret").is_none(), "the secret is shown once");
    let shown: Value = app.get(&path).await.json().await.unwrap();
    assert_eq!((shown["url"].as_str(), shown.get("secret")), (Some(url.as_str()), None));

    // A run ends: one delivery, signed.
    let run: Value = create_run(&app, org, json!({"prompt": "p", "agent_id": agent})).await.json().await.unwrap();
    let c = claim(&app, &key).await.unwrap();
    let id = run["id"].as_i64().unwrap();
    let body = json!({"lease": c["lease"], "status": "completed", "result": {"ok": 1}});
    assert_eq!(runner(&app, &key, &format!("/api/v1/runner/runs/{id}/complete"), body).await.status(), 200);
    delivered(&app, &got, 1).await;
    let (msg, ts, sig, body) = got.lock().unwrap()[0].clone();
    let key_bytes = base64::engine::general_purpose::STANDARD.decode(secret.trim_start_matches("whsec_")).unwrap();
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&key_bytes).unwrap();
    mac.update(format!("{msg}.{ts}.{body}").as_bytes());
    let want = format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes()));
    assert_eq!(sig, want, "a Standard Webhooks signature");
    assert!(msg.starts_with("msg_"));
    let payload: Value = serde_json::from_str(&body).unwrap();
    assert_eq!((payload["type"].as_str(), payload["data"]["id"].as_i64()), (Some("run.completed"), Some(id)));
    assert_eq!(payload["data"]["result"]["ok"], 1);
    let list: Value = app.get(&format!("{path}/deliveries?status=delivered")).await.json().await.unwrap();
    assert_eq!(list["value"][0]["attempts"], 1);

    // The receiver fails: retried with backoff, then dead; redelivered once it is back.
    status.store(500, Ordering::SeqCst);
    let queued: Value = create_run(&app, org, json!({"prompt": "q", "agent_id": agent})).await.json().await.unwrap();
    let res = app.post(&format!("/v1/organizations/{org}/agent/run/{}/cancel", queued["id"]), json!({})).await;
    assert_eq!(res.status(), 200);
    delivered(&app, &got, 2).await;
    let pending: Value = app.get(&format!("{path}/deliveries?status=pending")).await.json().await.unwrap();
    let delivery = pending["value"][0]["id"].as_i64().unwrap();
    assert_eq!(
        (pending["value"][0]["lastStatus"].as_i64(), pending["value"][0]["eventType"].as_str()),
        (Some(500), Some("run.cancelled"))
    );
    sqlx::query("UPDATE webhook_deliveries SET attempts = 7, next_attempt_at = 0 WHERE id = $1")
        .bind(delivery)
        .execute(&app.services.db().pool)
        .await
        .unwrap();
    delivered(&app, &got, 3).await;
    let dead: Value = app.get(&format!("{path}/deliveries?status=dead")).await.json().await.unwrap();
    assert_eq!((dead["value"][0]["id"].as_i64(), dead["value"][0]["attempts"].as_i64()), (Some(delivery), Some(8)));
    status.store(204, Ordering::SeqCst);
    let res = app.post(&format!("{path}/deliveries/{delivery}/redeliver"), json!({})).await;
    assert_eq!(res.status(), 200);
    delivered(&app, &got, 4).await;
    let ids: Vec<String> = got.lock().unwrap().iter().map(|g| g.0.clone()).collect();
    assert_eq!(
        ids[1..],
        [format!("msg_{delivery}"), format!("msg_{delivery}"), format!("msg_{delivery}")],
        "one id across attempts"
    );
    let done: Value = app.get(&format!("{path}/deliveries?status=delivered")).await.json().await.unwrap();
    assert_eq!(done["value"].as_array().unwrap().len(), 2);

    // Bad input and other people.
    problem_code(put(json!({"url": "ftp://example.com/x"})).await.unwrap(), 422, "invalid_body").await;
    problem_code(put(json!({"url": "http://"})).await.unwrap(), 422, "invalid_body").await;
    problem_code(put(json!({"url": url, "extra": 1})).await.unwrap(), 422, "invalid_body").await;
    let viewer = member_of(&app, org, "member").await;
    let res =
        viewer.client.put(app.url(&path)).header("origin", &app.base).json(&json!({"url": url})).send().await.unwrap();
    assert_eq!(res.status(), 403);
    problem_code(app.get("/api/v1/agents/999999/webhook").await, 404, "agent_not_found").await;
    problem_code(app.post(&format!("{path}/deliveries/999999/redeliver"), json!({})).await, 404, "webhook_not_found")
        .await;
    assert_eq!(app.req(Method::DELETE, &path, &Who::Session).send().await.unwrap().status(), 204);
    problem_code(app.get(&path).await, 404, "webhook_not_found").await;
});
