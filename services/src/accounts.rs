//! Accounts: sign-up, log-in, sessions, the current user, and switching organization.

use crate::audit::{self, Event};
use crate::errors::ErrorCode;
use crate::inputs::SignUp;
use crate::model::{Me, Membership, Organization, Role, User};
use crate::principal::{Credential, Principal, RequestMeta};
use crate::rate_limit::Limit;
use crate::store::{dialect, state, to_time};
use crate::{secrets, ServiceError, Services};
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::Row;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "agentry_session";

/// A freshly created session: the raw token goes into the cookie and nowhere else.
#[derive(Clone, Debug)]
pub struct NewSession {
    /// The secret cookie value.
    pub token: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

/// Runs Argon2 off the async runtime.
pub(crate) async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, ServiceError> {
    tokio::task::spawn_blocking(f).await.map_err(ServiceError::internal)
}

/// The password's Argon2id hash, computed off the async runtime.
pub(crate) async fn hash_password(p: crate::vocab::Password) -> Result<String, ServiceError> {
    blocking(move || secrets::hash_password(p.expose())).await?.map_err(|e| ServiceError::internal(e.to_string()))
}

pub(crate) fn organization(row: &AnyRow) -> Result<Organization, sqlx::Error> {
    Ok(Organization {
        id: row.try_get("id")?,
        uuid: row.try_get("uuid")?,
        name: row.try_get("name")?,
        plan: row.try_get("plan")?,
        seat_limit: row.try_get("seat_limit")?,
        seats_used: row.try_get("seats_used")?,
        default_agent_id: row.try_get("default_agent_id")?,
    })
}

impl Services {
    /// Creates a user, their organization (with them as owner), and a session.
    ///
    /// Emails are unique case-insensitively; a signup racing another for the same email
    /// loses on the database's unique index and changes nothing.
    #[tracing::instrument(skip_all)]
    pub async fn signup(&self, input: SignUp, meta: &RequestMeta) -> Result<(Me, NewSession), ServiceError> {
        if let Some(ip) = meta.ip {
            self.limit(&[Limit::new(format!("signup:ip:{ip}"), self.config().signup_limit_per_ip)], meta, None).await?;
        }
        let SignUp { email, password, organization } = input;
        let hash = hash_password(password).await?;

        let now = self.now_ms();
        let mut tx = self.db().begin().await?;
        // A signup racing another for the same email loses on the unique index: 409.
        let user_id: i64 =
            sqlx::query_scalar("INSERT INTO users (email, password_hash, created_at) VALUES ($1, $2, $3) RETURNING id")
                .bind(email.as_str())
                .bind(&hash)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
        let org_id = self.insert_organization(&mut tx, &organization, user_id, now).await?;
        let session = self.insert_session(&mut tx, user_id, org_id, meta).await?;
        let event = Event {
            org_id: Some(org_id),
            actor_user_id: Some(user_id),
            action: "user.signup",
            object_type: "user",
            object_id: user_id.to_string(),
            detail: None,
            reason: None,
        };
        audit::record(&mut *tx, meta, event, now).await?;
        tx.commit().await?;
        let principal = Principal { user_id, org_id, role: Role::Owner, credential: Credential::Session(session.1) };
        Ok((self.me(&principal).await?, session.0))
    }

    /// Checks an email and password and opens a session.
    ///
    /// Rate-limited per client IP and per email. A wrong password and an unknown email
    /// get the same error, after the same Argon2 work.
    #[tracing::instrument(skip_all)]
    pub async fn login(
        &self,
        email: &str,
        password: &str,
        meta: &RequestMeta,
    ) -> Result<(Me, NewSession), ServiceError> {
        let email = email.trim().to_lowercase();
        let cfg = self.config();
        let mut limits = Vec::with_capacity(2);
        if let Some(ip) = meta.ip {
            limits.push(Limit::new(format!("login:ip:{ip}"), cfg.login_limit_per_ip));
        }
        limits.push(Limit::new(format!("login:email:{}", secrets::hash(&email)), cfg.login_limit_per_email));
        self.limit(&limits, meta, None).await?;

        let row = sqlx::query("SELECT id, password_hash FROM users WHERE email = $1")
            .bind(&email)
            .fetch_optional(&self.db().pool)
            .await?;
        let (user_id, stored) = match &row {
            Some(r) => (Some(r.try_get::<i64, _>("id")?), r.try_get::<String, _>("password_hash")?),
            None => (None, self.dummy_hash().to_string()),
        };
        let password = password.to_string();
        let checked = stored.clone();
        let ok = blocking(move || secrets::verify_password(&password, &stored)).await?;
        let Some(user_id) = user_id.filter(|_| ok) else {
            let event = Event {
                org_id: None,
                actor_user_id: None,
                action: "user.login_failed",
                object_type: "user",
                object_id: String::new(),
                detail: None,
                reason: None,
            };
            audit::record(self.db().writer(), meta, event, self.now_ms()).await?;
            return Err(wrong_login());
        };
        let membership =
            sqlx::query("SELECT org_id, role FROM memberships WHERE user_id = $1 ORDER BY created_at, org_id LIMIT 1")
                .bind(user_id)
                .fetch_optional(&self.db().pool)
                .await?
                .ok_or_else(|| {
                    ServiceError::new(ErrorCode::NoOrganization, "This account belongs to no organization.")
                })?;
        let org_id: i64 = membership.try_get("org_id")?;
        let role = state(&membership, "role", Role::parse)?;
        let mut tx = self.db().begin().await?;
        // The password checked above must still be the account's: a change or reset that
        // commits meanwhile ends every session, so this one must not outlive it. The user's
        // row lock orders the two (on SQLite the write transaction does).
        let still = format!(
            "SELECT id FROM users WHERE id = $1 AND password_hash = $2{}",
            dialect::for_update(self.db().backend)
        );
        if sqlx::query(&still).bind(user_id).bind(&checked).fetch_optional(&mut *tx).await?.is_none() {
            return Err(wrong_login());
        }
        let (session, session_id) = self.insert_session(&mut tx, user_id, org_id, meta).await?;
        let event = crate::security::user_event(user_id, Some(org_id), "user.login");
        audit::record(&mut *tx, meta, event, self.now_ms()).await?;
        tx.commit().await?;
        let principal = Principal { user_id, org_id, role, credential: Credential::Session(session_id) };
        Ok((self.me(&principal).await?, session))
    }

