//! PROTOCOL.md test vectors, native (the wasm tests run the same checks in Chromium).
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::as_conversions)]

mod common;

use common::data::*;
use pow_wasm::*;

#[test]
fn protocol_vectors() {
    common::check_vectors();
    let pk = public_key();
    for v in VECTORS.iter() {
        let c = derive(v.token.as_bytes(), &pk);
        let t = target_for_difficulty(v.difficulty as u32);
        assert_eq!(solve(&c, t, v.k as usize, 2, |_| {}), v.nonces);
        assert_eq!(
            decode_token_unverified(v.token).map(|c| (c.difficulty, c.k, c.expires_at, c.subject)),
            Ok((v.difficulty, v.k, EXPIRES_AT, SUBJECT))
        );
    }
}

#[test]
fn kernels_match_sha2() {
    common::check_kernels();
}

#[test]
fn json_vectors_match() {
    let json = include_str!("../test-vectors.json");
    for v in VECTORS.iter() {
        for s in [v.token, v.c, v.target, v.prefix0] {
            assert!(json.contains(s), "{s} missing from test-vectors.json");
        }
        let list: Vec<String> = v.nonces.iter().map(|n| format!("\"{n}\"")).collect();
        assert!(json.contains(&list.join(", ")));
    }
}
