//! Agent registration (seed 000): proof-of-work challenges and the owner and invite
//! flows (delegated tokens: `delegated.rs`; invites after registration: `invites.rs`).
//! The contract is `docs/REGISTRATION.md`; the PoW wire format is `pow-wasm/PROTOCOL.md`.
//!
//! Order of work in a registration: validate the payload, rate limits, read the challenge
//! row, verify the solution (microseconds, no write), then one transaction that consumes
//! the challenge with a conditional UPDATE (the single-use guarantee), consumes the
//! delegated token if one is used (same), reserves a seat with a conditional UPDATE (the
//! seat guarantee), and inserts the agent and its key.

use crate::audit::{self, Event};
use crate::model::{AgentChallenge, AgentRegistrationRequest, AgentRegistrationResponse, RegisteredAgent};
use crate::outbox::Email;
use crate::principal::{Credential, Principal, RequestMeta};
use crate::store::{is_unique_violation, now_ms, to_time};
use crate::{rate_limit, secrets, ServiceError, Services};
use base64::Engine;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use std::net::IpAddr;

/// Characters of a secret kept in clear to recognise it in lists.
pub(crate) const SHOWN_PREFIX_LEN: usize = 8;

/// The network an address belongs to for rate limiting and adaptive difficulty: the /24
/// of an IPv4 address, the /64 of an IPv6 address (IPv4-mapped IPv6 counts as IPv4).
pub fn ip_prefix(ip: IpAddr) -> String {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    };
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.0/24", o[0], o[1], o[2])
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

fn prefix_of(meta: &RequestMeta) -> String {
    meta.ip.map(ip_prefix).unwrap_or_else(|| "unknown".into())
}

/// Trims and lower-cases an email address, or says why it is not one.
pub(crate) fn parse_email(field: &str, raw: &str) -> Result<String, ServiceError> {
    let email = raw.trim().to_lowercase();
    let valid = email.len() <= 254
        && !email.chars().any(char::is_whitespace)
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
        });
    if valid {
        Ok(email)
    } else {
        Err(ServiceError::field(field, "Enter a valid email address, like name@example.com."))
    }
}

fn parse_public_key(raw: &str) -> Result<Vec<u8>, ServiceError> {
    let raw = raw.trim();
    let e = base64::engine::general_purpose::STANDARD.decode(raw).or_else(|_| {
        base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(raw)
            .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(raw))
    });
    match e {
        Ok(bytes) if bytes.len() == 32 => Ok(bytes),
        _ => Err(ServiceError::field("publicKey", "The public key must be a base64 Ed25519 key (32 bytes).")),
    }
}

pub(crate) fn agent_row(row: &AnyRow) -> Result<RegisteredAgent, sqlx::Error> {
    Ok(RegisteredAgent {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        registration: row.try_get("registration")?,
        org_id: row.try_get("org_id")?,
        owner_id: row.try_get("owner_id")?,
        public_key: row.try_get("public_key")?,
        created_at: to_time(row.try_get("created_at")?),
    })
}

/// The columns [`agent_row`] reads.
pub(crate) const AGENT_COLS: &str = "id, name, description, registration, org_id, owner_id, public_key, created_at";

fn ms(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 4)
}

/// A delegated token's limits, looked up when a `dlg_` principal acts.
pub(crate) struct DelegatedLimits {
    pub name_prefix: Option<String>,
    pub max_difficulty: Option<i64>,
}

impl Services {
    /// Counts a hit on a rate-limit bucket; a 429 is recorded in the audit log.
    pub(crate) async fn limit(
        &self,
        bucket: &str,
        limit: u64,
        meta: &RequestMeta,
        actor: Option<i64>,
    ) -> Result<(), ServiceError> {
        match rate_limit::hit(self.db(), bucket, limit, self.config().rate_window).await {
            Err(e @ ServiceError::RateLimited { .. }) => {
                // The bucket names the kind of limit; it carries no secret (owner ids, IP prefixes).
                let event = Event {
                    org_id: None,
                    actor_user_id: actor,
                    action: "rate_limit.hit",
                    object_type: "rate_limit",
                    object_id: bucket.split(':').take(2).collect::<Vec<_>>().join(":"),
                    detail: Some(bucket.to_string()),
                };
                audit::record(&self.db().pool, meta, event).await?;
                Err(e)
            }
            other => other,
        }
    }

