//! [`parse_definition`]: a raw JSON body to a [`Definition`], or every problem in it, each
//! at a JSON pointer into the body (`/workflowStructure/steps/3/kind`).

use super::graph::cycles;
use super::trigger::clip;
use super::{
    json_len, AgentType, Definition, Edge, RunTimeouts, Step, StepKind, Trigger, WorkflowStructure,
    MAX_AGENT_SELECTION_BYTES, MAX_DEFINITION_BYTES, MAX_EDGES, MAX_STEPS, MAX_STEP_CONFIG_BYTES, MAX_STEP_ID_CHARS,
};
use crate::errors::FieldError;
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};

/// Parses a definition for an agent of `agent_type`.
///
/// `trigger` defaults to `"manual"` and `agentSelection` to `{}`; `workflowStructure` is
/// required, and within it `steps` (`edges` defaults to `[]`, a step's `config` to `{}`).
/// Unknown members are errors everywhere. A body over [`MAX_DEFINITION_BYTES`], or a
/// `steps` or `edges` list over its cap, is refused without reading further: the caps
/// bound the work done on an untrusted body. Otherwise every problem is listed.
pub fn parse_definition(raw: &Value, agent_type: AgentType) -> Result<Definition, Vec<FieldError>> {
    let Some(body) = raw.as_object() else {
        return Err(vec![FieldError::new(
            "",
            "A definition is a JSON object with trigger, workflowStructure and agentSelection.",
        )]);
    };
    let size = json_len(raw);
    if size > MAX_DEFINITION_BYTES {
        return Err(vec![FieldError::new(
            "",
            format!("The definition is {}; the most is {}.", kib(size), kib(MAX_DEFINITION_BYTES)),
        )]);
    }
    let mut errors = Vec::new();
    unknown_keys(
        body,
        &["trigger", "workflowStructure", "agentSelection", "timeouts"],
        "",
        "a definition has trigger, workflowStructure, agentSelection and timeouts",
        &mut errors,
    );
    let trigger = match body.get("trigger") {
        None => Some(Trigger::Manual),
        Some(raw) => Trigger::parse_at(raw, "/trigger", &mut errors),
    };
    let workflow_structure = match body.get("workflowStructure") {
        None => {
            errors.push(FieldError::new(
                "/workflowStructure",
                "A definition needs a workflowStructure: its steps and edges.",
            ));
            None
        }
        Some(raw) => structure(raw, agent_type, &mut errors),
    };
    let agent_selection = match body.get("agentSelection") {
        None => Some(Map::new()),
        Some(raw @ Value::Object(selection)) => {
            let size = json_len(raw);
            if size > MAX_AGENT_SELECTION_BYTES {
                let message =
                    format!("The agent selection is {}; the most is {}.", kib(size), kib(MAX_AGENT_SELECTION_BYTES));
                errors.push(FieldError::new("/agentSelection", message));
                None
            } else {
                Some(selection.clone())
            }
        }
        Some(_) => {
            errors.push(FieldError::new("/agentSelection", "The agent selection must be a JSON object."));
            None
        }
    };
    let timeouts = match body.get("timeouts") {
        None | Some(Value::Null) => Some(RunTimeouts::default()),
        Some(raw) => RunTimeouts::parse_at(raw, "/timeouts", &mut errors),
    };
    match (trigger, workflow_structure, agent_selection, timeouts) {
        (Some(trigger), Some(workflow_structure), Some(agent_selection), Some(timeouts)) if errors.is_empty() => {
            Ok(Definition { trigger, workflow_structure, agent_selection, timeouts })
        }
        _ => Err(errors),
    }
}

