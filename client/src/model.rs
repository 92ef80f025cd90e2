//! The directory's wire types, as the client reads and writes them (camelCase JSON; the
//! server's are `services/src/model/agents.rs`). Reading is lenient on purpose: an unknown
//! state comes back as `Other`, and members this version does not know are kept in
//! `extra`, so a newer server never breaks an older client.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $wire:literal,)+ }) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
            /// A value this client does not know yet, as sent.
            Other(String),
        }

        impl $name {
            /// The wire name.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $wire,)+
                    $name::Other(s) => s,
                }
            }

            /// Reads a wire name (never fails: unknown names are `Other`).
            pub fn parse(s: &str) -> Self {
                match s {
                    $($wire => $name::$variant,)+
                    other => $name::Other(other.to_string()),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                String::deserialize(d).map(|s| $name::parse(&s))
            }
        }
    };
}

wire_enum!(
    /// Where an agent's definition stands.
    AgentStatus {
        /// Never deployed.
        Draft = "draft",
        /// Deployed.
        Active = "active",
        /// Soft-deleted.
        Deleted = "deleted",
    }
);

wire_enum!(
    /// One step or a graph; fixed at creation.
    AgentType {
        /// A single step.
        Task = "task",
        /// A DAG of steps.
        Workflow = "workflow",
    }
);

wire_enum!(
    /// Who maintains the definition.
    AgentSource {
        /// Edited here.
        Local = "local",
        /// Managed upstream, read-only here.
        Sync = "sync",
    }
);

wire_enum!(
    /// Where an agent's identity stands.
    RegistrationState {
        /// Waiting for its owner to confirm an emailed link.
        PendingInvite = "pending_invite",
        /// Has an owner and keys.
        Registered = "registered",
        /// Keys revoked.
        Revoked = "revoked",
    }
);

/// An agent, as the caller sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Agent {
    /// Numeric id.
    pub id: i64,
    /// URL-safe slug, unique among the organization's live agents.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// What it does.
    #[serde(default)]
    pub description: String,
    /// Its contact address.
    #[serde(default)]
    pub email: Option<String>,
    /// `draft`, `active` or `deleted`.
    pub status: AgentStatus,
    /// `task` or `workflow`.
    #[serde(rename = "type")]
    pub agent_type: AgentType,
    /// The organization's UUID.
    pub org_id: String,
    /// The owner's user id.
    #[serde(default)]
    pub owner_id: Option<i64>,
    /// False after deactivate (its keys stop authenticating).
    pub enabled: bool,
    /// Its identity's state; `None` for a definition without one.
    #[serde(default)]
    pub registration: Option<RegistrationState>,
    /// `local` or `sync`.
    pub source: AgentSource,
    /// The draft differs from the active version.
    #[serde(default)]
    pub has_unpublished_changes: bool,
    /// The schedule runs.
    #[serde(default)]
    pub schedule_enabled: bool,
    /// Who may use and manage it (`{"use": {roles, users}, "manage": {…}}`).
    #[serde(default)]
    pub access_config: Value,
    /// The caller may manage it.
    #[serde(default)]
    pub can_manage: bool,
    /// The caller may use it.
    #[serde(default)]
    pub can_use: bool,
    /// The deployed version.
    #[serde(default)]
    pub active_variation_id: Option<String>,
    /// The pending draft.
    #[serde(default)]
    pub draft_variation_id: Option<String>,
    /// A transfer waiting for its recipient.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_ownership_transfer: Option<Value>,
    /// The definition, when asked for with `?view=`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variation: Option<Value>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Soft-deleted at.
    #[serde(default)]
    pub deleted_at: Option<DateTime<Utc>>,
    /// Members this client does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A response with its `ETag` (for `If-Match`). Dereferences to the value.
#[derive(Clone, Debug, PartialEq)]
pub struct Tagged<T> {
    /// The body.
    pub value: T,
    /// The `ETag` header, as sent (quotes included).
    pub etag: Option<String>,
}

impl<T> Tagged<T> {
    /// The body alone.
    pub fn into_inner(self) -> T {
        self.value
    }
}

impl<T> std::ops::Deref for Tagged<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

/// One page of the list. Rows are JSON objects because `$select` shapes them; without
/// `$select`, [`AgentPage::agents`] reads them as [`Agent`]s.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AgentPage {
    /// The rows.
    pub value: Vec<Value>,
    /// The number of matching rows (with `$count=true`).
    #[serde(rename = "@odata.count", default, skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
    /// The next page's link (relative to the server).
    #[serde(rename = "@odata.nextLink", default, skip_serializing_if = "Option::is_none")]
    pub next_link: Option<String>,
}

impl AgentPage {
    /// The rows as agents (fails for `$select`ed rows that lack fields).
    pub fn agents(&self) -> Result<Vec<Agent>, serde_json::Error> {
        self.value.iter().map(Agent::deserialize).collect()
    }
}

/// `POST /api/v1/agents`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateAgent {
    /// Display name (1 to 100 characters).
    pub name: String,
    /// `task` (the server's default) or `workflow`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub agent_type: Option<AgentType>,
    /// Generated from the name when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slug: Option<String>,
    /// What it does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A contact address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Who may use and manage it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_config: Option<Value>,
}

impl CreateAgent {
    /// A task agent named `name`, everything else defaulted.
    pub fn new(name: impl Into<String>) -> Self {
        Self { name: name.into(), ..Self::default() }
    }
}

/// A JSON merge patch (RFC 7396) of an agent: `name`, `slug`, `description`, `email`,
/// `accessConfig`; `null` removes a field.
///
/// ```
/// use agentry_client::AgentPatch;
/// let p = AgentPatch::new().name("New name").email(None);
/// assert_eq!(serde_json::to_value(&p).unwrap(), serde_json::json!({"name": "New name", "email": null}));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AgentPatch(pub Map<String, Value>);

impl AgentPatch {
    /// An empty patch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets any member (`Value::Null` removes it).
    pub fn set(mut self, field: impl Into<String>, value: impl Into<Value>) -> Self {
        self.0.insert(field.into(), value.into());
        self
    }

    /// A new name.
    pub fn name(self, name: impl Into<String>) -> Self {
        self.set("name", name.into())
    }

    /// A new slug.
    pub fn slug(self, slug: impl Into<String>) -> Self {
        self.set("slug", slug.into())
    }

    /// A new description.
    pub fn description(self, text: impl Into<String>) -> Self {
        self.set("description", text.into())
    }

    /// A new address, or none.
    pub fn email(self, email: Option<&str>) -> Self {
        self.set("email", email.map_or(Value::Null, Value::from))
    }

    /// New access rules.
    pub fn access_config(self, config: Value) -> Self {
        self.set("accessConfig", config)
    }

    /// Nothing to change.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl TryFrom<Value> for AgentPatch {
    type Error = crate::Error;

    /// A patch from a JSON object (anything else is an invalid argument).
    fn try_from(v: Value) -> Result<Self, crate::Error> {
        match v {
            Value::Object(m) => Ok(AgentPatch(m)),
            other => Err(crate::Error::InvalidArgument(format!("a merge patch must be a JSON object, not {other}"))),
        }
    }
}

/// `POST /api/v1/agents/{id}/deploy`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeployRequest {
    /// The version's name (default "Version N").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Release notes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}