    /// Extra difficulty bits from recent activity: `hits / pow_adaptive_step` of the IP
    /// prefix's counter and of the owner's, whichever is larger.
    async fn adaptive_bits(&self, prefix: &str, owner: Option<i64>) -> Result<u8, ServiceError> {
        let step = self.config().pow_adaptive_step;
        if step == 0 {
            return Ok(0);
        }
        let window = ms(self.config().rate_window).max(1);
        let now = now_ms();
        let start = now - now.rem_euclid(window);
        let owner_bucket = format!("adapt:owner:{}", owner.unwrap_or(0));
        let rows = sqlx::query("SELECT hits FROM rate_limits WHERE bucket IN ($1, $2) AND window_start = $3")
            .bind(format!("adapt:ip:{prefix}"))
            .bind(owner_bucket)
            .bind(start)
            .fetch_all(&self.db().pool)
            .await?;
        let mut most = 0u64;
        for r in &rows {
            most = most.max(u64::try_from(r.try_get::<i64, _>("hits")?).unwrap_or(0));
        }
        Ok(u8::try_from(most / step).unwrap_or(u8::MAX))
    }

    /// Feeds the adaptive difficulty counters (a registration or a failed solution).
    async fn adapt(&self, prefix: &str, owner: Option<i64>) {
        if self.config().pow_adaptive_step == 0 {
            return;
        }
        let window = self.config().rate_window;
        let _ = rate_limit::hit(self.db(), &format!("adapt:ip:{prefix}"), u64::MAX, window).await;
        if let Some(o) = owner {
            let _ = rate_limit::hit(self.db(), &format!("adapt:owner:{o}"), u64::MAX, window).await;
        }
    }

