//! The step graph: cycles (for the rules) and layers (for drawing). Both iterative (Kahn's
//! algorithm), so a deep user-supplied graph cannot exhaust the stack.

use super::WorkflowStructure;
use std::collections::{HashMap, VecDeque};

/// The cycles among `n` nodes joined by `edges` (`from → to`, indices below `n`).
///
/// Each cycle is a path `[a, b, c]` meaning `a → b → c → a`, starting at its smallest
/// index. At least one cycle is reported for every tangle: once a cycle is found, its nodes
/// are set aside and the rest is searched again, so independent cycles are all reported
/// (cycles sharing nodes with one already found are not). Edges out of range are ignored.
pub(super) fn cycles(n: usize, edges: &[(usize, usize)]) -> Vec<Vec<usize>> {
    let edges: Vec<(usize, usize)> = edges.iter().copied().filter(|&(a, b)| a < n && b < n).collect();
    let mut alive = vec![true; n];
    let mut found = Vec::new();
    loop {
        let remaining = unsorted(&alive, &edges);
        let Some(start) = remaining.iter().position(|&r| r) else { break };
        let cycle = cycle_through(start, &remaining, &edges);
        if cycle.is_empty() {
            break; // cannot happen: every unsorted node has an unsorted predecessor
        }
        for (i, r) in remaining.iter().enumerate() {
            // Nodes Kahn sorted are on no cycle; drop them with the cycle just found.
            if !r {
                if let Some(a) = alive.get_mut(i) {
                    *a = false;
                }
            }
        }
        for &v in &cycle {
            if let Some(a) = alive.get_mut(v) {
                *a = false;
            }
        }
        found.push(cycle);
    }
    found
}

/// Kahn's algorithm over the `alive` nodes: which of them could not be sorted (they are on
/// a cycle, or after one).
fn unsorted(alive: &[bool], edges: &[(usize, usize)]) -> Vec<bool> {
    let live = |v: usize| alive.get(v).copied().unwrap_or(false);
    let mut indegree = vec![0usize; alive.len()];
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); alive.len()];
    for &(a, b) in edges.iter().filter(|&&(a, b)| live(a) && live(b)) {
        if let (Some(d), Some(o)) = (indegree.get_mut(b), out.get_mut(a)) {
            *d += 1;
            o.push(b);
        }
    }
    let mut remaining: Vec<bool> = alive.to_vec();
    let mut queue: VecDeque<usize> = (0..alive.len()).filter(|&v| live(v) && indegree.get(v) == Some(&0)).collect();
    while let Some(v) = queue.pop_front() {
        if let Some(r) = remaining.get_mut(v) {
            *r = false;
        }
        for &w in out.get(v).map(Vec::as_slice).unwrap_or(&[]) {
            if let Some(d) = indegree.get_mut(w) {
                *d -= 1;
                if *d == 0 {
                    queue.push_back(w);
                }
            }
        }
    }
    remaining
}

/// A cycle among the `remaining` nodes, found by walking back from `start` along edges from
/// remaining nodes (each has one) until a node repeats; rotated to start at its smallest.
fn cycle_through(start: usize, remaining: &[bool], edges: &[(usize, usize)]) -> Vec<usize> {
    let live = |v: usize| remaining.get(v).copied().unwrap_or(false);
    let mut pred: Vec<Option<usize>> = vec![None; remaining.len()];
    for &(a, b) in edges.iter().filter(|&&(a, b)| live(a) && live(b)) {
        if let Some(p) = pred.get_mut(b) {
            // The smallest predecessor, so the reported cycle does not depend on edge order.
            *p = Some(p.map_or(a, |q| q.min(a)));
        }
    }
    let mut position: Vec<Option<usize>> = vec![None; remaining.len()];
    let mut path = Vec::new();
    let mut v = start;
    loop {
        match position.get(v).copied().flatten() {
            Some(at) => {
                let mut cycle: Vec<usize> = path.get(at..).map(<[usize]>::to_vec).unwrap_or_default();
                cycle.reverse(); // the walk went against the edges
                let smallest = cycle.iter().enumerate().min_by_key(|&(_, &v)| v).map_or(0, |(i, _)| i);
                cycle.rotate_left(smallest);
                return cycle;
            }
            None => {
                if let Some(p) = position.get_mut(v) {
                    *p = Some(path.len());
                }
                path.push(v);
                match pred.get(v).copied().flatten() {
                    Some(u) => v = u,
                    None => return Vec::new(),
                }
            }
        }
    }
}

/// The steps (indices into `ws.steps`) grouped by depth, for drawing the graph left to
/// right: a step's layer is the length of the longest path of edges leading to it, so every
/// edge points to a later layer, and each layer lists its steps in the author's order.
///
/// Meant for acyclic structures (every [`super::Definition`] is one). For a draft that is
/// not, steps on or after a cycle are put together in one last layer, so every step is
/// still drawn once. Edges naming unknown steps are ignored; a repeated id names its first
/// step.
pub fn topo_layers(ws: &WorkflowStructure) -> Vec<Vec<usize>> {
    let n = ws.steps.len();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, step) in ws.steps.iter().enumerate() {
        index.entry(step.id.as_str()).or_insert(i);
    }
    let mut indegree = vec![0usize; n];
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
    for edge in &ws.edges {
        let (Some(&a), Some(&b)) = (index.get(edge.from.as_str()), index.get(edge.to.as_str())) else { continue };
        if let (true, Some(d), Some(o)) = (a != b, indegree.get_mut(b), out.get_mut(a)) {
            *d += 1;
            o.push(b);
        }
    }
    let mut depth: Vec<Option<usize>> = vec![None; n];
    let mut level = vec![0usize; n];
    let mut queue: VecDeque<usize> = (0..n).filter(|&v| indegree.get(v) == Some(&0)).collect();
    while let Some(v) = queue.pop_front() {
        let d = level.get(v).copied().unwrap_or(0);
        if let Some(slot) = depth.get_mut(v) {
            *slot = Some(d);
        }
        for &w in out.get(v).map(Vec::as_slice).unwrap_or(&[]) {
            if let Some(l) = level.get_mut(w) {
                *l = (*l).max(d + 1);
            }
            if let Some(deg) = indegree.get_mut(w) {
                *deg -= 1;
                if *deg == 0 {
                    queue.push_back(w);
                }
            }
        }
    }
    let deepest = depth.iter().flatten().max().map_or(0, |&d| d + 1);
    let mut layers: Vec<Vec<usize>> = vec![Vec::new(); deepest];
    let mut tangled = Vec::new();
    for (v, d) in depth.iter().enumerate() {
        match d.and_then(|d| layers.get_mut(d)) {
            Some(layer) => layer.push(v),
            None => tangled.push(v),
        }
    }
    if !tangled.is_empty() {
        layers.push(tangled);
    }
    layers
}
