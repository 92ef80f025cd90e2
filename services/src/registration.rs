//! Agent registration (seed 000): the owner and invite flows. The contract is
//! `docs/REGISTRATION.md`; challenges are `challenges.rs`, seats `seats.rs`, agent rows
//! `agents/store.rs`, delegated tokens `delegated.rs`, invites after registration
//! `invites.rs`.
//!
//! Order of work: the payload is parsed (by the adapter), the rate limits are checked (a
//! read; on PostgreSQL they are counted here instead, see [`dialect::counts_in_write`]),
//! the challenge row is read and the solution verified (microseconds, no write), then ONE
//! transaction consumes the challenge with a conditional UPDATE (single use), inserts the
//! agent (its public key's unique index decides duplicates) and its key, spends the
//! delegated token if one is used (conditional UPDATE), audits, counts the rate limits
//! (SQLite), and takes the seat (conditional UPDATE) last, so the hot rows are locked only
//! until the commit. The owner flow's transaction is one batch of statements
//! (`registration/owned.rs`, `store/batch.rs`). A successful registration is one commit; a
//! failed one also counts its rate-limit hits on their own.

mod ahead;
mod owned;

use crate::agents::store::{insert_agent, NewAgent};
use crate::audit::{self, Event};
use crate::challenges::{consume, prefix_of, Stored};
use crate::errors::ErrorCode;
use crate::inputs::AgentIdentity;
use crate::model::{
    AgentRegistrationRequest, AgentRegistrationResponse, RegisteredAgent, RegistrationMode, RegistrationState,
};
use crate::principal::{Principal, RequestMeta};
use crate::rate_limit::Limit;
use crate::store::{dialect, to_time};
use crate::{invites, seats, secrets, ServiceError, Services};
use sqlx::Row;

/// A registration request, parsed.
#[derive(Clone, Debug)]
pub struct Registration {
    /// The agent.
    pub identity: AgentIdentity,
    /// The challenge it solved.
    pub challenge_id: uuid::Uuid,
    /// The solution's nonces.
    pub nonces: Vec<u64>,
    /// The existing agent (a definition without an identity) that gets this identity.
    pub agent_id: Option<i64>,
}

impl Registration {
    /// Parses every field of a registration body; all invalid fields in one 400.
    pub fn parse(req: &AgentRegistrationRequest) -> Result<Self, ServiceError> {
        let identity = AgentIdentity::parse(req);
        let challenge_id = uuid::Uuid::parse_str(req.challenge_id.trim());
        let (identity, challenge_id) = match (identity, challenge_id) {
            (Ok(i), Ok(c)) => (i, c),
            (identity, challenge) => {
                let mut fields = identity.err().unwrap_or_default();
                if challenge.is_err() {
                    fields.push(crate::FieldError::new("challengeId", "The challenge id must be a UUID."));
                }
                return Err(ServiceError::validation(fields));
            }
        };
        let nonces = pow_wasm::parse_nonces(&req.solution.nonces)
            .map_err(|e| ServiceError::new(ErrorCode::InvalidSolution, format!("The solution is invalid: {e}.")))?;
        Ok(Registration { identity, challenge_id, nonces, agent_id: req.agent_id })
    }
}

