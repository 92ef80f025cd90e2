#!/usr/bin/env bash
# Build the @agentry/pow JS package into pow-wasm/js/dist/:
#   dist/scalar/  wasm build without SIMD + wasm-bindgen --target web glue
#   dist/simd/    wasm build with +simd128 + glue
#   dist/*.js     package entry points, worker scripts, shared core; dist/index.d.ts
# Idempotent. Needs: the wasm32-unknown-unknown target and wasm-bindgen CLI 0.2.130.
# Usage (from anywhere): bash pow-wasm/build.sh && (cd pow-wasm/js && npm pack)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
cd "$ROOT"
TARGET_ROOT="${CARGO_TARGET_DIR:-$ROOT/target}"
DIST="$HERE/js/dist"
WASM_BINDGEN="${WASM_BINDGEN:-wasm-bindgen}"
if ! command -v "$WASM_BINDGEN" >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/wasm-bindgen" ]; then
  WASM_BINDGEN="$HOME/.cargo/bin/wasm-bindgen"
fi
command -v "$WASM_BINDGEN" >/dev/null 2>&1 || { echo "pow-wasm/build.sh: wasm-bindgen CLI (0.2.130) not found" >&2; exit 1; }

build_one() { # flavor rustflags
  local flavor="$1" flags="$2" tdir="$TARGET_ROOT/pow-wasm-$1"
  echo "pow-wasm/build.sh: building $flavor wasm" >&2
  # Separate target dirs so the two RUSTFLAGS sets do not invalidate each other.
  CARGO_TARGET_DIR="$tdir" RUSTFLAGS="$flags" cargo rustc -q -p pow-wasm --lib --crate-type cdylib \
    --target wasm32-unknown-unknown --profile pow-wasm --features wasm
  local out="$DIST/$flavor"
  rm -rf "$out.tmp" && mkdir -p "$out.tmp"
  "$WASM_BINDGEN" --target web --no-typescript --remove-name-section --remove-producers-section --out-name pow_wasm --out-dir "$out.tmp" \
    "$tdir/wasm32-unknown-unknown/pow-wasm/pow_wasm.wasm"
  if command -v wasm-opt >/dev/null 2>&1; then
    local feat="--enable-bulk-memory --enable-sign-ext --enable-mutable-globals --enable-nontrapping-float-to-int --enable-reference-types --enable-multivalue"
    [ "$flavor" = simd ] && feat="$feat --enable-simd"
    # shellcheck disable=SC2086
    wasm-opt -O3 $feat "$out.tmp/pow_wasm_bg.wasm" -o "$out.tmp/pow_wasm_bg.wasm" || echo "wasm-opt failed; keeping unoptimised output" >&2
  fi
  rm -rf "$out" && mv "$out.tmp" "$out"
}

mkdir -p "$DIST"
build_one scalar ""
build_one simd "-C target-feature=+simd128"
cp "$HERE"/js/src/*.js "$HERE"/js/src/index.d.ts "$DIST/"
for f in scalar simd; do
  size=$(wc -c < "$DIST/$f/pow_wasm_bg.wasm")
  echo "pow-wasm/build.sh: $f wasm = $size bytes" >&2
  if [ "$size" -gt 40960 ]; then echo "pow-wasm/build.sh: $f wasm exceeds 40 KB" >&2; exit 1; fi
done
echo "pow-wasm/build.sh: wrote $DIST" >&2
