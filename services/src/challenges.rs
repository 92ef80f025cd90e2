//! Proof-of-work challenges (seed 000; wire format in `pow-wasm/PROTOCOL.md`): issuing
//! them with a difficulty that adapts to recent activity, checking a solution, and
//! consuming a challenge exactly once.

use crate::audit::{self, Event};
use crate::errors::ErrorCode;
use crate::model::AgentChallenge;
use crate::principal::{Principal, RequestMeta};
use crate::rate_limit::Limit;
use crate::store::batch::Batch;
use crate::store::to_time;
use crate::vocab::{Difficulty, PublicKey};
use crate::{ServiceError, Services};
use sqlx::{Any, Transaction};
use std::net::IpAddr;

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

/// The caller's network, for rate-limit buckets.
pub(crate) fn prefix_of(meta: &RequestMeta) -> String {
    meta.ip.map(ip_prefix).unwrap_or_else(|| "unknown".into())
}

/// A challenge as stored: its token and when it was used.
pub(crate) struct Stored {
    pub token: String,
    pub used_at: Option<i64>,
}

pub(crate) fn used() -> ServiceError {
    ServiceError::new(ErrorCode::ChallengeUsed, "This challenge was already used.")
}

impl Services {
    /// Extra difficulty bits from recent activity: `hits / pow_adaptive_step` of the IP
    /// prefix's counter and of the owner's, whichever is larger.
    async fn adaptive_bits(&self, prefix: &str, owner: Option<i64>) -> Result<u8, ServiceError> {
        let step = self.config().pow_adaptive_step;
        if step == 0 {
            return Ok(0);
        }
        let most =
            self.most_hits(&[format!("adapt:ip:{prefix}"), format!("adapt:owner:{}", owner.unwrap_or(0))]).await?;
        Ok(u8::try_from(most / step).unwrap_or(u8::MAX))
    }

    /// Feeds the adaptive difficulty counters (a registration or a failed solution).
    pub(crate) async fn adapt(&self, prefix: &str, owner: Option<i64>, meta: &RequestMeta) {
        if self.config().pow_adaptive_step == 0 {
            return;
        }
        let mut counters = vec![Limit::new(format!("adapt:ip:{prefix}"), u64::MAX)];
        if let Some(o) = owner {
            counters.push(Limit::new(format!("adapt:owner:{o}"), u64::MAX));
        }
        let _ = self.limit(&counters, meta, None).await;
    }

