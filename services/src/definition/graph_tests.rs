use super::graph::cycles;
use super::*;
use serde_json::json;

fn structure(ids: &[&str], edges: &[(&str, &str)]) -> WorkflowStructure {
    WorkflowStructure {
        steps: ids.iter().map(|id| Step { id: (*id).into(), kind: StepKind::Prompt, config: json!({}) }).collect(),
        edges: edges.iter().map(|(a, b)| Edge { from: (*a).into(), to: (*b).into() }).collect(),
    }
}

#[test]
fn a_dag_has_no_cycles() {
    assert!(cycles(0, &[]).is_empty());
    assert!(cycles(4, &[(0, 1), (0, 2), (1, 3), (2, 3), (0, 3)]).is_empty());
}

#[test]
fn cycles_start_at_their_smallest_step_and_follow_the_edges() {
    assert_eq!(cycles(3, &[(2, 1), (1, 0), (0, 2)]), vec![vec![0, 2, 1]]);
    assert_eq!(cycles(4, &[(3, 1), (1, 2), (2, 3)]), vec![vec![1, 2, 3]]);
    assert_eq!(cycles(2, &[(1, 1)]), vec![vec![1]]);
}

#[test]
fn separate_cycles_are_each_reported() {
    // 0 ⇄ 1, then 1 → 2 (after the cycle, not on one), and 3 → 4 → 5 → 3.
    let found = cycles(6, &[(0, 1), (1, 0), (1, 2), (3, 4), (4, 5), (5, 3)]);
    assert_eq!(found, vec![vec![0, 1], vec![3, 4, 5]]);
}

#[test]
fn steps_after_a_cycle_are_not_reported_as_one() {
    assert_eq!(cycles(4, &[(0, 1), (1, 0), (1, 2), (2, 3)]), vec![vec![0, 1]]);
    // Out-of-range edges are ignored.
    assert!(cycles(2, &[(0, 5), (5, 0)]).is_empty());
}

#[test]
fn a_long_chain_does_not_need_a_deep_stack() {
    let n = 100_000;
    let mut edges: Vec<(usize, usize)> = (0..n - 1).map(|i| (i, i + 1)).collect();
    assert!(cycles(n, &edges).is_empty());
    edges.push((n - 1, 0));
    assert_eq!(cycles(n, &edges).first().map(Vec::len), Some(n));
}

#[test]
fn layers_follow_the_longest_path() {
    let ws = structure(&["a", "b", "c", "d"], &[("a", "b"), ("b", "c"), ("a", "c"), ("c", "d")]);
    assert_eq!(topo_layers(&ws), vec![vec![0], vec![1], vec![2], vec![3]]);
    let diamond = structure(&["d", "b", "c", "a"], &[("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")]);
    assert_eq!(topo_layers(&diamond), vec![vec![3], vec![1, 2], vec![0]]);
}

#[test]
fn unconnected_steps_share_the_first_layer() {
    let ws = structure(&["a", "b", "c"], &[("b", "c")]);
    assert_eq!(topo_layers(&ws), vec![vec![0, 1], vec![2]]);
    assert!(topo_layers(&structure(&[], &[])).is_empty());
}

#[test]
fn a_draft_with_a_cycle_still_draws_every_step_once() {
    let ws =
        structure(&["a", "b", "c", "d"], &[("a", "b"), ("b", "c"), ("c", "b"), ("c", "d"), ("x", "a"), ("a", "a")]);
    assert_eq!(topo_layers(&ws), vec![vec![0], vec![1, 2, 3]]);
}
