//! Lane-generic SHA-256 tail used by the scalar and SIMD kernels.

use super::{IV, K};

/// A 32-bit SHA-256 word, or several of them processed in lock step (SIMD lanes).
pub(crate) trait Word: Copy {
    /// Run rounds 39–62 as a loop instead of unrolled (smaller code; used for SIMD so
    /// that the wasm stays under 40 KB).
    const ROLL: bool = false;
    fn splat(x: u32) -> Self;
    fn add(self, o: Self) -> Self;
    fn xor(self, o: Self) -> Self;
    fn and(self, o: Self) -> Self;
    fn or(self, o: Self) -> Self;
    fn rotr<const N: u32>(self) -> Self;
    fn shr<const N: u32>(self) -> Self;
    /// `Ch(e, f, g)`.
    #[inline(always)]
    fn ch(e: Self, f: Self, g: Self) -> Self {
        g.xor(e.and(f.xor(g)))
    }
    /// `Maj(a, b, c)`.
    #[inline(always)]
    fn maj(a: Self, b: Self, c: Self) -> Self {
        a.and(b).or(c.and(a.or(b)))
    }
}

impl Word for u32 {
    #[inline(always)]
    fn splat(x: u32) -> Self {
        x
    }
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        self.wrapping_add(o)
    }
    #[inline(always)]
    fn xor(self, o: Self) -> Self {
        self ^ o
    }
    #[inline(always)]
    fn and(self, o: Self) -> Self {
        self & o
    }
    #[inline(always)]
    fn or(self, o: Self) -> Self {
        self | o
    }
    #[inline(always)]
    fn rotr<const N: u32>(self) -> Self {
        self.rotate_right(N)
    }
    #[inline(always)]
    fn shr<const N: u32>(self) -> Self {
        self >> N
    }
}

#[inline(always)]
pub(crate) fn bsig0<W: Word>(x: W) -> W {
    x.rotr::<2>().xor(x.rotr::<13>()).xor(x.rotr::<22>())
}
#[inline(always)]
pub(crate) fn bsig1<W: Word>(x: W) -> W {
    x.rotr::<6>().xor(x.rotr::<11>()).xor(x.rotr::<25>())
}
#[inline(always)]
pub(crate) fn ssig0<W: Word>(x: W) -> W {
    x.rotr::<7>().xor(x.rotr::<18>()).xor(x.shr::<3>())
}
#[inline(always)]
pub(crate) fn ssig1<W: Word>(x: W) -> W {
    x.rotr::<17>().xor(x.rotr::<19>()).xor(x.shr::<10>())
}
#[inline(always)]
fn ch<W: Word>(e: W, f: W, g: W) -> W {
    W::ch(e, f, g)
}
#[inline(always)]
fn maj<W: Word>(a: W, b: W, c: W) -> W {
    W::maj(a, b, c)
}

/// Is message word `i` dependent on the per-attempt word `W8`?
const fn var(i: usize) -> bool {
    i == 8 || i >= 23
}

/// Per-challenge precomputation: rounds 0–7 and the constant part of round 8.
#[derive(Clone, Debug)]
pub(crate) struct Challenge {
    /// Message words `W0..W7` (the big-endian words of `C`).
    w: [u32; 8],
    /// `a` after round 8, minus `W8`.
    a9: u32,
    /// `e` after round 8, minus `W8`.
    e9: u32,
    /// `b, c, d` after round 8 (= `a, b, c` after round 7).
    bcd: [u32; 3],
    /// `f, g, h` after round 8 (= `e, f, g` after round 7).
    fgh: [u32; 3],
}

