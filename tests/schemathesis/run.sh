#!/usr/bin/env bash
# Schemathesis against the real server: every operation of /api/openapi.json, with a fixed
# seed, once anonymous and once as an owner with a `uak_` API key. Fails on any finding
# (5xx, undocumented status or content type, a response that breaks its schema, valid data
# refused, invalid data accepted).
#
#   bash tests/schemathesis/run.sh        # needs target/debug/agentry (cargo build -p agentry-server)
#
# Environment: AGENTRY_BIN (default target/debug/agentry), SCHEMATHESIS_SEED (default 8),
# SCHEMATHESIS_MAX_EXAMPLES (default 100), SCHEMATHESIS_CHECKS (comma-separated; default below),
# SCHEMATHESIS_PYTHON (a python3 for the venv).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
BIN="${AGENTRY_BIN:-$ROOT/target/debug/agentry}"
SEED="${SCHEMATHESIS_SEED:-8}"
EXAMPLES="${SCHEMATHESIS_MAX_EXAMPLES:-100}"
VENV="$ROOT/target/schemathesis-venv"
# Not ignored_auth: with the key added to every request by -H, a garbage X-API-Key or
# cookie that schemathesis adds beside it is not what the server authenticates.
CHECKS="${SCHEMATHESIS_CHECKS:-not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,negative_data_rejection,positive_data_acceptance,unsupported_method,response_headers_conformance,missing_required_header,allow_header_conformance}"
say() { echo "==> schemathesis: $*" >&2; }

[[ -x "$BIN" ]] || { echo "schemathesis: $BIN not found; run cargo build -p agentry-server" >&2; exit 1; }

# --- schemathesis in a venv of its own (idempotent) ------------------------------------
if [[ ! -x "$VENV/bin/schemathesis" ]]; then
  say "installing schemathesis 4 into $VENV"
  "${SCHEMATHESIS_PYTHON:-python3}" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis>=4,<5"
fi

# --- the server: a fresh SQLite database, a free port, no PoW to speak of, no limits ---
work="$(mktemp -d /tmp/agentry-schemathesis.XXXXXX)"
port="$("$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
big=1000000000
"$BIN" serve --database-url "sqlite://$work/db" --addr "127.0.0.1:$port" --site-root "$work/site" \
  --pow-min-difficulty 0 --pow-max-difficulty 0 --pow-invite-min-difficulty 0 --pow-adaptive-step 0 \
  --login-limit-per-ip $big --login-limit-per-email $big --signup-limit-per-ip $big \
  --challenge-limit-per-ip $big --registration-limit-per-ip $big --registration-limit-per-owner $big \
  --registration-limit-global $big --invite-resend-limit-per-agent $big --test-email-limit-per-hour $big \
  --password-reset-limit-per-ip $big --password-reset-limit-per-account $big --org-create-limit-per-user $big \
  >"$work/server.log" 2>&1 &
server=$!
stop() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap stop EXIT
for _ in $(seq 1 100); do
  curl -fsS "$base/healthz" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
  sleep 0.2
done

# --- an owner and an API key, over HTTP ----------------------------------------------------
jar="$work/cookies"
curl -fsS -c "$jar" -H 'Content-Type: application/json' "$base/api/v1/auth/signup" \
  -d '{"email":"owner@example.com","password":"schemathesis owner","organization":"Schemathesis"}' >/dev/null
key="$(curl -fsS -b "$jar" -H 'Content-Type: application/json' "$base/api/v1/api-keys" -d '{"name":"schemathesis"}' \
  | "$VENV/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["secret"])')"
[[ "$key" == uak_* ]] || { echo "schemathesis: no API key minted" >&2; exit 1; }

# From the scratch folder: schemathesis keeps its example database in ./.schemathesis, and
# a fresh one each time keeps runs reproducible.
run() {
  (cd "$work" && "$VENV/bin/schemathesis" --config-file "$ROOT/tests/schemathesis/schemathesis.toml" run "$base/api/openapi.json" --seed "$SEED" --max-examples "$EXAMPLES" \
    --checks "$CHECKS" --workers 2 --no-color "$@")
}
status=0
say "anonymous caller (seed $SEED, $EXAMPLES examples per operation)"
run || status=1
# Revoking API keys comes last: a fuzzed id may well be the owner's own key.
say "owner with an API key (seed $SEED, $EXAMPLES examples per operation)"
run -H "Authorization: Bearer $key" --exclude-operation-id revoke_api_key || status=1
say "owner with an API key: DELETE /api/v1/api-keys/{id}"
run -H "Authorization: Bearer $key" --include-operation-id revoke_api_key || status=1
if [[ $status != 0 ]]; then
  say "failures; server log:"
  grep -E "ERROR|panicked" "$work/server.log" | tail -n 20 >&2 || true
fi
exit $status
