//! The directory's Rust client (`agentry-client`) and `agentry agents …` (the built binary,
//! `AGENTRY_BIN`) against the real server over real HTTP, on both backends.

use crate::cli::agentry_bin;
use agentry_client::odata::{Filter, ListOptions, OrderBy};
use agentry_client::{
    AgentPatch, AgentStatus, AgentType, AgentsClient, ClientOptions, CreateAgent, DeployRequest, Error,
};
use agentry_tests::{both, TestApp};
use serde_json::Value;
use std::process::Output;

fn client(app: &TestApp, key: &str) -> AgentsClient {
    AgentsClient::new(ClientOptions::new(key).base_url(&app.base).max_retries(1)).unwrap()
}

async fn task(c: &AgentsClient, name: &str) -> i64 {
    let req = CreateAgent { agent_type: Some(AgentType::Task), ..CreateAgent::new(name) };
    c.create_agent(&req, None).await.unwrap().id
}

both!(client_creates_lists_pages_updates_and_maps_errors, |app| {
    app.signup().await;
    let key = app.user_key().await;
    let c = client(&app, &key);

    // Create with an Idempotency-Key, twice: the same agent.
    let req = CreateAgent {
        agent_type: Some(AgentType::Workflow),
        description: Some("It's a flow".into()),
        ..CreateAgent::new("report flow")
    };
    let first = c.create_agent(&req, Some("create-report-1")).await.unwrap();
    let again = c.create_agent(&req, Some("create-report-1")).await.unwrap();
    assert_eq!(first.id, again.id);
    assert_eq!((&first.status, &first.agent_type), (&AgentStatus::Draft, &AgentType::Workflow));
    assert_eq!(first.description, "It's a flow");
    assert!(first.etag.is_some());
    // The same key with another body.
    let e = c.create_agent(&CreateAgent::new("other"), Some("create-report-1")).await.unwrap_err();
    assert!(matches!(e, Error::Validation { .. }), "{e:?}");
    assert_eq!(e.code(), Some("idempotency_key_reused"));

    // A typed filter (with a quote in a literal), a sort and a selection.
    let mut ids = Vec::new();
    for name in ["alpha task", "beta task", "gamma task", "o'hara task"] {
        ids.push(task(&c, name).await);
    }
    let filter = Filter::field("type").eq("task").and(Filter::field("name").contains("task"));
    let opts = ListOptions::new()
        .filter(filter.clone())
        .orderby(OrderBy::desc("name").then_asc("createdAt"))
        .select(["name", "type"])
        .count(true);
    let page = c.list_agents(&opts).await.unwrap();
    let names: Vec<&str> = page.value.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["o'hara task", "gamma task", "beta task", "alpha task"]);
    assert_eq!(page.count, Some(4));
    assert!(page.next_link.is_none());
    let keys: Vec<&String> = page.value[0].as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 3, "id, name and type only: {keys:?}");
    let quoted = ListOptions::new().filter(Filter::field("name").eq("o'hara task"));
    let page = c.list_agents(&quoted).await.unwrap();
    assert_eq!((page.value.len(), page.value[0]["id"].as_i64()), (1, Some(ids[3])));
    assert_eq!(page.agents().unwrap()[0].name, "o'hara task");

    // Paging: two rows a page, following @odata.nextLink.
    let mut pager = c.pager(ListOptions::new().filter(filter).orderby(OrderBy::asc("name")).top(2));
    let mut pages = Vec::new();
    while let Some(p) = pager.next_page().await.unwrap() {
        pages.push(p.value.iter().map(|r| r["name"].as_str().unwrap().to_string()).collect::<Vec<_>>());
    }
    assert_eq!(pages, [vec!["alpha task", "beta task"], vec!["gamma task", "o'hara task"]]);
    let every = c.pager(ListOptions::new().top(1)).collect_rows().await.unwrap();
    assert_eq!(every.len(), 5);
    let one = c.list_agents(&ListOptions::new().top(1)).await.unwrap();
    let second = c.list_agents_at(one.next_link.as_deref().unwrap()).await.unwrap();
    assert_eq!(second.value[0]["id"], every[1]["id"]);

    // Get, then a conditional update; a stale ETag is refused.
    let got = c.get_agent(ids[0]).await.unwrap();
    let stale = got.etag.clone().unwrap();
    let patch = AgentPatch::new().name("alpha renamed").description("new words");
    let updated = c.update_agent(ids[0], &patch, Some(&stale)).await.unwrap();
    assert_eq!((updated.name.as_str(), updated.description.as_str()), ("alpha renamed", "new words"));
    assert_ne!(updated.etag.as_deref(), Some(stale.as_str()));
    let e = c.update_agent(ids[0], &AgentPatch::new().name("lost update"), Some(&stale)).await.unwrap_err();
    assert!(matches!(e, Error::PreconditionFailed(_)), "{e:?}");
    assert_eq!((e.status(), e.code()), (Some(412), Some("precondition_failed")));
    assert_eq!(c.get_agent(ids[0]).await.unwrap().name, "alpha renamed");

    // Validation errors carry their fields, OData ones their position.
    let bad = CreateAgent { email: Some("not-an-email".into()), ..CreateAgent::new("") };
    let e = c.create_agent(&bad, None).await.unwrap_err();
    let Error::Validation { fields, .. } = &e else { panic!("{e:?}") };
    let named: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
    assert!(named.contains(&"name") && named.contains(&"email"), "{named:?}");
    let e = c.list_agents(&ListOptions::new().filter(Filter::raw("nmae eq 'x'"))).await.unwrap_err();
    assert_eq!(e.code(), Some("invalid_query_option"));
    let Error::Validation { fields, problem } = &e else { panic!("{e:?}") };
    assert_eq!((fields[0].field.as_str(), problem.extensions["didYouMean"].as_str()), ("$filter", Some("name")));
    let e = c.update_agent(ids[0], &AgentPatch::new().set("type", "workflow"), None).await.unwrap_err();
    assert!(matches!(&e, Error::Validation { fields, .. } if fields.iter().any(|f| f.field == "type")), "{e:?}");

    // Lifecycle.
    let off = c.deactivate_agent(ids[1], None).await.unwrap();
    assert!(!off.enabled);
    let on = c.activate_agent(ids[1], off.etag.as_deref()).await.unwrap();
    assert!(on.enabled);
    let deployed = c.deploy_agent(ids[1], &DeployRequest { name: Some("First".into()), notes: None }, None).await;
    let deployed = deployed.unwrap();
    assert_eq!(deployed.status, AgentStatus::Active);
    assert!(deployed.active_variation_id.is_some());
    let e = c.deploy_agent(ids[1], &DeployRequest::default(), None).await.unwrap_err();
    assert!(matches!(e, Error::Conflict(_)) && e.code() == Some("nothing_to_deploy"), "{e:?}");
    let deleted = c.delete_agent(ids[2], None).await.unwrap();
    assert!(deleted.deleted_at.is_some());
    let e = c.update_agent(ids[2], &AgentPatch::new().name("zombie"), None).await.unwrap_err();
    assert!(matches!(e, Error::Conflict(_)), "{e:?}");

    // Not found, and a bad key.
    let e = c.get_agent(999_999).await.unwrap_err();
    assert!(matches!(e, Error::NotFound(_)) && e.code() == Some("agent_not_found"), "{e:?}");
    let e = client(&app, "uak_not_a_real_key").list_agents(&ListOptions::new()).await.unwrap_err();
    assert!(matches!(e, Error::Authentication(_)), "{e:?}");
    assert_eq!(e.status(), Some(401));
});

