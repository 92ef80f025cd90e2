//! Native unit and property tests of the protocol core.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::as_conversions)]

use pow_wasm::*;
use proptest::prelude::*;
use sha2::{Digest, Sha256};

fn reference_prefix(c: &[u8; 32], nonce: u64) -> u64 {
    let mut m = Vec::from(&c[..]);
    m.extend_from_slice(&nonce.to_le_bytes());
    let d = Sha256::digest(&m);
    u64::from_be_bytes(d[..8].try_into().unwrap())
}

fn naive(c: &[u8; 32], target: u64, start: u64, count: u64) -> Vec<u64> {
    (start..start + count).filter(|&n| reference_prefix(c, n) < target).collect()
}

const SECRET: &[u8] = b"agentry-test-secret-do-not-use-in-production";

fn claims(difficulty: u8, k: u8) -> Claims {
    Claims { id: *b"0123456789abcdef", difficulty, k, expires_at: 1_900_000_000, subject: 42 }
}

#[test]
fn derive_matches_definition() {
    let pk = b"public key bytes";
    let mut m = Vec::new();
    m.extend_from_slice(b"agentry-pow/v1");
    m.extend_from_slice(b"tok");
    m.extend_from_slice(&Sha256::digest(pk));
    assert_eq!(derive(b"tok", pk), <[u8; 32]>::from(Sha256::digest(&m)));
}

#[test]
fn targets() {
    assert_eq!(target_for_difficulty(0), u64::MAX);
    assert_eq!(target_for_difficulty(1), 1 << 63);
    assert_eq!(target_for_difficulty(8), 1 << 56);
    assert_eq!(target_for_difficulty(32), 1 << 32);
    assert_eq!(target_for_difficulty(63), 2);
    assert_eq!(target_for_difficulty(64), 0);
    assert_eq!(target_for_difficulty(u32::MAX), 0);
    assert_eq!(format_target(1 << 56), "0100000000000000");
    assert_eq!(parse_target("0100000000000000"), Some(1 << 56));
    assert_eq!(parse_target("100000000000000"), None);
    assert_eq!(parse_target("+100000000000000"), None);
    assert_eq!(parse_target("010000000000000g"), None);
}

#[test]
fn nonces_wire() {
    assert_eq!(parse_nonce("0"), Some(0));
    assert_eq!(parse_nonce("18446744073709551615"), Some(u64::MAX));
    assert_eq!(parse_nonce("18446744073709551616"), None);
    assert_eq!(parse_nonce("007"), None);
    assert_eq!(parse_nonce("+7"), None);
    assert_eq!(parse_nonce(""), None);
    assert_eq!(parse_nonce(" 7"), None);
    assert_eq!(format_nonce(u64::MAX), "18446744073709551615");
    assert_eq!(parse_nonces(&["1", "x"]), Err(VerifyError::BadNonce { index: 1 }));
}

#[test]
fn kernels_match_sha2_across_high_word_boundary() {
    let c = derive(b"kernel", b"pk");
    for kernel in [Kernel::Scalar, Kernel::Sha2, Kernel::best()] {
        let s = Solver::with_kernel(&c, u64::MAX, kernel);
        for n in [0u64, 1, 255, 256, 0xffff_ffff, 0x1_0000_0000, 0xdead_beef_cafe, u64::MAX] {
            assert_eq!(s.scalar_prefix(n), reference_prefix(&c, n), "nonce {n}");
            assert_eq!(hash_prefix(&c, n), reference_prefix(&c, n));
        }
        let t = target_for_difficulty(6);
        let start = 0xffff_ff00u64;
        let mut out = Vec::new();
        let solver = Solver::with_kernel(&c, t, kernel);
        let tried = solver.search(start, 600, &mut out, usize::MAX);
        assert_eq!(tried, 600);
        assert_eq!(out, naive(&c, t, start, 600), "{kernel:?}");
        // `want` stops early and reports how many were tried.
        let mut few = Vec::new();
        let tried = solver.search(start, 600, &mut few, 2);
        assert_eq!(few, out[..2]);
        assert_eq!(tried, out[1] - start + 1);
    }
}

#[test]
fn search_edge_cases() {
    let c = derive(b"edge", b"pk");
    let mut out = Vec::new();
    assert_eq!(solve_range(&c, 0, 0, 1000, &mut out, 10), 0);
    assert!(out.is_empty());
    assert_eq!(solve_range(&c, u64::MAX, u64::MAX - 3, 10, &mut out, 10), 3);
    assert_eq!(out, vec![u64::MAX - 3, u64::MAX - 2, u64::MAX - 1]);
    assert!(solve(&c, 0, 8, 2, |_| {}).is_empty());
    assert!(solve(&c, u64::MAX, 0, 2, |_| {}).is_empty());
}

