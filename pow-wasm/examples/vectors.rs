//! Print the PROTOCOL.md test vectors: `cargo run -p pow-wasm --example vectors`.
#![allow(clippy::as_conversions)]
use pow_wasm::*;

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn main() {
    let secret = b"agentry-pow test vector secret";
    let pk: Vec<u8> = (1u8..=32).collect();
    for (difficulty, k) in [(8u8, 8u8), (12, 4)] {
        let claims = Claims {
            id: [0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff],
            difficulty,
            k,
            expires_at: 1_893_456_000,
            subject: 42,
        };
        let token = issue_token(secret, &claims);
        let c = derive(token.as_bytes(), &pk);
        let target = claims.target();
        let mut nonces = Vec::new();
        solve_range(&c, target, 0, u64::MAX, &mut nonces, k as usize);
        println!("difficulty={difficulty} k={k}");
        println!("token={token}");
        println!("pk_sha256={}", hex(&<sha2::Sha256 as sha2::Digest>::digest(&pk)));
        println!("C={}", hex(&c));
        println!("target={}", format_target(target));
        println!("nonces={nonces:?}");
        let prefixes: Vec<String> = nonces.iter().map(|&n| format_target(hash_prefix(&c, n))).collect();
        println!("prefixes={prefixes:?}");
        println!("prefix(0)={}", format_target(hash_prefix(&c, 0)));
    }
}
