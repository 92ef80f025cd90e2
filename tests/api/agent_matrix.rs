//! The agent permission matrix: every operation of the agent directory, called by the
//! organization's owner, an admin, an operator, a member, the agent's owner (a plain member
//! who created it), a signed-in user of another organization and an anonymous client,
//! under several `accessConfig`s, answers as the access rules say:
//!
//! - the agent's owner and the organization's owners and admins always manage it;
//! - anyone else manages it iff their role is in `manage.roles` or their id in
//!   `manage.users`, and uses it iff they manage it or `use.roles` / `use.users` name them;
//! - managing (patch, delete, activate, deactivate, draft, deploy, restore, roll back,
//!   toggle, transfer) without the right is 403 `not_allowed`, and so is reading the draft
//!   or the history without use; the agent and the list are every member's to see, with
//!   `canManage` and `canUse` saying which;
//! - another organization's user gets 404 `agent_not_found`, never 403; no credential, 401.
//!
//! A refused call changes nothing: the agent as its organization's owner reads it (ETag and
//! body) and the numbers of audit rows, variations and transfers are the same after it.
//! Calls that succeed must not spoil the next caller's: deploy gets a new draft first (put
//! by the agent's owner), a requested transfer is cancelled after, and delete acts on an
//! agent made for that one call.
use super::directory::MERGE;
use agentry_tests::{both, client, member_of, user, TestApp, User};
use reqwest::Method;
use serde_json::{json, Value};

const CALLERS: [&str; 7] = ["owner", "admin", "operator", "member", "agent owner", "outsider", "anonymous"];
const OUTSIDER: usize = 5;
const ANONYMOUS: usize = 6;

