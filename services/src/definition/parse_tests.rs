use super::*;
use serde_json::json;

/// The errors of `raw` as `(pointer, message)` pairs.
fn problems(raw: &Value, agent_type: AgentType) -> Vec<(String, String)> {
    match parse_definition(raw, agent_type) {
        Ok(d) => panic!("accepted: {}", d.to_json()),
        Err(errors) => errors.into_iter().map(|e| (e.field, e.message)).collect(),
    }
}

/// The pointers of the errors of `raw` (a workflow).
fn fields(raw: &Value) -> Vec<String> {
    problems(raw, AgentType::Workflow).into_iter().map(|(f, _)| f).collect()
}

fn one(raw: &Value, agent_type: AgentType) -> (String, String) {
    let mut all = problems(raw, agent_type);
    assert_eq!(all.len(), 1, "{all:?}");
    all.remove(0)
}

fn pair(field: &str, message: &str) -> (String, String) {
    (field.to_string(), message.to_string())
}

fn body(steps: Value, edges: Value) -> Value {
    json!({"workflowStructure": {"steps": steps, "edges": edges}})
}

fn steps(ids: &[&str]) -> Value {
    Value::Array(ids.iter().map(|id| json!({"id": id, "kind": "prompt"})).collect())
}

fn edges(pairs: &[(&str, &str)]) -> Value {
    Value::Array(pairs.iter().map(|(a, b)| json!({"from": a, "to": b})).collect())
}

const KINDS: &str = "prompt, tool, http, code, branch, approval, agent, wait";

#[test]
fn a_minimal_workflow_gets_the_defaults() {
    let d =
        parse_definition(&json!({"workflowStructure": {"steps": [{"id": "a", "kind": "http"}]}}), AgentType::Workflow)
            .unwrap();
    assert_eq!(d.trigger, Trigger::Manual);
    assert!(d.agent_selection.is_empty());
    assert_eq!(d.workflow_structure.steps, vec![Step { id: "a".into(), kind: StepKind::Http, config: json!({}) }]);
    assert!(d.workflow_structure.edges.is_empty());
    assert_eq!(
        d.to_json(),
        json!({"trigger": "manual", "agentSelection": {},
               "workflowStructure": {"steps": [{"id": "a", "kind": "http", "config": {}}], "edges": []}})
    );
}

#[test]
fn the_body_must_be_an_object_of_known_members() {
    for raw in [json!([]), json!("x"), json!(null), json!(3)] {
        assert_eq!(one(&raw, AgentType::Workflow).0, "");
    }
    let mut raw = body(steps(&["a"]), json!([]));
    raw["extra"] = json!(1);
    raw["a/b~c"] = json!(1);
    let all = problems(&raw, AgentType::Workflow);
    assert_eq!(
        all,
        vec![
            pair(
                "/a~1b~0c",
                "Unknown field \"a/b~c\"; a definition has trigger, workflowStructure, agentSelection and timeouts."
            ),
            pair(
                "/extra",
                "Unknown field \"extra\"; a definition has trigger, workflowStructure, agentSelection and timeouts."
            ),
        ]
    );
}

#[test]
fn the_workflow_structure_is_required_and_shaped() {
    assert_eq!(
        one(&json!({}), AgentType::Workflow),
        pair("/workflowStructure", "A definition needs a workflowStructure: its steps and edges.")
    );
    assert_eq!(fields(&json!({"workflowStructure": []})), ["/workflowStructure"]);
    assert_eq!(
        one(&json!({"workflowStructure": {}}), AgentType::Workflow),
        pair("/workflowStructure/steps", "The workflowStructure needs its steps.")
    );
    assert_eq!(fields(&json!({"workflowStructure": {"steps": {}}})), ["/workflowStructure/steps"]);
    assert_eq!(fields(&body(steps(&["a"]), json!({}))), ["/workflowStructure/edges"]);
    assert_eq!(
        fields(&json!({"workflowStructure": {"steps": steps(&["a"]), "nodes": []}})),
        ["/workflowStructure/nodes"]
    );
}

