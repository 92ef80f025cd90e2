//! Guards against the pages' copies of the rules drifting from the services': a form
//! constraint written as a literal (`maxlength="60"`) instead of a constant of
//! `agentry_services::vocab` fails here, and the pages' validators are the services' own.

use agentry_services::inputs::{AgentIdentity, DelegatedTokenSpec};
use agentry_services::model::{AgentRegistrationRequest, DelegatedTokenRequest};
use agentry_services::vocab::{Password, Reason};

const PAGES: &[(&str, &str)] = &[
    ("pages/register.rs", include_str!("pages/register.rs")),
    ("pages/tokens.rs", include_str!("pages/tokens.rs")),
    ("pages/pending.rs", include_str!("pages/pending.rs")),
    ("pages/agents.rs", include_str!("pages/agents.rs")),
    ("pages/auth.rs", include_str!("pages/auth.rs")),
    ("pages/reset.rs", include_str!("pages/reset.rs")),
    ("pages/invite.rs", include_str!("pages/invite.rs")),
    ("pages/outbox.rs", include_str!("pages/outbox.rs")),
    ("pages/agent/runs.rs", include_str!("pages/agent/runs.rs")),
    ("pages/runs/list.rs", include_str!("pages/runs/list.rs")),
    ("pages/runs/detail.rs", include_str!("pages/runs/detail.rs")),
    ("pages/runs/log.rs", include_str!("pages/runs/log.rs")),
    ("pages/runs/glance.rs", include_str!("pages/runs/glance.rs")),
    ("pages/organization/mod.rs", include_str!("pages/organization/mod.rs")),
    ("pages/organization/plan.rs", include_str!("pages/organization/plan.rs")),
    ("pages/organization/members.rs", include_str!("pages/organization/members.rs")),
    ("pages/account/mod.rs", include_str!("pages/account/mod.rs")),
    ("pages/account/sessions.rs", include_str!("pages/account/sessions.rs")),
    ("pages/account/keys.rs", include_str!("pages/account/keys.rs")),
    ("components/nav.rs", include_str!("components/nav.rs")),
    ("components/dialog.rs", include_str!("components/dialog.rs")),
    ("components/form.rs", include_str!("components/form.rs")),
];

/// Literal constraint attributes on form fields: `(file, line)`.
fn literal_constraints() -> Vec<(String, usize)> {
    let mut found = Vec::new();
    for (file, text) in PAGES {
        let mut in_field = false;
        for (n, line) in text.lines().enumerate() {
            let t = line.trim();
            if t.starts_with('<') {
                in_field = t.starts_with("<input") || t.starts_with("<textarea");
            }
            let literal = ["maxlength=\"", "minlength=\"", "pattern=\"", "max=\"", "min=\""]
                .iter()
                .any(|a| t.starts_with(a) || t.contains(&format!(" {a}")));
            if in_field && literal {
                found.push((file.to_string(), n + 1));
            }
        }
    }
    found
}

#[test]
fn form_constraints_come_from_the_vocabulary() {
    let found = literal_constraints();
    assert!(found.is_empty(), "write these limits with agentry_services::vocab constants: {found:?}");
}

#[test]
fn the_scan_finds_a_literal_limit() {
    let text = "<input\n    id=\"x\"\n    maxlength=\"60\"\n/>";
    let mut in_field = false;
    let mut hits = 0;
    for t in text.lines().map(str::trim) {
        if t.starts_with('<') {
            in_field = t.starts_with("<input");
        }
        if in_field && t.starts_with("maxlength=\"") {
            hits += 1;
        }
    }
    assert_eq!(hits, 1);
}

#[test]
fn the_register_page_accepts_what_the_api_accepts() {
    let req = |key: &str, name: &str, description: &str| AgentRegistrationRequest {
        public_key: key.into(),
        name: name.into(),
        description: Some(description.into()),
        ..Default::default()
    };
    let std_key = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
    let unpadded = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
    assert!(AgentIdentity::parse(&req(std_key, "bot", "")).is_ok());
    assert!(AgentIdentity::parse(&req(unpadded, "bot", "")).is_ok(), "unpadded, URL-safe keys are valid");
    assert!(AgentIdentity::parse(&req(std_key, "bot", &"d".repeat(1000))).is_ok(), "1000-character descriptions");
    assert!(AgentIdentity::parse(&req(std_key, "bot", &"d".repeat(1001))).is_err());
    assert!(AgentIdentity::parse(&req(std_key, &"n".repeat(100), "")).is_ok());
}

#[test]
fn the_tokens_page_and_dialogs_accept_what_the_api_accepts() {
    let spec = |prefix: &str| DelegatedTokenRequest { name_prefix: Some(prefix.into()), ..Default::default() };
    assert!(DelegatedTokenSpec::parse(&spec(&"p".repeat(50))).is_ok());
    assert!(DelegatedTokenSpec::parse(&spec(&"p".repeat(51))).is_err());
    assert_eq!(Reason::parse_optional(Some("")), Ok(None), "a cancel reason is optional");
    assert!(Password::parse("correct horse").is_ok());
}

/// The browser has one path to the services: server functions (`crate::api`). A page that
/// calls the REST API (`/api/v1/…`) directly would bring back a second auth and error path.
#[test]
fn pages_reach_the_services_through_server_functions_only() {
    let direct: Vec<&str> = PAGES
        .iter()
        .filter(|(_, text)| text.contains("\"/api/v1") || text.contains("/api/v1/"))
        .map(|(f, _)| *f)
        .collect();
    assert!(direct.is_empty(), "call a server function in crate::api instead of the REST API: {direct:?}");
}
