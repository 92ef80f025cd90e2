#!/usr/bin/env bash
# `make run`: install what is missing, build the web app and the server, and start Agentry
# on http://127.0.0.1:3000 with the embedded SQLite database (data/agentry.db).
# Any `agentry serve` flag can follow, e.g. `scripts/run.sh --addr 0.0.0.0:8080`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$HOME/.cargo/bin:$PATH"
bash scripts/setup.sh
echo "==> building the web app (trunk build --release)" >&2
trunk build --release
echo "==> building the server (cargo build --release -p agentry-server)" >&2
cargo build --release -p agentry-server
exec target/release/agentry serve --site-root "$ROOT/target/site" "$@"
