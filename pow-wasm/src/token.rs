//! Stateless HMAC-signed challenge tokens and solution verification.

use crate::{derive, hash_prefix, target_for_difficulty, DOMAIN, MAX_DIFFICULTY, MAX_K};
use alloc::string::String;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use core::fmt;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Token format version byte.
pub const TOKEN_VERSION: u8 = 1;
/// Length of the binary claims payload: version, id, difficulty, k, expires_at, subject.
const PAYLOAD_LEN: usize = 1 + 16 + 1 + 1 + 8 + 8;
/// Length of the HMAC-SHA256 tag.
const TAG_LEN: usize = 32;
/// Length of the binary token.
const RAW_LEN: usize = PAYLOAD_LEN + TAG_LEN;
/// Length of a token string (URL-safe base64 without padding of 67 bytes).
pub const TOKEN_CHARS: usize = 90;

type HmacSha256 = Hmac<Sha256>;

/// The signed contents of a challenge token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Claims {
    /// Challenge id (a UUID's 16 bytes).
    pub id: [u8; 16],
    /// Difficulty in leading zero bits, `0..=MAX_DIFFICULTY`.
    pub difficulty: u8,
    /// Number of nonces a solution must contain, `1..=MAX_K`.
    pub k: u8,
    /// Expiry, unix seconds. The token is expired when `now_unix >= expires_at`.
    pub expires_at: u64,
    /// Owner user id the challenge was issued to; `0` for an invite (unauthenticated)
    /// challenge.
    pub subject: u64,
}

impl Claims {
    /// The target that [`Claims::difficulty`] maps to.
    pub fn target(&self) -> u64 {
        target_for_difficulty(self.difficulty as u32)
    }

    fn payload(&self) -> [u8; PAYLOAD_LEN] {
        let mut p = [0u8; PAYLOAD_LEN];
        p[0] = TOKEN_VERSION;
        p[1..17].copy_from_slice(&self.id);
        p[17] = self.difficulty;
        p[18] = self.k;
        p[19..27].copy_from_slice(&self.expires_at.to_be_bytes());
        p[27..35].copy_from_slice(&self.subject.to_be_bytes());
        p
    }

    fn from_payload(p: &[u8; PAYLOAD_LEN]) -> Result<Claims, VerifyError> {
        if p[0] != TOKEN_VERSION {
            return Err(VerifyError::UnsupportedVersion(p[0]));
        }
        let mut id = [0u8; 16];
        id.copy_from_slice(&p[1..17]);
        let mut e = [0u8; 8];
        e.copy_from_slice(&p[19..27]);
        let mut s = [0u8; 8];
        s.copy_from_slice(&p[27..35]);
        Ok(Claims {
            id,
            difficulty: p[17],
            k: p[18],
            expires_at: u64::from_be_bytes(e),
            subject: u64::from_be_bytes(s),
        })
    }

    fn check_ranges(&self) -> Result<(), VerifyError> {
        if self.difficulty > MAX_DIFFICULTY {
            return Err(VerifyError::InvalidDifficulty(self.difficulty));
        }
        if self.k == 0 || self.k > MAX_K {
            return Err(VerifyError::InvalidK(self.k));
        }
        Ok(())
    }
}

/// Why a token or a solution was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerifyError {
    /// The token is not 90 characters of URL-safe unpadded base64.
    Malformed,
    /// The token's version byte is not [`TOKEN_VERSION`].
    UnsupportedVersion(u8),
    /// The HMAC tag does not match (forged or garbled token, or a different secret).
    BadMac,
    /// The claimed difficulty is above [`MAX_DIFFICULTY`].
    InvalidDifficulty(u8),
    /// The claimed `k` is 0 or above [`MAX_K`].
    InvalidK(u8),
    /// The challenge expired (`now_unix >= expires_at`).
    Expired {
        /// Expiry from the token, unix seconds.
        expires_at: u64,
        /// The time verification was done at, unix seconds.
        now: u64,
    },
    /// The solution does not have exactly `k` nonces.
    WrongCount {
        /// `k` from the token.
        expected: usize,
        /// Number of nonces in the solution.
        got: usize,
    },
    /// Nonce at `index` repeats an earlier nonce.
    DuplicateNonce {
        /// Index of the repeated nonce in the solution.
        index: usize,
    },
    /// Nonce at `index` does not hash below the target.
    NonceAboveTarget {
        /// Index of the failing nonce in the solution.
        index: usize,
    },
    /// Nonce at `index` is not a canonical decimal u64 string.
    BadNonce {
        /// Index of the unparsable nonce in the solution.
        index: usize,
    },
}

