//! An agent's definition (a *variation*): what starts it ([`Trigger`]), the steps it runs
//! and how they connect ([`WorkflowStructure`]), and which agents it may use
//! (`agentSelection`). On the wire:
//!
//! ```json
//! {
//!   "trigger": {"cron": "0 9 * * 1-5", "timezone": "Europe/Berlin"},
//!   "workflowStructure": {
//!     "steps": [{"id": "fetch", "kind": "http", "config": {}},
//!               {"id": "summarize", "kind": "prompt", "config": {}}],
//!     "edges": [{"from": "fetch", "to": "summarize"}]
//!   },
//!   "agentSelection": {}
//! }
//! ```
//!
//! [`parse_definition`] turns a raw body into a [`Definition`], listing every problem at
//! once with a JSON pointer into the body. Compiled for the browser too, so the editor
//! checks a draft with the same rules; only the cron and time-zone checks and the schedule
//! ([`next_runs`]) need the `server` feature (the browser checks their shape, the server
//! re-checks them in full).

mod describe;
mod graph;
mod parse;
#[cfg(feature = "server")]
mod schedule;
mod timeouts;
mod trigger;

pub use crate::states::AgentType;
pub use describe::describe_cron;
pub use graph::topo_layers;
pub use parse::parse_definition;
#[cfg(feature = "server")]
pub use schedule::{next_run, next_runs, next_runs_local};
pub use timeouts::{RunTimeouts, TIMEOUTS};
pub use trigger::Trigger;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Most steps in a workflow.
pub const MAX_STEPS: usize = 200;
/// Most edges in a workflow.
pub const MAX_EDGES: usize = 1000;
/// Most characters in a step id.
pub const MAX_STEP_ID_CHARS: usize = 64;
/// Most bytes of one step's `config`, serialized as JSON.
pub const MAX_STEP_CONFIG_BYTES: usize = 16 * 1024;
/// Most bytes of `agentSelection`, serialized as JSON.
pub const MAX_AGENT_SELECTION_BYTES: usize = 16 * 1024;
/// Most bytes of a whole definition, serialized as JSON.
pub const MAX_DEFINITION_BYTES: usize = 256 * 1024;
/// Most characters in a cron expression.
pub const MAX_CRON_CHARS: usize = 128;
/// Most characters in a time-zone name.
pub const MAX_TIMEZONE_CHARS: usize = 64;

/// An agent's definition: one variation. Every value of this type passed
/// [`parse_definition`]'s rules for a workflow (a task's definition is also a valid
/// workflow's), which is why it deserializes through those rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Definition {
    /// What starts a run.
    pub trigger: Trigger,
    /// The steps and the edges between them.
    pub workflow_structure: WorkflowStructure,
    /// Which agents the steps may call; free-form, size-capped.
    pub agent_selection: Map<String, Value>,
    /// Its runs' queue, run and heartbeat timeouts.
    pub timeouts: RunTimeouts,
}

impl Definition {
    /// The first draft of a new agent: a single `prompt` step `main`, started by hand. The
    /// same for both agent types, since a one-step workflow is valid too.
    pub fn empty(_agent_type: AgentType) -> Self {
        Definition {
            trigger: Trigger::Manual,
            workflow_structure: WorkflowStructure {
                steps: vec![Step { id: "main".into(), kind: StepKind::Prompt, config: Value::Object(Map::new()) }],
                edges: Vec::new(),
            },
            agent_selection: Map::new(),
            timeouts: RunTimeouts::default(),
        }
    }

    /// The canonical JSON: `{trigger, workflowStructure, agentSelection}`. Object keys come
    /// out sorted (serde_json's map is ordered by key), steps and edges in their given
    /// order, so equal definitions give equal JSON, byte for byte.
    pub fn to_json(&self) -> Value {
        let mut body = Map::new();
        body.insert("trigger".into(), self.trigger.to_json());
        body.insert("workflowStructure".into(), self.workflow_structure.to_json());
        body.insert("agentSelection".into(), Value::Object(self.agent_selection.clone()));
        if let Some(t) = self.timeouts.to_json() {
            body.insert("timeouts".into(), t);
        }
        Value::Object(body)
    }
}

