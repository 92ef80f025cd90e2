//! Helpers of the run tests: a runnable agent, creating a run, the runner's calls, and a
//! reader of Server-Sent Events.
use agentry_tests::{TestApp, Who};
use reqwest::Method;
use serde_json::{json, Value};

/// A registered agent of the app's organization, deployed and active: `(id, agk_ key)`.
pub async fn runnable_agent(app: &TestApp, name: &str) -> (i64, String) {
    let res = app.register_as(&Who::Session, name).await;
    assert_eq!(res.status(), 201);
    let r: Value = res.json().await.unwrap();
    let id = r["agent"]["id"].as_i64().unwrap();
    let key = r["apiKey"].as_str().unwrap().to_string();
    let a: Value = app.get(&format!("/api/agents/{id}")).await.json().await.unwrap();
    if a["status"] != "active" {
        deploy(app, id, json!({"trigger": "manual", "workflowStructure": {"steps": [{"id": "only", "kind": "code"}]}}))
            .await;
    }
    (id, key)
}

/// A signed-up owner on `app` with a runnable agent and one queued run of it:
/// `(org, agent, agk_ key, run id)`.
pub async fn one_queued_run(app: &TestApp, name: &str) -> (i64, i64, String, i64) {
    app.signup().await;
    let org = app.org_id().await;
    let (agent, key) = runnable_agent(app, name).await;
    let run: Value = create_run(app, org, json!({"prompt": "p", "agent_id": agent})).await.json().await.unwrap();
    (org, agent, key, run["id"].as_i64().unwrap())
}

/// Saves `draft` as agent `id`'s draft and deploys it.
pub async fn deploy(app: &TestApp, id: i64, draft: Value) {
    let res =
        app.req(Method::PUT, &format!("/api/agents/{id}/draft"), &Who::Session).json(&draft).send().await.unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let res = app.post(&format!("/api/agents/{id}/deploy"), json!({})).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}

pub async fn create_run(app: &TestApp, org: i64, body: Value) -> reqwest::Response {
    app.post(&format!("/v1/organizations/{org}/agent/run"), body).await
}

pub async fn runner(app: &TestApp, key: &str, path: &str, body: Value) -> reqwest::Response {
    app.req(Method::POST, path, &Who::Bearer(key.to_string())).json(&body).send().await.unwrap()
}

pub async fn claim(app: &TestApp, key: &str) -> Option<Value> {
    let res = runner(app, key, "/api/v1/runner/claim?wait=0", json!({})).await;
    match res.status().as_u16() {
        204 => None,
        200 => Some(res.json().await.unwrap()),
        s => panic!("claim answered {s}: {}", res.text().await.unwrap()),
    }
}

/// One Server-Sent Event.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sse {
    pub id: Option<i64>,
    pub event: String,
    pub data: Value,
}

/// Reads a `text/event-stream` response event by event.
pub struct SseReader {
    res: reqwest::Response,
    buf: String,
}

impl SseReader {
    /// Opens `path` (a run's event stream) with `Last-Event-ID` when given.
    pub async fn open(app: &TestApp, path: &str, last_event_id: Option<i64>) -> Self {
        let mut req = app.req(Method::GET, path, &Who::Session);
        if let Some(id) = last_event_id {
            req = req.header("Last-Event-ID", id.to_string());
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 200);
        let ct = res.headers()["content-type"].to_str().unwrap().to_string();
        assert!(ct.starts_with("text/event-stream"), "{ct}");
        Self { res, buf: String::new() }
    }

    /// The next event (comments skipped), or `None` when the stream ended. Panics after
    /// 20 s without one.
    pub async fn next(&mut self) -> Option<Sse> {
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let mut ev = Sse::default();
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        ev.id = Some(v.trim().parse().unwrap());
                    } else if let Some(v) = line.strip_prefix("event:") {
                        ev.event = v.trim().to_string();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                    }
                }
                if ev.event.is_empty() && data.is_empty() {
                    continue; // a keep-alive comment
                }
                ev.data = serde_json::from_str(&data).unwrap();
                return Some(ev);
            }
            let chunk = tokio::time::timeout(std::time::Duration::from_secs(20), self.res.chunk())
                .await
                .expect("an event within 20 s")
                .unwrap();
            match chunk {
                Some(bytes) => self.buf.push_str(&String::from_utf8_lossy(&bytes)),
                None => return None,
            }
        }
    }
}

/// `runnable_agent`, with its active variation's heartbeat timeout (the lease) set to
/// `heartbeat_seconds`, so tests of lapsed leases take seconds.
pub async fn runnable_agent_with_lease(app: &TestApp, name: &str, heartbeat_seconds: i64) -> (i64, String) {
    let (id, key) = runnable_agent(app, name).await;
    let draft = json!({"trigger": "manual", "workflowStructure": {"steps": [{"id": "only", "kind": "code"}]},
        "timeouts": {"heartbeatSeconds": heartbeat_seconds}});
    deploy(app, id, draft).await;
    (id, key)
}

/// Polls run `id` of `org` until `ok` holds of it (30 s at most); the run.
pub async fn wait_for_run(app: &TestApp, org: i64, id: i64, what: &str, ok: impl Fn(&Value) -> bool) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let run: Value = app.get(&format!("/v1/organizations/{org}/agent/run/{id}")).await.json().await.unwrap();
        if ok(&run) {
            return run;
        }
        assert!(std::time::Instant::now() < deadline, "run {id} never became {what}: {run}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// The run's log lines so far.
pub async fn log_lines(app: &TestApp, id: i64) -> Vec<String> {
    let rows: Vec<String> =
        sqlx::query_scalar("SELECT data FROM run_events WHERE run_id = $1 AND kind = 'log' ORDER BY seq")
            .bind(id)
            .fetch_all(&app.services.db().pool)
            .await
            .unwrap();
    rows.iter().map(|d| serde_json::from_str::<Value>(d).unwrap()["line"].as_str().unwrap().to_string()).collect()
}
