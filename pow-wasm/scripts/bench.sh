#!/usr/bin/env bash
# One-run benchmark of pow-wasm: native kernels + server verify (criterion), then wasm
# scalar/SIMD in one Chromium worker, the pool at 1/2/all workers and a crypto.subtle
# baseline (tests/pow-browser/bench.mjs). Prints a Markdown table for docs/PERFORMANCE.md.
# Usage: bash pow-wasm/scripts/bench.sh [seconds-per-browser-case, default 3]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
export PATH="$HOME/.cargo/bin:$PATH"
SECS="${1:-3}"
OUT="$ROOT/target/pow-bench"
mkdir -p "$OUT"
echo "==> native (criterion)" >&2
cargo bench -p pow-wasm --bench pow 2>&1 | tee "$OUT/native.txt" >&2
echo "==> wasm build" >&2
bash pow-wasm/build.sh
echo "==> browser (headless Chromium, ${SECS}s per case)" >&2
(cd tests/pow-browser && { [ -d node_modules/playwright-core ] || npm install --no-audit --no-fund --silent; } && node bench.mjs "$SECS") > "$OUT/browser.json"
# The machine is shared: measure the sha2 reference again after the browser cases, so that
# load drift between the native and browser phases shows up as a range of ratios.
echo "==> native sha2 again (after the browser cases)" >&2
cargo bench -p pow-wasm --bench pow -- '^native/sha2$' 2>&1 | tee "$OUT/native-after.txt" >&2
node - "$OUT/native.txt" "$OUT/browser.json" "$ROOT/pow-wasm/js/dist" "$OUT/native-after.txt" <<'JS'
const fs = require('fs');
const [native, browser, dist, nativeAfter] = process.argv.slice(2);
const txt = fs.readFileSync(native, 'utf8');
const txtAfter = fs.readFileSync(nativeAfter, 'utf8');
const unit = { 'elem/s': 1, 'Kelem/s': 1e3, 'Melem/s': 1e6, 'Gelem/s': 1e9 };
function thrpt(name, t = txt) {
  const m = t.match(new RegExp(name.replace('/', '\\/') + '[\\s\\S]*?thrpt:\\s*\\[\\S+ \\S+ (\\S+) (\\S+)'));
  return m ? Number(m[1]) * unit[m[2]] : NaN;
}
const tm = txt.match(/verify\/k8\s+time:\s*\[\S+ \S+ (\S+) (\S+)/);
const verifyUs = tm ? Number(tm[1]) * { ns: 1e-3, 'µs': 1, us: 1, ms: 1e3 }[tm[2]] : NaN;
const b = JSON.parse(fs.readFileSync(browser, 'utf8'));
const n = { scalar: thrpt('native/scalar'), sha2: thrpt('native/sha2'), digest: thrpt('native/sha2-digest-api') };
const M = (x) => (x / 1e6).toFixed(2);
const r = (x, y) => (x / y).toFixed(2) + '×';
const size = (f) => fs.statSync(`${dist}/${f}/pow_wasm_bg.wasm`).size;
const rows = [
  ['native scalar kernel (1 thread)', n.scalar, r(n.scalar, n.sha2) + ' of native sha2'],
  ['native sha2 kernel (`compress256`, SHA-NI if present; 1 thread)', n.sha2, '1.00× (reference)'],
  ['native sha2 `Digest` API (1 thread)', n.digest, r(n.digest, n.sha2) + ' of native sha2'],
  ['wasm scalar, 1 Chromium worker', b.wasmScalar1, r(b.wasmScalar1, n.sha2) + ' of native sha2'],
  ['wasm SIMD128, 1 Chromium worker', b.wasmSimd1, r(b.wasmSimd1, n.sha2) + ' of native sha2; ' + r(b.wasmSimd1, b.cryptoSubtle) + ' crypto.subtle'],
  ['pool, 1 worker (SIMD)', b.pool1, '1.00×'],
  ['pool, 2 workers', b.pool2, r(b.pool2, b.pool1) + ' of 1 worker'],
  [`pool, all cores (${Math.min(b.hardwareConcurrency, 8)} workers)`, b.poolAll, r(b.poolAll, b.pool1) + ' of 1 worker'],
  ['JS `crypto.subtle.digest` baseline (main thread, 64 in flight)', b.cryptoSubtle, r(b.cryptoSubtle, n.sha2) + ' of native sha2'],
];
console.log('| measurement | MH/s | ratio |\n|---|---:|---|');
for (const [name, v, ratio] of rows) console.log(`| ${name} | ${M(v)} | ${ratio} |`);
const sha2After = thrpt('native/sha2', txtAfter);
console.log(`\nnative sha2 re-measured after the browser cases: ${M(sha2After)} MH/s; wasm SIMD128 (1 worker) is ` +
  `${r(b.wasmSimd1, Math.max(n.sha2, sha2After))}–${r(b.wasmSimd1, Math.min(n.sha2, sha2After))} of native sha2 across the two.`);
console.log(`\nServer verify of a k=8 solution (\`pow_wasm::verify\`, criterion median): ${verifyUs.toFixed(2)} µs.`);
console.log(`wasm sizes: scalar ${size('scalar')} B, simd ${size('simd')} B. Chromium: ${b.userAgent.match(/Chrome\/\S+/)?.[0]}, hardwareConcurrency ${b.hardwareConcurrency}.`);
JS
