//! WebAssembly SIMD128 kernel: four nonces per step in the four `u32` lanes of a `v128`.

use super::generic::{tail, tail_u32, Block, Word};
use core::arch::wasm32::*;

#[derive(Clone, Copy)]
struct V(v128);

impl Word for V {
    const ROLL: bool = true;
    #[inline(always)]
    fn splat(x: u32) -> Self {
        V(u32x4_splat(x))
    }
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        V(i32x4_add(self.0, o.0))
    }
    #[inline(always)]
    fn xor(self, o: Self) -> Self {
        V(v128_xor(self.0, o.0))
    }
    #[inline(always)]
    fn and(self, o: Self) -> Self {
        V(v128_and(self.0, o.0))
    }
    #[inline(always)]
    fn or(self, o: Self) -> Self {
        V(v128_or(self.0, o.0))
    }
    #[inline(always)]
    fn rotr<const N: u32>(self) -> Self {
        V(v128_or(u32x4_shr(self.0, N), u32x4_shl(self.0, 32 - N)))
    }
    #[inline(always)]
    fn shr<const N: u32>(self) -> Self {
        V(u32x4_shr(self.0, N))
    }
    #[inline(always)]
    fn ch(e: Self, f: Self, g: Self) -> Self {
        V(v128_bitselect(f.0, g.0, e.0))
    }
    #[inline(always)]
    fn maj(a: Self, b: Self, c: Self) -> Self {
        V(v128_bitselect(c.0, a.0, v128_xor(a.0, b.0)))
    }
}

/// Scan low words `lo_start .. lo_end` (`lo_end <= 2^32`) of the block with high word `hi`,
/// four at a time. `hit` receives each nonce whose prefix is below `target`, in increasing
/// order, and returns `false` to stop. Returns the number of nonces tried.
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
    let thi_v = u32x4_splat(thi);
    let base = (hi as u64) << 32;
    let mut lo = lo_start;
    let mut lanes = u32x4(lo as u32, lo as u32 + 1, lo as u32 + 2, lo as u32 + 3);
    let four = u32x4_splat(4);
    while lo + 4 <= lo_end {
        let w8 = i8x16_shuffle::<3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12>(lanes, lanes);
        let (h0, h1) = tail::<V>(blk, V(w8));
        if v128_any_true(u32x4_le(h0.0, thi_v)) {
            let h0s = [
                u32x4_extract_lane::<0>(h0.0),
                u32x4_extract_lane::<1>(h0.0),
                u32x4_extract_lane::<2>(h0.0),
                u32x4_extract_lane::<3>(h0.0),
            ];
            let h1s = [
                u32x4_extract_lane::<0>(h1.0),
                u32x4_extract_lane::<1>(h1.0),
                u32x4_extract_lane::<2>(h1.0),
                u32x4_extract_lane::<3>(h1.0),
            ];
            for i in 0..4 {
                let p = ((h0s[i] as u64) << 32) | h1s[i] as u64;
                if p < target && !hit(base | (lo + i as u64)) {
                    return lo + i as u64 + 1 - lo_start;
                }
            }
        }
        lo += 4;
        lanes = i32x4_add(lanes, four);
    }
    while lo < lo_end {
        let (h0, h1) = tail_u32(blk, (lo as u32).swap_bytes());
        if (((h0 as u64) << 32) | h1 as u64) < target && !hit(base | lo) {
            return lo + 1 - lo_start;
        }
        lo += 1;
    }
    lo_end - lo_start
}