#[test]
fn step_ids_are_short_ascii_words() {
    let d = parse_definition(&body(steps(&["A_b-9", &"x".repeat(64)]), json!([])), AgentType::Workflow).unwrap();
    assert_eq!(d.workflow_structure.steps.len(), 2);
    let cases = [
        (json!({"kind": "prompt"}), "Step 0 needs an id."),
        (json!({"id": 7, "kind": "prompt"}), "Step 0 has an id that is not a string."),
        (json!({"id": "", "kind": "prompt"}), "Step 0 has an empty id."),
        (json!({"id": "x".repeat(65), "kind": "prompt"}), "Step 0 has an id of 65 characters; the most is 64."),
        (json!({"id": "é".repeat(65), "kind": "prompt"}), "Step 0 has an id of 65 characters; the most is 64."),
    ];
    for (step, message) in cases {
        assert_eq!(
            one(&body(json!([step]), json!([])), AgentType::Workflow),
            pair("/workflowStructure/steps/0/id", message)
        );
    }
    for bad in ["héllo", "a b", "ß", "日本", "a.b", "a/b", "émoji🙂"] {
        let (field, message) = one(&body(steps(&[bad]), json!([])), AgentType::Workflow);
        assert_eq!(field, "/workflowStructure/steps/0/id");
        assert_eq!(message, format!("Step id \"{bad}\" may use only letters A-Z and a-z, digits, \"_\" and \"-\"."));
    }
}

#[test]
fn a_repeated_id_is_reported_at_its_second_use() {
    assert_eq!(
        one(&body(steps(&["a", "b", "a"]), json!([])), AgentType::Workflow),
        pair("/workflowStructure/steps/2/id", "Step id \"a\" is already used by step 0.")
    );
}

#[test]
fn step_kinds_must_be_known() {
    let raw = body(json!([{"id": "fetch", "kind": "http"}, {"id": "summarize", "kind": "llm2"}]), json!([]));
    let message = format!("Step \"summarize\" has an unknown kind \"llm2\"; known kinds: {KINDS}.");
    assert_eq!(one(&raw, AgentType::Workflow), pair("/workflowStructure/steps/1/kind", &message));
    let message = format!("Step \"a\" needs a kind; known kinds: {KINDS}.");
    assert_eq!(
        one(&body(json!([{"id": "a"}]), json!([])), AgentType::Workflow),
        pair("/workflowStructure/steps/0/kind", &message)
    );
    let message = format!("Step \"a\" has a kind that is not a string; known kinds: {KINDS}.");
    assert_eq!(one(&body(json!([{"id": "a", "kind": 1}]), json!([])), AgentType::Workflow).1, message);
    // Kinds are exact: no upper case.
    assert_eq!(fields(&body(json!([{"id": "a", "kind": "Prompt"}]), json!([]))), ["/workflowStructure/steps/0/kind"]);
    // A step without a valid id is named by its index.
    let all =
        problems(&body(json!([{"id": "a", "kind": "tool"}, {"id": "", "kind": "x"}]), json!([])), AgentType::Workflow);
    assert_eq!(
        all[1],
        pair("/workflowStructure/steps/1/kind", &format!("Step 1 has an unknown kind \"x\"; known kinds: {KINDS}."))
    );
}

#[test]
fn steps_are_objects_of_known_members() {
    assert_eq!(
        one(&body(json!(["a"]), json!([])), AgentType::Workflow),
        pair("/workflowStructure/steps/0", "Step 0 must be an object with id, kind and config.")
    );
    assert_eq!(
        one(&body(json!([{"id": "a", "kind": "code", "next": "b"}]), json!([])), AgentType::Workflow),
        pair("/workflowStructure/steps/0/next", "Unknown field \"next\"; Step \"a\" has id, kind and config.")
    );
}

