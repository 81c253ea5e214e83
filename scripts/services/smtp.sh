#!/usr/bin/env bash
# An SMTP sink for the test suite (scripts/services/smtp_sink.py on aiosmtpd), loopback only.
#
#   smtp.sh install          aiosmtpd into the cached venv (${ATRIUM_CACHE_DIR:-$HOME/.cache/atrium}/venv)
#   smtp.sh start DIR [PORT] listen on 127.0.0.1:PORT; every accepted message becomes one
#                            complete file DIR/mail/*.eml (raw RFC 5322 bytes), its envelope
#                            DIR/envelopes/*.json. PORT may be omitted to reuse the last one.
#   smtp.sh stop DIR         stop it; fine when it is not running. Stored mail stays in DIR.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib/common.sh
source "$here/../lib/common.sh"
TAG=smtp

usage() {
  echo "usage: $0 install | start DIR [PORT] | stop DIR" >&2
  exit 2
}

# greets PORT — a TCP connect that reads the 220 greeting, then says QUIT.
greets() {
  timeout 3 bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    IFS= read -r -t 2 line <&3 || exit 1
    printf "QUIT\r\n" >&3
    [[ "$line" == 220* ]]' _ "$1"
}

cmd_install() {
  ensure_venv "$TAG"
  log "$TAG" "using aiosmtpd $("$ATRIUM_VENV/bin/python" -c 'import aiosmtpd; print(aiosmtpd.__version__)') from $ATRIUM_VENV"
}

cmd_start() {
  [[ $# -ge 1 && $# -le 2 ]] || usage
  venv_ready || die "$TAG" "aiosmtpd is not installed in $ATRIUM_VENV: run '$0 install' first"
  start_target "$TAG" "$@"
  local dir=$START_DIR port=$START_PORT pid
  if running_here "$TAG" "$dir/smtp.pid" "$port" "an SMTP sink" greets; then
    return 0
  fi
  require_port_free "$TAG" "$port"
  mkdir -p "$dir/mail"

  log "$TAG" "starting the SMTP sink on 127.0.0.1:$port (mail in $dir/mail)"
  (
    cd "$dir"
    exec setsid "$ATRIUM_VENV/bin/python" -u "$here/smtp_sink.py" --host 127.0.0.1 --port "$port" \
      --dir "$dir" </dev/null >"$dir/smtp.log" 2>&1
  ) &
  pid=$!
  echo "$pid" >"$dir/smtp.pid"
  echo "$port" >"$dir/port"
  local rc=0
  wait_until 30 "$pid" greets "$port" || rc=$?
  if ((rc != 0)); then
    show_log_tail "$TAG" "$dir/smtp.log"
    stop_pid "$TAG" "$dir/smtp.pid" 5
    if ((rc == 2)); then
      die "$TAG" "the SMTP sink exited before answering on 127.0.0.1:$port"
    fi
    die "$TAG" "the SMTP sink did not greet on 127.0.0.1:$port within 30s"
  fi
  log "$TAG" "ready on smtp://127.0.0.1:$port (pid $pid)"
}

cmd_stop() {
  [[ $# -eq 1 ]] || usage
  [[ -d "$1" ]] || return 0
  local dir
  dir=$(cd "$1" && pwd)
  if pid_alive "$(read_pid "$dir/smtp.pid")"; then
    stop_pid "$TAG" "$dir/smtp.pid" 10
    log "$TAG" "stopped ($dir)"
  fi
  rm -f "$dir/smtp.pid"
}

case "${1:-}" in
  install) shift; [[ $# -eq 0 ]] || usage; cmd_install ;;
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  *) usage ;;
esac
