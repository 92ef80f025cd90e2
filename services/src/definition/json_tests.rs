//! The canonical JSON: serialization, round trips, the first draft, the kind catalogue.

use super::*;
use serde_json::json;

const KINDS: &str = "prompt, tool, http, code, branch, approval, agent, wait";

#[test]
fn a_full_definition_round_trips_through_its_canonical_json() {
    let raw = json!({
        "trigger": {"cron": "0 9 * * 1-5", "timezone": "Europe/Berlin"},
        "workflowStructure": {
            "steps": [{"id": "fetch", "kind": "http", "config": {"url": "https://example.com"}},
                      {"id": "summarize", "kind": "prompt", "config": {"model": "m"}}],
            "edges": [{"from": "fetch", "to": "summarize"}]
        },
        "agentSelection": {"agents": ["x"]}
    });
    let d = parse_definition(&raw, AgentType::Workflow).unwrap();
    assert_eq!(d.to_json(), raw);
    assert_eq!(parse_definition(&d.to_json(), AgentType::Workflow).unwrap(), d);
    let via_serde: Definition = serde_json::from_value(raw.clone()).unwrap();
    assert_eq!(via_serde, d);
    assert_eq!(serde_json::to_value(&d).unwrap(), raw);
}

#[test]
fn canonical_json_does_not_depend_on_key_order() {
    let a = r#"{"agentSelection":{"z":1,"a":{"y":2,"b":3}},"workflowStructure":{"edges":[],"steps":[{"kind":"tool","id":"s","config":{"q":1,"p":2}}]}}"#;
    let b = r#"{"workflowStructure":{"steps":[{"config":{"p":2,"q":1},"id":"s","kind":"tool"}],"edges":[]},"agentSelection":{"a":{"b":3,"y":2},"z":1}}"#;
    let parse = |s: &str| parse_definition(&serde_json::from_str(s).unwrap(), AgentType::Task).unwrap();
    let (a, b) = (parse(a), parse(b));
    assert_eq!(a, b);
    let text = serde_json::to_string(&a).unwrap();
    assert_eq!(text, serde_json::to_string(&b.to_json()).unwrap());
    assert_eq!(
        text,
        r#"{"agentSelection":{"a":{"b":3,"y":2},"z":1},"trigger":"manual","workflowStructure":{"edges":[],"steps":[{"config":{"p":2,"q":1},"id":"s","kind":"tool"}]}}"#
    );
}

#[test]
fn a_new_agent_starts_from_one_prompt_step() {
    for agent_type in AgentType::ALL.iter().copied() {
        let d = Definition::empty(agent_type);
        let json = json!({"trigger": "manual", "agentSelection": {},
                          "workflowStructure": {"steps": [{"id": "main", "kind": "prompt", "config": {}}], "edges": []}});
        assert_eq!(d.to_json(), json);
        assert_eq!(parse_definition(&json, agent_type).unwrap(), d);
    }
}

#[test]
fn deserializing_applies_the_rules() {
    let err = serde_json::from_value::<Definition>(json!({"workflowStructure": {"steps": [
        {"id": "a", "kind": "prompt"}, {"id": "a", "kind": "prompt"}]}}))
    .unwrap_err();
    assert_eq!(err.to_string(), "/workflowStructure/steps/1/id: Step id \"a\" is already used by step 0.");
}

#[test]
fn step_kinds_round_trip() {
    assert_eq!(StepKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", "), KINDS);
    for &kind in StepKind::ALL {
        assert_eq!(StepKind::parse(kind.as_str()), Some(kind));
        assert_eq!(serde_json::to_value(kind).unwrap(), json!(kind.as_str()));
        assert_eq!(kind.to_string(), kind.as_str());
    }
    assert_eq!(StepKind::parse("nope"), None);
}
