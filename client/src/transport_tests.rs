//! The retry loop, headers, error mapping and paging against a scripted HTTP server on a
//! raw TCP socket (a fake, for these unit tests only; tests/api/cli_agents.rs runs the
//! client against the real server).

use crate::odata::{Filter, ListOptions};
use crate::{AgentPatch, AgentsClient, ClientOptions, CreateAgent, DeployRequest, Error, RetryBackoff};
use futures_util::StreamExt;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Clone, Debug)]
struct Seen {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

struct Fake {
    base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Fake {
    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn client(&self, max_retries: u32) -> AgentsClient {
        AgentsClient::new(options(&self.base, max_retries)).unwrap()
    }
}

fn options(base: &str, max_retries: u32) -> ClientOptions {
    ClientOptions::new("uak_test").base_url(base).max_retries(max_retries).retry_backoff(RetryBackoff {
        initial: Duration::from_millis(1),
        max: Duration::from_millis(5),
        max_retry_after: Duration::from_secs(5),
    })
}

async fn read_request(sock: &mut TcpStream) -> Seen {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        let n = sock.read(&mut chunk).await.unwrap();
        assert!(n > 0, "the client closed before its request ended");
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8(buf[..head_end].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap().split(' ');
    let (method, target) = (first.next().unwrap().to_string(), first.next().unwrap().to_string());
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let len: usize = headers.iter().find(|(k, _)| k == "content-length").map_or(0, |(_, v)| v.parse().unwrap());
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < len {
        let n = sock.read(&mut chunk).await.unwrap();
        assert!(n > 0);
        body.extend_from_slice(&chunk[..n]);
    }
    Seen { method, target, headers, body: String::from_utf8(body).unwrap() }
}

/// A server answering request n with `answers[n]` (the last one repeats), one connection
/// per request.
async fn fake(answers: Vec<String>) -> Fake {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        for n in 0.. {
            let Ok((mut sock, _)) = listener.accept().await else { return };
            let req = read_request(&mut sock).await;
            log.lock().unwrap().push(req);
            let answer = answers.get(n).or(answers.last()).unwrap();
            let _ = sock.write_all(answer.as_bytes()).await;
            let _ = sock.shutdown().await;
        }
    });
    Fake { base, seen }
}

fn answer(status: u16, headers: &[(&str, &str)], body: &str) -> String {
    let mut s = format!("HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n", body.len());
    for (k, v) in headers {
        s.push_str(&format!("{k}: {v}\r\n"));
    }
    s.push_str("\r\n");
    s.push_str(body);
    s
}

fn problem(status: u16, code: &str) -> String {
    let body =
        json!({"type": format!("https://agentry.dev/problems/{code}"), "title": code, "status": status, "detail": "d"});
    answer(status, &[("content-type", "application/problem+json")], &body.to_string())
}

fn agent_json(id: i64) -> Value {
    json!({"id": id, "slug": "bot-abc123", "name": "Bot", "description": "", "email": null, "status": "draft",
        "type": "task", "orgId": "0b7f", "ownerId": 1, "enabled": true, "registration": null, "source": "local",
        "hasUnpublishedChanges": true, "scheduleEnabled": false, "accessConfig": {}, "canManage": true,
        "canUse": true, "activeVariationId": null, "draftVariationId": "v1", "createdAt": "2026-05-01T10:00:00Z",
        "updatedAt": "2026-05-01T10:00:00.250Z", "deletedAt": null, "futureField": [1]})
}

fn ok_agent(status: u16, id: i64) -> String {
    answer(status, &[("content-type", "application/json"), ("etag", "\"3-abc\"")], &agent_json(id).to_string())
}

#[tokio::test]
async fn gets_retry_transient_failures_then_succeed() {
    let f = fake(vec![problem(503, "not_ready"), answer(502, &[], "<html>bad gateway</html>"), ok_agent(200, 7)]).await;
    let a = f.client(3).get_agent(7).await.unwrap();
    assert_eq!((a.id, a.etag.as_deref()), (7, Some("\"3-abc\"")));
    // Unknown members survive a round trip.
    assert_eq!(a.extra["futureField"], json!([1]));
    assert_eq!(serde_json::to_value(&a.value).unwrap(), agent_json(7));
    let seen = f.seen();
    assert_eq!(seen.len(), 3);
    for s in &seen {
        assert_eq!((s.method.as_str(), s.target.as_str()), ("GET", "/api/v1/agents/7"));
        assert_eq!(s.header("authorization"), Some("Bearer uak_test"));
    }
}

#[tokio::test]
async fn retries_stop_at_max_retries_with_the_last_error() {
    let f = fake(vec![problem(503, "not_ready")]).await;
    let e = f.client(2).get_agent(1).await.unwrap_err();
    assert!(matches!(e, Error::Server(_)), "{e:?}");
    assert_eq!((e.status(), e.code()), (Some(503), Some("not_ready")));
    assert_eq!(f.seen().len(), 3);
    let f = fake(vec![problem(503, "not_ready")]).await;
    assert!(f.client(0).get_agent(1).await.is_err());
    assert_eq!(f.seen().len(), 1, "max_retries 0 sends once");
}

#[tokio::test]
async fn posts_without_an_idempotency_key_are_never_retried() {
    let f = fake(vec![problem(503, "not_ready"), ok_agent(201, 1)]).await;
    let c = f.client(3);
    assert!(matches!(c.create_agent(&CreateAgent::new("Bot"), None).await, Err(Error::Server(_))));
    assert_eq!(f.seen().len(), 1);
    let f = fake(vec![problem(500, "internal"), ok_agent(200, 1)]).await;
    let c = f.client(3);
    assert!(c.deploy_agent(1, &DeployRequest::default(), Some("\"1-a\"")).await.is_err());
    assert!(c.activate_agent(1, None).await.is_ok(), "the second request gets the second answer");
    let seen = f.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!((seen[0].method.as_str(), seen[0].target.as_str()), ("POST", "/api/v1/agents/1/deploy"));
    assert_eq!((seen[0].body.as_str(), seen[0].header("if-match")), ("{}", Some("\"1-a\"")));
    assert_eq!(seen[1].target, "/api/v1/agents/1/activate");
}

#[tokio::test]
async fn posts_with_an_idempotency_key_retry_the_same_request() {
    let f = fake(vec![problem(503, "not_ready"), ok_agent(201, 5)]).await;
    let req = CreateAgent { description: Some("it's".into()), ..CreateAgent::new("Bot") };
    let a = f.client(3).create_agent(&req, Some("key-1")).await.unwrap();
    assert_eq!(a.id, 5);
    let seen = f.seen();
    assert_eq!(seen.len(), 2);
    for s in &seen {
        assert_eq!(s.header("idempotency-key"), Some("key-1"));
        assert_eq!(s.header("content-type"), Some("application/json"));
        assert_eq!(serde_json::from_str::<Value>(&s.body).unwrap(), json!({"name": "Bot", "description": "it's"}));
    }
}

#[tokio::test]
async fn patches_retry_only_with_if_match() {
    let patch = AgentPatch::new().name("New").email(None);
    let f = fake(vec![problem(500, "internal"), ok_agent(200, 2)]).await;
    assert!(f.client(3).update_agent(2, &patch, None).await.is_err());
    assert_eq!(f.seen().len(), 1);
    let f = fake(vec![problem(500, "internal"), ok_agent(200, 2)]).await;
    assert_eq!(f.client(3).update_agent(2, &patch, Some("\"3-abc\"")).await.unwrap().id, 2);
    let seen = f.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1].method, "PATCH");
    assert_eq!(seen[1].header("content-type"), Some("application/merge-patch+json"));
    assert_eq!(seen[1].header("if-match"), Some("\"3-abc\""));
    assert_eq!(serde_json::from_str::<Value>(&seen[1].body).unwrap(), json!({"name": "New", "email": null}));
    // Deletes are idempotent.
    let f = fake(vec![problem(504, "timeout"), ok_agent(200, 2)]).await;
    assert!(f.client(1).delete_agent(2, None).await.is_ok());
    assert_eq!(f.seen().len(), 2);
}

