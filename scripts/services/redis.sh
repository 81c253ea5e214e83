#!/usr/bin/env bash
# Redis for the test suite, on loopback only, without persistence.
#
#   redis.sh install          apt-get install redis-server when it is missing
#   redis.sh start DIR [PORT] start on 127.0.0.1:PORT with DIR as working directory (pid file,
#                             log); PORT may be omitted to reuse the port DIR used last
#   redis.sh stop DIR         SHUTDOWN NOSAVE; fine when it is not running
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib/common.sh
source "$here/../lib/common.sh"
TAG=redis

usage() {
  echo "usage: $0 install | start DIR [PORT] | stop DIR" >&2
  exit 2
}

have_redis() { command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1; }

ping() { [[ "$(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null)" == PONG ]]; }

cmd_install() {
  if ! have_redis; then
    apt_install "$TAG" redis-server
    have_redis || die "$TAG" "redis-server could not be installed: apt-get succeeded but redis-server/redis-cli are not on PATH"
  fi
  log "$TAG" "using $(redis-server --version | head -n 1)"
}

cmd_start() {
  [[ $# -ge 1 && $# -le 2 ]] || usage
  have_redis || die "$TAG" "redis-server is not installed: run '$0 install' first"
  start_target "$TAG" "$@"
  local dir=$START_DIR port=$START_PORT pid
  if running_here "$TAG" "$dir/redis.pid" "$port" "a redis-server" ping; then
    return 0
  fi
  require_port_free "$TAG" "$port"

  log "$TAG" "starting on 127.0.0.1:$port (dir $dir)"
  # --daemonize writes the pid file itself; no config file, so nothing outside DIR is read.
  if ! redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --save '' --appendonly no \
    --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" \
    </dev/null >"$dir/redis-start.log" 2>&1; then
    show_log_tail "$TAG" "$dir/redis-start.log"
    show_log_tail "$TAG" "$dir/redis.log"
    die "$TAG" "redis-server failed to start on port $port"
  fi
  echo "$port" >"$dir/port"
  if ! wait_until 30 "" ping "$port"; then
    show_log_tail "$TAG" "$dir/redis.log"
    die "$TAG" "redis-server did not answer PING on 127.0.0.1:$port within 30s"
  fi
  log "$TAG" "ready on 127.0.0.1:$port (pid $(read_pid "$dir/redis.pid"))"
}

cmd_stop() {
  [[ $# -eq 1 ]] || usage
  [[ -d "$1" ]] || return 0
  local dir pid port
  dir=$(cd "$1" && pwd)
  pid=$(read_pid "$dir/redis.pid")
  if ! pid_alive "$pid"; then
    rm -f "$dir/redis.pid"
    return 0
  fi
  port=$(cat "$dir/port" 2>/dev/null || true)
  if [[ -n "$port" ]]; then
    redis-cli -h 127.0.0.1 -p "$port" shutdown nosave >/dev/null 2>&1 || true
  fi
  # SHUTDOWN closes the connection without a reply; wait for the process to go, and fall back
  # to SIGTERM (then SIGKILL) when it does not.
  if ! wait_until 10 "" eval "! pid_alive $pid"; then
    stop_pid "$TAG" "$dir/redis.pid" 10
  fi
  rm -f "$dir/redis.pid"
  log "$TAG" "stopped ($dir)"
}

case "${1:-}" in
  install) shift; [[ $# -eq 0 ]] || usage; cmd_install ;;
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  *) usage ;;
esac