    async fn insert_session(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        user_id: i64,
        org_id: i64,
        meta: &RequestMeta,
    ) -> Result<(NewSession, i64), ServiceError> {
        let token = secrets::generate("");
        let now = self.now_ms();
        let expires = now + crate::clock::ms(self.config().session_ttl);
        let id: i64 = sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, org_id, created_at, expires_at, ip, user_agent) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(secrets::hash(&token))
        .bind(user_id)
        .bind(org_id)
        .bind(now)
        .bind(expires)
        .bind(meta.ip.map(|i| i.to_string()))
        .bind(meta.user_agent.as_deref().map(|u| u.chars().take(256).collect::<String>()))
        .fetch_one(&mut **tx)
        .await?
        .try_get("id")?;
        Ok((NewSession { token, expires_at: to_time(expires) }, id))
    }

    /// Ends a session (audited in the session's organization). Unknown tokens are
    /// ignored: logging out twice is fine.
    pub async fn logout(&self, session_token: &str, meta: &RequestMeta) -> Result<(), ServiceError> {
        let mut tx = self.db().begin().await?;
        let ended = sqlx::query("DELETE FROM sessions WHERE token_hash = $1 RETURNING user_id, org_id")
            .bind(secrets::hash(session_token))
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(row) = ended {
            let (user_id, org_id): (i64, i64) = (row.try_get("user_id")?, row.try_get("org_id")?);
            let event = crate::security::user_event(user_id, Some(org_id), "user.logout");
            audit::record(&mut *tx, meta, event, self.now_ms()).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A user's (lower-cased) email address; 401 when the user is gone.
    pub(crate) async fn user_email(&self, user_id: i64) -> Result<String, ServiceError> {
        let email: Option<String> = sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&self.db().pool)
            .await?;
        Ok(email.ok_or_else(ServiceError::unauthorized)?.to_lowercase())
    }

    /// Every organization the user belongs to, with their role, by name.
    pub(crate) async fn memberships(&self, user_id: i64) -> Result<Vec<Membership>, ServiceError> {
        let rows = sqlx::query(
            "SELECT o.id, o.uuid, o.name, o.plan, o.seat_limit, o.seats_used, o.default_agent_id, m.role FROM memberships m
             JOIN organizations o ON o.id = m.org_id WHERE m.user_id = $1 ORDER BY o.name, o.id",
        )
        .bind(user_id)
        .fetch_all(&self.db().pool)
        .await?;
        let rows = rows
            .iter()
            .map(|r| Ok(Membership { organization: organization(r)?, role: state(r, "role", Role::parse)? }));
        Ok(rows.collect::<Result<Vec<_>, sqlx::Error>>()?)
    }

    /// The user, every membership, and the current organization.
    pub async fn me(&self, p: &Principal) -> Result<Me, ServiceError> {
        let pool = &self.db().pool;
        let user = sqlx::query("SELECT id, email, created_at FROM users WHERE id = $1")
            .bind(p.user_id)
            .fetch_optional(pool)
            .await?
            .ok_or_else(ServiceError::unauthorized)?;
        let memberships = self.memberships(p.user_id).await?;
        let current = memberships
            .iter()
            .find(|m| m.organization.id == p.org_id)
            .cloned()
            .ok_or_else(ServiceError::unauthorized)?;
        Ok(Me {
            user: User {
                id: user.try_get("id")?,
                email: user.try_get("email")?,
                created_at: to_time(user.try_get("created_at")?),
            },
            memberships,
            current_organization: current.organization,
            role: current.role,
        })
    }

    /// Moves a session to another organization the user belongs to. `org` is the numeric
    /// id or the UUID. API keys are bound to one organization and cannot switch.
    pub async fn switch_organization(&self, p: &Principal, org: &str) -> Result<Me, ServiceError> {
        let Credential::Session(session_id) = p.credential else {
            return Err(ServiceError::new(
                ErrorCode::ApiKeyBound,
                "API keys are bound to one organization; use a key of the other organization.",
            ));
        };
        let (org_id, role) = self.membership(p, org).await?;
        sqlx::query("UPDATE sessions SET org_id = $1 WHERE id = $2")
            .bind(org_id)
            .bind(session_id)
            .execute(self.db().writer())
            .await?;
        self.me(&Principal { org_id, role, ..p.clone() }).await
    }

    /// The `Set-Cookie` value that stores a session.
    pub fn session_cookie(&self, s: &NewSession) -> String {
        let max_age = (s.expires_at - self.clock().now()).num_seconds().max(0);
        format!("{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{}", s.token, self.secure_attr())
    }

    /// The `Set-Cookie` value that removes the session cookie.
    pub fn clear_session_cookie(&self) -> String {
        format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}", self.secure_attr())
    }

    fn secure_attr(&self) -> &'static str {
        if self.config().secure_cookies() {
            "; Secure"
        } else {
            ""
        }
    }
}

/// The one answer to a failed log-in, whatever failed (enumeration-safe).
fn wrong_login() -> ServiceError {
    ServiceError::new(ErrorCode::InvalidCredentials, "The email or password is incorrect.")
}
