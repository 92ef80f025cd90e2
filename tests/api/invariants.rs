//! The invariants of docs/ARCHITECTURE.md § Invariants, raced: each test sends concurrent
//! requests spread over two instances on one database (SQLite, and PostgreSQL) and checks
//! that the rule held. Each fails when its guard is removed.

use crate::run_support::{create_run, runnable_agent};
use agentry_tests::{raced, TestApp};
use serde_json::{json, Value};

/// A request's answer, sent or failed to send (which fails the test).
pub(crate) trait Answer {
    fn code(self) -> u16;
}

impl Answer for reqwest::Response {
    fn code(self) -> u16 {
        reqwest::Response::status(&self).as_u16()
    }
}

impl Answer for reqwest::Result<reqwest::Response> {
    fn code(self) -> u16 {
        self.unwrap().status().as_u16()
    }
}

/// Sends `n` requests made by `send(app, i)`, request `i` to instance `i % 2`, all at
/// once; their statuses.
pub(crate) async fn spread<'a, F, Fut>(apps: &'a [TestApp], n: usize, send: F) -> Vec<u16>
where
    F: Fn(&'a TestApp, usize) -> Fut,
    Fut: std::future::Future,
    Fut::Output: Answer,
{
    let sends = (0..n).map(|i| send(&apps[i % apps.len()], i));
    futures::future::join_all(sends).await.into_iter().map(Answer::code).collect()
}

/// How many of `statuses` are `status`.
pub(crate) fn count(statuses: &[u16], status: u16) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}

pub(crate) async fn scalar(app: &TestApp, sql: &str, id: i64) -> i64 {
    sqlx::query_scalar(sql).bind(id).fetch_one(&app.services.db().pool).await.unwrap()
}

fn active_cap(limit: i64) -> agentry_services::Config {
    agentry_services::Config { run_active_limit_per_org: limit, ..agentry_tests::test_config() }
}

// Active runs: the cap of queued and running runs per organization. Five rounds of 40
// creates for a cap of 5, the runs cancelled between rounds (as the measurement).
raced!(active_runs_never_exceed_the_organization_cap, active_cap(5), |apps| {
    let app = &apps[0];
    app.signup().await;
    let org = app.org_id().await;
    let (agent, _) = runnable_agent(app, "capped").await;
    for round in 0..5 {
        let statuses = spread(&apps, 40, |a, _| create_run(a, org, json!({"prompt": "p", "agent_id": agent}))).await;
        assert_eq!((count(&statuses, 200), count(&statuses, 429)), (5, 35), "round {round}: {statuses:?}");
        let active = "SELECT COUNT(*) FROM runs WHERE org_id = $1 AND status IN ('queued', 'running')";
        assert_eq!(scalar(app, active, org).await, 5, "round {round}");
        sqlx::query("UPDATE runs SET status = 'cancelled' WHERE org_id = $1")
            .bind(org)
            .execute(&app.services.db().pool)
            .await
            .unwrap();
    }
    let res = create_run(&apps[1], org, json!({"prompt": "p", "agent_id": agent})).await;
    assert_eq!(res.status(), 200, "room again once the runs ended");
});

// The same cap when it is larger than PostgreSQL's slack (max_connections): creates far
// below it run side by side under the shared guard, those near it take turns, and the
// last one that fits is the cap exactly.
raced!(active_runs_cross_from_shared_to_exclusive_at_the_cap, active_cap(430), |apps| {
    let app = &apps[0];
    app.signup().await;
    let org = app.org_id().await;
    let (agent, _) = runnable_agent(app, "crowded").await;
    let statuses = spread(&apps, 480, |a, _| create_run(a, org, json!({"prompt": "p", "agent_id": agent}))).await;
    assert_eq!((count(&statuses, 200), count(&statuses, 429)), (430, 50), "{statuses:?}");
    assert_eq!(scalar(app, "SELECT COUNT(*) FROM runs WHERE org_id = $1", org).await, 430);
});

