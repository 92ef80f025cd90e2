//! Authentication: every secret a request can present (session cookie, `uak_` user key,
//! `agk_` agent key, `dlg_` delegated token) is looked up the same way, by its SHA-256, in
//! one query that also checks it is still valid. The lookup is by hash, so no secret is
//! ever compared in variable time. `last_used_at` is written at most once a minute per
//! key, so authenticating is a read.

use crate::agents::store::{agent_row, AGENT_COLS};
use crate::model::{RegisteredAgent, Role};
use crate::principal::{Credential, DelegatedScope, Presented, Principal};
use crate::store::state;
use crate::{secrets, ServiceError, Services};
use sqlx::any::AnyRow;
use sqlx::Row;

/// How often `last_used_at` is refreshed, in milliseconds.
const TOUCH_EVERY_MS: i64 = 60_000;

/// Who a credential belongs to.
#[derive(Clone, Debug)]
pub enum Authenticated {
    /// A user, by session, user API key or delegated token.
    User(Principal),
    /// An agent, by its `agk_` key.
    Agent(RegisteredAgent),
}

impl Services {
    /// The row `sql` finds for `secret` (bound as `$1` = its hash, `$2` = now), if any.
    async fn lookup(&self, sql: &str, secret: &str) -> Result<Option<AnyRow>, ServiceError> {
        Ok(sqlx::query(sql).bind(secrets::hash(secret)).bind(self.now_ms()).fetch_optional(&self.db().pool).await?)
    }

    /// Records use of key `id` in `table` when the last record is older than a minute.
    async fn touch(&self, table: &'static str, id: i64, last_used: Option<i64>) -> Result<(), ServiceError> {
        let now = self.now_ms();
        if last_used.is_some_and(|t| now - t < TOUCH_EVERY_MS) {
            return Ok(());
        }
        sqlx::query(&format!("UPDATE {table} SET last_used_at = $1 WHERE id = $2"))
            .bind(now)
            .bind(id)
            .execute(self.db().writer())
            .await?;
        Ok(())
    }

    /// Authenticates whatever the request presented. Agent keys and delegated tokens are
    /// recognised by prefix; anything else in a key header is a user API key.
    pub async fn authenticate(&self, presented: &Presented) -> Result<Authenticated, ServiceError> {
        match presented {
            Presented::Session(token) => self.authenticate_session(token).await.map(Authenticated::User),
            Presented::Key(_) if presented.is_agent_key() => {
                self.authenticate_agent(presented).await.map(Authenticated::Agent)
            }
            Presented::Key(k) if presented.is_delegated() => {
                self.authenticate_delegated(k).await.map(Authenticated::User)
            }
            Presented::Key(k) => self.authenticate_api_key(k).await.map(Authenticated::User),
        }
    }

    /// A user principal: a session or a user API key (not a delegated token, not an agent).
    pub async fn authenticate_user(&self, presented: &Presented) -> Result<Principal, ServiceError> {
        match presented {
            Presented::Session(token) => self.authenticate_session(token).await,
            Presented::Key(k) if !presented.is_agent_key() && !presented.is_delegated() => {
                self.authenticate_api_key(k).await
            }
            Presented::Key(_) => Err(ServiceError::unauthorized()),
        }
    }

    /// The principal behind a session cookie; 401 when it is unknown or expired.
    pub async fn authenticate_session(&self, token: &str) -> Result<Principal, ServiceError> {
        let row = self
            .lookup(
                "SELECT s.id, s.user_id, s.org_id, s.last_used_at, m.role FROM sessions s
                 JOIN memberships m ON m.user_id = s.user_id AND m.org_id = s.org_id
                 WHERE s.token_hash = $1 AND s.expires_at > $2",
                token,
            )
            .await?
            .ok_or_else(ServiceError::unauthorized)?;
        let id: i64 = row.try_get("id")?;
        self.touch("sessions", id, row.try_get("last_used_at")?).await?;
        principal(&row, Credential::Session(id))
    }

    /// The principal behind a `uak_` key; 401 when unknown, revoked, or the user left the
    /// organization.
    async fn authenticate_api_key(&self, secret: &str) -> Result<Principal, ServiceError> {
        if !secret.starts_with(secrets::USER_API_KEY_PREFIX) {
            return Err(ServiceError::unauthorized());
        }
        let row = self
            .lookup(
                "SELECT k.id, k.user_id, k.org_id, k.last_used_at, m.role FROM api_keys k
                 JOIN memberships m ON m.user_id = k.user_id AND m.org_id = k.org_id
                 WHERE k.key_hash = $1 AND k.revoked_at IS NULL AND k.created_at <= $2",
                secret,
            )
            .await?
            .ok_or_else(ServiceError::unauthorized)?;
        let id: i64 = row.try_get("id")?;
        self.touch("api_keys", id, row.try_get("last_used_at")?).await?;
        principal(&row, Credential::ApiKey(id))
    }

    /// The principal behind a `dlg_` token (its owner, in the token's organization), with
    /// the token's scope; 401 when unknown, spent or expired. Registration consumes it.
    async fn authenticate_delegated(&self, secret: &str) -> Result<Principal, ServiceError> {
        let row = self
            .lookup(
                "SELECT t.id, t.user_id, t.org_id, t.name_prefix, t.max_difficulty, m.role FROM delegated_tokens t
                 JOIN memberships m ON m.user_id = t.user_id AND m.org_id = t.org_id
                 WHERE t.token_hash = $1 AND t.used_at IS NULL AND t.expires_at > $2",
                secret,
            )
            .await?
            .ok_or_else(ServiceError::unauthorized)?;
        let max: Option<i64> = row.try_get("max_difficulty")?;
        let scope = DelegatedScope {
            id: row.try_get("id")?,
            name_prefix: row.try_get("name_prefix")?,
            max_difficulty: max.map(|m| u8::try_from(m).unwrap_or(u8::MAX)),
        };
        principal(&row, Credential::Delegated(scope))
    }

    /// The agent behind an `agk_` key; 401 when unknown, revoked, past its grace period,
    /// or the agent is not registered.
    pub async fn authenticate_agent(&self, presented: &Presented) -> Result<RegisteredAgent, ServiceError> {
        let Presented::Key(secret) = presented else { return Err(ServiceError::unauthorized()) };
        if !presented.is_agent_key() {
            return Err(ServiceError::unauthorized());
        }
        let row = self
            .lookup(
                &format!(
                    "SELECT {AGENT_COLS}, k.id AS key_id, k.last_used_at FROM agent_keys k JOIN agents a ON a.id = k.agent_id
                     WHERE k.key_hash = $1 AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > $2)
                       AND a.registration = 'registered' AND a.enabled = 1 AND a.deleted_at IS NULL"
                ),
                secret,
            )
            .await?
            .ok_or_else(ServiceError::unauthorized)?;
        self.touch("agent_keys", row.try_get("key_id")?, row.try_get("last_used_at")?).await?;
        Ok(agent_row(&row)?)
    }
}

fn principal(row: &AnyRow, credential: Credential) -> Result<Principal, ServiceError> {
    Ok(Principal {
        user_id: row.try_get("user_id")?,
        org_id: row.try_get("org_id")?,
        role: state(row, "role", Role::parse)?,
        credential,
    })
}
