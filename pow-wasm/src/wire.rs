//! Serde-free helpers for the JSON wire forms (hex target, decimal nonces).

use crate::VerifyError;
use alloc::string::String;
use alloc::vec::Vec;

/// Format a target as 16 lowercase hex digits, as sent in the challenge's `target` field.
pub fn format_target(target: u64) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    (0..16).map(|i| HEX[((target >> (60 - 4 * i)) & 0xf) as usize] as char).collect()
}

/// Parse a target: exactly 16 hex digits (lowercase or uppercase). `None` otherwise.
pub fn parse_target(s: &str) -> Option<u64> {
    if s.len() != 16 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(s, 16).ok()
}

/// Format a nonce as a decimal string, as sent in a solution.
pub fn format_nonce(nonce: u64) -> String {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut n = nonce;
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf[i..].iter().map(|&b| b as char).collect()
}

/// Parse a nonce: a canonical decimal u64 (ASCII digits only, no sign, no leading zeros
/// except `"0"` itself, at most `u64::MAX`). `None` otherwise.
pub fn parse_nonce(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.is_empty() || b.len() > 20 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    if b.len() > 1 && b[0] == b'0' {
        return None;
    }
    s.parse::<u64>().ok()
}

/// Parse a solution's decimal-string nonces; the error names the first bad index.
pub fn parse_nonces<S: AsRef<str>>(items: &[S]) -> Result<Vec<u64>, VerifyError> {
    items.iter().enumerate().map(|(i, s)| parse_nonce(s.as_ref()).ok_or(VerifyError::BadNonce { index: i })).collect()
}