// Saved views: at most 50 per user and list.
raced!(saved_views_never_exceed_the_cap, agentry_tests::test_config(), |apps| {
    let app = &apps[0];
    app.signup().await;
    let path = "/api/v1/me/saved-views";
    for i in 0..45 {
        let res = app.post(path, json!({"list": "agents", "name": format!("v{i}"), "query": "?q=a"})).await;
        assert_eq!(res.status(), 201);
    }
    let statuses =
        spread(&apps, 20, |a, i| a.post(path, json!({"list": "agents", "name": format!("race{i}"), "query": "?q=b"})))
            .await;
    assert_eq!((count(&statuses, 201), count(&statuses, 409)), (5, 15), "{statuses:?}");
    let list: Value = apps[1].get(&format!("{path}?list=agents")).await.json().await.unwrap();
    assert_eq!(list["value"].as_array().unwrap().len(), 50);
});

fn running_caps(org: i64, agent: i64) -> agentry_services::Config {
    agentry_services::Config {
        run_running_limit_per_org: org,
        run_running_limit_per_agent: agent,
        ..agentry_tests::test_config()
    }
}

/// Queues `n` runs of each of `agents`, then sends `claims` claims at once, spread over the
/// instances and alternating the agents' keys; how many were claimed.
async fn claim_race(apps: &[TestApp], org: i64, agents: &[(i64, String)], n: usize, claims: usize) -> usize {
    for (agent, _) in agents {
        let statuses = spread(apps, n, |a, _| create_run(a, org, json!({"prompt": "p", "agent_id": agent}))).await;
        assert_eq!(count(&statuses, 200), n);
    }
    let statuses = spread(apps, claims, |a, i| {
        let key = &agents[i % agents.len()].1;
        crate::run_support::runner(a, key, "/api/v1/runner/claim?wait=0", json!({}))
    })
    .await;
    assert_eq!(count(&statuses, 200) + count(&statuses, 204), claims, "{statuses:?}");
    count(&statuses, 200)
}

// Running runs: the organization's cap and the agent's cap, inside the claim.
raced!(running_runs_never_exceed_the_caps, running_caps(5, 3), |apps| {
    let app = &apps[0];
    app.signup().await;
    let org = app.org_id().await;
    let agents = [runnable_agent(app, "first").await, runnable_agent(app, "second").await];
    assert_eq!(claim_race(&apps, org, &agents, 10, 24).await, 5, "the organization's cap of 5");
    let per_agent: Vec<i64> =
        sqlx::query_scalar("SELECT COUNT(*) FROM runs WHERE status = 'running' GROUP BY agent_id")
            .fetch_all(&app.services.db().pool)
            .await
            .unwrap();
    assert!(per_agent.iter().all(|n| *n <= 3), "the agents' cap of 3: {per_agent:?}");
});

// The organization's running cap above PostgreSQL's slack: claims far below it run under
// the shared guard with the cap lowered by the slack, those near it take turns.
raced!(running_runs_cross_from_shared_to_exclusive_at_the_cap, running_caps(430, 1000), |apps| {
    let app = &apps[0];
    app.signup().await;
    let org = app.org_id().await;
    let agents = [runnable_agent(app, "busy").await];
    assert_eq!(claim_race(&apps, org, &agents, 470, 470).await, 430);
});

fn many_logins() -> agentry_services::Config {
    agentry_services::Config {
        login_limit_per_email: 10_000,
        login_limit_per_ip: 10_000,
        ..agentry_tests::test_config()
    }
}