    /// Issues a challenge. `p` is the owner (session, user key or delegated token);
    /// without one, `invite` must be true. An explicit `difficulty` is clamped to
    /// `[floor, max]`, where the floor is the configured minimum (higher for invites) plus
    /// the adaptive bits.
    #[tracing::instrument(skip_all)]
    pub async fn issue_challenge(
        &self,
        p: Option<&Principal>,
        difficulty: Option<i64>,
        invite: bool,
        meta: &RequestMeta,
    ) -> Result<AgentChallenge, ServiceError> {
        let owner = if invite { None } else { Some(p.ok_or(ServiceError::Unauthorized)?) };
        if difficulty.is_some_and(|d| d < 0) {
            return Err(ServiceError::field("difficulty", "The difficulty must be a non-negative integer."));
        }
        let prefix = prefix_of(meta);
        self.limit(&format!("challenge:ip:{prefix}"), self.config().challenge_limit_per_ip, meta, p.map(|p| p.user_id))
            .await?;
        let cfg = self.config();
        let max = cfg.pow_max_difficulty.min(pow_wasm::MAX_DIFFICULTY);
        let min = cfg.pow_min_difficulty.min(max);
        let base = if owner.is_some() { min } else { cfg.pow_invite_min_difficulty.clamp(min, max) };
        let bump = self.adaptive_bits(&prefix, owner.map(|p| p.user_id)).await?;
        let floor = base.saturating_add(bump).min(max);
        let mut bits = match difficulty {
            Some(d) => u8::try_from(d).unwrap_or(u8::MAX).clamp(floor, max),
            None => floor,
        };
        if let Some(p) = owner {
            if let Some(DelegatedLimits { max_difficulty: Some(m), .. }) = self.delegated_limits(p).await? {
                // A delegated token caps what its CI job is asked to solve (not below the minimum).
                bits = bits.min(u8::try_from(m).unwrap_or(u8::MAX).max(min));
            }
        }
        let k = cfg.pow_solutions.clamp(1, pow_wasm::MAX_K);
        let id = uuid::Uuid::new_v4();
        let now = now_ms();
        let expires_secs = u64::try_from(now / 1000).unwrap_or(0) + cfg.challenge_ttl.as_secs().max(1);
        let claims = pow_wasm::Claims {
            id: *id.as_bytes(),
            difficulty: bits,
            k,
            expires_at: expires_secs,
            subject: owner.map_or(0, |p| u64::try_from(p.user_id).unwrap_or(0)),
        };
        let token = pow_wasm::issue_token(self.secret(), &claims);
        let expires_ms = i64::try_from(expires_secs).unwrap_or(i64::MAX / 1000) * 1000;
        sqlx::query(
            "INSERT INTO challenges (id, token, owner_id, org_id, difficulty, k, ip_prefix, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(id.to_string())
        .bind(&token)
        .bind(owner.map(|p| p.user_id))
        .bind(owner.map(|p| p.org_id))
        .bind(i64::from(bits))
        .bind(i64::from(k))
        .bind(&prefix)
        .bind(now)
        .bind(expires_ms)
        .execute(&self.db().pool)
        .await?;
        if id.as_bytes()[0] == 0 {
            // About one issuance in 256 sweeps expired challenges. A row is only needed
            // until its token expires: after that, verification rejects the token anyway.
            sqlx::query("DELETE FROM challenges WHERE expires_at < $1")
                .bind(now - 60_000)
                .execute(&self.db().pool)
                .await?;
        }
        Ok(AgentChallenge {
            id: id.to_string(),
            token,
            algorithm: "sha256".into(),
            difficulty: bits,
            target: pow_wasm::format_target(claims.target()),
            solutions: k,
            expires_at: to_time(expires_ms),
            issued_to: owner.map_or_else(|| "invite".to_string(), |p| p.user_id.to_string()),
        })
    }

    /// Registers an agent: the owner flow when the challenge was issued to a user (who
    /// must be the caller), the invite flow when it was issued to `invite`.
    #[tracing::instrument(skip_all)]
    pub async fn register_agent(
        &self,
        p: Option<&Principal>,
        req: &AgentRegistrationRequest,
        meta: &RequestMeta,
    ) -> Result<AgentRegistrationResponse, ServiceError> {
        // 1. The payload, before anything else.
        let name = req.name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(ServiceError::field("name", "The agent name must be 1 to 100 characters."));
        }
        let description = req.description.as_deref().unwrap_or("").trim();
        if description.chars().count() > 1000 {
            return Err(ServiceError::field("description", "The description must be at most 1000 characters."));
        }
        let public_key = parse_public_key(&req.public_key)?;
        let public_key_b64 = base64::engine::general_purpose::STANDARD.encode(&public_key);
        let challenge_id = uuid::Uuid::parse_str(req.challenge_id.trim())
            .map_err(|_| ServiceError::field("challengeId", "The challenge id must be a UUID."))?;
        let nonces = pow_wasm::parse_nonces(&req.solution.nonces).map_err(|e| ServiceError::BadRequest {
            code: "invalid_solution",
            detail: format!("The solution is invalid: {e}."),
        })?;

        // 2. Rate limits: per IP prefix, per owner, global.
        let prefix = prefix_of(meta);
        let cfg = self.config();
        let actor = p.map(|p| p.user_id);
        self.limit(&format!("register:ip:{prefix}"), cfg.registration_limit_per_ip, meta, actor).await?;
        if let Some(p) = p {
            self.limit(&format!("register:owner:{}", p.user_id), cfg.registration_limit_per_owner, meta, actor).await?;
        }
        self.limit("register:global", cfg.registration_limit_global, meta, actor).await?;

        // 3. The challenge row (a read), then the solution (pure computation).
        let row = sqlx::query("SELECT token, owner_id, used_at FROM challenges WHERE id = $1")
            .bind(challenge_id.to_string())
            .fetch_optional(&self.db().pool)
            .await?
            .ok_or_else(|| ServiceError::NotFound("No such challenge.".into()))?;
        let token: String = row.try_get("token")?;
        let now = now_ms();
        let now_unix = u64::try_from(now / 1000).unwrap_or(0);
        let claims = match pow_wasm::verify(self.secret(), &token, &public_key, &nonces, now_unix) {
            Ok(c) if c.id == *challenge_id.as_bytes() => c,
            Ok(_) => return Err(ServiceError::internal("challenge row and token disagree")),
            Err(e) => {
                let event = Event {
                    org_id: None,
                    actor_user_id: actor,
                    action: "agent.pow_failed",
                    object_type: "challenge",
                    object_id: challenge_id.to_string(),
                    detail: Some(e.code().to_string()),
                };
                audit::record(&self.db().pool, meta, event).await?;
                self.adapt(&prefix, actor).await;
                return Err(match e {
                    pow_wasm::VerifyError::Expired { .. } => ServiceError::BadRequest {
                        code: "challenge_expired",
                        detail: "The challenge has expired; fetch a new one.".into(),
                    },
                    e => ServiceError::BadRequest {
                        code: "invalid_solution",
                        detail: format!("The proof-of-work solution is invalid ({}): {e}.", e.code()),
                    },
                });
            }
        };
        if row.try_get::<Option<i64>, _>("used_at")?.is_some() {
            return Err(ServiceError::Conflict {
                code: "challenge_used",
                detail: "This challenge was already used.".into(),
            });
        }

        // 4. Who the agent is for.
        let response = if claims.subject == 0 {
            let email = req
                .owner_email
                .as_deref()
                .ok_or_else(|| {
                    ServiceError::field("ownerEmail", "An invite challenge needs the owner's email address.")
                })
                .and_then(|e| parse_email("ownerEmail", e))?;
            self.limit(
                &format!("invite:email:{}", secrets::hash(&email)),
                cfg.registration_limit_per_owner,
                meta,
                None,
            )
            .await?;
            self.ensure_public_key_free(&public_key_b64).await?;
            self.register_invite(challenge_id, name, description, &public_key_b64, &email, meta).await?
        } else {
            let p = p.ok_or(ServiceError::Unauthorized)?;
            if u64::try_from(p.user_id).ok() != Some(claims.subject) {
                return Err(ServiceError::BadRequest {
                    code: "challenge_not_yours",
                    detail: "This challenge was issued to someone else.".into(),
                });
            }
            if let Some(limits) = self.delegated_limits(p).await? {
                if let Some(np) = limits.name_prefix.as_deref().filter(|np| !np.is_empty()) {
                    if !name.starts_with(np) {
                        return Err(ServiceError::Forbidden(format!(
                            "This delegated token only registers agents named {np}…"
                        )));
                    }
                }
                if limits.max_difficulty.is_some_and(|m| i64::from(claims.difficulty) > m) {
                    return Err(ServiceError::Forbidden(
                        "The challenge is harder than this delegated token allows.".into(),
                    ));
                }
            }
            self.ensure_public_key_free(&public_key_b64).await?;
            self.register_owned(p, challenge_id, name, description, &public_key_b64, meta).await?
        };
        self.adapt(&prefix, actor).await;
        Ok(response)
    }