impl VerifyError {
    /// A stable machine-readable code, e.g. `"bad_mac"`.
    pub fn code(&self) -> &'static str {
        match self {
            VerifyError::Malformed => "malformed_token",
            VerifyError::UnsupportedVersion(_) => "unsupported_version",
            VerifyError::BadMac => "bad_mac",
            VerifyError::InvalidDifficulty(_) => "invalid_difficulty",
            VerifyError::InvalidK(_) => "invalid_k",
            VerifyError::Expired { .. } => "expired",
            VerifyError::WrongCount { .. } => "wrong_count",
            VerifyError::DuplicateNonce { .. } => "duplicate_nonce",
            VerifyError::NonceAboveTarget { .. } => "nonce_above_target",
            VerifyError::BadNonce { .. } => "bad_nonce",
        }
    }
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerifyError::Malformed => f.write_str("malformed challenge token"),
            VerifyError::UnsupportedVersion(v) => write!(f, "unsupported token version {v}"),
            VerifyError::BadMac => f.write_str("challenge token signature is invalid"),
            VerifyError::InvalidDifficulty(d) => write!(f, "difficulty {d} is out of range"),
            VerifyError::InvalidK(k) => write!(f, "solution count k={k} is out of range"),
            VerifyError::Expired { expires_at, now } => {
                write!(f, "challenge expired at {expires_at} (now {now})")
            }
            VerifyError::WrongCount { expected, got } => {
                write!(f, "expected {expected} nonces, got {got}")
            }
            VerifyError::DuplicateNonce { index } => write!(f, "nonce #{index} is a duplicate"),
            VerifyError::NonceAboveTarget { index } => {
                write!(f, "nonce #{index} does not meet the target")
            }
            VerifyError::BadNonce { index } => {
                write!(f, "nonce #{index} is not a decimal u64 string")
            }
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for VerifyError {}

fn mac(secret: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length (long keys are hashed), so this cannot fail.
    #[allow(clippy::expect_used)]
    let mut m = <HmacSha256 as Mac>::new_from_slice(secret).expect("HMAC takes any key length");
    m.update(DOMAIN);
    m
}

/// Issue a token for `claims`: URL-safe base64 without padding of
/// `payload ‖ HMAC-SHA256(secret, DOMAIN ‖ payload)` (see PROTOCOL.md). Always 90 chars.
pub fn issue_token(secret: &[u8], claims: &Claims) -> String {
    let payload = claims.payload();
    let mut m = mac(secret);
    m.update(&payload);
    let tag = m.finalize().into_bytes();
    let mut raw = [0u8; RAW_LEN];
    raw[..PAYLOAD_LEN].copy_from_slice(&payload);
    raw[PAYLOAD_LEN..].copy_from_slice(&tag);
    URL_SAFE_NO_PAD.encode(raw)
}

fn decode_raw(token: &str) -> Result<([u8; PAYLOAD_LEN], [u8; TAG_LEN]), VerifyError> {
    if token.len() != TOKEN_CHARS {
        return Err(VerifyError::Malformed);
    }
    let mut buf = [0u8; RAW_LEN + 3];
    let n = URL_SAFE_NO_PAD.decode_slice(token.as_bytes(), &mut buf).map_err(|_| VerifyError::Malformed)?;
    if n != RAW_LEN {
        return Err(VerifyError::Malformed);
    }
    let mut p = [0u8; PAYLOAD_LEN];
    p.copy_from_slice(&buf[..PAYLOAD_LEN]);
    let mut t = [0u8; TAG_LEN];
    t.copy_from_slice(&buf[PAYLOAD_LEN..RAW_LEN]);
    Ok((p, t))
}

/// Decode a token's claims WITHOUT checking its MAC (for clients, which do not know the
/// secret). Checks the format, version and the ranges of `difficulty` and `k`.
pub fn decode_token_unverified(token: &str) -> Result<Claims, VerifyError> {
    let (p, _) = decode_raw(token)?;
    let claims = Claims::from_payload(&p)?;
    claims.check_ranges()?;
    Ok(claims)
}

/// Check a solution's nonces against `C` and `target`: exactly `k` nonces, pairwise
/// distinct, each with [`hash_prefix`] `< target`. Errors report the first failing index.
pub fn verify_nonces(c: &[u8; 32], target: u64, k: usize, nonces: &[u64]) -> Result<(), VerifyError> {
    if nonces.len() != k {
        return Err(VerifyError::WrongCount { expected: k, got: nonces.len() });
    }
    for (i, n) in nonces.iter().enumerate() {
        if nonces[..i].contains(n) {
            return Err(VerifyError::DuplicateNonce { index: i });
        }
    }
    for (i, &n) in nonces.iter().enumerate() {
        if hash_prefix(c, n) >= target {
            return Err(VerifyError::NonceAboveTarget { index: i });
        }
    }
    Ok(())
}

/// Verify a solution statelessly: the token's MAC (constant time), version and claim
/// ranges, expiry (`now_unix >= expires_at` is expired), `nonces.len() == k`,
/// distinctness, and that every nonce hashes below the target for `public_key`.
///
/// Returns the verified claims; the caller must still consume `claims.id` atomically
/// (single use). Never panics.
pub fn verify(
    secret: &[u8],
    token: &str,
    public_key: &[u8],
    nonces: &[u64],
    now_unix: u64,
) -> Result<Claims, VerifyError> {
    let (payload, tag) = decode_raw(token)?;
    let mut m = mac(secret);
    m.update(&payload);
    m.verify_slice(&tag).map_err(|_| VerifyError::BadMac)?;
    let claims = Claims::from_payload(&payload)?;
    claims.check_ranges()?;
    if now_unix >= claims.expires_at {
        return Err(VerifyError::Expired { expires_at: claims.expires_at, now: now_unix });
    }
    let c = derive(token.as_bytes(), public_key);
    verify_nonces(&c, claims.target(), claims.k as usize, nonces)?;
    Ok(claims)
}
