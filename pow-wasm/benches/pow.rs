//! Native benchmarks: scalar kernel, sha2 kernel, plain `sha2` digests, and server-side
//! verification of a k = 8 solution. Run via `bash pow-wasm/scripts/bench.sh`.
#![allow(clippy::unwrap_used)]

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use criterion::{black_box, criterion_group, Criterion, Throughput};
    use pow_wasm::*;
    use sha2::{Digest, Sha256};
    use std::time::Duration;

    const N: u64 = 1 << 16;

    fn kernels(c: &mut Criterion) {
        let ch = derive(b"bench-token", b"bench-public-key");
        let target = target_for_difficulty(32);
        let mut g = c.benchmark_group("native");
        g.throughput(Throughput::Elements(N));
        for kernel in [Kernel::Scalar, Kernel::Sha2] {
            let s = Solver::with_kernel(&ch, target, kernel);
            let mut start = 0u64;
            g.bench_function(kernel.name(), |b| {
                b.iter(|| {
                    let mut out = Vec::new();
                    start += N;
                    black_box(s.search(start, N, &mut out, usize::MAX))
                })
            });
        }
        g.bench_function("sha2-digest-api", |b| {
            b.iter(|| {
                let mut acc = 0u8;
                for n in 0..N {
                    let mut h = Sha256::new();
                    h.update(ch);
                    h.update(n.to_le_bytes());
                    acc ^= h.finalize()[0];
                }
                black_box(acc)
            })
        });
        g.finish();
    }

    fn verify_k8(c: &mut Criterion) {
        let secret = b"bench secret";
        let claims = Claims { id: [7; 16], difficulty: 10, k: 8, expires_at: u64::MAX, subject: 1 };
        let token = issue_token(secret, &claims);
        let pk = [9u8; 32];
        let cc = derive(token.as_bytes(), &pk);
        let nonces = solve(&cc, claims.target(), 8, 1, |_| {});
        assert!(verify(secret, &token, &pk, &nonces, 0).is_ok());
        c.bench_function("verify/k8", |b| {
            b.iter(|| verify(black_box(secret), black_box(&token), black_box(&pk), black_box(&nonces), 0))
        });
    }

    criterion_group! {
        name = benches;
        config = Criterion::default().sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
        targets = kernels, verify_k8
    }
}

#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_main!(native::benches);

/// Native-only benchmarks; nothing to run on wasm.
#[cfg(target_arch = "wasm32")]
fn main() {}