/// Runs `agentry agents …` against `app` with `key` in the environment (never the calling
/// shell's); asserts the key is printed nowhere.
async fn agents(app: &TestApp, key: &str, args: &[&str]) -> Output {
    let out = tokio::process::Command::new(agentry_bin())
        .arg("agents")
        .args(args)
        .env_remove("AGENTRY_API_KEY")
        .env_remove("AGENTRY_URL")
        .env("AGENTRY_URL", &app.base)
        .env("AGENTRY_API_KEY", key)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(std::time::Duration::from_secs(60), out).await.unwrap().unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!stdout.contains(key) && !stderr.contains(key), "the key was printed: {stdout}\n{stderr}");
    out
}

/// Runs a command that must succeed; its stdout as JSON.
async fn json(app: &TestApp, key: &str, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["--output", "json"]);
    let out = agents(app, key, &all).await;
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{args:?}\nstdout: {stdout}\nstderr: {stderr}");
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{args:?}: {e}: {stdout}"))
}

both!(cli_runs_every_directory_command, |app| {
    app.signup().await;
    let key = app.user_key().await;

    let a = json(
        &app,
        &key,
        &["create", "--name", "cli bot", "--description", "made by the CLI", "--idempotency-key", "k1"],
    )
    .await;
    let id = a["id"].as_i64().unwrap();
    let again = json(
        &app,
        &key,
        &["create", "--name", "cli bot", "--description", "made by the CLI", "--idempotency-key", "k1"],
    )
    .await;
    assert_eq!(again["id"], id);
    assert_eq!((a["status"].as_str(), a["type"].as_str()), (Some("draft"), Some("task")));
    let id_s = id.to_string();
    for name in ["cli two", "cli three"] {
        json(&app, &key, &["create", "--name", name, "--type", "workflow"]).await;
    }

    // list: JSON with a filter, a sort and a selection; a table; one page with a hint; --all.
    let p = json(
        &app,
        &key,
        &["list", "--filter", "contains(name,'cli')", "--orderby", "name desc", "--select", "id,name"],
    )
    .await;
    let names: Vec<&str> = p["value"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["cli two", "cli three", "cli bot"]);
    assert!(p["value"][0].get("status").is_none() && p.get("@odata.nextLink").is_none());
    let out = agents(&app, &key, &["list", "--top", "1", "--orderby", "name"]).await;
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.starts_with("ID") && stdout.contains("UPDATED_AT") && stdout.contains("cli bot"), "{stdout}");
    assert!(!stdout.contains("cli two") && stderr.contains("--next '/api/v1/agents?"), "{stdout}\n{stderr}");
    let p = json(&app, &key, &["list", "--top", "1", "--orderby", "name", "--count"]).await;
    assert_eq!((p["value"].as_array().unwrap().len(), p["@odata.count"].as_i64()), (1, Some(3)));
    let link = p["@odata.nextLink"].as_str().unwrap();
    let p2 = json(&app, &key, &["list", "--next", link]).await;
    assert_eq!(p2["value"][0]["name"], "cli three");
    let all = json(&app, &key, &["list", "--top", "1", "--all"]).await;
    assert_eq!(all["value"].as_array().unwrap().len(), 3);
    assert!(all.get("@odata.nextLink").is_none());

    // get (JSON carries the ETag; the table too), update with --if-match, a stale one fails.
    let got = json(&app, &key, &["get", &id_s]).await;
    let etag = got["@odata.etag"].as_str().unwrap().to_string();
    let out = agents(&app, &key, &["get", &id_s]).await;
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("made by the CLI") && table.contains(&etag), "{table}");
    let u = json(&app, &key, &["update", &id_s, "--set", "name=cli bot 2", "--if-match", &etag]).await;
    assert_eq!(u["name"], "cli bot 2");
    assert_ne!(u["@odata.etag"].as_str(), Some(etag.as_str()));
    let out = agents(&app, &key, &["update", &id_s, "--set", "name=lost", "--if-match", &etag]).await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("precondition failed") && stderr.contains("precondition_failed"), "{stderr}");
    let u = json(
        &app,
        &key,
        &["update", &id_s, "--patch", r#"{"description":"patched","email":"bot@example.com"}"#, "--unset", "email"],
    )
    .await;
    assert_eq!((u["description"].as_str(), u["email"].is_null()), (Some("patched"), true));

    // Lifecycle.
    assert_eq!(json(&app, &key, &["deactivate", &id_s]).await["enabled"], false);
    assert_eq!(json(&app, &key, &["activate", &id_s]).await["enabled"], true);
    let d = json(&app, &key, &["deploy", &id_s, "--name", "v1", "--notes", "first"]).await;
    assert_eq!((d["status"].as_str(), d["activeVariationId"].is_string()), (Some("active"), true));
    let gone = json(&app, &key, &["delete", &id_s]).await;
    assert!(gone["deletedAt"].is_string(), "{gone}");
    let left = json(&app, &key, &["list"]).await;
    assert_eq!(left["value"].as_array().unwrap().len(), 2);

    // Errors: not found, a validation error with its field, a bad key, a bad flag value.
    let out = agents(&app, &key, &["get", "999999"]).await;
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("agent_not_found"));
    let out = agents(&app, &key, &["create", "--name", "x", "--email", "nope"]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.contains("email:"), "{stderr}");
    let out = agents(&app, "uak_not_a_real_key", &["list"]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.contains("authentication failed"), "{stderr}");
    let out = agents(&app, &key, &["update", &id_s]).await;
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("nothing to change"));
});