    async fn ensure_public_key_free(&self, public_key: &str) -> Result<(), ServiceError> {
        let taken = sqlx::query("SELECT id FROM agents WHERE public_key = $1")
            .bind(public_key)
            .fetch_optional(&self.db().pool)
            .await?
            .is_some();
        if taken {
            return Err(key_taken());
        }
        Ok(())
    }

    /// Marks the challenge used; the one guarantee of single use.
    async fn consume_challenge(&self, tx: &mut Transaction<'static, Any>, id: uuid::Uuid) -> Result<(), ServiceError> {
        let done = sqlx::query("UPDATE challenges SET used_at = $1 WHERE id = $2 AND used_at IS NULL")
            .bind(now_ms())
            .bind(id.to_string())
            .execute(&mut **tx)
            .await?
            .rows_affected();
        if done == 0 {
            return Err(ServiceError::Conflict {
                code: "challenge_used",
                detail: "This challenge was already used.".into(),
            });
        }
        Ok(())
    }

    async fn register_owned(
        &self,
        p: &Principal,
        challenge_id: uuid::Uuid,
        name: &str,
        description: &str,
        public_key: &str,
        meta: &RequestMeta,
    ) -> Result<AgentRegistrationResponse, ServiceError> {
        let now = now_ms();
        let mut tx = self.db().pool.begin().await?;
        self.consume_challenge(&mut tx, challenge_id).await?;
        let mode = if let Credential::Delegated(token_id) = p.credential {
            let done = sqlx::query(
                "UPDATE delegated_tokens SET used_at = $1 WHERE id = $2 AND used_at IS NULL AND expires_at > $1",
            )
            .bind(now)
            .bind(token_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if done == 0 {
                // Another registration spent the token first.
                return Err(ServiceError::Unauthorized);
            }
            "delegated"
        } else {
            "owner"
        };
        reserve_seat(&mut tx, p.org_id).await?;
        let metadata = serde_json::json!({ "registrationMode": mode }).to_string();
        let agent = insert_agent(
            &mut tx,
            Some(p.org_id),
            Some(p.user_id),
            name,
            description,
            "registered",
            true,
            public_key,
            &metadata,
        )
        .await?;
        if let Credential::Delegated(token_id) = p.credential {
            sqlx::query("UPDATE delegated_tokens SET agent_id = $1 WHERE id = $2")
                .bind(agent.id)
                .bind(token_id)
                .execute(&mut *tx)
                .await?;
        }
        let (secret, key_id) = insert_agent_key(&mut tx, agent.id, None).await?;
        let event = Event {
            org_id: Some(p.org_id),
            actor_user_id: Some(p.user_id),
            action: "agent.registered",
            object_type: "agent",
            object_id: agent.id.to_string(),
            detail: Some(serde_json::json!({ "mode": mode, "challenge": challenge_id.to_string() }).to_string()),
        };
        audit::record(&mut *tx, meta, event).await?;
        tx.commit().await?;
        Ok(AgentRegistrationResponse {
            agent,
            api_key: Some(secret),
            key_id: Some(key_id),
            status: "registered".into(),
            invite_expires_at: None,
        })
    }

    async fn register_invite(
        &self,
        challenge_id: uuid::Uuid,
        name: &str,
        description: &str,
        public_key: &str,
        email: &str,
        meta: &RequestMeta,
    ) -> Result<AgentRegistrationResponse, ServiceError> {
        let now = now_ms();
        let expires = now + ms(self.config().invite_ttl);
        let mut tx = self.db().pool.begin().await?;
        self.consume_challenge(&mut tx, challenge_id).await?;
        // The recipient's first organization, when the address has an account.
        let org: Option<i64> = sqlx::query(
            "SELECT m.org_id FROM users u JOIN memberships m ON m.user_id = u.id WHERE u.email = $1
             ORDER BY m.created_at, m.org_id LIMIT 1",
        )
        .bind(email)
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| r.try_get("org_id"))
        .transpose()?;
        let holds = match org {
            Some(org) => try_reserve_seat(&mut tx, org).await?,
            None => false,
        };
        let metadata = serde_json::json!({ "registrationMode": "invite" }).to_string();
        let agent =
            insert_agent(&mut tx, org, None, name, description, "pending_invite", holds, public_key, &metadata).await?;
        let token = secrets::generate(secrets::INVITE_PREFIX);
        sqlx::query(
            "INSERT INTO invites (agent_id, org_id, email, token_hash, status, created_at, expires_at)
             VALUES ($1, $2, $3, $4, 'pending', $5, $6)",
        )
        .bind(agent.id)
        .bind(org)
        .bind(email)
        .bind(secrets::hash(&token))
        .bind(now)
        .bind(expires)
        .execute(&mut *tx)
        .await?;
        self.queue_invite_email(&mut tx, org, email, &agent.name, &token, expires).await?;
        let event = Event {
            org_id: org,
            actor_user_id: None,
            action: "agent.invite_created",
            object_type: "agent",
            object_id: agent.id.to_string(),
            detail: Some(serde_json::json!({ "challenge": challenge_id.to_string() }).to_string()),
        };
        audit::record(&mut *tx, meta, event).await?;
        tx.commit().await?;
        // The same answer whether or not the address has an account.
        Ok(AgentRegistrationResponse {
            agent: RegisteredAgent { org_id: None, owner_id: None, ..agent },
            api_key: None,
            key_id: None,
            status: "pending_invite".into(),
            invite_expires_at: Some(to_time(expires)),
        })
    }