#[test]
fn multithreaded_solve_is_deterministic() {
    let c = derive(b"mt", b"pk");
    let t = target_for_difficulty(12);
    let mut first = Vec::new();
    solve_range(&c, t, 0, u64::MAX, &mut first, 8);
    for threads in [1, 2, 3, 0] {
        let reports = std::sync::atomic::AtomicUsize::new(0);
        let got = solve(&c, t, 8, threads, |p| {
            assert_eq!(p.k, 8);
            reports.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        });
        assert_eq!(got, first, "threads={threads}");
        assert!(reports.into_inner() >= 1);
    }
}

#[test]
fn token_roundtrip_and_verify() {
    let cl = claims(8, 8);
    let tok = issue_token(SECRET, &cl);
    assert_eq!(tok.len(), TOKEN_CHARS);
    assert_eq!(decode_token_unverified(&tok), Ok(cl));
    let pk = b"pk-1";
    let c = derive(tok.as_bytes(), pk);
    let nonces = solve(&c, cl.target(), 8, 2, |_| {});
    let now = 1_800_000_000;
    assert_eq!(verify(SECRET, &tok, pk, &nonces, now), Ok(cl));

    // Reordered nonces are fine.
    let mut rev = nonces.clone();
    rev.reverse();
    assert_eq!(verify(SECRET, &tok, pk, &rev, now), Ok(cl));
    // Duplicated nonce.
    let mut dup = nonces.clone();
    dup[5] = dup[2];
    assert_eq!(verify(SECRET, &tok, pk, &dup, now), Err(VerifyError::DuplicateNonce { index: 5 }));
    // Wrong count.
    assert_eq!(verify(SECRET, &tok, pk, &nonces[..7], now), Err(VerifyError::WrongCount { expected: 8, got: 7 }));
    let mut nine = nonces.clone();
    nine.push(nonces[0] + 1);
    assert!(matches!(verify(SECRET, &tok, pk, &nine, now), Err(VerifyError::WrongCount { .. })));
    // Another public key.
    assert!(matches!(verify(SECRET, &tok, b"pk-2", &nonces, now), Err(VerifyError::NonceAboveTarget { .. })));
    // Expiry is exclusive.
    assert!(matches!(verify(SECRET, &tok, pk, &nonces, cl.expires_at), Err(VerifyError::Expired { .. })));
    assert!(verify(SECRET, &tok, pk, &nonces, cl.expires_at - 1).is_ok());
    // Other secret.
    assert_eq!(verify(b"other", &tok, pk, &nonces, now), Err(VerifyError::BadMac));
    // Malformed.
    assert_eq!(verify(SECRET, &tok[1..], pk, &nonces, now), Err(VerifyError::Malformed));
    assert_eq!(verify(SECRET, "", pk, &nonces, now), Err(VerifyError::Malformed));
    let mut bad = tok.clone();
    bad.replace_range(10..11, "*");
    assert_eq!(verify(SECRET, &bad, pk, &nonces, now), Err(VerifyError::Malformed));
}

#[test]
fn tampered_claims_fail_mac() {
    let tok = issue_token(SECRET, &claims(8, 8));
    // Re-sign nothing: flip each payload character and expect BadMac or Malformed.
    for i in 0..tok.len() {
        let mut b = tok.clone().into_bytes();
        b[i] = if b[i] == b'A' { b'B' } else { b'A' };
        let t = String::from_utf8(b).unwrap();
        let r = verify(SECRET, &t, b"pk", &[0; 8], 0);
        assert!(matches!(r, Err(VerifyError::BadMac | VerifyError::Malformed)), "{i}: {r:?}");
    }
}

#[test]
fn claim_ranges() {
    for (d, k, err) in [
        (33, 8, VerifyError::InvalidDifficulty(33)),
        (255, 8, VerifyError::InvalidDifficulty(255)),
        (8, 0, VerifyError::InvalidK(0)),
        (8, 65, VerifyError::InvalidK(65)),
    ] {
        let tok = issue_token(SECRET, &claims(d, k));
        assert_eq!(decode_token_unverified(&tok), Err(err));
        assert_eq!(verify(SECRET, &tok, b"pk", &[], 0), Err(err));
    }
    // Difficulty 0 (target u64::MAX) and k = 64 are allowed.
    let cl = claims(0, 64);
    let tok = issue_token(SECRET, &cl);
    let nonces: Vec<u64> = (0..64).collect();
    let c = derive(tok.as_bytes(), b"pk");
    assert!(nonces.iter().all(|&n| hash_prefix(&c, n) < u64::MAX));
    assert_eq!(verify(SECRET, &tok, b"pk", &nonces, 0), Ok(cl));
}