#[tokio::test]
async fn retry_after_is_waited_for() {
    let page = answer(200, &[("content-type", "application/json")], r#"{"value":[]}"#);
    let f = fake(vec![answer(429, &[("retry-after", "1")], ""), page]).await;
    let started = Instant::now();
    let p = f.client(2).list_agents(&ListOptions::new()).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(990), "{:?}", started.elapsed());
    assert!(p.value.is_empty() && p.next_link.is_none());
    assert_eq!(f.seen().len(), 2);

    // Longer than max_retry_after: returned at once, with the wait.
    let f = fake(vec![answer(429, &[("retry-after", "120")], r#"{"type":"x/rate_limited","title":"t"}"#)]).await;
    let started = Instant::now();
    let e = f.client(3).get_agent(1).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(matches!(e, Error::RateLimited { retry_after: Some(d), .. } if d == Duration::from_secs(120)), "{e:?}");
    assert_eq!(f.seen().len(), 1);
}

#[tokio::test]
async fn client_errors_map_and_are_not_retried() {
    let mut invalid: Value = json!({"type": "https://agentry.dev/problems/validation", "title": "Invalid request",
        "status": 400, "detail": "d", "errors": [{"field": "name", "message": "Name is required."}]});
    type Check = fn(&Error) -> bool;
    let cases: Vec<(String, Check)> = vec![
        (problem(401, "unauthorized"), |e| matches!(e, Error::Authentication(_))),
        (problem(403, "not_allowed"), |e| matches!(e, Error::Forbidden(_))),
        (problem(404, "agent_not_found"), |e| matches!(e, Error::NotFound(_))),
        (problem(409, "slug_taken"), |e| matches!(e, Error::Conflict(_))),
        (problem(412, "precondition_failed"), |e| matches!(e, Error::PreconditionFailed(_))),
        (
            answer(400, &[("content-type", "application/problem+json")], &invalid.take().to_string()),
            |e| matches!(e, Error::Validation { fields, .. } if fields[0].field == "name"),
        ),
        (answer(200, &[], "not json"), |e| matches!(e, Error::Decode { status: 200, .. })),
    ];
    for (raw, check) in cases {
        let f = fake(vec![raw, ok_agent(200, 1)]).await;
        let e = f.client(3).get_agent(1).await.unwrap_err();
        assert!(check(&e), "{e:?}");
        assert_eq!(f.seen().len(), 1, "{e:?}");
    }
}

#[tokio::test]
async fn the_pager_follows_next_links() {
    let page = |rows: Value, next: Option<&str>| {
        let mut body = json!({"value": rows});
        if let Some(n) = next {
            body["@odata.nextLink"] = json!(n);
        }
        answer(200, &[("content-type", "application/json")], &body.to_string())
    };
    let link = "/api/v1/agents?%24filter=name+eq+%27a+b%27%27c%27&%24top=1&%24skiptoken=abc";
    let answers = vec![page(json!([{"id": 1}]), Some(link)), page(json!([{"id": 2}]), None)];
    let f = fake(answers.clone()).await;
    let opts = ListOptions::new().filter(Filter::field("name").eq("a b'c")).top(1);
    let rows = f.client(0).pager(opts.clone()).collect_rows().await.unwrap();
    assert_eq!(rows, vec![json!({"id": 1}), json!({"id": 2})]);
    let seen = f.seen();
    assert_eq!(seen[0].target, "/api/v1/agents?%24filter=name+eq+%27a+b%27%27c%27&%24top=1");
    assert_eq!(seen[1].target, link);

    // The same as a stream, on a base URL with a path prefix.
    let f = fake(answers).await;
    let client = AgentsClient::new(options(&format!("{}/prefix", f.base), 0)).unwrap();
    let pages: Vec<_> = client.pager(opts).into_stream().collect().await;
    assert_eq!(pages.len(), 2);
    assert!(pages.iter().all(Result::is_ok));
    let seen = f.seen();
    assert!(seen[0].target.starts_with("/prefix/api/v1/agents?"), "{}", seen[0].target);
    assert!(seen[1].target.starts_with("/prefix/api/v1/agents?") && seen[1].target.ends_with("skiptoken=abc"));

    // A link that names the current page again ends the walk with an error.
    let f = fake(vec![page(json!([]), Some("/api/v1/agents?x=1"))]).await;
    let mut pager = f.client(0).pager(ListOptions::new());
    assert!(pager.next_page().await.unwrap().is_some());
    assert!(matches!(pager.next_page().await, Err(Error::Decode { .. })));
    assert!(pager.next_page().await.unwrap().is_none());
}

#[tokio::test]
async fn arguments_are_checked_before_anything_is_sent() {
    let f = fake(vec![ok_agent(200, 1)]).await;
    let c = f.client(0);
    for link in ["http://evil.example/api/v1/agents", "https://127.0.0.1/api/v1/agents", "mailto:x@y.z"] {
        assert!(matches!(c.list_agents_at(link).await, Err(Error::InvalidArgument(_))), "{link}");
    }
    let bad = ListOptions::new().select(["id", "name,secret"]);
    assert!(matches!(c.list_agents(&bad).await, Err(Error::InvalidArgument(_))));
    assert!(matches!(c.create_agent(&CreateAgent::new("x"), Some("bad\nkey")).await, Err(Error::InvalidArgument(_))));
    assert!(f.seen().is_empty());

    for base in ["ftp://host", "not a url", "data:text/plain,x"] {
        assert!(matches!(AgentsClient::new(options(base, 0)), Err(Error::InvalidArgument(_))), "{base}");
    }
    assert!(matches!(AgentsClient::new(ClientOptions::new(" ")), Err(Error::InvalidArgument(_))));
    let e = AgentsClient::new(ClientOptions::new("uak_secret\n")).map(|_| ());
    assert!(e.is_ok(), "surrounding whitespace is trimmed");
    let e = AgentsClient::new(ClientOptions::new("uak_sec\nret")).unwrap_err();
    assert!(!e.to_string().contains("uak_sec"), "{e}");
    assert!(!format!("{:?}", ClientOptions::new("uak_secret")).contains("uak_secret"));
}

#[tokio::test]
async fn an_unreachable_server_is_a_transport_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let e = AgentsClient::new(options(&base, 1)).unwrap().get_agent(1).await.unwrap_err();
    assert!(matches!(&e, Error::Transport(t) if t.is_connect()), "{e:?}");
    assert_eq!(e.status(), None);
}
