//! An agent as the directory stores it, read in one query with what the view derives
//! (the organization's UUID, whether the draft differs from the active version, the
//! pending transfer), and turned into the caller's [`Agent`].

use crate::errors::ErrorCode;
use crate::model::{
    AccessConfig, Agent, AgentSource, AgentStatus, AgentType, PendingOwnershipTransfer, RegistrationState,
};
use crate::principal::Principal;
use crate::store::{state, to_time};
use crate::ServiceError;
use sqlx::any::AnyRow;
use sqlx::Row;

/// The stored columns of [`AgentRecord`], from `agents a JOIN organizations o`.
const BASE_COLS: &str = "a.id, a.slug, a.name, a.description, a.email, a.status, a.type, a.source, \
     a.enabled, a.registration, a.owner_id, a.schedule_enabled, a.access_config, a.active_variation_id, \
     a.draft_variation_id, a.created_at, a.updated_at, a.deleted_at, a.revision, o.uuid AS org_uuid";

/// `hasUnpublishedChanges`: the draft's definition differs from the active one's.
const UNPUBLISHED_COL: &str = "CAST(CASE WHEN a.draft_variation_id IS NULL THEN 0 \
       WHEN a.active_variation_id IS NULL THEN 1 \
       WHEN (SELECT d.definition FROM agent_variations d WHERE d.id = a.draft_variation_id) \
          = (SELECT v.definition FROM agent_variations v WHERE v.id = a.active_variation_id) THEN 0 \
       ELSE 1 END AS BIGINT) AS unpublished";

/// The pending transfer `t`, joined by [`TRANSFER_JOIN`].
const TRANSFER_COLS: &str = "t.id AS t_id, t.from_user_id AS t_from, t.to_user_id AS t_to, \
     t.requested_by AS t_by, t.message AS t_message, t.created_at AS t_created, t.expires_at AS t_expires";

/// `$1` is now: a pending transfer past its expiry is not pending.
const TRANSFER_JOIN: &str =
    "LEFT JOIN agent_transfers t ON t.agent_id = a.id AND t.status = 'pending' AND t.expires_at > $1";

/// What a row derives at the cost of more reads: a list whose `$select` names neither
/// leaves them out (they read as "no changes" and "no transfer", and are not shown).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Derived {
    /// `hasUnpublishedChanges`: two variation lookups and a comparison of definitions.
    pub unpublished: bool,
    /// `pendingOwnershipTransfer`: a join.
    pub transfer: bool,
}

impl Derived {
    /// Everything, as a single agent's view needs.
    pub(crate) const ALL: Derived = Derived { unpublished: true, transfer: true };

    /// `SELECT {cols} FROM {from}` for the record. `$1` (now) is always used, so that the
    /// binds line up whatever is left out.
    pub(crate) fn sql(self) -> (String, String) {
        let unpublished = if self.unpublished { UNPUBLISHED_COL } else { "CAST(0 AS BIGINT) AS unpublished" };
        let (transfer, join) =
            if self.transfer { (TRANSFER_COLS, TRANSFER_JOIN) } else { ("CAST(NULL AS TEXT) AS t_id", "") };
        let cols = format!("{BASE_COLS}, {unpublished}, {transfer}");
        let from =
            format!("agents a JOIN organizations o ON o.id = a.org_id AND CAST($1 AS BIGINT) IS NOT NULL {join}");
        (cols, from)
    }
}

/// One agent row with what its view derives.
#[derive(Clone, Debug)]
pub(crate) struct AgentRecord {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub email: Option<String>,
    pub status: AgentStatus,
    pub agent_type: AgentType,
    pub source: AgentSource,
    pub enabled: bool,
    pub registration: Option<RegistrationState>,
    pub owner_id: Option<i64>,
    pub schedule_enabled: bool,
    pub access: AccessConfig,
    pub active_variation_id: Option<String>,
    pub draft_variation_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub deleted_at: Option<i64>,
    pub revision: i64,
    pub org_uuid: String,
    pub unpublished: bool,
    pub transfer: Option<PendingOwnershipTransfer>,
}