    /// Queues the invite email (inside the caller's transaction).
    pub(crate) async fn queue_invite_email(
        &self,
        tx: &mut Transaction<'static, Any>,
        org: Option<i64>,
        email: &str,
        agent_name: &str,
        token: &str,
        expires: i64,
    ) -> Result<i64, ServiceError> {
        let link = format!("{}/invite/confirm?token={token}", self.config().public_url.trim_end_matches('/'));
        let body = format!(
            "An agent named \"{agent_name}\" asked to be registered with you as its owner.\n\n\
             Confirm it here (the link works once, until {}):\n{link}\n\n\
             If you did not expect this, ignore this email: nothing happens without your confirmation.\n",
            to_time(expires).to_rfc3339()
        );
        self.queue_email(
            &mut **tx,
            Email {
                org_id: org,
                kind: "agent_invite",
                to: email,
                subject: "Confirm your new Agentry agent",
                body: &body,
            },
        )
        .await
    }

    /// Seats used and the limit of the caller's current organization.
    pub async fn seat_usage(&self, p: &Principal) -> Result<(i64, i64), ServiceError> {
        let row = sqlx::query("SELECT seats_used, seat_limit FROM organizations WHERE id = $1")
            .bind(p.org_id)
            .fetch_optional(&self.db().pool)
            .await?
            .ok_or(ServiceError::Unauthorized)?;
        Ok((row.try_get("seats_used")?, row.try_get("seat_limit")?))
    }
}

pub(crate) fn no_seat() -> ServiceError {
    ServiceError::Forbidden(
        "No free seat: the organization's seat limit is reached. Revoke an agent or raise the limit.".into(),
    )
}