/// The access configurations: a name, the `accessConfig` the agent is created with (`None`:
/// the default; `{member}` stands for the member's user id), and what each caller of the
/// organization may do, in the order of [`CALLERS`]: `M` manage (and so use), `U` use
/// only, `-` neither.
type Access = (&'static str, Option<&'static str>, &'static str);

fn access_cases() -> Vec<Access> {
    vec![
        ("default", None, "MMMUM"),
        (
            "manage restricted to nobody",
            Some(
                r#"{"use": {"roles": ["owner", "admin", "operator", "member"]}, "manage": {"roles": [], "users": []}}"#,
            ),
            "MMUUM",
        ),
        (
            "manage granted to the member by id",
            Some(
                r#"{"use": {"roles": ["owner", "admin", "operator", "member"]},
                    "manage": {"roles": [], "users": [{member}]}}"#,
            ),
            "MMUMM",
        ),
        (
            "manage granted to the member role",
            Some(r#"{"use": {"roles": ["owner", "admin", "operator", "member"]}, "manage": {"roles": ["member"]}}"#),
            "MMUMM",
        ),
        (
            "use restricted to owners",
            Some(r#"{"use": {"roles": ["owner"]}, "manage": {"roles": ["owner", "admin", "operator"]}}"#),
            "MMM-M",
        ),
        (
            "use restricted to owners, manage to nobody",
            Some(r#"{"use": {"roles": ["owner"], "users": []}, "manage": {"roles": [], "users": []}}"#),
            "MM--M",
        ),
        (
            "use granted to the member by id, manage to nobody",
            Some(r#"{"use": {"roles": [], "users": [{member}]}, "manage": {"roles": [], "users": []}}"#),
            "MM-UM",
        ),
    ]
}

/// What an operation needs of a caller in the agent's organization.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Needs {
    /// Membership: every member may.
    Member,
    /// Use (view the definition and history).
    Use,
    /// Manage.
    Manage,
}

/// One operation: a name, method, path template (`{id}`: the case's agent; `{vid}`: its
/// first deployed version; `{fresh}`: an agent made for this one call), body template
/// (`{draft}`: a definition not seen before; `{recipient}`: a member's id; `{caller}`), what
/// it needs, and its status when allowed.
type Op = (&'static str, Method, &'static str, Option<&'static str>, Needs, u16);

fn ops() -> Vec<Op> {
    use Method as M;
    use Needs::{Manage, Member, Use};
    vec![
        ("get", M::GET, "/api/v1/agents/{id}", None, Member, 200),
        ("list", M::GET, "/api/v1/agents?$top=1000", None, Member, 200),
        ("get draft", M::GET, "/api/v1/agents/{id}/draft", None, Use, 200),
        ("get ?view=draft", M::GET, "/api/v1/agents/{id}?view=draft", None, Use, 200),
        ("get ?view=active", M::GET, "/api/v1/agents/{id}?view=active", None, Use, 200),
        ("history", M::GET, "/api/v1/agents/{id}/variations", None, Use, 200),
        ("patch", M::PATCH, "/api/v1/agents/{id}", Some(r#"{"description": "by {caller}"}"#), Manage, 200),
        ("deactivate", M::POST, "/api/v1/agents/{id}/deactivate", None, Manage, 200),
        ("activate", M::POST, "/api/v1/agents/{id}/activate", None, Manage, 200),
        ("put draft", M::PUT, "/api/v1/agents/{id}/draft", Some("{draft}"), Manage, 200),
        ("deploy", M::POST, "/api/v1/agents/{id}/deploy", Some("{}"), Manage, 200),
        ("restore", M::POST, "/api/v1/agents/{id}/variations/{vid}/restore", None, Manage, 200),
        ("roll back", M::POST, "/api/v1/agents/{id}/variations/{vid}/activate", None, Manage, 200),
        ("toggle", M::POST, "/api/v1/agents/{id}/toggle", Some("{}"), Manage, 200),
        (
            "transfer",
            M::POST,
            "/api/v1/agents/{id}/ownership-transfer",
            Some(r#"{"toUserId": {recipient}}"#),
            Manage,
            201,
        ),
        ("delete", M::DELETE, "/api/v1/agents/{fresh}", None, Manage, 200),
    ]
}

/// The documented answer to `op` by caller `i` when the organization's callers may do
/// `access`: the status, and the problem code of a refusal.
fn expected(op: &Op, i: usize, access: &[u8]) -> (u16, Option<&'static str>) {
    let allowed = match (i, op.4) {
        (ANONYMOUS, _) => return (401, Some("unauthorized")),
        (OUTSIDER, _) if op.0 == "list" => return (200, None),
        (OUTSIDER, _) => return (404, Some("agent_not_found")),
        (_, Needs::Member) => true,
        (_, Needs::Use) => access[i] != b'-',
        (_, Needs::Manage) => access[i] == b'M',
    };
    if allowed {
        (op.5, None)
    } else {
        (403, Some("not_allowed"))
    }
}

/// A task definition with a cron trigger (so the schedule can be toggled once it is
/// deployed) that differs for every `n`.
fn definition(n: usize) -> String {
    let cron = format!("{} {} * * *", n % 60, n / 60 % 24);
    let steps = json!([{"id": "main", "kind": "prompt"}]);
    json!({"trigger": {"cron": cron, "timezone": "UTC"}, "workflowStructure": {"steps": steps}}).to_string()
}

/// Sends `method path` as `c` with the app's origin; a PATCH body goes as a merge patch.
async fn send(
    app: &TestApp,
    c: &reqwest::Client,
    method: Method,
    path: &str,
    body: Option<String>,
) -> reqwest::Response {
    let content_type = if method == Method::PATCH { MERGE } else { "application/json" };
    let mut req = c.request(method, app.url(path)).header("origin", &app.base);
    if let Some(b) = body {
        req = req.header("content-type", content_type).body(b);
    }
    req.send().await.unwrap()
}

/// A new agent created by `creator` (who owns it) with `access`; its id.
async fn new_agent(app: &TestApp, creator: &User, name: &str, access: Option<&Value>) -> i64 {
    let mut body = json!({"name": name});
    if let Some(a) = access {
        body["accessConfig"] = a.clone();
    }
    let res = send(app, &creator.client, Method::POST, "/api/v1/agents", Some(body.to_string())).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let a: Value = res.json().await.unwrap();
    assert_eq!(a["ownerId"], creator.id, "{a}");
    a["id"].as_i64().unwrap()
}

/// What a refused call must leave as it was.
#[derive(Debug, PartialEq)]
struct Snapshot {
    etag: String,
    agent: Value,
    audit_rows: i64,
    variations: i64,
    transfers: i64,
}

/// Agent `id` as the organization's owner (the app's session) reads it, and the counts.
async fn snapshot(app: &TestApp, id: i64) -> Snapshot {
    let res = app.get(&format!("/api/v1/agents/{id}")).await;
    assert_eq!(res.status(), 200);
    let etag = res.headers()["etag"].to_str().unwrap().to_string();
    Snapshot {
        etag,
        agent: res.json().await.unwrap(),
        audit_rows: app.count("audit_log").await,
        variations: app.count("agent_variations").await,
        transfers: app.count("agent_transfers").await,
    }
}

both!(every_agent_operation_answers_each_caller_as_its_access_config_says, |app| {
    app.signup().await;
    let org = app.org_id().await;
    let admin = member_of(&app, org, "admin").await;
    let operator = member_of(&app, org, "operator").await;
    let member = member_of(&app, org, "member").await;
    let creator = member_of(&app, org, "member").await;
    let recipient = member_of(&app, org, "member").await;
    let outsider = user(&app).await;
    let anonymous = client();
    let clients: [&reqwest::Client; 7] =
        [&app.client, &admin.client, &operator.client, &member.client, &creator.client, &outsider.client, &anonymous];

    let mut drafts = 0;
    let mut cells = 0;
    let mut wrong = Vec::new();
    for (k, (case, config, access)) in access_cases().into_iter().enumerate() {
        let config =
            config.map(|c| serde_json::from_str::<Value>(&c.replace("{member}", &member.id.to_string())).unwrap());
        let name = format!("Matrix {k}");
        let id = new_agent(&app, &creator, &name, config.as_ref()).await;
        let a: Value = app.get(&format!("/api/v1/agents/{id}")).await.json().await.unwrap();
        if config.is_none() {
            let default = json!({"use": {"roles": ["owner", "admin", "operator", "member"], "users": []},
                                 "manage": {"roles": ["owner", "admin", "operator"], "users": []}});
            assert_eq!(a["accessConfig"], default, "the default access");
        }
        // The first version, deployed by the agent's owner: the one restore and roll back name.
        drafts += 1;
        let put =
            send(&app, &creator.client, Method::PUT, &format!("/api/v1/agents/{id}/draft"), Some(definition(drafts)))
                .await;
        assert_eq!(put.status(), 200, "{case}: the agent's owner puts the first draft");
        let res = send(&app, &creator.client, Method::POST, &format!("/api/v1/agents/{id}/deploy"), None).await;
        assert_eq!(res.status(), 200, "{case}: the agent's owner deploys");
        let vid = res.json::<Value>().await.unwrap()["activeVariationId"].as_str().unwrap().to_string();

        for op in ops() {
            for (i, who) in CALLERS.iter().enumerate() {
                cells += 1;
                let (name_, method, template, body, _, _) = &op;
                let target = if template.contains("{fresh}") {
                    new_agent(&app, &creator, &format!("{name} {i}"), config.as_ref()).await
                } else {
                    id
                };
                if *name_ == "deploy" {
                    // Something to deploy, put by the agent's owner.
                    drafts += 1;
                    let path = format!("/api/v1/agents/{id}/draft");
                    let put = send(&app, &creator.client, Method::PUT, &path, Some(definition(drafts))).await;
                    assert_eq!(put.status(), 200, "{case}: the agent's owner puts a draft to deploy");
                }
                let path = template
                    .replace("{id}", &id.to_string())
                    .replace("{fresh}", &target.to_string())
                    .replace("{vid}", &vid);
                let body = body.map(|b| {
                    if b.contains("{draft}") {
                        drafts += 1;
                    }
                    b.replace("{draft}", &definition(drafts))
                        .replace("{recipient}", &recipient.id.to_string())
                        .replace("{caller}", who)
                });
                let cell = format!("[{case}] {name_} ({method} {path}) as {who}");
                let before = snapshot(&app, target).await;
                let res = send(&app, clients[i], method.clone(), &path, body).await;
                let status = res.status().as_u16();
                let got: Value = res.json().await.unwrap_or(Value::Null);
                let shown: String = got.to_string().chars().take(200).collect();
                // A transfer asked for (rightly or not) is cancelled by the agent's owner, so the
                // next caller may ask.
                if *name_ == "transfer" && status == 201 {
                    let path = format!("/api/v1/agents/{id}/ownership-transfer/cancel");
                    let res = send(&app, &creator.client, Method::POST, &path, None).await;
                    assert_eq!(res.status(), 200, "{cell}: the agent's owner cancels");
                }
                let (want, code) = expected(&op, i, access.as_bytes());
                if status != want {
                    wrong.push(format!("{cell}: {status}, expected {want}: {shown}"));
                    continue;
                }
                if let Some(code) = code {
                    if got["type"] != format!("https://agentry.dev/problems/{code}") {
                        wrong.push(format!("{cell}: {status} but not {code}: {shown}"));
                    }
                    let after = snapshot(&app, target).await;
                    if after != before {
                        wrong.push(format!("{cell}: refused, yet changed\n  before {before:?}\n  after  {after:?}"));
                    }
                }
                // What the caller sees of their rights.
                if i < OUTSIDER {
                    let rights = (Some(access.as_bytes()[i] == b'M'), Some(access.as_bytes()[i] != b'-'));
                    let row = match *name_ {
                        "get" => Some(got.clone()),
                        "list" => got["value"].as_array().unwrap().iter().find(|a| a["id"] == id).cloned(),
                        _ => None,
                    };
                    match row {
                        Some(a) if (a["canManage"].as_bool(), a["canUse"].as_bool()) != rights => wrong.push(format!(
                            "{cell}: canManage {}, canUse {}, expected {:?}",
                            a["canManage"], a["canUse"], rights
                        )),
                        None if *name_ == "list" => wrong.push(format!("{cell}: the agent is not in the list")),
                        _ => {}
                    }
                }
                if *name_ == "list" && i == OUTSIDER && got["value"] != json!([]) {
                    wrong.push(format!("{cell}: another organization's list shows agents: {shown}"));
                }
                if *name_ == "delete" && status == 200 && got["status"] != "deleted" {
                    wrong.push(format!("{cell}: answered 200 but the agent is not deleted: {shown}"));
                }
            }
        }

        // The agent is still its owner's, live, named as created, and nothing is pending.
        let a: Value = app.get(&format!("/api/v1/agents/{id}")).await.json().await.unwrap();
        let pending = a.get("pendingOwnershipTransfer").is_some_and(|t| !t.is_null());
        if a["ownerId"] != creator.id || a["name"] != name.as_str() || !a["deletedAt"].is_null() || pending {
            wrong.push(format!("[{case}] afterwards the agent is not its owner's live, untransferred {name}: {a}"));
        }
    }
    assert!(wrong.is_empty(), "{} of {cells} cells answered otherwise:\n{}", wrong.len(), wrong.join("\n"));
    assert_eq!(cells, access_cases().len() * ops().len() * CALLERS.len());
});