impl AgentRecord {
    pub(crate) fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        let access: String = r.try_get("access_config")?;
        let registration: Option<String> = r.try_get("registration")?;
        let transfer = match r.try_get::<Option<String>, _>("t_id")? {
            Some(id) => Some(PendingOwnershipTransfer {
                id,
                from_user_id: r.try_get("t_from")?,
                to_user_id: r.try_get("t_to")?,
                requested_by: r.try_get("t_by")?,
                message: r.try_get("t_message")?,
                created_at: to_time(r.try_get("t_created")?),
                expires_at: to_time(r.try_get("t_expires")?),
            }),
            None => None,
        };
        Ok(Self {
            id: r.try_get("id")?,
            slug: r.try_get("slug")?,
            name: r.try_get("name")?,
            description: r.try_get("description")?,
            email: r.try_get("email")?,
            status: state(r, "status", AgentStatus::parse)?,
            agent_type: state(r, "type", AgentType::parse)?,
            source: state(r, "source", AgentSource::parse)?,
            enabled: r.try_get::<i64, _>("enabled")? == 1,
            registration: registration
                .map(|s| RegistrationState::parse(&s).ok_or_else(|| decode("registration", &s)))
                .transpose()?,
            owner_id: r.try_get("owner_id")?,
            schedule_enabled: r.try_get::<i64, _>("schedule_enabled")? == 1,
            access: serde_json::from_str(&access).map_err(|e| sqlx::Error::Decode(e.into()))?,
            active_variation_id: r.try_get("active_variation_id")?,
            draft_variation_id: r.try_get("draft_variation_id")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
            deleted_at: r.try_get("deleted_at")?,
            revision: r.try_get("revision")?,
            org_uuid: r.try_get("org_uuid")?,
            unpublished: r.try_get::<i64, _>("unpublished")? == 1,
            transfer,
        })
    }

    /// May the caller manage (edit, delete, deploy, toggle, transfer) this agent?
    pub(crate) fn can_manage(&self, p: &Principal) -> bool {
        self.access.can_manage(p.role, p.user_id, self.owner_id)
    }

    /// May the caller use (run, view the history of) it?
    pub(crate) fn can_use(&self, p: &Principal) -> bool {
        self.access.can_use(p.role, p.user_id, self.owner_id)
    }

    /// 403 unless the caller may manage it; 409 when it is deleted or managed upstream.
    pub(crate) fn must_manage(&self, p: &Principal) -> Result<(), ServiceError> {
        if !self.can_manage(p) {
            return Err(ServiceError::not_allowed(
                "Only the agent's owner, the organization's owners and admins, and the managers its access configuration names may change it.",
            ));
        }
        if self.deleted_at.is_some() {
            return Err(ServiceError::new(
                ErrorCode::AgentDeleted,
                "The agent is deleted; it can be read but not changed.",
            ));
        }
        if self.source == AgentSource::Sync {
            return Err(ServiceError::new(
                ErrorCode::AgentReadOnly,
                "This agent is synced from an upstream (source: sync) and is read-only here; change it upstream.",
            ));
        }
        Ok(())
    }

    /// 412 unless `if_match` (revisions named by `If-Match`; `None`: no header) admits
    /// the current revision.
    pub(crate) fn check_precondition(&self, if_match: Option<&[i64]>) -> Result<(), ServiceError> {
        match if_match {
            Some(revs) if !revs.contains(&self.revision) => Err(ServiceError::new(
                ErrorCode::PreconditionFailed,
                "The agent changed since you read it (If-Match does not name its current ETag). Fetch it again.",
            )
            .with_extension("currentRevision", self.revision.into())),
            _ => Ok(()),
        }
    }

    /// The caller's view, without a variation.
    pub(crate) fn view(&self, p: &Principal) -> Agent {
        Agent {
            id: self.id,
            slug: self.slug.clone(),
            name: self.name.clone(),
            description: self.description.clone(),
            email: self.email.clone(),
            status: self.status,
            agent_type: self.agent_type,
            org_id: self.org_uuid.clone(),
            owner_id: self.owner_id,
            enabled: self.enabled,
            registration: self.registration,
            source: self.source,
            has_unpublished_changes: self.unpublished,
            schedule_enabled: self.schedule_enabled,
            access_config: self.access.clone(),
            can_manage: self.can_manage(p),
            can_use: self.can_use(p),
            active_variation_id: self.active_variation_id.clone(),
            draft_variation_id: self.draft_variation_id.clone(),
            pending_ownership_transfer: self.transfer.clone(),
            variation: None,
            created_at: to_time(self.created_at),
            updated_at: to_time(self.updated_at),
            deleted_at: self.deleted_at.map(to_time),
        }
    }
}

fn decode(col: &str, raw: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("unknown {col} {raw:?}").into())
}

/// Reads one agent of `org` (deleted ones included), or `None`.
pub(crate) async fn fetch<'e, E>(exec: E, org: i64, id: i64, now: i64) -> Result<Option<AgentRecord>, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let (cols, from) = Derived::ALL.sql();
    let sql = format!("SELECT {cols} FROM {from} WHERE a.id = $2 AND a.org_id = $3");
    let row = sqlx::query(&sql).bind(now).bind(id).bind(org).fetch_optional(exec).await?;
    row.as_ref().map(AgentRecord::from_row).transpose()
}
