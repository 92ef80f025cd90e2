//! Seed 000: challenges, the owner flow, delegated tokens, revocation, key rotation,
//! `agents/self`, rate limits, and secrets at rest.

use agentry_tests::{both, client, keypair, problem, problem_code, registration, solve, test_config, Who};
use reqwest::Method;
use serde_json::{json, Value};

async fn audit_count(app: &agentry_tests::TestApp, action: &str) -> i64 {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM audit_log WHERE action = $1")
        .bind(action)
        .fetch_one(&app.services.db().pool)
        .await
        .unwrap();
    sqlx::Row::try_get(&row, "n").unwrap()
}

/// Signs up a second user whose session lives in the returned client, adds them to
/// `org` with `role`, and switches their session there.
async fn member_of(app: &agentry_tests::TestApp, org: i64, role: &str) -> (reqwest::Client, String) {
    let c = client();
    let email = format!("m-{}@example.com", uuid::Uuid::new_v4().simple());
    let res = c
        .post(app.url("/api/v1/auth/signup"))
        .json(&json!({"email": email, "password": agentry_tests::PASSWORD, "organization": "Other"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let me: Value = res.json().await.unwrap();
    let uid = me["user"]["id"].as_i64().unwrap();
    sqlx::query("INSERT INTO memberships (user_id, org_id, role, created_at) VALUES ($1, $2, $3, 0)")
        .bind(uid)
        .bind(org)
        .bind(role)
        .execute(&app.services.db().pool)
        .await
        .unwrap();
    let res = c
        .post(app.url("/api/v1/me/organization"))
        .json(&json!({"organization": org.to_string()}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    (c, email)
}

both!(owner_registers_with_session_and_user_key_and_the_agent_key_works, |app| {
    app.signup().await;
    let org = app.org_id().await;
    // More agents than the free plan's 3 seats.
    app.set_seat_limit(org, 5).await;
    let me: Value = app.get("/api/v1/me").await.json().await.unwrap();
    let uid = me["user"]["id"].as_i64().unwrap();

    let c = app.challenge(&Who::Session, "").await;
    assert_eq!(c["algorithm"], "sha256");
    assert_eq!(c["issuedTo"], uid.to_string());
    assert_eq!(c["token"].as_str().unwrap().len(), 90);
    assert_eq!(c["target"].as_str().unwrap().len(), 16);
    assert_eq!(c["solutions"], 8);
    assert!(c["expiresAt"].is_string() && c["id"].is_string());

    let (_, pk) = keypair();
    let res = app
        .req(Method::POST, "/api/v1/registration/agent", &Who::Session)
        .json(&registration(&c, &pk, "build-bot"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let r: Value = res.json().await.unwrap();
    assert_eq!(r["status"], "registered");
    assert_eq!(r["agent"]["registration"], "registered");
    assert_eq!(r["agent"]["orgId"], org);
    assert_eq!(r["agent"]["ownerId"], uid);
    assert_eq!(r["agent"]["publicKey"], pk);
    let key = r["apiKey"].as_str().unwrap().to_string();
    assert!(key.starts_with("agk_") && key.len() == 47);
    assert!(r["keyId"].is_i64());
    assert_eq!(app.seats_used(org).await, 1);

    // The agent key authenticates agents/self (Bearer and X-API-Key) and records use.
    let res = client().get(app.url("/api/v1/agents/self")).bearer_auth(&key).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let me_agent: Value = res.json().await.unwrap();
    assert_eq!(me_agent["id"], r["agent"]["id"]);
    let res = client().get(app.url("/api/v1/agents/self")).header("x-api-key", &key).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let row = sqlx::query("SELECT last_used_at FROM agent_keys").fetch_one(&app.services.db().pool).await.unwrap();
    assert!(sqlx::Row::try_get::<Option<i64>, _>(&row, "last_used_at").unwrap().is_some());
    // An agent key is not a user credential, and a user key is not an agent key.
    problem(client().get(app.url("/api/v1/me")).bearer_auth(&key).send().await.unwrap(), 401).await;
    let uak = app.user_key().await;
    problem(client().get(app.url("/api/v1/agents/self")).bearer_auth(&uak).send().await.unwrap(), 401).await;
    problem(app.get("/api/v1/agents/self").await, 401).await;
    problem(client().get(app.url("/api/v1/agents/self")).send().await.unwrap(), 401).await;

    // A user API key registers too.
    let res = app.register_as(&Who::Bearer(uak), "second").await;
    assert_eq!(res.status(), 201);
    assert_eq!(app.seats_used(org).await, 2);
    assert_eq!(audit_count(&app, "agent.registered").await, 2);

    let p = agentry_services::Principal {
        user_id: uid,
        org_id: org,
        role: agentry_services::model::Role::Owner,
        credential: agentry_services::Credential::Session(0),
    };
    let listed = app.services.list_agents(&p).await.unwrap();
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|a| a.holds_seat && a.owner_id == Some(uid)));
    assert_eq!(app.services.seat_usage(&p).await.unwrap(), (2, 5));
});

both!(challenge_status_codes_and_clamping, |app| {
    // No credential and no invite: 401; a bad credential is 401 even with invite=true.
    problem(client().get(app.url("/api/v1/registration/challenge")).send().await.unwrap(), 401).await;
    let res = client()
        .get(app.url("/api/v1/registration/challenge?invite=true"))
        .bearer_auth("uak_forged")
        .send()
        .await
        .unwrap();
    problem(res, 401).await;
    let res = client()
        .get(app.url("/api/v1/registration/challenge?invite=true"))
        .bearer_auth("dlg_forged")
        .send()
        .await
        .unwrap();
    problem(res, 401).await;
    // Invite challenges: unauthenticated, with the higher floor.
    let c = app.challenge(&Who::Anon, "?invite=true").await;
    assert_eq!(c["issuedTo"], "invite");
    assert_eq!(c["difficulty"], 2);
    let c = app.challenge(&Who::Anon, "?invite=true&difficulty=0").await;
    assert_eq!(c["difficulty"], 2, "an override cannot go below the invite floor");

    app.signup().await;
    for bad in ["-1", "abc", "1.5", "99999999999999999999"] {
        problem(app.get(&format!("/api/v1/registration/challenge?difficulty={bad}")).await, 400).await;
    }
    let c = app.challenge(&Who::Session, "?difficulty=99").await;
    assert_eq!(c["difficulty"], 8, "clamped to the maximum");
    assert_eq!(c["target"], "0100000000000000");
    let c = app.challenge(&Who::Session, "?difficulty=3").await;
    assert_eq!(c["difficulty"], 3);
    let c = app.challenge(&Who::Session, "").await;
    assert_eq!(c["difficulty"], 0);
    assert_eq!(c["target"], "ffffffffffffffff");
    let row = sqlx::query("SELECT COUNT(*) AS n FROM challenges WHERE used_at IS NULL")
        .fetch_one(&app.services.db().pool)
        .await
        .unwrap();
    assert_eq!(sqlx::Row::try_get::<i64, _>(&row, "n").unwrap(), 5);
});

both!(registration_status_codes, |app| {
    app.signup().await;
    let post = |body: Value| app.req(Method::POST, "/api/v1/registration/agent", &Who::Session).json(&body).send();
    let c = app.challenge(&Who::Session, "?difficulty=4").await;
    let (_, pk) = keypair();
    let good = registration(&c, &pk, "bot");

    // 400: invalid payloads, changing nothing.
    let mut b = good.clone();
    b["name"] = json!("  ");
    problem(post(b).await.unwrap(), 400).await;
    let mut b = good.clone();
    b["publicKey"] = json!("AAAA");
    problem(post(b).await.unwrap(), 400).await;
    let mut b = good.clone();
    b["challengeId"] = json!("not-a-uuid");
    problem(post(b).await.unwrap(), 400).await;
    let mut b = good.clone();
    b["solution"]["nonces"] = json!(["01"]);
    problem(post(b).await.unwrap(), 400).await;
    // 400: a wrong solution (solved for another key), recorded as a failed PoW.
    let (_, other_pk) = keypair();
    let mut b = good.clone();
    b["solution"]["nonces"] = json!(solve(&c, &other_pk));
    let body = problem(post(b).await.unwrap(), 400).await;
    assert!(body["type"].as_str().unwrap().ends_with("invalid_solution"), "{body}");
    let mut b = good.clone();
    b["solution"]["nonces"] = json!(["1", "2"]);
    problem(post(b).await.unwrap(), 400).await;
    assert_eq!(audit_count(&app, "agent.pow_failed").await, 2);
    // 422: the wrong shape.
    assert_eq!(post(json!({"name": 5})).await.unwrap().status(), 422);
    // 404: unknown challenge.
    let mut b = good.clone();
    b["challengeId"] = json!(uuid::Uuid::new_v4().to_string());
    problem_code(post(b).await.unwrap(), 404, "challenge_not_found").await;
    // 401: an owner challenge without credentials, or with a bad one.
    problem(client().post(app.url("/api/v1/registration/agent")).json(&good).send().await.unwrap(), 401).await;
    problem(
        client().post(app.url("/api/v1/registration/agent")).bearer_auth("uak_nope").json(&good).send().await.unwrap(),
        401,
    )
    .await;
    // 400: a challenge issued to someone else.
    let stranger = client();
    stranger
        .post(app.url("/api/v1/auth/signup"))
        .json(&json!({"email": format!("s-{}@example.com", uuid::Uuid::new_v4().simple()), "password": agentry_tests::PASSWORD, "organization": "S"}))
        .send()
        .await
        .unwrap();
    let res = stranger.post(app.url("/api/v1/registration/agent")).json(&good).send().await.unwrap();
    let body = problem(res, 400).await;
    assert!(body["type"].as_str().unwrap().ends_with("challenge_not_yours"));
    assert_eq!(app.count("agents").await, 0, "nothing changed");

    // 201, then 409 for the same challenge, and 409 for the same key with a new challenge.
    assert_eq!(post(good.clone()).await.unwrap().status(), 201);
    let body = problem(post(good.clone()).await.unwrap(), 409).await;
    assert!(body["type"].as_str().unwrap().ends_with("challenge_used"));
    let c2 = app.challenge(&Who::Session, "").await;
    let body = problem(post(registration(&c2, &pk, "bot again")).await.unwrap(), 409).await;
    assert!(body["type"].as_str().unwrap().ends_with("public_key_taken"));
    // The refused key did not burn the new challenge.
    let (_, pk3) = keypair();
    assert_eq!(post(registration(&c2, &pk3, "bot three")).await.unwrap().status(), 201);

    // 403: no free seat.
    let org = app.org_id().await;
    app.set_seat_limit(org, 2).await;
    let res = app.register_as(&Who::Session, "one too many").await;
    problem_code(res, 403, "no_free_seat").await;
    assert_eq!(app.seats_used(org).await, 2);
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_challenges_are_400_sqlite() {
    let config = agentry_services::Config {
        challenge_ttl: std::time::Duration::from_secs(1),
        clock: agentry_services::Clock::manual(),
        ..test_config()
    };
    let app = agentry_tests::spawn_with(agentry_tests::Backend::Sqlite, config).await;
    expired(app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_challenges_are_400_postgres() {
    let config = agentry_services::Config {
        challenge_ttl: std::time::Duration::from_secs(1),
        clock: agentry_services::Clock::manual(),
        ..test_config()
    };
    let app = agentry_tests::spawn_with(agentry_tests::Backend::Postgres, config).await;
    expired(app).await;
}

async fn expired(app: agentry_tests::TestApp) {
    app.signup().await;
    let c = app.challenge(&Who::Session, "").await;
    let (_, pk) = keypair();
    // Time moves on; no test sleeps.
    assert!(app.services.clock().advance(std::time::Duration::from_millis(2100)));
    let res = app
        .req(Method::POST, "/api/v1/registration/agent", &Who::Session)
        .json(&registration(&c, &pk, "late"))
        .send()
        .await
        .unwrap();
    let body = problem(res, 400).await;
    assert!(body["type"].as_str().unwrap().ends_with("challenge_expired"), "{body}");
}

async fn rate_limited(backend: agentry_tests::Backend) {
    let config = agentry_services::Config { registration_limit_per_ip: 2, challenge_limit_per_ip: 5, ..test_config() };
    let app = agentry_tests::spawn_with(backend, config).await;
    app.signup().await;
    assert_eq!(app.register_as(&Who::Session, "a").await.status(), 201);
    assert_eq!(app.register_as(&Who::Session, "b").await.status(), 201);
    let res = app.register_as(&Who::Session, "c").await;
    let retry = res.headers().get("retry-after").map(|v| v.to_str().unwrap().parse::<u64>().unwrap());
    assert!(retry.is_some_and(|r| r >= 1), "Retry-After");
    problem(res, 429).await;
    // Three challenges were issued so far; two more, then the sixth is refused.
    app.challenge(&Who::Session, "").await;
    app.challenge(&Who::Anon, "?invite=true").await;
    let res = app.req(Method::GET, "/api/v1/registration/challenge", &Who::Session).send().await.unwrap();
    assert!(res.headers().contains_key("retry-after"));
    problem(res, 429).await;
    assert!(audit_count(&app, "rate_limit.hit").await >= 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registrations_are_rate_limited_per_ip_prefix_sqlite() {
    rate_limited(agentry_tests::Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registrations_are_rate_limited_per_ip_prefix_postgres() {
    rate_limited(agentry_tests::Backend::Postgres).await;
}

async fn adaptive(backend: agentry_tests::Backend) {
    let config = agentry_services::Config { pow_adaptive_step: 2, ..test_config() };
    let app = agentry_tests::spawn_with(backend, config).await;
    app.signup().await;
    // More agents than the free plan's 3 seats.
    app.set_seat_limit(app.org_id().await, 5).await;
    assert_eq!(app.challenge(&Who::Session, "").await["difficulty"], 0);
    for name in ["a", "b", "c", "d"] {
        assert_eq!(app.register_as(&Who::Session, name).await.status(), 201);
    }
    // Four registrations from this /24 with a step of 2: +2 bits on the floor.
    assert_eq!(app.challenge(&Who::Session, "").await["difficulty"], 2);
    assert_eq!(app.challenge(&Who::Anon, "?invite=true").await["difficulty"], 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn difficulty_adapts_to_recent_registrations_sqlite() {
    adaptive(agentry_tests::Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn difficulty_adapts_to_recent_registrations_postgres() {
    adaptive(agentry_tests::Backend::Postgres).await;
}

both!(delegated_tokens, |app| {
    app.signup().await;
    let org = app.org_id().await;
    // 401 without a session (nothing, or a user API key).
    problem(client().post(app.url("/api/v1/registration/delegated-token")).json(&json!({})).send().await.unwrap(), 401)
        .await;
    let uak = app.user_key().await;
    let res = app
        .req(Method::POST, "/api/v1/registration/delegated-token", &Who::Bearer(uak))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    problem(res, 401).await;
    // 400: out-of-range fields.
    problem(app.post("/api/v1/registration/delegated-token", json!({"ttlSeconds": 10})).await, 400).await;
    problem(app.post("/api/v1/registration/delegated-token", json!({"maxDifficulty": 40})).await, 400).await;

    // An empty body is fine: defaults.
    let res = app
        .client
        .post(app.url("/api/v1/registration/delegated-token"))
        .header("origin", &app.base)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let t: Value = res.json().await.unwrap();
    let token = t["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("dlg_") && token.len() == 47);
    assert!(t["namePrefix"].is_null() && t["expiresAt"].is_string());
    // A delegated token is no general credential.
    problem(client().get(app.url("/api/v1/me")).bearer_auth(&token).send().await.unwrap(), 401).await;

    // It fetches a challenge and registers, once.
    let who = Who::Bearer(token.clone());
    let res = app.register_as(&who, "ci-agent").await;
    assert_eq!(res.status(), 201);
    let r: Value = res.json().await.unwrap();
    assert_eq!(r["agent"]["orgId"], org);
    problem(app.req(Method::GET, "/api/v1/registration/challenge", &who).send().await.unwrap(), 401).await;

    // Name prefix: 403 for another name, 201 for a matching one.
    let t: Value = app
        .post("/api/v1/registration/delegated-token", json!({"namePrefix": "ci-", "ttlSeconds": 60}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(t["namePrefix"], "ci-");
    let who = Who::Bearer(t["token"].as_str().unwrap().to_string());
    problem_code(app.register_as(&who, "prod-agent").await, 403, "delegated_token_scope").await;
    assert_eq!(app.register_as(&who, "ci-ok").await.status(), 201);

    // Max difficulty: the token's own challenges are capped; a harder challenge is 403.
    let t: Value =
        app.post("/api/v1/registration/delegated-token", json!({"maxDifficulty": 1})).await.json().await.unwrap();
    let who = Who::Bearer(t["token"].as_str().unwrap().to_string());
    assert_eq!(app.challenge(&who, "?difficulty=6").await["difficulty"], 1);
    let hard = app.challenge(&Who::Session, "?difficulty=5").await;
    let (_, pk) = keypair();
    let res = app
        .req(Method::POST, "/api/v1/registration/agent", &who)
        .json(&registration(&hard, &pk, "x"))
        .send()
        .await
        .unwrap();
    problem_code(res, 403, "delegated_token_scope").await;
    assert_eq!(app.register_as(&who, "easy").await.status(), 201);

    // 403 at issuance when no seat is free.
    app.set_seat_limit(org, 3).await;
    problem_code(app.post("/api/v1/registration/delegated-token", json!({})).await, 403, "no_free_seat").await;
});

both!(revocation, |app| {
    app.signup().await;
    let org = app.org_id().await;
    let r: Value = app.register_as(&Who::Session, "victim").await.json().await.unwrap();
    let id = r["agent"]["id"].as_i64().unwrap();
    let key = r["apiKey"].as_str().unwrap().to_string();
    let rot: Value = app.post(&format!("/api/v1/agents/{id}/keys"), json!({})).await.json().await.unwrap();
    assert_eq!(app.seats_used(org).await, 1);

    // 401, 400, 404 (unknown, and another organization's agent), 403 (a plain member).
    problem(client().post(app.url(&format!("/api/v1/agents/{id}/revoke"))).send().await.unwrap(), 401).await;
    problem(app.post("/api/v1/agents/abc/revoke", json!({})).await, 400).await;
    problem_code(app.post("/api/v1/agents/999999/revoke", json!({})).await, 404, "agent_not_found").await;
    let other = client();
    other
        .post(app.url("/api/v1/auth/signup"))
        .json(&json!({"email": format!("o-{}@example.com", uuid::Uuid::new_v4().simple()), "password": agentry_tests::PASSWORD, "organization": "O"}))
        .send()
        .await
        .unwrap();
    problem(other.post(app.url(&format!("/api/v1/agents/{id}/revoke"))).json(&json!({})).send().await.unwrap(), 404)
        .await;
    let (member, _) = member_of(&app, org, "member").await;
    let res = member.post(app.url(&format!("/api/v1/agents/{id}/revoke"))).json(&json!({})).send().await.unwrap();
    problem_code(res, 403, "not_allowed").await;

    // 200: every key revoked, the seat freed, the reason kept.
    let res = app.post(&format!("/api/v1/agents/{id}/revoke"), json!({"reason": "compromised"})).await;
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v, json!({"agentId": id, "registration": "revoked", "revokedKeys": 2}));
    assert_eq!(app.seats_used(org).await, 0);
    for k in [key.as_str(), rot["apiKey"].as_str().unwrap()] {
        problem(client().get(app.url("/api/v1/agents/self")).bearer_auth(k).send().await.unwrap(), 401).await;
    }
    let row = sqlx::query("SELECT metadata FROM agents WHERE id = $1")
        .bind(id)
        .fetch_one(&app.services.db().pool)
        .await
        .unwrap();
    let md: Value = serde_json::from_str(&sqlx::Row::try_get::<String, _>(&row, "metadata").unwrap()).unwrap();
    assert_eq!(md["revokeReason"], "compromised");
    assert_eq!(audit_count(&app, "agent.revoked").await, 1);
    // Again: harmless, nothing more to revoke, the seat is not freed twice. No body is fine.
    let res = app
        .client
        .post(app.url(&format!("/api/v1/agents/{id}/revoke")))
        .header("origin", &app.base)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["revokedKeys"], 0);
    assert_eq!(app.seats_used(org).await, 0);
    // A revoked agent gets no new key.
    problem(app.post(&format!("/api/v1/agents/{id}/keys"), json!({})).await, 409).await;
});

both!(key_rotation_keeps_old_keys_for_the_grace_period, |app| {
    app.signup().await;
    let org = app.org_id().await;
    let r: Value = app.register_as(&Who::Session, "rotating").await.json().await.unwrap();
    let id = r["agent"]["id"].as_i64().unwrap();
    let old = r["apiKey"].as_str().unwrap().to_string();

    problem(client().post(app.url(&format!("/api/v1/agents/{id}/keys"))).send().await.unwrap(), 401).await;
    problem(app.post("/api/v1/agents/x/keys", json!({})).await, 400).await;
    problem(app.post("/api/v1/agents/424242/keys", json!({})).await, 404).await;
    let (member, _) = member_of(&app, org, "member").await;
    problem_code(member.post(app.url(&format!("/api/v1/agents/{id}/keys"))).send().await.unwrap(), 403, "not_allowed")
        .await;

    let res = app.post(&format!("/api/v1/agents/{id}/keys"), json!({})).await;
    assert_eq!(res.status(), 201);
    let v: Value = res.json().await.unwrap();
    let new = v["apiKey"].as_str().unwrap().to_string();
    assert!(new.starts_with("agk_") && new != old);
    let until = chrono::DateTime::parse_from_rfc3339(v["previousKeysExpireAt"].as_str().unwrap()).unwrap();
    let hours = (until.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_minutes();
    assert!((23 * 60..=24 * 60).contains(&hours), "{hours} minutes of grace");
    for k in [&old, &new] {
        assert_eq!(client().get(app.url("/api/v1/agents/self")).bearer_auth(k).send().await.unwrap().status(), 200);
    }
    // The agent may rotate its own key with a current agent key; not another agent's.
    let res = client().post(app.url(&format!("/api/v1/agents/{id}/keys"))).bearer_auth(&new).send().await.unwrap();
    assert_eq!(res.status(), 201);
    let own = res.json::<Value>().await.unwrap()["apiKey"].as_str().unwrap().to_string();
    let other: Value = app.register_as(&Who::Session, "other").await.json().await.unwrap();
    let other_id = other["agent"]["id"].as_i64().unwrap();
    problem(
        client().post(app.url(&format!("/api/v1/agents/{other_id}/keys"))).bearer_auth(&own).send().await.unwrap(),
        404,
    )
    .await;
    problem(
        client().post(app.url(&format!("/api/v1/agents/{id}/keys"))).bearer_auth("agk_forged").send().await.unwrap(),
        401,
    )
    .await;
    // Once the grace period is over, the old keys stop; the newest keeps working.
    sqlx::query("UPDATE agent_keys SET expires_at = 1 WHERE expires_at IS NOT NULL")
        .execute(&app.services.db().pool)
        .await
        .unwrap();
    for k in [&old, &new] {
        problem(client().get(app.url("/api/v1/agents/self")).bearer_auth(k).send().await.unwrap(), 401).await;
    }
    assert_eq!(client().get(app.url("/api/v1/agents/self")).bearer_auth(&own).send().await.unwrap().status(), 200);
});

both!(no_raw_secret_is_stored_anywhere, |app| {
    // A session token straight from Set-Cookie.
    let email = format!("sec-{}@example.com", uuid::Uuid::new_v4().simple());
    let res = client()
        .post(app.url("/api/v1/auth/signup"))
        .json(&json!({"email": email, "password": agentry_tests::PASSWORD, "organization": "Sec"}))
        .send()
        .await
        .unwrap();
    let cookie = res.headers().get("set-cookie").unwrap().to_str().unwrap().to_string();
    let session = cookie.split(';').next().unwrap().split_once('=').unwrap().1.to_string();
    let login = app.post("/api/v1/auth/login", json!({"email": email, "password": agentry_tests::PASSWORD})).await;
    assert_eq!(login.status(), 200);

    let uak = app.user_key().await;
    let agk = app.register_as(&Who::Bearer(uak.clone()), "a").await.json::<Value>().await.unwrap()["apiKey"]
        .as_str()
        .unwrap()
        .to_string();
    let dlg = app.post("/api/v1/registration/delegated-token", json!({})).await.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let dlg_used = app.post("/api/v1/registration/delegated-token", json!({})).await.json::<Value>().await.unwrap()
        ["token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(app.register_as(&Who::Bearer(dlg_used.clone()), "d").await.status(), 201);
    let c = app.challenge(&Who::Anon, "?invite=true").await;
    let (_, pk) = keypair();
    let mut body = registration(&c, &pk, "invited");
    body["ownerEmail"] = json!(email);
    assert_eq!(client().post(app.url("/api/v1/registration/agent")).json(&body).send().await.unwrap().status(), 201);
    let inv = app.invite_token(&email).await;
    assert!(inv.starts_with("inv_"));
    let r: Value = app.post("/api/v1/registration/invite/confirm", json!({"token": inv})).await.json().await.unwrap();
    let agk2 = r["apiKey"].as_str().unwrap().to_string();

    let secrets = [session, uak, agk, agk2, dlg, dlg_used, inv];
    let pool = &app.services.db().pool;
    let tables_sql = match app.services.backend() {
        agentry_services::store::Backend::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table'",
        agentry_services::store::Backend::Postgres => {
            "SELECT CAST(table_name AS TEXT) AS name FROM information_schema.tables WHERE table_schema = 'public'"
        }
    };
    let tables: Vec<String> = sqlx::query(tables_sql)
        .fetch_all(pool)
        .await
        .unwrap()
        .iter()
        .map(|r| sqlx::Row::try_get(r, "name").unwrap())
        .collect();
    assert!(tables.iter().any(|t| t == "invites") && tables.iter().any(|t| t == "outbox"));
    let mut cells = 0;
    for t in &tables {
        if t.starts_with("_sqlx") || t.starts_with("sqlite_") {
            continue;
        }
        for row in sqlx::query(&format!("SELECT * FROM {t}")).fetch_all(pool).await.unwrap() {
            for col in sqlx::Row::columns(&row) {
                let name = sqlx::Column::name(col);
                if let Ok(Some(text)) = sqlx::Row::try_get::<Option<String>, _>(&row, name) {
                    cells += 1;
                    for s in &secrets {
                        let random = &s[s.len() - 40..];
                        assert!(!text.contains(random), "{t}.{name} holds a raw secret");
                    }
                }
            }
        }
    }
    assert!(cells > 50, "looked at {cells} text cells");
});

both!(registration_endpoints_are_in_the_openapi_document, |app| {
    let doc: Value = app.get("/api/openapi.json").await.json().await.unwrap();
    let paths = &doc["paths"];
    for (path, method, codes) in [
        ("/api/v1/registration/challenge", "get", &["201", "400", "401"][..]),
        ("/api/v1/registration/agent", "post", &["201", "400", "401", "403", "404", "409", "429"][..]),
        ("/api/v1/registration/delegated-token", "post", &["201", "401", "403"][..]),
        ("/api/v1/registration/invite/confirm", "post", &["200", "400", "401", "403", "404", "409", "410"][..]),
        ("/api/v1/agents/pending", "get", &["200", "401", "403"][..]),
        ("/api/v1/agents/{id}/invite/resend", "post", &["200", "400", "401", "403", "404"][..]),
        ("/api/v1/agents/{id}/invite/cancel", "post", &["200", "400", "401", "403", "404"][..]),
        ("/api/v1/agents/{id}/revoke", "post", &["200", "400", "401", "403", "404"][..]),
        ("/api/v1/agents/{id}/keys", "post", &["201", "401", "404"][..]),
        ("/api/v1/agents/self", "get", &["200", "401"][..]),
    ] {
        for code in codes {
            assert!(paths[path][method]["responses"][code].is_object(), "{method} {path} {code}");
        }
    }
    assert!(doc["components"]["schemas"]["AgentRegistrationRequest"].is_object());
});
