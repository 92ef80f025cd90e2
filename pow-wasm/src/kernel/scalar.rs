//! Portable scalar kernel (one nonce at a time) with per-challenge precomputation.

use super::generic::{tail_u32, Block};

/// Scan low words `lo_start .. lo_end` (`lo_end <= 2^32`) of the block with high word `hi`.
/// `hit` receives each nonce whose prefix is below `target`, in increasing order, and
/// returns `false` to stop. Returns the number of nonces tried.
#[inline(never)]
pub(crate) fn search_block(
    blk: &Block,
    hi: u32,
    lo_start: u64,
    lo_end: u64,
    target: u64,
    hit: &mut dyn FnMut(u64) -> bool,
) -> u64 {
    let thi = (target >> 32) as u32;
    let base = (hi as u64) << 32;
    let mut lo = lo_start;
    while lo < lo_end {
        let (h0, h1) = tail_u32(blk, (lo as u32).swap_bytes());
        if h0 <= thi && (((h0 as u64) << 32) | h1 as u64) < target && !hit(base | lo) {
            return lo + 1 - lo_start;
        }
        lo += 1;
    }
    lo_end - lo_start
}

/// `SHA-256(C ‖ nonce_le)` prefix computed by the scalar kernel (for cross-checks).
pub(crate) fn prefix(blk: &Block, lo: u32) -> u64 {
    let (h0, h1) = tail_u32(blk, lo.swap_bytes());
    ((h0 as u64) << 32) | h1 as u64
}
