//! Agentry's SHA-256 proof of work: protocol core, kernels, native solver, token codec and
//! verifier, and (with the `wasm` feature) wasm-bindgen bindings for the JS package.
//!
//! The protocol is specified in `pow-wasm/PROTOCOL.md`. In short:
//!
//! * `C = SHA-256(DOMAIN ‖ token ‖ SHA-256(public_key))` ([`derive`]);
//! * a nonce `n` is valid when the first 8 bytes of `SHA-256(C ‖ n.to_le_bytes())`, read as
//!   a big-endian `u64` ([`hash_prefix`]), are below the target
//!   ([`target_for_difficulty`]);
//! * a solution is `k` distinct valid nonces; the server checks it with [`verify`].
//!
//! The core is `no_std` (with `alloc`) when the default `std` feature is off.
// The kernels split nonces into u32 halves and pack hash words with intentional `as`
// truncations and widenings in their hottest loops; checked conversions there would cost
// speed and say nothing more. Everything outside this crate denies `as`.
#![allow(clippy::as_conversions)]
#![cfg_attr(not(feature = "std"), no_std)]
#![warn(missing_docs)]

extern crate alloc;

pub mod kernel;
#[cfg(feature = "std")]
mod native;
mod token;
#[cfg(feature = "wasm")]
mod wasm;
mod wire;

#[cfg(feature = "std")]
pub use native::{solve, Progress};
pub use token::{
    decode_token_unverified, issue_token, verify, verify_nonces, Claims, VerifyError, TOKEN_CHARS, TOKEN_VERSION,
};
pub use wire::{format_nonce, format_target, parse_nonce, parse_nonces, parse_target};

use alloc::vec::Vec;
use kernel::generic::Challenge;
use sha2::{Digest, Sha256};

#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
cpufeatures::new!(shani, "sha", "sse2", "ssse3", "sse4.1");

/// Domain-separation prefix of the protocol (version 1).
pub const DOMAIN: &[u8] = b"agentry-pow/v1";
/// Default number of nonces per solution.
pub const DEFAULT_K: u8 = 8;
/// Largest number of nonces per solution that the protocol allows.
pub const MAX_K: u8 = 64;
/// Largest difficulty (leading zero bits) that the protocol allows.
pub const MAX_DIFFICULTY: u8 = 32;

/// Derive the per-challenge value `C = SHA-256(DOMAIN ‖ token ‖ SHA-256(public_key))`.
///
/// `token` is the token string's bytes exactly as sent in the challenge JSON;
/// `public_key` is the raw public key bytes.
pub fn derive(token: &[u8], public_key: &[u8]) -> [u8; 32] {
    let pk_hash = Sha256::digest(public_key);
    let mut h = Sha256::new();
    h.update(DOMAIN);
    h.update(token);
    h.update(pk_hash);
    h.finalize().into()
}

/// The target for a difficulty of `bits` leading zero bits: `2^(64 - bits)`.
///
/// Edge cases: `bits == 0` gives `u64::MAX` (every prefix but `u64::MAX` itself is valid,
/// since `2^64` does not fit), and `bits >= 64` gives `0`, which no nonce can meet (the
/// protocol caps difficulty at [`MAX_DIFFICULTY`] anyway).
pub fn target_for_difficulty(bits: u32) -> u64 {
    match bits {
        0 => u64::MAX,
        1..=63 => 1u64 << (64 - bits),
        _ => 0,
    }
}

/// The 64-byte padded message block `C ‖ nonce_le ‖ 0x80 ‖ 0… ‖ 320_be`.
fn block_bytes(c: &[u8; 32], nonce: u64) -> [u8; 64] {
    let mut b = [0u8; 64];
    b[..32].copy_from_slice(c);
    b[32..40].copy_from_slice(&nonce.to_le_bytes());
    b[40] = 0x80;
    b[62] = 0x01; // 320 bits = 0x0140
    b[63] = 0x40;
    b
}

/// One SHA-256 compression of a single padded block from the initial state, returning the
/// first 8 bytes of the digest as a big-endian u64.
#[inline]
fn compress_prefix(block: &[u8; 64]) -> u64 {
    let mut st = kernel::IV;
    sha2::compress256(&mut st, core::slice::from_ref(sha2::digest::generic_array::GenericArray::from_slice(block)));
    ((st[0] as u64) << 32) | st[1] as u64
}

/// The first 8 bytes, as a big-endian u64, of `SHA-256(C ‖ nonce.to_le_bytes())`.
pub fn hash_prefix(c: &[u8; 32], nonce: u64) -> u64 {
    compress_prefix(&block_bytes(c, nonce))
}

/// A SHA-256 kernel that [`Solver`] can use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kernel {
    /// Portable scalar kernel with per-challenge precomputation.
    Scalar,
    /// WebAssembly SIMD128, four nonces per step (only on `wasm32` with `+simd128`).
    Simd128,
    /// The `sha2` crate's compression function, which uses the x86 SHA extensions when the
    /// CPU has them (native x86/x86_64 only).
    Sha2,
}

