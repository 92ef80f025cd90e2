#!/usr/bin/env bash
# Installs whatever is missing, and nothing that is already there (idempotent).
#   scripts/setup.sh          what `make run` needs: wasm32 target, trunk, wasm-bindgen-cli,
#                             brotli and binaryen's wasm-opt (npm, in hydrate/node_modules)
#                             for the bundle's post-build hook
#   scripts/setup.sh --test   also chromium + chromium-driver, PostgreSQL, and aiosmtpd
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$HOME/.cargo/bin:$PATH"
want_test=0
[[ "${1:-}" == "--test" ]] && want_test=1

say() { echo "==> setup: $*" >&2; }
as_root() { if [[ $(id -u) == 0 ]]; then "$@"; else sudo "$@"; fi; }

# --- Debian packages -----------------------------------------------------------------
apt_missing=()
need_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed" || apt_missing+=("$1"); }
# The hydrate bundle's post-build hook (hydrate/post-build.sh): brotli, gzip, and npm for
# binaryen's wasm-opt (below).
command -v brotli >/dev/null 2>&1 || need_pkg brotli
command -v gzip >/dev/null 2>&1 || need_pkg gzip
command -v npm >/dev/null 2>&1 || need_pkg npm
if (( want_test )); then
  need_pkg chromium
  need_pkg chromium-driver
  need_pkg postgresql
fi
if (( ${#apt_missing[@]} )); then
  say "apt-get install ${apt_missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_missing[@]}" >/dev/null
  # The Debian package starts a cluster on 5432; the tests use their own, so stop it.
  if [[ " ${apt_missing[*]} " == *" postgresql "* ]]; then
    as_root service postgresql stop >/dev/null 2>&1 || true
  fi
fi

# --- Rust toolchain pieces -----------------------------------------------------------
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

if ! trunk --version 2>/dev/null | grep -q '^trunk 0\.21\.'; then
  say "cargo install trunk 0.21 (about 7 minutes, once)"
  cargo install trunk --version '~0.21' --locked
fi

# wasm-bindgen-cli must be exactly the wasm-bindgen version in Cargo.lock.
wb_version="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)"
if ! wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $wb_version"; then
  say "cargo install wasm-bindgen-cli $wb_version (about 2 minutes, once)"
  # --locked first; one of its locked dependencies has been yanked, so fall back to a
  # fresh resolution of the same CLI version.
  cargo install wasm-bindgen-cli --version "$wb_version" --locked --force ||
    cargo install wasm-bindgen-cli --version "$wb_version" --force
fi

# wasm-opt for the hydrate bundle: binaryen from npm, pinned in hydrate/package.json and
# package-lock.json, kept in hydrate/node_modules (not on PATH). Debian's binaryen (108) is
# too old: it rewrites wasm-bindgen's externref table as anyref and the page cannot start.
binaryen_version="$(sed -n 's/.*"binaryen": *"\([0-9]*\)\..*/\1/p' hydrate/package.json)"
if ! hydrate/node_modules/.bin/wasm-opt --version 2>/dev/null | grep -q "version $binaryen_version\b"; then
  say "npm ci in hydrate/ (binaryen $binaryen_version's wasm-opt for the web bundle)"
  (cd hydrate && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

# --- Test-only tools -------------------------------------------------------------------
if (( want_test )); then
  venv="$ROOT/target/venv"
  if ! "$venv/bin/python" -c 'import aiosmtpd' 2>/dev/null; then
    say "python venv with aiosmtpd (the tests' SMTP server)"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check aiosmtpd
  fi
fi

say "fetching crates"
cargo fetch --locked >/dev/null 2>&1 || cargo fetch
