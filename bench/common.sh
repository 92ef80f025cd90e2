#!/usr/bin/env bash
# Shared by the benchmarks' run.sh: sourced after `say`, `backend` and `work_name` are set.
# Starts `agentry serve` (BENCH_SERVER_BIN, or the release build) on a fresh SQLite file or
# on a private PostgreSQL cluster with fsync on (initdb, its own port and data directory),
# waits for /healthz, and stops both on exit (BENCH_KEEP=1 keeps the work directory).
# Sets `port`, `database_url`, `bin` (the release folder), BENCH_SERVER_PID and BENCH_PG_PID.
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
work="$(mktemp -d "/tmp/$work_name.XXXXXX")"
server_pid=""
pg_bin=""
run_pg() { if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  if [[ -n "$server_pid" ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  if [[ -n "$pg_bin" ]]; then run_pg "$pg_bin/pg_ctl" -D "$work/pg" -m fast stop >/dev/null 2>&1 || true; fi
  if [[ "${BENCH_KEEP:-0}" == 1 ]]; then say "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

case "$backend" in
  sqlite)
    database_url="sqlite://$work/agentry.db"
    ;;
  postgres)
    pg_bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
    [[ -x "$pg_bin/initdb" ]] || { echo "PostgreSQL server binaries not found" >&2; exit 1; }
    pg_port="$(free_port)"
    [[ $(id -u) == 0 ]] && chown postgres "$work"
    run_pg "$pg_bin/initdb" -D "$work/pg" -A trust -U postgres >/dev/null
    # fsync and synchronous_commit are PostgreSQL's defaults; spelled out because the
    # figures are only meaningful with them on.
    run_pg "$pg_bin/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w -o \
      "-p $pg_port -k $work -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on" start >/dev/null
    admin="postgres://postgres@127.0.0.1:$pg_port/postgres"
    psql "$admin" -qc "CREATE DATABASE agentry"
    say "PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on port $pg_port: fsync=$(psql "$admin" -Atc 'show fsync'), synchronous_commit=$(psql "$admin" -Atc 'show synchronous_commit')"
    database_url="postgres://postgres@127.0.0.1:$pg_port/agentry"
    ;;
  *) echo "backend: sqlite or postgres" >&2; exit 2 ;;
esac

bin="${CARGO_TARGET_DIR:-$ROOT/target}/release"
port="$(free_port)"
mkdir -p "$work/site"
DATABASE_URL="$database_url" AGENTRY_ADDR="127.0.0.1:$port" AGENTRY_SITE_ROOT="$work/site" \
  "${BENCH_SERVER_BIN:-$bin/agentry}" serve >"$work/server.log" 2>&1 &
server_pid=$!
export BENCH_SERVER_PID="$server_pid"
[[ -n "$pg_bin" ]] && export BENCH_PG_PID="$(head -n 1 "$work/pg/postmaster.pid")"
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
  sleep 0.2
done
say "server pid $server_pid on 127.0.0.1:$port; $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
