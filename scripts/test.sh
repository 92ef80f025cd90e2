#!/usr/bin/env bash
# `make test`: install what is missing, then run every test Agentry has:
#   1. services, web app (ssr) and server unit tests;
#   2. API integration tests (real HTTP, app on port 0) against SQLite AND a throwaway
#      PostgreSQL this script starts on a private port and data directory (and stops);
#      they include the SMTP delivery tests (aiosmtpd) and the CLI tests; then schemathesis
#      against /api/openapi.json (tests/schemathesis/run.sh);
#   3. the web app build (trunk) and the browser end-to-end tests in headless Chromium;
#   4. pow-wasm: native, wasm-bindgen-test in Chromium, the JS package in Node, the pool in
#      the browser.
# Exits non-zero when anything fails. Timings are never asserted.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# Test builds are mostly from scratch: skip incremental caches (disk and time).
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
say() { echo "==> test: $*" >&2; }

bash scripts/setup.sh --test

# --- A throwaway PostgreSQL ----------------------------------------------------------
pg_bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
[[ -x "$pg_bin/initdb" ]] || { echo "test: PostgreSQL server binaries not found" >&2; exit 1; }
pg_port="${AGENTRY_TEST_PG_PORT:-55439}"
pg_dir="$(mktemp -d /tmp/agentry-pg.XXXXXX)"
pg_user="$(id -un)"
run_pg() { if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[[ $(id -u) == 0 ]] && { chown postgres "$pg_dir"; pg_user=postgres; }
stop_pg() {
  run_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$pg_dir"
}
trap stop_pg EXIT
say "starting PostgreSQL ($("$pg_bin/postgres" --version | awk '{print $3}')) on 127.0.0.1:$pg_port, data in $pg_dir"
run_pg "$pg_bin/initdb" -D "$pg_dir/data" -A trust -U "$pg_user" >/dev/null
run_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w -o \
  "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=400" \
  start >/dev/null
export AGENTRY_TEST_POSTGRES_URL="postgres://$pg_user@127.0.0.1:$pg_port/postgres"
export AGENTRY_TEST_PYTHON="$ROOT/target/venv/bin/python"
export AGENTRY_BIN="$ROOT/target/debug/agentry"

# --- Rust: services, server, API (both backends), SMTP, CLI ------------------------
say "building the server (debug; the CLI and e2e tests run it)"
cargo build -p agentry-server
say "cargo nextest: services, web app (ssr), server, API integration (SQLite + PostgreSQL)"
# One build for all four crates (their features unify to the server build anyway); nextest
# runs every test in its own process, slow ones beside quick ones.
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --no-fail-fast -p agentry-services -p agentry-app -p agentry-server -p agentry-tests \
    --features agentry-services/server,agentry-app/ssr
else
  cargo test --no-fail-fast -p agentry-services -p agentry-app -p agentry-server -p agentry-tests \
    --features agentry-services/server,agentry-app/ssr
fi

say "schemathesis: the OpenAPI document against the real server (seeded; anonymous and owner)"
bash tests/schemathesis/run.sh

# --- Web app + browser end-to-end ------------------------------------------------------
say "trunk build --release (hydrate bundle + PoW worker)"
trunk build --release
say "browser end-to-end tests (headless Chromium)"
bash tests/e2e/run.sh

# --- pow-wasm ----------------------------------------------------------------------------
say "pow-wasm: native, wasm-bindgen-test, Node package, browser pool"
bash pow-wasm/scripts/test.sh

say "all tests passed"