#[test]
fn target_boundary_is_exclusive() {
    let c = derive(b"boundary", b"pk");
    let p = hash_prefix(&c, 7);
    assert!(verify_nonces(&c, p + 1, 1, &[7]).is_ok());
    assert_eq!(verify_nonces(&c, p, 1, &[7]), Err(VerifyError::NonceAboveTarget { index: 0 }));
    assert_eq!(verify_nonces(&c, 0, 1, &[7]), Err(VerifyError::NonceAboveTarget { index: 0 }));
}

#[test]
fn error_display_and_codes() {
    let e: Box<dyn std::error::Error> = Box::new(VerifyError::WrongCount { expected: 8, got: 1 });
    assert_eq!(e.to_string(), "expected 8 nonces, got 1");
    assert_eq!(VerifyError::BadMac.code(), "bad_mac");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn kernel_matches_sha2(c in any::<[u8; 32]>(), nonce in any::<u64>()) {
        let s = Solver::with_kernel(&c, 1, Kernel::Scalar);
        prop_assert_eq!(s.scalar_prefix(nonce), reference_prefix(&c, nonce));
        prop_assert_eq!(hash_prefix(&c, nonce), reference_prefix(&c, nonce));
    }

    #[test]
    fn solutions_verify_and_bitflips_fail(
        id in any::<[u8; 16]>(),
        difficulty in 0u8..=6,
        k in 1u8..=12,
        subject in any::<u64>(),
        pk in proptest::collection::vec(any::<u8>(), 0..80),
        flip in any::<(usize, u8)>(),
    ) {
        let cl = Claims { id, difficulty, k, expires_at: 2_000_000_000, subject };
        let tok = issue_token(SECRET, &cl);
        prop_assert_eq!(decode_token_unverified(&tok), Ok(cl));
        let c = derive(tok.as_bytes(), &pk);
        let mut nonces = Vec::new();
        solve_range(&c, cl.target(), 0, u64::MAX, &mut nonces, k as usize);
        prop_assert_eq!(verify(SECRET, &tok, &pk, &nonces, 1), Ok(cl));
        // Flip one bit of one nonce: must fail unless the flipped nonce happens to be
        // valid and distinct too (possible at low difficulty).
        let i = flip.0 % nonces.len();
        let mut bad = nonces.clone();
        bad[i] ^= 1u64 << (flip.1 % 64);
        let r = verify(SECRET, &tok, &pk, &bad, 1);
        let still_valid = !nonces.contains(&bad[i]) && hash_prefix(&c, bad[i]) < cl.target();
        prop_assert_eq!(r.is_ok(), still_valid);
    }
}

proptest! {
    // Fuzz-style: arbitrary input must never panic. 20_000 cases each (~1 s).
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    #[test]
    fn fuzz_decode_arbitrary_strings(s in ".{0,120}") {
        let _ = decode_token_unverified(&s);
        let _ = verify(SECRET, &s, b"pk", &[1, 2, 3], 0);
        let _ = parse_target(&s);
        let _ = parse_nonce(&s);
    }

    #[test]
    fn fuzz_verify_base64_shaped(
        raw in proptest::collection::vec(any::<u8>(), 60..72),
        nonces in proptest::collection::vec(any::<u64>(), 0..70),
        now in any::<u64>(),
    ) {
        use base64::Engine as _;
        let s = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&raw);
        let _ = decode_token_unverified(&s);
        prop_assert!(verify(SECRET, &s, b"pk", &nonces, now).is_err());
    }

    #[test]
    fn fuzz_verify_valid_mac_arbitrary_claims(
        id in any::<[u8; 16]>(), difficulty in any::<u8>(), k in any::<u8>(),
        expires_at in any::<u64>(), subject in any::<u64>(),
        nonces in proptest::collection::vec(any::<u64>(), 0..70), now in any::<u64>(),
    ) {
        let cl = Claims { id, difficulty, k, expires_at, subject };
        let tok = issue_token(SECRET, &cl);
        let _ = decode_token_unverified(&tok);
        let _ = verify(SECRET, &tok, b"pk", &nonces, now);
    }
}
