//! Checks shared by the native and wasm test binaries.
#![allow(dead_code, clippy::unwrap_used, clippy::as_conversions)]

pub mod data;

use data::*;
use pow_wasm::*;
use sha2::{Digest, Sha256};

pub fn check_vectors() {
    let pk = public_key();
    for v in VECTORS.iter() {
        let claims = Claims { id: ID, difficulty: v.difficulty, k: v.k, expires_at: EXPIRES_AT, subject: SUBJECT };
        let token = issue_token(SECRET, &claims);
        assert_eq!(token, v.token);
        let c = derive(token.as_bytes(), &pk);
        assert_eq!(hex(&c), v.c);
        assert_eq!(format_target(claims.target()), v.target);
        assert_eq!(format_target(hash_prefix(&c, 0)), v.prefix0);
        let mut out = Vec::new();
        solve_range(&c, claims.target(), 0, u64::MAX, &mut out, v.k as usize);
        assert_eq!(out, v.nonces);
        assert_eq!(verify(SECRET, &token, &pk, v.nonces, EXPIRES_AT - 1), Ok(claims));
    }
}

fn reference_prefix(c: &[u8; 32], nonce: u64) -> u64 {
    let mut m = c.to_vec();
    m.extend_from_slice(&nonce.to_le_bytes());
    let d = Sha256::digest(&m);
    u64::from_be_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]])
}

/// The best kernel of this build (SIMD128 when built with +simd128) and the scalar kernel
/// agree with `sha2` for every nonce of a range straddling a 2^32 boundary.
pub fn check_kernels() {
    let c = derive(b"wasm-kernels", b"pk");
    let t = target_for_difficulty(5);
    let start = 0x1_0000_0000u64 - 101;
    let expected: Vec<u64> = (start..start + 1003).filter(|&n| reference_prefix(&c, n) < t).collect();
    for kernel in [Kernel::best(), Kernel::Scalar] {
        let s = Solver::with_kernel(&c, t, kernel);
        let mut out = Vec::new();
        assert_eq!(s.search(start, 1003, &mut out, usize::MAX), 1003);
        assert_eq!(out, expected, "{:?}", s.kernel());
    }
    let s = Solver::new(&c, t);
    for n in [0u64, 7, 0xffff_ffff, u64::MAX - 1] {
        assert_eq!(s.scalar_prefix(n), reference_prefix(&c, n));
    }
    #[cfg(target_feature = "simd128")]
    assert_eq!(Kernel::best(), Kernel::Simd128);
}
