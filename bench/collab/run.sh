#!/usr/bin/env bash
# The side-by-side collaboration benchmark (BENCHMARKS.md, "Side by side"): the same client
# shape, each server with its own provider, one after another on this machine.
#
#   bench/collab/run.sh [SERVERS] [-- DRIVER ARGS…]
#
#   SERVERS  a comma-separated choice of atrium-sqlite, atrium-pg, atrium-2, y-websocket-server,
#            hocuspocus (default: all five, in that order)
#   DRIVER ARGS  passed to side-by-side.mjs for every server, e.g. --clients 50 --rooms 5
#            --edits 200 --pace-ms 100 (its defaults), or --duration-s 600 --sample-s 10 (soak)
#   ATRIUM_BIN  the atrium binary (default $CARGO_TARGET_DIR/release/atrium or target/release)
#
# PostgreSQL (durable: fsync and synchronous_commit on), Redis and an S3 server are started on
# free loopback ports in a temporary directory for the Atrium runs on PostgreSQL and stopped
# afterwards; each Atrium run gets a fresh database. One JSON line per server is printed (and a
# line per sample in a soak); the exit code is non-zero if any run lost an edit or a socket.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
servers="atrium-sqlite,atrium-pg,atrium-2,y-websocket-server,hocuspocus"
if [[ $# -gt 0 && "$1" != "--" ]]; then
  servers=$1
  shift
fi
[[ "${1:-}" == "--" ]] && shift
driver_args=("$@")
bin=${ATRIUM_BIN:-${CARGO_TARGET_DIR:-$here/../../target}/release/atrium}
[[ -x "$bin" || "$servers" != *atrium* ]] || {
  echo "no atrium binary at $bin: cargo build --release -p atrium-server --bin atrium" >&2
  exit 2
}

if [[ ! -d "$here/node_modules" ]]; then
  (cd "$here" && npm ci --no-audit --no-fund --ignore-scripts)
fi

source "$here/services.sh"
reference_pid=""
extra_cleanup() {
  [[ -n "$reference_pid" ]] && kill "$reference_pid" 2>/dev/null || true
}

reference() { # NAME PORT COMMAND…: starts a reference server and waits for its port
  local port=$2
  shift 2
  (cd "$here" && HOST=127.0.0.1 PORT=$port exec "$@" >"$dir/reference.log" 2>&1) &
  reference_pid=$!
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "the reference server did not listen on $port" >&2
  cat "$dir/reference.log" >&2
  exit 2
}

status=0
run() {
  node "$here/side-by-side.mjs" "$@" "${driver_args[@]}" || status=1
}

IFS=, read -ra chosen <<<"$servers"
for server in "${chosen[@]}"; do
  echo "# $server, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  case $server in
    atrium-sqlite) run --server atrium --bin "$bin" ;;
    atrium-pg)
      start_services
      run --server atrium --bin "$bin" --database-url "$(fresh_database)" --service-pids "$service_pids"
      ;;
    atrium-2)
      start_services
      run --server atrium --nodes 2 --bin "$bin" --database-url "$(fresh_database)" \
        --redis-url "$redis_url" --service-pids "$service_pids"
      ;;
    y-websocket-server | hocuspocus)
      port=$(free_port)
      if [[ $server == hocuspocus ]]; then
        reference "$server" "$port" node hocuspocus-server.mjs
      else
        reference "$server" "$port" node node_modules/@y/websocket-server/src/server.js
      fi
      run --server "$server" --url "ws://127.0.0.1:$port" --pid "$reference_pid"
      kill "$reference_pid"
      wait "$reference_pid" 2>/dev/null || true
      reference_pid=""
      ;;
    *)
      echo "unknown server $server" >&2
      exit 2
      ;;
  esac
done
exit $status
