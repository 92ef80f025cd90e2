//! Behind a reverse proxy: forwarding headers name the client only when the TCP peer is a
//! trusted proxy. The test client always connects from 127.0.0.1.

use agentry_tests::{client, problem, spawn_trusting, test_config, Backend, TestApp, PASSWORD};
use serde_json::json;

/// Runs `async fn $f(Backend)` once on SQLite and once on PostgreSQL.
macro_rules! on_both {
    ($name:ident, $f:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$f(agentry_tests::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$f(agentry_tests::Backend::Postgres).await
            }
        }
    };
}

/// Signs up a fresh user with extra headers; returns the email and the status.
async fn signup(app: &TestApp, headers: &[(&str, &str)]) -> (String, reqwest::Response) {
    let email = format!("user-{}@example.com", uuid::Uuid::new_v4().simple());
    let mut req = client()
        .post(app.url("/api/v1/auth/signup"))
        .json(&json!({"email": email, "password": PASSWORD, "organization": "Acme"}));
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    (email, req.send().await.unwrap())
}

/// The `ip` column of the session the signup of `email` created.
async fn session_ip(app: &TestApp, email: &str) -> Option<String> {
    let row = sqlx::query("SELECT s.ip FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = $1")
        .bind(email)
        .fetch_one(&app.services.db().pool)
        .await
        .unwrap();
    sqlx::Row::try_get(&row, "ip").unwrap()
}

/// The IPs recorded on `rate_limit.hit` audit rows.
/// The client addresses of the audited challenge rate-limit hits (every 429 is audited).
async fn rate_limit_audit_ips(app: &TestApp) -> Vec<Option<String>> {
    let rows = sqlx::query(
        "SELECT ip FROM audit_log WHERE action = 'rate_limit.hit' AND object_id = 'challenge:ip' ORDER BY id",
    )
    .fetch_all(&app.services.db().pool)
    .await
    .unwrap();
    rows.iter().map(|r| sqlx::Row::try_get(r, "ip").unwrap()).collect()
}

fn limited() -> agentry_services::Config {
    agentry_services::Config { signup_limit_per_ip: 2, challenge_limit_per_ip: 1, ..test_config() }
}

async fn untrusted_peers_cannot_spoof(backend: Backend) {
    // Proxies are trusted, but not the one the test connects from (127.0.0.1).
    let app = spawn_trusting(backend, limited(), &["10.0.0.0/8", "2001:db8::/32"]).await;
    let spoofs: [&[(&str, &str)]; 3] = [
        &[("x-forwarded-for", "198.51.100.1")],
        &[("forwarded", "for=198.51.100.2")],
        &[("x-forwarded-for", "198.51.100.3, 10.0.0.1"), ("forwarded", "for=\"[2001:db8::3]\"")],
    ];
    let (first, res) = signup(&app, spoofs[0]).await;
    assert_eq!(res.status(), 201);
    assert_eq!(session_ip(&app, &first).await.as_deref(), Some("127.0.0.1"));
    assert_eq!(signup(&app, spoofs[1]).await.1.status(), 201);
    // Rotating the spoofed address does not reach a fresh bucket.
    problem(signup(&app, spoofs[2]).await.1, 429).await;
    problem(signup(&app, &[("x-forwarded-for", "203.0.113.99")]).await.1, 429).await;

    // Challenges are limited per /24 of the real peer too, and the audit says who it was.
    let challenge = |xff: &'static str| {
        client().get(app.url("/api/v1/registration/challenge?invite=true")).header("x-forwarded-for", xff).send()
    };
    assert_eq!(challenge("198.51.100.1").await.unwrap().status(), 201);
    problem(challenge("203.0.113.1").await.unwrap(), 429).await;
    assert_eq!(rate_limit_audit_ips(&app).await, [Some("127.0.0.1".to_string())]);
}
on_both!(spoofed_forwarding_headers_from_an_untrusted_peer_are_ignored, untrusted_peers_cannot_spoof);

async fn trusted_proxy_forwards_clients(backend: Backend) {
    // The test connects as the trusted front proxy; 10.0.0.0/8 is a trusted inner hop.
    let app = spawn_trusting(backend, limited(), &["127.0.0.1/32", "10.0.0.0/8"]).await;

    // Client A uses up its own bucket.
    let (a, res) = signup(&app, &[("x-forwarded-for", "198.51.100.7")]).await;
    assert_eq!(res.status(), 201);
    assert_eq!(session_ip(&app, &a).await.as_deref(), Some("198.51.100.7"));
    assert_eq!(signup(&app, &[("x-forwarded-for", "198.51.100.7")]).await.1.status(), 201);
    problem(signup(&app, &[("x-forwarded-for", "198.51.100.7")]).await.1, 429).await;

    // Client B, through another trusted proxy, has a bucket of its own; a spoofed address
    // left of B (B's own claim) is not believed.
    let (b, res) = signup(&app, &[("x-forwarded-for", "192.0.2.1, 198.51.100.8, 10.1.2.3")]).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    assert_eq!(session_ip(&app, &b).await.as_deref(), Some("198.51.100.8"));
    // The same chain in `Forwarded` is the same client (and wins over X-Forwarded-For).
    let fwd = [("forwarded", "for=198.51.100.8;proto=https, for=10.1.2.3"), ("x-forwarded-for", "203.0.113.5")];
    assert_eq!(signup(&app, &fwd).await.1.status(), 201);
    problem(signup(&app, &fwd).await.1, 429).await;

    // Client C: a quoted IPv6 node with a port.
    let (c, res) = signup(&app, &[("forwarded", "for=\"[2001:db8:cafe::17]:4711\"")]).await;
    assert_eq!(res.status(), 201);
    assert_eq!(session_ip(&app, &c).await.as_deref(), Some("2001:db8:cafe::17"));

    // Without headers, the proxy itself is the client.
    let (d, res) = signup(&app, &[]).await;
    assert_eq!(res.status(), 201);
    assert_eq!(session_ip(&app, &d).await.as_deref(), Some("127.0.0.1"));

    // Challenges (per /24): separate clients, separate buckets; the 429 names the client.
    let challenge = |xff: &'static str| {
        client().get(app.url("/api/v1/registration/challenge?invite=true")).header("x-forwarded-for", xff).send()
    };
    assert_eq!(challenge("198.51.100.7").await.unwrap().status(), 201);
    assert_eq!(challenge("203.0.113.1, 10.9.9.9").await.unwrap().status(), 201);
    problem(challenge("198.51.100.200").await.unwrap(), 429).await;
    assert_eq!(rate_limit_audit_ips(&app).await, [Some("198.51.100.200".to_string())]);
}
on_both!(a_trusted_proxy_forwards_the_client_address, trusted_proxy_forwards_clients);