impl Serialize for Definition {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Definition {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Value::deserialize(deserializer)?;
        parse_definition(&raw, AgentType::Workflow).map_err(|errors| serde::de::Error::custom(joined(&errors)))
    }
}

/// Field errors as one line: `/a: message; /b: message`.
fn joined(errors: &[crate::errors::FieldError]) -> String {
    errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; ")
}

/// The steps of a definition and the edges between them (a DAG).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkflowStructure {
    /// The steps, in the author's order.
    pub steps: Vec<Step>,
    /// `from` runs before `to`.
    pub edges: Vec<Edge>,
}

impl WorkflowStructure {
    /// `{"steps": [...], "edges": [...]}`.
    pub fn to_json(&self) -> Value {
        let mut ws = Map::new();
        ws.insert("steps".into(), Value::Array(self.steps.iter().map(Step::to_json).collect()));
        ws.insert("edges".into(), Value::Array(self.edges.iter().map(Edge::to_json).collect()));
        Value::Object(ws)
    }
}

/// One step: `{"id": "fetch", "kind": "http", "config": {...}}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// Unique within the definition: 1 to 64 of `A-Z a-z 0-9 _ -`.
    pub id: String,
    /// What the step does.
    pub kind: StepKind,
    /// The kind's settings: a JSON object of at most [`MAX_STEP_CONFIG_BYTES`].
    pub config: Value,
}

impl Step {
    /// `{"id", "kind", "config"}`.
    pub fn to_json(&self) -> Value {
        let mut step = Map::new();
        step.insert("id".into(), Value::String(self.id.clone()));
        step.insert("kind".into(), Value::String(self.kind.as_str().into()));
        step.insert("config".into(), self.config.clone());
        Value::Object(step)
    }
}

/// An edge: step `from` runs before step `to`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Edge {
    /// The earlier step's id.
    pub from: String,
    /// The later step's id.
    pub to: String,
}

impl Edge {
    /// `{"from", "to"}`.
    pub fn to_json(&self) -> Value {
        let mut edge = Map::new();
        edge.insert("from".into(), Value::String(self.from.clone()));
        edge.insert("to".into(), Value::String(self.to.clone()));
        Value::Object(edge)
    }
}

macro_rules! step_kinds {
    ($( $(#[$doc:meta])* $variant:ident = $wire:literal, )+) => {
        /// What a step does. A small, closed catalogue: the runner knows each one, and an
        /// unknown kind is refused when the definition is saved, not when it runs.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum StepKind {
            $( $(#[$doc])* $variant, )+
        }

        impl StepKind {
            /// Every kind, in catalogue order.
            pub const ALL: &'static [StepKind] = &[$(StepKind::$variant,)+];

            /// The wire name.
            pub fn as_str(self) -> &'static str {
                match self { $(StepKind::$variant => $wire,)+ }
            }

            /// Parses a wire name (exact, lower case).
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($wire => Some(StepKind::$variant),)+ _ => None }
            }
        }
    };
}

step_kinds! {
    /// A call to a language model: a prompt template in, text (or JSON) out.
    Prompt = "prompt",
    /// A call to a registered tool (a function the platform exposes to agents).
    Tool = "tool",
    /// An HTTP request to an outside service.
    Http = "http",
    /// A short script run in a sandbox, to reshape data between steps.
    Code = "code",
    /// A condition: picks which of the following steps run.
    Branch = "branch",
    /// A human in the loop: the run pauses until someone approves or rejects.
    Approval = "approval",
    /// A call to another agent, which runs its own active definition.
    Agent = "agent",
    /// A pause: for a duration, or until a time.
    Wait = "wait",
}

impl std::fmt::Display for StepKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The bytes `value` takes as compact JSON, counted without building the string.
pub(crate) fn json_len(value: &Value) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 = self.0.saturating_add(buf.len());
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    // Writing a `Value` cannot fail (its keys are strings); were it to, count it as too big.
    serde_json::to_writer(&mut count, value).map_or(usize::MAX, |()| count.0)
}

#[cfg(test)]
mod describe_tests;
#[cfg(test)]
mod graph_tests;
#[cfg(test)]
mod json_tests;
#[cfg(test)]
mod parse_tests;
#[cfg(test)]
mod prop_tests;
#[cfg(all(test, feature = "server"))]
mod schedule_tests;
#[cfg(test)]
mod trigger_tests;
