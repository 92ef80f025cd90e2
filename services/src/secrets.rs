//! Secrets: generation, hashing at rest, constant-time comparison, and passwords.
//!
//! Every secret is 256 bits from the OS random source with a recognisable prefix. Only
//! its SHA-256 is stored. Passwords use Argon2id.

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Prefix of user API keys.
pub const USER_API_KEY_PREFIX: &str = "uak_";
/// Prefix of agent keys.
pub const AGENT_KEY_PREFIX: &str = "agk_";
/// Prefix of invite tokens.
pub const INVITE_PREFIX: &str = "inv_";
/// Prefix of delegated registration tokens.
pub const DELEGATED_PREFIX: &str = "dlg_";
/// Prefix of password reset tokens.
pub const PASSWORD_RESET_PREFIX: &str = "pwr_";
/// Prefix of member invitation tokens.
pub const MEMBER_INVITE_PREFIX: &str = "mbr_";

/// A new secret: `prefix` followed by 256 random bits in URL-safe base64.
pub fn generate(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// The stored form of a secret: lowercase hex SHA-256.
pub fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Constant-time equality of two byte strings.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// Hashes a password with Argon2id and a fresh salt. CPU-heavy: call off the async runtime.
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default().hash_password(password.as_bytes(), &salt)?.to_string())
}

/// Checks a password against a stored Argon2 hash (constant time inside argon2).
pub fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_have_prefix_and_256_bits() {
        let s = generate(USER_API_KEY_PREFIX);
        assert!(s.starts_with("uak_"));
        assert_eq!(s.len(), 4 + 43);
        assert_ne!(s, generate(USER_API_KEY_PREFIX));
    }

    #[test]
    fn hash_is_hex_sha256_and_ct_eq_compares() {
        assert_eq!(hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"ab"));
    }

    #[test]
    fn passwords_round_trip() {
        let h = hash_password("correct horse battery").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("wrong horse battery", &h));
        assert!(!verify_password("x", "not a hash"));
    }
}
