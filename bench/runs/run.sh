#!/usr/bin/env bash
# Runs benchmark (issue 11). Builds the release server and the load program,
# starts `target/release/agentry serve` on a fresh SQLite file or on a private PostgreSQL
# cluster with fsync on (initdb, its own port and data directory), runs
# `target/release/runs-bench` against it, and stops both, whatever happens.
#
#   bash bench/runs/run.sh sqlite   [runs-bench options]
#   bash bench/runs/run.sh postgres [runs-bench options]
#   e.g. bash bench/runs/run.sh sqlite --creates 5000 --runners 4 --runner-concurrency 8
#
# BENCH_NO_BUILD=1 skips the cargo build; BENCH_SERVER_BIN=path runs another server
# binary (a build of another commit); BENCH_KEEP=1 keeps the work directory (the server's
# log, the database) and prints where it is. The server inherits RUST_LOG.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
backend="${1:?usage: bench/runs/run.sh sqlite|postgres [runs-bench options]}"
shift
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
say() { echo "==> runs bench: $*" >&2; }

if [[ "${BENCH_NO_BUILD:-0}" != 1 ]]; then
  say "cargo build --release (agentry, runs-bench)"
  cargo build --release -p agentry-server -p agentry-tests --bin agentry --bin runs-bench
fi

work_name="agentry-runsbench"
# shellcheck source=../common.sh
source "$ROOT/bench/common.sh"
"$bin/runs-bench" "http://127.0.0.1:$port" "${BENCH_SERVER_BIN:-$bin/agentry}" "$@"
say "done; load average $(cut -d' ' -f1-3 /proc/loadavg)"