/// `/workflowStructure`: its members, the steps, the edges, then the graph.
fn structure(raw: &Value, agent_type: AgentType, errors: &mut Vec<FieldError>) -> Option<WorkflowStructure> {
    const AT: &str = "/workflowStructure";
    let Some(ws) = raw.as_object() else {
        errors.push(FieldError::new(AT, "The workflowStructure must be an object with steps and edges."));
        return None;
    };
    let before = errors.len();
    unknown_keys(ws, &["steps", "edges"], AT, "a workflowStructure has steps and edges", errors);
    let steps_at = "/workflowStructure/steps";
    let raw_steps = match ws.get("steps") {
        None => return missing(errors, steps_at, "The workflowStructure needs its steps."),
        Some(Value::Array(steps)) => steps,
        Some(_) => return missing(errors, steps_at, "The steps must be a list."),
    };
    if raw_steps.len() > MAX_STEPS {
        let message = format!("A workflow has at most {MAX_STEPS} steps; this one has {}.", raw_steps.len());
        return missing(errors, steps_at, &message);
    }
    let edges_at = "/workflowStructure/edges";
    let no_edges = Vec::new();
    let raw_edges = match ws.get("edges") {
        None => &no_edges,
        Some(Value::Array(edges)) => edges,
        Some(_) => return missing(errors, edges_at, "The edges must be a list."),
    };
    if raw_edges.len() > MAX_EDGES {
        let message = format!("A workflow has at most {MAX_EDGES} edges; this one has {}.", raw_edges.len());
        return missing(errors, edges_at, &message);
    }
    match agent_type {
        AgentType::Task if raw_steps.len() != 1 => {
            let count = if raw_steps.is_empty() { "none".to_string() } else { raw_steps.len().to_string() };
            errors.push(FieldError::new(steps_at, format!("A task is a single step; this one has {count}.")));
        }
        AgentType::Workflow if raw_steps.is_empty() => {
            errors.push(FieldError::new(steps_at, "A workflow needs at least one step."));
        }
        _ => {}
    }
    if agent_type == AgentType::Task && !raw_edges.is_empty() {
        let message = format!("A task has no edges; this one has {}.", raw_edges.len());
        errors.push(FieldError::new(edges_at, message));
    }

    // Steps, and the index of each id (its first use) for the edges.
    let mut steps = Vec::with_capacity(raw_steps.len());
    let mut index: HashMap<String, usize> = HashMap::new();
    // Every id written, valid or not: an edge to an invalid id is not reported twice.
    let written: HashSet<&str> = raw_steps.iter().filter_map(|s| s.get("id")).filter_map(Value::as_str).collect();
    for (i, raw) in raw_steps.iter().enumerate() {
        let (step, id) = step(raw, i, errors);
        if let Some(id) = id {
            match index.get(&id) {
                Some(&first) => {
                    let message = format!("Step id \"{id}\" is already used by step {first}.");
                    errors.push(FieldError::new(format!("{steps_at}/{i}/id"), message));
                }
                None => {
                    index.insert(id, i);
                }
            }
        }
        steps.push(step);
    }

    // Edges: endpoints that exist, no self-loops, no repeats.
    let mut edges = Vec::with_capacity(raw_edges.len());
    let mut links: Vec<(usize, usize)> = Vec::new();
    let mut seen: HashMap<(usize, usize), usize> = HashMap::new();
    for (i, raw) in raw_edges.iter().enumerate() {
        let Some(edge) = edge(raw, i, errors) else { continue };
        let at = format!("{edges_at}/{i}");
        let name = format!("Edge {i} ({} → {})", clip(&edge.from), clip(&edge.to));
        let from = index.get(&edge.from).copied();
        let to = index.get(&edge.to).copied();
        if from.is_none() && !written.contains(edge.from.as_str()) {
            let message = format!("{name} starts at \"{}\", which is not a step.", clip(&edge.from));
            errors.push(FieldError::new(format!("{at}/from"), message));
        }
        if to.is_none() && !written.contains(edge.to.as_str()) {
            let message = format!("{name} ends at \"{}\", which is not a step.", clip(&edge.to));
            errors.push(FieldError::new(format!("{at}/to"), message));
        }
        if let (Some(from), Some(to)) = (from, to) {
            if from == to {
                errors.push(FieldError::new(at, format!("Edge {i} connects step \"{}\" to itself.", edge.from)));
            } else if let Some(&first) = seen.get(&(from, to)) {
                errors.push(FieldError::new(at, format!("{name} repeats edge {first}.")));
            } else {
                seen.insert((from, to), i);
                links.push((from, to));
            }
        }
        edges.push(edge);
    }

    // The graph: report each cycle at its first step, with its path.
    for cycle in cycles(raw_steps.len(), &links) {
        let ids: Vec<&str> = cycle.iter().map(|&s| step_id(raw_steps, s)).collect();
        let (Some(&start), Some(&first)) = (cycle.first(), ids.first()) else { continue };
        let message = format!("Steps form a cycle: {} → {first}.", ids.join(" → "));
        errors.push(FieldError::new(format!("{steps_at}/{start}"), message));
    }

    let steps: Vec<Step> = steps.into_iter().flatten().collect();
    let complete = steps.len() == raw_steps.len() && edges.len() == raw_edges.len();
    (errors.len() == before && complete).then_some(WorkflowStructure { steps, edges })
}

/// Records `message` at `at`; there is no structure.
fn missing(errors: &mut Vec<FieldError>, at: &str, message: &str) -> Option<WorkflowStructure> {
    errors.push(FieldError::new(at, message));
    None
}

/// The id of step `i` as written (only called for steps with a valid id).
fn step_id(steps: &[Value], i: usize) -> &str {
    steps.get(i).and_then(|s| s.get("id")).and_then(Value::as_str).unwrap_or("?")
}

