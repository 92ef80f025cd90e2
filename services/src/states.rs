//! Every state and role, as enums shared with the browser. Stored as their wire names
//! (`as_str`), read back with `parse`; an unknown name in storage is a bug, never a guess.

use serde::{Deserialize, Serialize};

macro_rules! states {
    ($(#[$doc:meta])* $name:ident { $( $(#[$vdoc:meta])* $variant:ident = $wire:literal, )+ }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $( $(#[$vdoc])* $variant, )+
        }

        impl $name {
            /// Every value.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The wire (and storage) name.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire,)+ }
            }

            /// Parses a wire name.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($wire => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

states!(
    /// A member's role in an organization. Owner, admin and operator are the seeds'
    /// "privileged operators".
    Role {
        /// Full control, including billing and seats.
        Owner = "owner",
        /// Manages members and agents.
        Admin = "admin",
        /// Manages agents and invites.
        Operator = "operator",
        /// Uses agents they are granted.
        Member = "member",
    }
);

impl Role {
    /// Owner, admin and operator: the seeds' "privileged operators".
    pub fn is_privileged(self) -> bool {
        matches!(self, Role::Owner | Role::Admin | Role::Operator)
    }

    /// Owner and admin: may revoke agents and change organization settings.
    pub fn is_admin(self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }
}

// The role rules, here rather than in `members.rs` so the pages (no `server` feature)
// show exactly the controls the services allow.

/// May `actor` move a member from `from` to `to`?
pub fn may_change_role(actor: Role, from: Role, to: Role) -> bool {
    match actor {
        Role::Owner => true,
        Role::Admin => !from.is_admin() && !to.is_admin(),
        Role::Operator | Role::Member => false,
    }
}

/// May `actor` remove a member whose role is `target` (`own`: the member is the actor)?
pub fn may_remove(actor: Role, target: Role, own: bool) -> bool {
    own || match actor {
        Role::Owner => true,
        Role::Admin => !target.is_admin(),
        Role::Operator | Role::Member => false,
    }
}

states!(
    /// Where an agent's identity stands.
    RegistrationState {
        /// Registered without an account: waiting for its owner to confirm an emailed link.
        PendingInvite = "pending_invite",
        /// Has an owner and keys.
        Registered = "registered",
        /// Keys revoked, seat freed.
        Revoked = "revoked",
    }
);

states!(
    /// An agent invite's state.
    InviteStatus {
        /// Waiting for the recipient.
        Pending = "pending",
        /// Confirmed by the recipient.
        Claimed = "claimed",
        /// Cancelled (or the agent was revoked).
        Cancelled = "cancelled",
    }
);

states!(
    /// A member invitation's state. `expired` is never stored: it is a pending invitation
    /// past its expiry, as the API shows it.
    InvitationStatus {
        /// Waiting for the recipient.
        Pending = "pending",
        /// Pending, but its link has expired; it can be resent.
        Expired = "expired",
        /// The recipient joined.
        Accepted = "accepted",
        /// Cancelled by an owner or admin.
        Cancelled = "cancelled",
    }
);

states!(
    /// How an agent was registered.
    RegistrationMode {
        /// By a signed-in owner (session or user API key).
        Owner = "owner",
        /// With a single-use delegated token.
        Delegated = "delegated",
        /// Without an account, confirmed later by email.
        Invite = "invite",
    }
);

states!(
    /// An agent's lifecycle (seed 003).
    AgentStatus {
        /// Never deployed.
        Draft = "draft",
        /// Deployed: has an active variation.
        Active = "active",
        /// Soft-deleted.
        Deleted = "deleted",
    }
);

states!(
    /// What kind of automation an agent is; fixed at creation (seed 002's "may not convert
    /// to or from a manager").
    AgentType {
        /// A single step.
        Task = "task",
        /// A multi-step graph (a DAG of steps).
        Workflow = "workflow",
    }
);

states!(
    /// Who maintains an agent's definition.
    AgentSource {
        /// Edited here, through the API and the app.
        Local = "local",
        /// Managed by an upstream and read-only here (seed 002's synced agents).
        Sync = "sync",
    }
);

states!(
    /// An agent ownership transfer's state.
    TransferStatus {
        /// Waiting for the recipient.
        Pending = "pending",
        /// The recipient accepted; the agent moved.
        Accepted = "accepted",
        /// The recipient declined.
        Declined = "declined",
        /// The requester or a manager cancelled it.
        Cancelled = "cancelled",
        /// Seven days passed.
        Expired = "expired",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_round_trip_and_match_serde() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(*r));
            assert_eq!(serde_json::to_value(r).ok(), Some(serde_json::Value::String(r.as_str().into())));
        }
        for s in RegistrationState::ALL {
            assert_eq!(RegistrationState::parse(s.as_str()), Some(*s));
            assert_eq!(serde_json::to_value(s).ok(), Some(serde_json::Value::String(s.as_str().into())));
        }
        for s in InviteStatus::ALL {
            assert_eq!(InviteStatus::parse(s.as_str()), Some(*s));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