// A password change ends every other session, including one whose log-in checked the old
// password while the change was committing.
raced!(a_password_change_ends_the_sessions_of_logins_racing_it, many_logins(), |apps| {
    let app = &apps[0];
    let email = app.signup().await;
    let me: Value = app.get("/api/v1/me").await.json().await.unwrap();
    let user = me["user"]["id"].as_i64().unwrap();
    let login = |i: u64| {
        let a = &apps[usize::try_from(i).unwrap() % 2];
        let body = json!({"email": email, "password": agentry_tests::PASSWORD});
        async move {
            tokio::time::sleep(std::time::Duration::from_millis(i * 5)).await;
            let res = agentry_tests::client().post(a.url("/api/v1/auth/login")).header("origin", &a.base).json(&body);
            res.send().await.unwrap().status().as_u16()
        }
    };
    let change = async {
        tokio::time::sleep(std::time::Duration::from_millis(60)).await;
        let body = json!({"currentPassword": agentry_tests::PASSWORD, "newPassword": "a brand new passphrase"});
        app.post("/api/v1/me/password", body).await.status().as_u16()
    };
    let (statuses, changed) = tokio::join!(futures::future::join_all((0..60).map(login)), change);
    assert_eq!(changed, 204);
    assert_eq!(count(&statuses, 200) + count(&statuses, 401), 60, "{statuses:?}");
    let left = scalar(app, "SELECT COUNT(*) FROM sessions WHERE user_id = $1", user).await;
    assert_eq!(left, 1, "only the changer's own session outlives the change ({statuses:?})");
});

// A webhook never exists without a signing secret that its managers were shown: a PUT
// racing a DELETE either updates the old webhook (which the DELETE then removes) or
// creates a new one and answers its secret.
raced!(a_webhook_put_racing_its_delete_never_leaves_an_unshown_secret, agentry_tests::test_config(), |apps| {
    let app = &apps[0];
    app.signup().await;
    let (agent, _) = runnable_agent(app, "hooked").await;
    let path = format!("/api/v1/agents/{agent}/webhook");
    let put = |a: &'static str| json!({"url": format!("http://127.0.0.1:9/{a}")});
    let res = app.req(reqwest::Method::PUT, &path, &agentry_tests::Who::Session).json(&put("first")).send().await;
    assert_eq!(res.unwrap().status(), 200);
    for round in 0..30 {
        let set =
            apps[round % 2].req(reqwest::Method::PUT, &path, &agentry_tests::Who::Session).json(&put("next")).send();
        let delete = apps[(round + 1) % 2].req(reqwest::Method::DELETE, &path, &agentry_tests::Who::Session).send();
        let (set, delete) = tokio::join!(set, delete);
        assert_eq!(delete.unwrap().status(), 204);
        let set = set.unwrap();
        assert_eq!(set.status(), 200);
        let shown = set.json::<Value>().await.unwrap()["secret"].is_string();
        let sealed: Option<String> = sqlx::query_scalar("SELECT secret_sealed FROM agent_webhooks WHERE agent_id = $1")
            .bind(agent)
            .fetch_optional(&app.services.db().pool)
            .await
            .unwrap();
        if let Some(sealed) = sealed {
            assert!(!sealed.is_empty() && shown, "round {round}: a webhook whose secret was never shown");
        }
    }
});