    /// Issues a challenge. `p` is the owner (session, user key or delegated token);
    /// without one, `invite` must be true. An explicit `difficulty` is clamped to
    /// `[floor, max]`, where the floor is the configured minimum (higher for invites) plus
    /// the adaptive bits; a delegated token caps it at its own maximum.
    #[tracing::instrument(skip_all)]
    pub async fn issue_challenge(
        &self,
        p: Option<&Principal>,
        difficulty: Option<Difficulty>,
        invite: bool,
        meta: &RequestMeta,
    ) -> Result<AgentChallenge, ServiceError> {
        let owner = if invite { None } else { Some(p.ok_or_else(ServiceError::unauthorized)?) };
        let prefix = prefix_of(meta);
        let limit = Limit::new(format!("challenge:ip:{prefix}"), self.config().challenge_limit_per_ip);
        self.limit(&[limit], meta, p.map(|p| p.user_id)).await?;
        let cfg = self.config();
        let max = cfg.pow_max_difficulty.min(pow_wasm::MAX_DIFFICULTY);
        let min = cfg.pow_min_difficulty.min(max);
        let base = if owner.is_some() { min } else { cfg.pow_invite_min_difficulty.clamp(min, max) };
        let bump = self.adaptive_bits(&prefix, owner.map(|p| p.user_id)).await?;
        let floor = base.saturating_add(bump).min(max);
        let mut bits = difficulty.map_or(floor, |d| d.bits().clamp(floor, max));
        if let Some(m) = owner.and_then(Principal::delegated).and_then(|s| s.max_difficulty) {
            // A delegated token caps what its CI job is asked to solve (not below the minimum).
            bits = bits.min(m.max(min));
        }
        let k = cfg.pow_solutions.clamp(1, pow_wasm::MAX_K);
        let id = uuid::Uuid::new_v4();
        let now = self.now_ms();
        let expires_secs = self.clock().now_secs() + cfg.challenge_ttl.as_secs().max(1);
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
        .execute(self.db().writer())
        .await?;
        if id.as_bytes()[0] == 0 {
            // About one issuance in 256 sweeps expired challenges. A row is only needed
            // until its token expires: after that, verification rejects the token anyway.
            sqlx::query("DELETE FROM challenges WHERE expires_at < $1")
                .bind(now - 60_000)
                .execute(self.db().writer())
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

    /// Checks a solution against its challenge (`stored`, read together with the caller's
    /// other reads: `registration.rs`, `registration/ahead.rs`): microseconds of hashing, no write unless it fails (then the failure is audited and counted for
    /// adaptive difficulty). The challenge is consumed later, inside the registration.
    pub(crate) async fn check_solution(
        &self,
        stored: Option<Stored>,
        challenge_id: uuid::Uuid,
        public_key: &PublicKey,
        nonces: &[u64],
        actor: Option<i64>,
        meta: &RequestMeta,
    ) -> Result<pow_wasm::Claims, ServiceError> {
        let stored = stored.ok_or_else(|| ServiceError::new(ErrorCode::ChallengeNotFound, "No such challenge."))?;
        match pow_wasm::verify(self.secret(), &stored.token, public_key.bytes(), nonces, self.clock().now_secs()) {
            Ok(c) if c.id == *challenge_id.as_bytes() => {
                if stored.used_at.is_some() {
                    return Err(used());
                }
                Ok(c)
            }
            Ok(_) => Err(ServiceError::internal("challenge row and token disagree")),
            Err(e) => {
                let event = Event {
                    org_id: None,
                    actor_user_id: actor,
                    action: "agent.pow_failed",
                    object_type: "challenge",
                    object_id: challenge_id.to_string(),
                    detail: Some(e.code().to_string()),
                    reason: None,
                };
                audit::record(self.db().writer(), meta, event, self.now_ms()).await?;
                self.adapt(&prefix_of(meta), actor, meta).await;
                Err(match e {
                    pow_wasm::VerifyError::Expired { .. } => {
                        ServiceError::new(ErrorCode::ChallengeExpired, "The challenge has expired; fetch a new one.")
                    }
                    e => ServiceError::new(
                        ErrorCode::InvalidSolution,
                        format!("The proof-of-work solution is invalid ({}): {e}.", e.code()),
                    ),
                })
            }
        }
    }
}

/// Marks a challenge used (`$1` now, `$2` id): the one guarantee of single use.
const CONSUME: &str = "UPDATE challenges SET used_at = $1 WHERE id = $2 AND used_at IS NULL";

/// [`consume`] as a statement of a batch, which fails when the challenge was used already.
pub(crate) fn push_consume(batch: &mut Batch, id: uuid::Uuid, now: i64) -> usize {
    batch.push_must_change(CONSUME, vec![now.into(), id.to_string().into()])
}

/// Marks the challenge used: the one guarantee of single use.
pub(crate) async fn consume(tx: &mut Transaction<'static, Any>, id: uuid::Uuid, now: i64) -> Result<(), ServiceError> {
    let done = sqlx::query(CONSUME).bind(now).bind(id.to_string()).execute(&mut **tx).await?.rows_affected();
    if done == 0 {
        return Err(used());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_prefixes_are_slash_24_and_slash_64() {
        let p = |s: &str| s.parse::<IpAddr>().map(ip_prefix).unwrap_or_default();
        assert_eq!(p("203.0.113.77"), "203.0.113.0/24");
        assert_eq!(p("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
        assert_eq!(p("::ffff:10.1.2.3"), "10.1.2.0/24");
    }
}
