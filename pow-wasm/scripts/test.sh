#!/usr/bin/env bash
# Run every pow-wasm test: native unit/property/vector tests, wasm-bindgen tests in headless
# Chromium (main thread + dedicated worker, scalar and SIMD builds), the JS package build,
# the Node package test (installs the npm-pack tarball, no network) and the browser pool
# tests (playwright-core + /usr/bin/chromium). Exits non-zero if anything fails.
# Usage: bash pow-wasm/scripts/test.sh
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
export PATH="$HOME/.cargo/bin:$PATH"
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
failed=()
step() { # name, command...
  local name="$1"; shift
  echo "==> pow-wasm test: $name" >&2
  if "$@"; then echo "==> ok: $name" >&2; else echo "==> FAILED: $name" >&2; failed+=("$name"); fi
}

step "native: cargo test -p pow-wasm" cargo test -p pow-wasm

wasm_tests() { # flavor rustflags
  CARGO_TARGET_DIR="$ROOT/target/pow-wasm-test-$1" RUSTFLAGS="$2" \
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
    bash -c 'cd pow-wasm && cargo test -p pow-wasm --target wasm32-unknown-unknown --test wasm_main --test wasm_worker'
}
step "wasm-bindgen-test, Chromium, scalar build" wasm_tests scalar ""
step "wasm-bindgen-test, Chromium, simd128 build" wasm_tests simd "-C target-feature=+simd128"

pack() {
  bash pow-wasm/build.sh && (cd pow-wasm/js && rm -f agentry-pow-*.tgz && npm pack --silent)
}
step "build + npm pack @agentry/pow" pack

node_test() {
  cd "$ROOT/tests/pow-node" || return 1
  rm -rf node_modules/@agentry
  npm install --no-audit --no-fund --no-package-lock --offline --silent && node --test
}
step "Node 20 package test (tests/pow-node)" node_test

browser_test() {
  cd "$ROOT/tests/pow-browser" || return 1
  if [ ! -d node_modules/playwright-core ]; then npm install --no-audit --no-fund --silent || return 1; fi
  node --test
}
step "browser pool test (tests/pow-browser)" browser_test

if [ ${#failed[@]} -ne 0 ]; then
  echo "pow-wasm tests FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "pow-wasm tests: all passed" >&2