// An Idempotency-Key sent many times at once does the work once: every answer is the
// same run (or agent), never a 500.
raced!(one_idempotency_key_sent_at_once_creates_once, agentry_tests::test_config(), |apps| {
    let app = &apps[0];
    app.signup().await;
    let org = app.org_id().await;
    let (agent, _) = runnable_agent(app, "once").await;
    let session = agentry_tests::Who::Session;
    let path = format!("/v1/organizations/{org}/agent/run");
    let sends = (0..20).map(|i| {
        let req = apps[i % 2].req(reqwest::Method::POST, &path, &session);
        req.header("idempotency-key", "same-run").json(&json!({"prompt": "p", "agent_id": agent})).send()
    });
    let answers = futures::future::join_all(sends).await;
    let mut ids = Vec::new();
    for res in answers {
        let res = res.unwrap();
        assert_eq!(res.status(), 200);
        ids.push(res.json::<Value>().await.unwrap()["id"].as_i64().unwrap());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(scalar(app, "SELECT COUNT(*) FROM runs WHERE org_id = $1", org).await, 1);

    let sends = (0..20).map(|i| {
        let req = apps[i % 2].req(reqwest::Method::POST, "/api/agents", &session);
        req.header("idempotency-key", "same-agent").json(&json!({"name": "Made once"})).send()
    });
    let statuses: Vec<u16> =
        futures::future::join_all(sends).await.into_iter().map(|r| r.unwrap().status().as_u16()).collect();
    assert_eq!(count(&statuses, 201), 20, "{statuses:?}");
    let made = "SELECT COUNT(*) FROM agents WHERE org_id = $1 AND name = 'Made once'";
    assert_eq!(scalar(app, made, org).await, 1);
});

/// Sends the requests `send(app, i)` 3 ms apart, request `i` to instance `i % 2`, and
/// `stop` at `stop_at`; the requests' statuses and `stop`'s.
async fn staggered<'a, F, Fut, S>(apps: &'a [TestApp], n: u64, send: F, stop_at: u64, stop: S) -> (Vec<u16>, u16)
where
    F: Fn(&'a TestApp, u64) -> Fut,
    Fut: std::future::Future,
    Fut::Output: Answer,
    S: std::future::Future,
    S::Output: Answer,
{
    let sends = (0..n).map(|i| {
        let f = send(&apps[usize::try_from(i).unwrap() % apps.len()], i);
        async move {
            tokio::time::sleep(std::time::Duration::from_millis(i * 3)).await;
            f.await.code()
        }
    });
    let stop = async {
        tokio::time::sleep(std::time::Duration::from_millis(stop_at)).await;
        stop.await.code()
    };
    tokio::join!(futures::future::join_all(sends), stop)
}

const LIVE_RUNS: &str = "SELECT COUNT(*) FROM runs WHERE agent_id = $1 AND status IN ('queued', 'running')";

// A run is created only for an agent that can run: once a delete has answered, the
// agent has no queued or running run, however the creates raced it.
raced!(no_run_outlives_a_delete_that_raced_its_create, agentry_tests::test_config(), |apps| {
    let app = &apps[0];
    app.signup().await;
    let org = app.org_id().await;
    let (agent, _) = runnable_agent(app, "doomed").await;
    let delete = apps[1].req(reqwest::Method::DELETE, &format!("/api/agents/{agent}"), &agentry_tests::Who::Session);
    let create = |a, _| create_run(a, org, json!({"prompt": "p", "agent_id": agent}));
    let (statuses, deleted) = staggered(&apps, 40, create, 40, delete.send()).await;
    assert_eq!(deleted, 200);
    assert_eq!(count(&statuses, 200) + count(&statuses, 422), 40, "{statuses:?}");
    assert_eq!(scalar(app, LIVE_RUNS, agent).await, 0, "{statuses:?}");
});

// A deactivated agent claims nothing: once the deactivate has answered, none of its runs
// is running, however the claims raced it.
raced!(no_claim_outlives_a_deactivate_that_raced_it, agentry_tests::test_config(), |apps| {
    let app = &apps[0];
    app.signup().await;
    let org = app.org_id().await;
    let (agent, key) = runnable_agent(app, "stopped").await;
    let statuses = spread(&apps, 40, |a, _| create_run(a, org, json!({"prompt": "p", "agent_id": agent}))).await;
    assert_eq!(count(&statuses, 200), 40);
    let path = format!("/api/agents/{agent}/deactivate");
    let deactivate = apps[1].post(&path, json!({}));
    let claim = |a, _| crate::run_support::runner(a, &key, "/api/v1/runner/claim?wait=0", json!({}));
    let (statuses, deactivated) = staggered(&apps, 40, claim, 40, deactivate).await;
    assert_eq!(deactivated, 200);
    assert_eq!(count(&statuses, 200) + count(&statuses, 204) + count(&statuses, 401), 40, "{statuses:?}");
    let running = "SELECT COUNT(*) FROM runs WHERE agent_id = $1 AND status = 'running'";
    assert_eq!(scalar(app, running, agent).await, 0, "{statuses:?}");
});

// A resent agent invite kills the old link: a confirm with the old link racing the resend
// wins only if the resend then fails, never both.
raced!(an_old_invite_link_racing_its_resend_is_not_both_confirmed_and_resent, agentry_tests::test_config(), |apps| {
    let app = &apps[0];
    let email = app.signup().await;
    for round in 0..40u64 {
        let c = app.challenge(&agentry_tests::Who::Anon, "?invite=true").await;
        let (_, pk) = agentry_tests::keypair();
        let mut body = agentry_tests::registration(&c, &pk, &format!("invited-{round}"));
        body["ownerEmail"] = json!(email);
        let res = agentry_tests::client().post(app.url("/api/v1/registration/agent")).json(&body).send().await.unwrap();
        assert_eq!(res.status(), 201);
        let id = res.json::<Value>().await.unwrap()["agent"]["id"].as_i64().unwrap();
        let token = app.invite_token(&email).await;
        // Either may go first, by up to 3 ms.
        let confirm = async {
            tokio::time::sleep(std::time::Duration::from_millis(round % 4)).await;
            apps[0].post("/api/v1/registration/invite/confirm", json!({"token": token})).await
        };
        let resend = async {
            tokio::time::sleep(std::time::Duration::from_millis((round / 4) % 4)).await;
            apps[1].post(&format!("/api/v1/agents/{id}/invite/resend"), json!({})).await
        };
        let (confirmed, resent) = tokio::join!(confirm, resend);
        let (confirmed, resent) = (confirmed.status().as_u16(), resent.status().as_u16());
        assert!((confirmed == 200) != (resent == 200), "round {round}: confirm {confirmed}, resend {resent}");
    }
});

/// Live agents of `org` owned by someone who is not a member of it.
const ORPHAN_OWNERS: &str = "SELECT COUNT(*) FROM agents a WHERE a.org_id = $1 AND a.deleted_at IS NULL
    AND a.owner_id IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.org_id = a.org_id AND m.user_id = a.owner_id)";