fn key_taken() -> ServiceError {
    ServiceError::Conflict {
        code: "public_key_taken",
        detail: "An agent with this public key is already registered.".into(),
    }
}

/// Takes one seat in `org` if one is free; true when taken.
pub(crate) async fn try_reserve_seat(tx: &mut Transaction<'static, Any>, org: i64) -> Result<bool, ServiceError> {
    let done =
        sqlx::query("UPDATE organizations SET seats_used = seats_used + 1 WHERE id = $1 AND seats_used < seat_limit")
            .bind(org)
            .execute(&mut **tx)
            .await?
            .rows_affected();
    Ok(done == 1)
}

/// Takes one seat in `org`, or 403.
pub(crate) async fn reserve_seat(tx: &mut Transaction<'static, Any>, org: i64) -> Result<(), ServiceError> {
    if try_reserve_seat(tx, org).await? {
        Ok(())
    } else {
        Err(no_seat())
    }
}

/// Gives back the seat an agent holds, if it holds one (guarded by `holds_seat`, so a
/// seat is never freed twice).
pub(crate) async fn free_seat(tx: &mut Transaction<'static, Any>, agent_id: i64) -> Result<bool, ServiceError> {
    let row = sqlx::query("UPDATE agents SET holds_seat = 0 WHERE id = $1 AND holds_seat = 1 RETURNING org_id")
        .bind(agent_id)
        .fetch_optional(&mut **tx)
        .await?;
    let Some(row) = row else { return Ok(false) };
    if let Some(org) = row.try_get::<Option<i64>, _>("org_id")? {
        sqlx::query("UPDATE organizations SET seats_used = seats_used - 1 WHERE id = $1 AND seats_used > 0")
            .bind(org)
            .execute(&mut **tx)
            .await?;
    }
    Ok(true)
}

#[allow(clippy::too_many_arguments)]
async fn insert_agent(
    tx: &mut Transaction<'static, Any>,
    org: Option<i64>,
    owner: Option<i64>,
    name: &str,
    description: &str,
    registration: &str,
    holds_seat: bool,
    public_key: &str,
    metadata: &str,
) -> Result<RegisteredAgent, ServiceError> {
    let now = now_ms();
    let res = sqlx::query(&format!(
        "INSERT INTO agents (uuid, org_id, owner_id, name, description, registration, holds_seat, public_key, metadata, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING {AGENT_COLS}"
    ))
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(org)
    .bind(owner)
    .bind(name)
    .bind(description)
    .bind(registration)
    .bind(i64::from(holds_seat))
    .bind(public_key)
    .bind(metadata)
    .bind(now)
    .fetch_one(&mut **tx)
    .await;
    match res {
        Ok(row) => Ok(agent_row(&row)?),
        Err(e) if is_unique_violation(&e) => Err(key_taken()),
        Err(e) => Err(e.into()),
    }
}

/// Mints an agent key: the secret (shown once) and the key's id.
pub(crate) async fn insert_agent_key(
    tx: &mut Transaction<'static, Any>,
    agent_id: i64,
    expires_at: Option<i64>,
) -> Result<(String, i64), ServiceError> {
    let secret = secrets::generate(secrets::AGENT_KEY_PREFIX);
    let id: i64 = sqlx::query(
        "INSERT INTO agent_keys (agent_id, key_hash, prefix, created_at, expires_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(agent_id)
    .bind(secrets::hash(&secret))
    .bind(secret.chars().take(SHOWN_PREFIX_LEN).collect::<String>())
    .bind(now_ms())
    .bind(expires_at)
    .fetch_one(&mut **tx)
    .await?
    .try_get("id")?;
    Ok((secret, id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_prefixes_are_slash_24_and_slash_64() {
        assert_eq!(ip_prefix("203.0.113.77".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))), "203.0.113.0/24");
        let v6: IpAddr = "2001:db8:1:2:3:4:5:6".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]));
        assert_eq!(ip_prefix(v6), "2001:db8:1:2::/64");
        let mapped: IpAddr = "::ffff:10.1.2.3".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]));
        assert_eq!(ip_prefix(mapped), "10.1.2.0/24");
    }

    #[test]
    fn public_keys_must_be_32_bytes_of_base64() {
        let k = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
        assert_eq!(parse_public_key(&k).ok(), Some(vec![7u8; 32]));
        assert!(parse_public_key("AAAA").is_err());
        assert!(parse_public_key("not base64!").is_err());
    }
}
