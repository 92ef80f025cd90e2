#!/usr/bin/env bash
# Agent directory benchmark (issue 10). Builds the release server and the load program,
# starts `target/release/agentry serve` on a fresh SQLite file or on a private PostgreSQL
# cluster with fsync on (initdb, its own port and data directory), runs
# `target/release/directory-bench` against it, and stops both, whatever happens.
#
#   bash bench/directory/run.sh sqlite   [directory-bench options]
#   bash bench/directory/run.sh postgres [directory-bench options]
#   e.g. bash bench/directory/run.sh postgres --compare --rounds 2 --plans
#
# BENCH_NO_BUILD=1 skips the cargo build; BENCH_SERVER_BIN=path runs another server
# binary (a build of another commit); BENCH_KEEP=1 keeps the work directory (the server's
# log, the database) and prints where it is. The server inherits RUST_LOG.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
backend="${1:?usage: bench/directory/run.sh sqlite|postgres [directory-bench options]}"
shift
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
say() { echo "==> directory bench: $*" >&2; }

if [[ "${BENCH_NO_BUILD:-0}" != 1 ]]; then
  say "cargo build --release (agentry, directory-bench)"
  cargo build --release -p agentry-server -p agentry-tests --bin agentry --bin directory-bench
fi

work_name="agentry-dirbench"
# shellcheck source=../common.sh
source "$ROOT/bench/common.sh"
"$bin/directory-bench" "http://127.0.0.1:$port" "$database_url" "$@"
say "done; load average $(cut -d' ' -f1-3 /proc/loadavg)"