// A removed member owns no agent of the organization: agents they create while being
// removed either make the removal answer 409 member_owns_agents, or are refused (401).
fn many_signups() -> agentry_services::Config {
    agentry_services::Config { signup_limit_per_ip: 10_000, ..agentry_tests::test_config() }
}

raced!(a_member_removed_while_creating_agents_owns_none, many_signups(), |apps| {
    let app = &apps[0];
    app.signup().await;
    let org = app.org_id().await;
    for round in 0..24u64 {
        let m = agentry_tests::member_of(app, org, "admin").await;
        // Three creates at once, from 0 to 7 ms after the removal is sent, on both instances.
        let creates = (0..3u64).map(|i| {
            let a = &apps[usize::try_from(i + round).unwrap() % 2];
            let req = m.client.post(a.url("/api/agents")).header("origin", &a.base);
            let req = req.json(&json!({"name": format!("Made by {} {i}", m.id)}));
            async move {
                tokio::time::sleep(std::time::Duration::from_millis(round % 8)).await;
                req.send().await.code()
            }
        });
        let path = format!("/api/v1/organizations/{org}/members/{}", m.id);
        let remove =
            apps[usize::try_from(round).unwrap() % 2].req(reqwest::Method::DELETE, &path, &agentry_tests::Who::Session);
        let (statuses, removed) = tokio::join!(futures::future::join_all(creates), remove.send());
        let removed = removed.code();
        assert!(removed == 204 || removed == 409, "round {round}: removal answered {removed}");
        assert_eq!(count(&statuses, 201) + count(&statuses, 401), 3, "round {round}: {statuses:?}");
        assert_eq!(scalar(app, ORPHAN_OWNERS, org).await, 0, "round {round}: removal {removed}, {statuses:?}");
    }
});