#[test]
fn a_config_is_a_small_object() {
    for bad in [json!(null), json!([]), json!("x"), json!(1)] {
        let raw = body(json!([{"id": "a", "kind": "code", "config": bad}]), json!([]));
        assert_eq!(
            one(&raw, AgentType::Workflow),
            pair("/workflowStructure/steps/0/config", "Step \"a\" has a config that is not an object.")
        );
    }
    // {"s":"…"} is 8 bytes of framing.
    let fits = json!({"s": "x".repeat(MAX_STEP_CONFIG_BYTES - 8)});
    assert_eq!(json_len(&fits), MAX_STEP_CONFIG_BYTES);
    assert!(parse_definition(&body(json!([{"id": "a", "kind": "code", "config": fits}]), json!([])), AgentType::Task)
        .is_ok());
    let big = json!({"s": "x".repeat(MAX_STEP_CONFIG_BYTES)});
    let raw = body(json!([{"id": "a", "kind": "code", "config": big}]), json!([]));
    assert_eq!(
        one(&raw, AgentType::Task),
        pair("/workflowStructure/steps/0/config", "Step \"a\" has a config of 17 KiB; the most is 16 KiB.")
    );
}

#[test]
fn edges_must_name_existing_steps() {
    let raw =
        body(steps(&["fetch", "summarize"]), edges(&[("fetch", "summarize"), ("fetch", "sumarize"), ("x", "fetch")]));
    assert_eq!(
        problems(&raw, AgentType::Workflow),
        vec![
            pair(
                "/workflowStructure/edges/1/to",
                "Edge 1 (fetch → sumarize) ends at \"sumarize\", which is not a step."
            ),
            pair("/workflowStructure/edges/2/from", "Edge 2 (x → fetch) starts at \"x\", which is not a step."),
        ]
    );
    // An edge to a step whose id is invalid is not reported again.
    assert_eq!(fields(&body(steps(&["a", "b c"]), edges(&[("a", "b c")]))), ["/workflowStructure/steps/1/id"]);
}

#[test]
fn edges_are_objects_with_from_and_to() {
    let raw =
        body(steps(&["a", "b"]), json!(["a", {"from": "a"}, {"from": "a", "to": 2}, {"from": "a", "to": "b", "w": 1}]));
    assert_eq!(
        problems(&raw, AgentType::Workflow),
        vec![
            pair("/workflowStructure/edges/0", "Edge 0 must be an object with from and to."),
            pair("/workflowStructure/edges/1/to", "Edge 1 needs \"to\": a step id."),
            pair("/workflowStructure/edges/2/to", "Edge 2 needs a string for \"to\": a step id."),
            pair("/workflowStructure/edges/3/w", "Unknown field \"w\"; edge 3 has from and to."),
        ]
    );
}

#[test]
fn self_loops_and_repeated_edges_are_refused() {
    let raw = body(steps(&["a", "b"]), edges(&[("a", "b"), ("b", "b"), ("a", "b")]));
    assert_eq!(
        problems(&raw, AgentType::Workflow),
        vec![
            pair("/workflowStructure/edges/1", "Edge 1 connects step \"b\" to itself."),
            pair("/workflowStructure/edges/2", "Edge 2 (a → b) repeats edge 0."),
        ]
    );
}

#[test]
fn a_cycle_is_reported_at_a_step_on_it_with_its_path() {
    let raw = body(steps(&["start", "a", "b", "c"]), edges(&[("start", "a"), ("a", "b"), ("b", "c"), ("c", "a")]));
    assert_eq!(
        one(&raw, AgentType::Workflow),
        pair("/workflowStructure/steps/1", "Steps form a cycle: a → b → c → a.")
    );
    // Two separate cycles, both reported; a two-step cycle.
    let raw =
        body(steps(&["p", "q", "x", "y", "z"]), edges(&[("q", "p"), ("p", "q"), ("x", "y"), ("y", "z"), ("z", "x")]));
    assert_eq!(
        problems(&raw, AgentType::Workflow),
        vec![
            pair("/workflowStructure/steps/0", "Steps form a cycle: p → q → p."),
            pair("/workflowStructure/steps/2", "Steps form a cycle: x → y → z → x."),
        ]
    );
}

#[test]
fn a_diamond_is_acyclic() {
    let raw = body(steps(&["a", "b", "c", "d"]), edges(&[("a", "b"), ("a", "c"), ("b", "d"), ("c", "d"), ("a", "d")]));
    let d = parse_definition(&raw, AgentType::Workflow).unwrap();
    assert_eq!(d.workflow_structure.edges.len(), 5);
}