impl Services {
    /// Registers an agent: the owner flow when the challenge was issued to a user (who
    /// must be the caller), the invite flow when it was issued to `invite`.
    #[tracing::instrument(skip_all)]
    pub async fn register_agent(
        &self,
        p: Option<&Principal>,
        reg: Registration,
        meta: &RequestMeta,
    ) -> Result<AgentRegistrationResponse, ServiceError> {
        let prefix = prefix_of(meta);
        let cfg = self.config();
        let actor = p.map(|p| p.user_id);
        let mut limits = vec![Limit::new(format!("register:ip:{prefix}"), cfg.registration_limit_per_ip)];
        if let Some(p) = p {
            limits.push(Limit::new(format!("register:owner:{}", p.user_id), cfg.registration_limit_per_owner));
        }
        limits.push(Limit::new("register:global", cfg.registration_limit_global));
        if !dialect::counts_in_write(self.db().backend) {
            // Counted first, on their own (a commit that does not wait for the disk), with
            // the seat reserved and the challenge read: every attempt counts, and neither the
            // shared counters nor the organization's row are held by the registration.
            if let Some(result) = self.register_ahead(p, reg.clone(), meta, &limits).await {
                let response = result?;
                self.adapt(&prefix, actor, meta).await;
                return Ok(response);
            }
        }
        // A read now; the hits are counted in the registration's own transaction, or, when
        // the attempt fails, on their own: failed attempts count too.
        let (hits, stored) = self.reads(&limits, reg.challenge_id).await?;
        self.precheck(&limits, &hits, meta, actor).await?;
        match self.register_counted(p, reg, stored, meta, &limits, None).await {
            Ok(response) => {
                self.adapt(&prefix, actor, meta).await;
                Ok(response)
            }
            Err(e) => {
                let counted = self.limit(&limits, meta, actor).await;
                if e.is(ErrorCode::RateLimited) {
                    counted?;
                }
                Err(e)
            }
        }
    }

    /// The reads before the write, in one query (one hop to a reader connection): the hits
    /// of the limits' buckets in the current window ([`Services::precheck`]) and the
    /// challenge ([`Services::check_solution`]).
    async fn reads(
        &self,
        limits: &[Limit],
        challenge_id: uuid::Uuid,
    ) -> Result<(Vec<(String, i64)>, Option<Stored>), ServiceError> {
        let list = (0..limits.len()).map(|i| format!("${}", i + 3)).collect::<Vec<_>>().join(", ");
        let sql = format!(
            "SELECT bucket, hits, NULL AS token, NULL AS used_at FROM rate_limits WHERE window_start = $1 AND bucket IN ({list})
             UNION ALL SELECT NULL, NULL, token, used_at FROM challenges WHERE id = $2"
        );
        let mut q = sqlx::query(&sql).bind(self.window_start()).bind(challenge_id.to_string());
        for l in limits {
            q = q.bind(&l.bucket);
        }
        let (mut hits, mut stored) = (Vec::new(), None);
        for r in q.fetch_all(&self.db().pool).await? {
            match r.try_get::<Option<String>, _>("bucket")? {
                Some(bucket) => hits.push((bucket, r.try_get("hits")?)),
                None => stored = Some(Stored { token: r.try_get("token")?, used_at: r.try_get("used_at")? }),
            }
        }
        Ok((hits, stored))
    }

    async fn register_counted(
        &self,
        p: Option<&Principal>,
        reg: Registration,
        stored: Option<Stored>,
        meta: &RequestMeta,
        limits: &[Limit],
        seat: Option<seats::Seat>,
    ) -> Result<AgentRegistrationResponse, ServiceError> {
        let cfg = self.config();
        let actor = p.map(|p| p.user_id);
        let claims =
            self.check_solution(stored, reg.challenge_id, &reg.identity.public_key, &reg.nonces, actor, meta).await?;
        let response = if claims.subject == 0 {
            // An invite challenge sent with a session: the invite flow takes its own seat.
            if let Some(seat) = seat {
                self.release_seat(seat).await;
            }
            if reg.agent_id.is_some() {
                return Err(ServiceError::field(
                    "agentId",
                    "agentId is for registering with your own session or key (the owner flow), not an invite.",
                ));
            }
            let email = reg.identity.owner_email.clone().ok_or_else(|| {
                ServiceError::field("ownerEmail", "An invite challenge needs the owner's email address.")
            })?;
            let limit =
                Limit::new(format!("invite:email:{}", secrets::hash(email.as_str())), cfg.registration_limit_per_owner);
            self.limit(&[limit], meta, None).await?;
            self.register_invite(&reg, &email, meta, limits).await?
        } else {
            let p = p.ok_or_else(ServiceError::unauthorized)?;
            if u64::try_from(p.user_id).ok() != Some(claims.subject) {
                return Err(ServiceError::new(
                    ErrorCode::ChallengeNotYours,
                    "This challenge was issued to someone else.",
                ));
            }
            if let Some(scope) = p.delegated() {
                if let Some(np) = scope.name_prefix.as_deref().filter(|np| !np.is_empty()) {
                    if !reg.identity.name.as_str().starts_with(np) {
                        return Err(ServiceError::new(
                            ErrorCode::DelegatedTokenScope,
                            format!("This delegated token only registers agents named {np}…"),
                        ));
                    }
                }
                if scope.max_difficulty.is_some_and(|m| claims.difficulty > m) {
                    return Err(ServiceError::new(
                        ErrorCode::DelegatedTokenScope,
                        "The challenge is harder than this delegated token allows.",
                    ));
                }
            }
            let target = match reg.agent_id {
                Some(id) => Some(self.identity_target(p, id).await?),
                None => None,
            };
            self.register_owned(p, &reg, target, meta, limits, seat).await?
        };
        Ok(response)
    }

