#!/usr/bin/env bash
# Browser end-to-end tests. Expects the server binary in $AGENTRY_BIN and the site already
# built into target/site (trunk build --release). Starts its own server on a free port with
# a fresh SQLite database, runs the tests, and stops the server.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

: "${AGENTRY_BIN:?set AGENTRY_BIN to the built agentry server binary}"
if [[ ! -f "$repo/target/site/pkg/hydrate-output-name.txt" || ! -f "$repo/target/site/pkg/main.css" ]]; then
  echo "e2e: target/site/pkg is not built; run 'trunk build --release' first" >&2
  exit 1
fi
chromium_bin="${CHROMIUM_BIN:-/usr/bin/chromium}"
[[ -x "$chromium_bin" ]] || { echo "e2e: no Chromium at $chromium_bin (apt-get install chromium)" >&2; exit 1; }

cd "$here"
npm install --no-audit --no-fund --loglevel=error >/dev/null

port="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
tmp="$(mktemp -d)"
log="$tmp/server.log"
base="http://127.0.0.1:$port"

AGENTRY_ADDR="127.0.0.1:$port" \
DATABASE_URL="sqlite://$tmp/e2e.db" \
AGENTRY_SITE_ROOT="$repo/target/site" \
AGENTRY_PUBLIC_URL="$base" \
AGENTRY_SIGNUP_LIMIT_PER_IP=1000 \
  "$AGENTRY_BIN" serve >"$log" 2>&1 &
server_pid=$!

cleanup() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

ready=0
for _ in $(seq 1 120); do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "e2e: the server exited during start-up:" >&2
    cat "$log" >&2
    exit 1
  fi
  if node -e 'fetch(process.argv[1]).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))' "$base/healthz"; then
    ready=1
    break
  fi
  sleep 0.5
done
if [[ "$ready" != 1 ]]; then
  echo "e2e: the server did not become healthy at $base/healthz:" >&2
  cat "$log" >&2
  exit 1
fi

status=0
# runs.test.mjs starts runners with the same binary ($AGENTRY_BIN, exported to it).
AGENTRY_URL="$base" AGENTRY_BIN="$AGENTRY_BIN" CHROMIUM_BIN="$chromium_bin" node --test --test-concurrency=1 ${AGENTRY_E2E_FILES:-e2e.test.mjs org.test.mjs members.test.mjs directory.test.mjs runs.test.mjs bundle.test.mjs} || status=$?
if [[ "$status" != 0 ]]; then
  echo "e2e: tests failed; last server log lines:" >&2
  tail -n 60 "$log" >&2
fi
exit "$status"