impl Kernel {
    /// The fastest kernel for this build and CPU.
    pub fn best() -> Kernel {
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        {
            Kernel::Simd128
        }
        #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
        {
            #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
            if shani::get() {
                return Kernel::Sha2;
            }
            Kernel::Scalar
        }
    }

    /// Whether this kernel can run on this build (e.g. `Simd128` only on wasm +simd128).
    pub fn available(self) -> bool {
        match self {
            Kernel::Scalar | Kernel::Sha2 => true,
            Kernel::Simd128 => cfg!(all(target_arch = "wasm32", target_feature = "simd128")),
        }
    }

    /// A short name: `"scalar"`, `"simd128"` or `"sha2"`.
    pub fn name(self) -> &'static str {
        match self {
            Kernel::Scalar => "scalar",
            Kernel::Simd128 => "simd128",
            Kernel::Sha2 => "sha2",
        }
    }
}

/// A precomputed searcher for one challenge `(C, target)`.
#[derive(Clone, Debug)]
pub struct Solver {
    c: [u8; 32],
    ch: Challenge,
    target: u64,
    kernel: Kernel,
}

impl Solver {
    /// Precompute the per-challenge state, using [`Kernel::best`].
    pub fn new(c: &[u8; 32], target: u64) -> Self {
        Self::with_kernel(c, target, Kernel::best())
    }

    /// Precompute the per-challenge state for a given kernel. An unavailable kernel
    /// falls back to [`Kernel::Scalar`].
    pub fn with_kernel(c: &[u8; 32], target: u64, kernel: Kernel) -> Self {
        let kernel = if kernel.available() { kernel } else { Kernel::Scalar };
        Solver { c: *c, ch: Challenge::new(c), target, kernel }
    }

    /// The kernel in use.
    pub fn kernel(&self) -> Kernel {
        self.kernel
    }

    /// The target this solver searches below.
    pub fn target(&self) -> u64 {
        self.target
    }

    /// Scan nonces `start .. start.saturating_add(count)` in increasing order (so
    /// `u64::MAX` itself is never tried), appending each valid nonce to `out`, and stop as
    /// soon as `out.len() >= want`. Returns the number of nonces tried.
    pub fn search(&self, start: u64, count: u64, out: &mut Vec<u64>, want: usize) -> u64 {
        let end = start.saturating_add(count);
        if self.target == 0 || out.len() >= want || start >= end {
            return 0;
        }
        let target = self.target;
        let mut hit = |n: u64| {
            out.push(n);
            out.len() < want
        };
        let mut n = start;
        let mut tried = 0u64;
        while n < end {
            let hi = (n >> 32) as u32;
            let lo = n & 0xffff_ffff;
            let lo_end = core::cmp::min(end - ((hi as u64) << 32), 1u64 << 32);
            let span = lo_end - lo;
            let done = match self.kernel {
                Kernel::Sha2 => search_sha2(&self.c, n, span, target, &mut hit),
                #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
                Kernel::Simd128 => {
                    let blk = self.ch.block(hi);
                    kernel::simd::search_block(&blk, hi, lo, lo_end, target, &mut hit)
                }
                _ => {
                    let blk = self.ch.block(hi);
                    kernel::scalar::search_block(&blk, hi, lo, lo_end, target, &mut hit)
                }
            };
            tried += done;
            if done < span {
                break;
            }
            n += span;
        }
        tried
    }

    /// The hash prefix of `nonce` computed with the scalar kernel (used to cross-check
    /// kernels against `sha2`).
    pub fn scalar_prefix(&self, nonce: u64) -> u64 {
        let blk = self.ch.block((nonce >> 32) as u32);
        kernel::scalar::prefix(&blk, nonce as u32)
    }
}

fn search_sha2(c: &[u8; 32], start: u64, count: u64, target: u64, hit: &mut dyn FnMut(u64) -> bool) -> u64 {
    let mut b = block_bytes(c, start);
    for i in 0..count {
        let n = start + i;
        b[32..40].copy_from_slice(&n.to_le_bytes());
        if compress_prefix(&b) < target && !hit(n) {
            return i + 1;
        }
    }
    count
}

/// Search nonces `start .. start + count` for ones whose hash prefix is below `target`,
/// appending them to `out` in increasing order and stopping once `out.len() >= want`.
/// Uses the fastest kernel for the build ([`Kernel::best`]). Returns the number of nonces
/// tried. A `target` of 0 returns immediately.
pub fn solve_range(c: &[u8; 32], target: u64, start: u64, count: u64, out: &mut Vec<u64>, want: usize) -> u64 {
    Solver::new(c, target).search(start, count, out, want)
}