    async fn register_invite(
        &self,
        reg: &Registration,
        email: &crate::vocab::Email,
        meta: &RequestMeta,
        limits: &[Limit],
    ) -> Result<AgentRegistrationResponse, ServiceError> {
        let now = self.now_ms();
        let expires = now + crate::clock::ms(self.config().invite_ttl);
        let mut tx = self.db().begin().await?;
        consume(&mut tx, reg.challenge_id, now).await?;
        // The recipient's first organization, when the address has an account.
        let org: Option<i64> = sqlx::query(
            "SELECT m.org_id FROM users u JOIN memberships m ON m.user_id = u.id WHERE u.email = $1
             ORDER BY m.created_at, m.org_id LIMIT 1",
        )
        .bind(email.as_str())
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| r.try_get("org_id"))
        .transpose()?;
        let holds = match org {
            Some(org) => seats::try_reserve(&mut tx, org).await?,
            None => false,
        };
        let agent = NewAgent {
            org,
            owner: None,
            name: &reg.identity.name,
            description: &reg.identity.description,
            public_key: &reg.identity.public_key,
            registration: RegistrationState::PendingInvite,
            mode: RegistrationMode::Invite,
            holds_seat: holds,
            email: Some(email.as_str()),
        };
        let agent = insert_agent(&mut tx, agent, now).await?;
        let token = secrets::generate(secrets::INVITE_PREFIX);
        sqlx::query(
            "INSERT INTO invites (agent_id, org_id, email, token_hash, status, created_at, expires_at)
             VALUES ($1, $2, $3, $4, 'pending', $5, $6)",
        )
        .bind(agent.id)
        .bind(org)
        .bind(email.as_str())
        .bind(secrets::hash(&token))
        .bind(now)
        .bind(expires)
        .execute(&mut *tx)
        .await?;
        let mail = invites::InviteEmail { org, to: email.as_str(), agent_name: &agent.name, token: &token, expires };
        self.queue_invite_email(&mut tx, mail).await?;
        let event = Event {
            org_id: org,
            actor_user_id: None,
            action: "agent.invite_created",
            object_type: "agent",
            object_id: agent.id.to_string(),
            detail: Some(serde_json::json!({ "challenge": reg.challenge_id.to_string() }).to_string()),
            reason: None,
        };
        audit::record(&mut *tx, meta, event, now).await?;
        self.count_in(&mut tx, limits).await?;
        tx.commit().await?;
        // The same answer whether or not the address has an account.
        Ok(AgentRegistrationResponse {
            agent: RegisteredAgent { org_id: None, owner_id: None, ..agent },
            api_key: None,
            key_id: None,
            status: RegistrationState::PendingInvite,
            invite_expires_at: Some(to_time(expires)),
        })
    }
}