impl Challenge {
    pub(crate) fn new(c: &[u8; 32]) -> Self {
        let mut w = [0u32; 8];
        for (i, word) in w.iter_mut().enumerate() {
            *word = u32::from_be_bytes([c[4 * i], c[4 * i + 1], c[4 * i + 2], c[4 * i + 3]]);
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = IV;
        for t in 0..8 {
            let t1 = h.wrapping_add(bsig1(e)).wrapping_add(ch(e, f, g)).wrapping_add(K[t]).wrapping_add(w[t]);
            let t2 = bsig0(a).wrapping_add(<u32 as Word>::maj(a, b, c));
            h = g;
            g = f;
            f = e;
            e = d.wrapping_add(t1);
            d = c;
            c = b;
            b = a;
            a = t1.wrapping_add(t2);
        }
        // Round 8 without W8.
        let t1 = h.wrapping_add(bsig1(e)).wrapping_add(<u32 as Word>::ch(e, f, g)).wrapping_add(K[8]);
        let t2 = bsig0(a).wrapping_add(<u32 as Word>::maj(a, b, c));
        Challenge { w, a9: t1.wrapping_add(t2), e9: d.wrapping_add(t1), bcd: [a, b, c], fgh: [e, f, g] }
    }

    /// Precompute everything that depends only on the nonce's high 32 bits.
    pub(crate) fn block(&self, hi: u32) -> Block {
        let mut w = [0u32; 64];
        w[..8].copy_from_slice(&self.w);
        w[9] = hi.swap_bytes();
        w[10] = 0x8000_0000;
        w[15] = 320;
        // W16..W22 do not depend on W8.
        for t in 16..23 {
            w[t] = ssig1(w[t - 2]).wrapping_add(w[t - 7]).wrapping_add(ssig0(w[t - 15])).wrapping_add(w[t - 16]);
        }
        let mut kw = [0u32; 23];
        for t in 9..23 {
            kw[t] = K[t].wrapping_add(w[t]);
        }
        // Constant addends of W23..W63.
        let mut cadd = [0u32; 64];
        for (t, slot) in cadd.iter_mut().enumerate().skip(23) {
            let mut s = 0u32;
            if !var(t - 2) {
                s = s.wrapping_add(ssig1(w[t - 2]));
            }
            if !var(t - 7) {
                s = s.wrapping_add(w[t - 7]);
            }
            if !var(t - 15) {
                s = s.wrapping_add(ssig0(w[t - 15]));
            }
            if !var(t - 16) {
                s = s.wrapping_add(w[t - 16]);
            }
            *slot = s;
        }
        Block { a9: self.a9, e9: self.e9, bcd: self.bcd, fgh: self.fgh, kw, cadd }
    }
}

/// Per-2^32-nonce-block precomputation.
#[derive(Clone, Debug)]
pub(crate) struct Block {
    a9: u32,
    e9: u32,
    bcd: [u32; 3],
    fgh: [u32; 3],
    kw: [u32; 23],
    cadd: [u32; 64],
}

macro_rules! round {
    ($a:ident,$b:ident,$c:ident,$d:ident,$e:ident,$f:ident,$g:ident,$h:ident,$kw:expr) => {{
        let t1 = $h.add(bsig1($e)).add(ch($e, $f, $g)).add($kw);
        let t2 = bsig0($a).add(maj($a, $b, $c));
        $h = $g;
        $g = $f;
        $f = $e;
        $e = $d.add(t1);
        $d = $c;
        $c = $b;
        $b = $a;
        $a = t1.add(t2);
    }};
}

macro_rules! sched {
    ($w:ident, $blk:ident, $w8:ident, $($t:literal)*) => {$(
        {
            let mut s = W::splat($blk.cadd[$t]);
            if var($t - 2) { s = s.add(ssig1(if $t - 2 == 8 { $w8 } else { $w[$t - 2] })); }
            if var($t - 7) { s = s.add(if $t - 7 == 8 { $w8 } else { $w[$t - 7] }); }
            if var($t - 15) { s = s.add(ssig0(if $t - 15 == 8 { $w8 } else { $w[$t - 15] })); }
            if var($t - 16) { s = s.add(if $t - 16 == 8 { $w8 } else { $w[$t - 16] }); }
            $w[$t] = s;
        }
    )*};
}

/// Compute the first two words of the digest (`H0`, `H1`) for the given `W8` values.
#[allow(unused_assignments)]
#[inline(always)]
pub(crate) fn tail<W: Word>(blk: &Block, w8: W) -> (W, W) {
    let mut w = [W::splat(0); 64];

    let mut a = W::splat(blk.a9).add(w8);
    let mut e = W::splat(blk.e9).add(w8);
    let mut b = W::splat(blk.bcd[0]);
    let mut c = W::splat(blk.bcd[1]);
    let mut d = W::splat(blk.bcd[2]);
    let mut f = W::splat(blk.fgh[0]);
    let mut g = W::splat(blk.fgh[1]);
    let mut h = W::splat(blk.fgh[2]);
    macro_rules! rounds_const {
        ($($t:literal)*) => {$( round!(a, b, c, d, e, f, g, h, W::splat(blk.kw[$t])); )*};
    }
    // Each schedule word is computed right before its round, so few are live at once.
    macro_rules! rounds_var {
        ($($t:literal)*) => {$(
            sched!(w, blk, w8, $t);
            round!(a, b, c, d, e, f, g, h, W::splat(K[$t]).add(w[$t]));
        )*};
    }
    rounds_const!(9 10 11 12 13 14 15 16 17 18 19 20 21 22);
    rounds_var!(23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38);
    if W::ROLL {
        // From W39 on, every schedule term depends on W8.
        for t in 39..63 {
            w[t] = ssig1(w[t - 2]).add(w[t - 7]).add(ssig0(w[t - 15])).add(w[t - 16]);
            round!(a, b, c, d, e, f, g, h, W::splat(K[t]).add(w[t]));
        }
        w[63] = ssig1(w[61]).add(w[56]).add(ssig0(w[48])).add(w[47]);
    } else {
        rounds_var!(39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60 61 62);
        sched!(w, blk, w8, 63);
    }
    // Round 63: only `a` is needed; `b` is the previous `a`.
    let t1 = h.add(bsig1(e)).add(ch(e, f, g)).add(W::splat(K[63]).add(w[63]));
    let t2 = bsig0(a).add(maj(a, b, c));
    let a64 = t1.add(t2);
    (a64.add(W::splat(IV[0])), a.add(W::splat(IV[1])))
}

/// The scalar tail as one out-of-line function on wasm, so that wasm builds carry one copy.
#[cfg_attr(target_arch = "wasm32", inline(never))]
#[cfg_attr(not(target_arch = "wasm32"), inline(always))]
pub(crate) fn tail_u32(blk: &Block, w8: u32) -> (u32, u32) {
    tail::<u32>(blk, w8)
}