#[test]
fn workflows_are_capped_in_steps_and_edges() {
    let ids: Vec<String> = (0..MAX_STEPS).map(|i| format!("s{i}")).collect();
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let chain: Vec<(&str, &str)> = refs.windows(2).map(|w| (w[0], w[1])).collect();
    assert!(parse_definition(&body(steps(&refs), edges(&chain)), AgentType::Workflow).is_ok());
    let mut more = refs.clone();
    more.push("extra");
    assert_eq!(
        one(&body(steps(&more), json!([])), AgentType::Workflow),
        pair("/workflowStructure/steps", "A workflow has at most 200 steps; this one has 201.")
    );
    let many: Vec<(&str, &str)> =
        refs.iter().take(40).flat_map(|a| refs.iter().skip(100).take(25).map(move |b| (*a, *b))).collect();
    assert_eq!(many.len(), MAX_EDGES);
    assert!(parse_definition(&body(steps(&refs), edges(&many)), AgentType::Workflow).is_ok());
    let mut too_many = many.clone();
    too_many.push(("s0", "s1"));
    assert_eq!(
        one(&body(steps(&refs), edges(&too_many)), AgentType::Workflow),
        pair("/workflowStructure/edges", "A workflow has at most 1000 edges; this one has 1001.")
    );
}

#[test]
fn the_whole_definition_and_the_agent_selection_are_capped() {
    let step = |i: usize| json!({"id": format!("s{i}"), "kind": "code", "config": {"s": "x".repeat(15_000)}});
    let raw = body(Value::Array((0..18).map(step).collect()), json!([]));
    assert_eq!(one(&raw, AgentType::Workflow), pair("", "The definition is 265 KiB; the most is 256 KiB."));
    let mut raw = body(steps(&["a"]), json!([]));
    raw["agentSelection"] = json!({"s": "x".repeat(MAX_AGENT_SELECTION_BYTES)});
    assert_eq!(
        one(&raw, AgentType::Task),
        pair("/agentSelection", "The agent selection is 17 KiB; the most is 16 KiB.")
    );
    for bad in [json!([]), json!("all"), json!(null)] {
        raw["agentSelection"] = bad;
        assert_eq!(one(&raw, AgentType::Task), pair("/agentSelection", "The agent selection must be a JSON object."));
    }
}

#[test]
fn a_task_is_exactly_one_step_without_edges() {
    assert!(parse_definition(&body(steps(&["only"]), json!([])), AgentType::Task).is_ok());
    assert_eq!(
        one(&body(steps(&["a", "b", "c"]), json!([])), AgentType::Task),
        pair("/workflowStructure/steps", "A task is a single step; this one has 3.")
    );
    assert_eq!(one(&body(json!([]), json!([])), AgentType::Task).1, "A task is a single step; this one has none.");
    assert_eq!(
        problems(&body(steps(&["a", "b"]), edges(&[("a", "b")])), AgentType::Task),
        vec![
            pair("/workflowStructure/steps", "A task is a single step; this one has 2."),
            pair("/workflowStructure/edges", "A task has no edges; this one has 1."),
        ]
    );
}

#[test]
fn a_workflow_has_at_least_one_step() {
    assert_eq!(
        one(&body(json!([]), json!([])), AgentType::Workflow),
        pair("/workflowStructure/steps", "A workflow needs at least one step.")
    );
    assert!(parse_definition(&body(steps(&["a"]), json!([])), AgentType::Workflow).is_ok());
}

#[test]
fn every_problem_is_listed_at_once() {
    let raw = json!({
        "trigger": "sometimes",
        "workflowStructure": {"steps": [{"id": "a", "kind": "nope"}, {"id": "a", "kind": "tool", "config": 1}],
                              "edges": [{"from": "a", "to": "zz"}]},
        "agentSelection": [],
        "extra": true
    });
    assert_eq!(
        fields(&raw),
        [
            "/extra",
            "/trigger",
            "/workflowStructure/steps/0/kind",
            "/workflowStructure/steps/1/config",
            "/workflowStructure/steps/1/id",
            "/workflowStructure/edges/0/to",
            "/agentSelection",
        ]
    );
}
