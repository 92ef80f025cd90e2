//! Random bodies never panic the parser, and every graph it accepts is acyclic (checked
//! here by transitive closure, not by the parser's own algorithm).

use super::*;
use proptest::prelude::*;
use serde_json::json;

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        "[a-z@/ *0-9-]{0,12}".prop_map(Value::String),
        prop::sample::select(vec!["manual", "prompt", "a", "b", "0 9 * * 1-5", "UTC", "Europe/Berlin"])
            .prop_map(|s| json!(s)),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        let keys = prop::sample::select(vec![
            "trigger",
            "workflowStructure",
            "agentSelection",
            "steps",
            "edges",
            "id",
            "kind",
            "config",
            "from",
            "to",
            "cron",
            "timezone",
            "x",
        ]);
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(keys.prop_map(String::from), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// `reach[i][j]`: a path of one or more edges leads from `i` to `j` (Floyd–Warshall).
fn has_cycle(n: usize, edges: &[(usize, usize)]) -> bool {
    let mut reach = vec![vec![false; n]; n];
    for &(a, b) in edges {
        reach[a][b] = true;
    }
    for k in 0..n {
        let via = reach[k].clone();
        for row in reach.iter_mut().filter(|row| row[k]) {
            for (to, &next) in row.iter_mut().zip(&via) {
                *to |= next;
            }
        }
    }
    (0..n).any(|i| reach[i][i])
}

/// A workflow body: distinct step ids (now and then a repeated or invalid one, or an
/// unknown kind) and random edges between them (now and then to a step that does not exist).
fn graph_body() -> impl Strategy<Value = Value> {
    let pool = vec!["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"];
    let odd_id = prop_oneof![8 => Just(None), 1 => Just(Some("a")), 1 => Just(Some("é"))];
    let odd_kind = prop_oneof![12 => Just("prompt"), 1 => Just("nope")];
    let end = prop_oneof![20 => (0usize..10).prop_map(Some), 1 => Just(None)];
    (
        prop::sample::subsequence(pool, 1..9).prop_shuffle(),
        odd_id,
        odd_kind,
        prop::collection::vec((end.clone(), end), 0..8),
    )
        .prop_map(|(mut ids, odd_id, odd_kind, edges)| {
            let n = ids.len();
            if let (Some(odd), Some(last)) = (odd_id, ids.last_mut()) {
                *last = odd;
            }
            let name = |end: Option<usize>| end.and_then(|i| ids.get(i % n).copied()).unwrap_or("zz");
            let steps: Vec<Value> = ids
                .iter()
                .enumerate()
                .map(|(i, id)| json!({"id": id, "kind": if i == 0 { odd_kind } else { "branch" }}))
                .collect();
            let edges: Vec<Value> = edges.iter().map(|&(a, b)| json!({"from": name(a), "to": name(b)})).collect();
            json!({"workflowStructure": {"steps": steps, "edges": edges}})
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_json_never_panics(raw in any_json()) {
        for agent_type in [AgentType::Task, AgentType::Workflow] {
            if let Ok(d) = parse_definition(&raw, agent_type) {
                prop_assert_eq!(parse_definition(&d.to_json(), agent_type), Ok(d.clone()));
            }
        }
        let _ = parse_definition(&json!({"workflowStructure": raw.clone()}), AgentType::Workflow);
        let _ = parse_definition(&json!({"trigger": raw}), AgentType::Workflow);
    }

    #[test]
    fn every_accepted_graph_is_acyclic(raw in graph_body()) {
        let Ok(d) = parse_definition(&raw, AgentType::Workflow) else { return Ok(()) };
        let ws = &d.workflow_structure;
        let index = |id: &str| ws.steps.iter().position(|s| s.id == id);
        let mut edges = Vec::new();
        for e in &ws.edges {
            let (Some(a), Some(b)) = (index(&e.from), index(&e.to)) else {
                return Err(TestCaseError::fail(format!("dangling edge {e:?}")));
            };
            edges.push((a, b));
        }
        prop_assert!(!has_cycle(ws.steps.len(), &edges));
        let mut ids: Vec<&str> = ws.steps.iter().map(|s| s.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        prop_assert_eq!(ids.len(), ws.steps.len());
        // The layers hold every step once, and every edge points right.
        let layers = topo_layers(ws);
        let mut layer_of = vec![usize::MAX; ws.steps.len()];
        for (l, layer) in layers.iter().enumerate() {
            for &s in layer {
                prop_assert_eq!(layer_of[s], usize::MAX);
                layer_of[s] = l;
            }
        }
        prop_assert!(layer_of.iter().all(|&l| l != usize::MAX));
        prop_assert!(edges.iter().all(|&(a, b)| layer_of[a] < layer_of[b]));
    }

    #[test]
    fn a_rejected_graph_with_only_a_cycle_wrong_names_the_cycle(
        n in 2usize..12,
        forward in prop::collection::btree_set((0usize..12, 0usize..12), 0..30),
        back in (0usize..12, 0usize..12),
    ) {
        // Edges that go forward (i < j) form a DAG; adding one edge back may close a cycle.
        let mut edges: Vec<(usize, usize)> = forward.into_iter().filter(|&(a, b)| a < b && b < n).collect();
        let (b, a) = (back.0 % n, back.1 % n);
        if b > a && !edges.contains(&(b, a)) {
            edges.push((b, a));
        }
        let raw = json!({"workflowStructure": {
            "steps": (0..n).map(|i| json!({"id": format!("s{i}"), "kind": "code"})).collect::<Vec<_>>(),
            "edges": edges.iter().map(|(a, b)| json!({"from": format!("s{a}"), "to": format!("s{b}")})).collect::<Vec<_>>(),
        }});
        match parse_definition(&raw, AgentType::Workflow) {
            Ok(_) => prop_assert!(!has_cycle(n, &edges)),
            Err(errors) => {
                prop_assert!(has_cycle(n, &edges));
                prop_assert!(errors.iter().all(|e| e.message.starts_with("Steps form a cycle: ")), "{errors:?}");
            }
        }
    }

    #[test]
    fn describing_random_text_never_panics(text in "[0-9*/,@a-zA-Z -]{0,24}") {
        let _ = describe_cron(&text);
    }
}