/// One step at index `i`: the step if it is valid, and its id if that is valid (so edges
/// and duplicates can be checked even when another member is wrong).
fn step(raw: &Value, i: usize, errors: &mut Vec<FieldError>) -> (Option<Step>, Option<String>) {
    let at = format!("/workflowStructure/steps/{i}");
    let Some(step) = raw.as_object() else {
        errors.push(FieldError::new(at, format!("Step {i} must be an object with id, kind and config.")));
        return (None, None);
    };
    let before = errors.len();
    let id = step_id_at(step.get("id"), i, &at, errors);
    let name = match &id {
        Some(id) => format!("Step \"{id}\""),
        None => format!("Step {i}"),
    };
    unknown_keys(step, &["id", "kind", "config"], &at, &format!("{name} has id, kind and config"), errors);
    let known = StepKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ");
    let kind_problem = match step.get("kind") {
        None => Some(format!("{name} needs a kind; known kinds: {known}.")),
        Some(Value::String(s)) => match StepKind::parse(s) {
            Some(_) => None,
            None => Some(format!("{name} has an unknown kind \"{}\"; known kinds: {known}.", clip(s))),
        },
        Some(_) => Some(format!("{name} has a kind that is not a string; known kinds: {known}.")),
    };
    if let Some(message) = kind_problem {
        errors.push(FieldError::new(format!("{at}/kind"), message));
    }
    let kind = step.get("kind").and_then(Value::as_str).and_then(StepKind::parse);
    let config = match step.get("config") {
        None => Some(Value::Object(Map::new())),
        Some(config @ Value::Object(_)) => {
            let size = json_len(config);
            if size > MAX_STEP_CONFIG_BYTES {
                let message =
                    format!("{name} has a config of {}; the most is {}.", kib(size), kib(MAX_STEP_CONFIG_BYTES));
                errors.push(FieldError::new(format!("{at}/config"), message));
                None
            } else {
                Some(config.clone())
            }
        }
        Some(_) => {
            errors.push(FieldError::new(format!("{at}/config"), format!("{name} has a config that is not an object.")));
            None
        }
    };
    let step = match (&id, kind, config) {
        (Some(id), Some(kind), Some(config)) if errors.len() == before => Some(Step { id: id.clone(), kind, config }),
        _ => None,
    };
    (step, id)
}

/// A step's id: 1 to [`MAX_STEP_ID_CHARS`] of `A-Z a-z 0-9 _ -`.
fn step_id_at(raw: Option<&Value>, i: usize, at: &str, errors: &mut Vec<FieldError>) -> Option<String> {
    let problem = match raw {
        None => format!("Step {i} needs an id."),
        Some(Value::String(id)) if id.is_empty() => format!("Step {i} has an empty id."),
        Some(Value::String(id)) if id.chars().count() > MAX_STEP_ID_CHARS => {
            format!("Step {i} has an id of {} characters; the most is {MAX_STEP_ID_CHARS}.", id.chars().count())
        }
        Some(Value::String(id)) if !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') => {
            format!("Step id \"{id}\" may use only letters A-Z and a-z, digits, \"_\" and \"-\".")
        }
        Some(Value::String(id)) => return Some(id.clone()),
        Some(_) => format!("Step {i} has an id that is not a string."),
    };
    errors.push(FieldError::new(format!("{at}/id"), problem));
    None
}

/// One edge at index `i`: an object with exactly `from` and `to`, both strings.
fn edge(raw: &Value, i: usize, errors: &mut Vec<FieldError>) -> Option<Edge> {
    let at = format!("/workflowStructure/edges/{i}");
    let Some(edge) = raw.as_object() else {
        errors.push(FieldError::new(at, format!("Edge {i} must be an object with from and to.")));
        return None;
    };
    let before = errors.len();
    unknown_keys(edge, &["from", "to"], &at, &format!("edge {i} has from and to"), errors);
    let mut end = |key: &str| match edge.get(key) {
        Some(Value::String(id)) => Some(id.clone()),
        found => {
            let what = if found.is_none() { "needs" } else { "needs a string for" };
            errors.push(FieldError::new(pointer(&at, key), format!("Edge {i} {what} \"{key}\": a step id.")));
            None
        }
    };
    let (from, to) = (end("from"), end("to"));
    match (from, to) {
        (Some(from), Some(to)) if errors.len() == before => Some(Edge { from, to }),
        _ => None,
    }
}

/// Records an error for every member of `object` not in `known`, at its own pointer.
pub(super) fn unknown_keys(
    object: &Map<String, Value>,
    known: &[&str],
    at: &str,
    rule: &str,
    errors: &mut Vec<FieldError>,
) {
    for key in object.keys().filter(|k| !known.contains(&k.as_str())) {
        errors.push(FieldError::new(pointer(at, key), format!("Unknown field \"{}\"; {rule}.", clip(key))));
    }
}

/// `at` extended by the member `key`, escaped as RFC 6901 asks (`~` → `~0`, `/` → `~1`).
pub(super) fn pointer(at: &str, key: &str) -> String {
    format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"))
}

/// A size in KiB, rounded up, for messages: `17 KiB`.
fn kib(bytes: usize) -> String {
    format!("{} KiB", bytes.div_ceil(1024))
}
