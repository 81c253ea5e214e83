#!/usr/bin/env bash
# An S3-compatible server (moto) for the test suite, on loopback only, state in memory.
#
#   s3.sh install          moto[server] + boto3 into the cached venv
#                          (${ATRIUM_CACHE_DIR:-$HOME/.cache/atrium}/venv)
#   s3.sh start DIR [PORT] start on 127.0.0.1:PORT (pid file and log in DIR) and create the one
#                          bucket `atrium-test` in region eu-west-1, so a readiness check can
#                          HEAD it; tests create any other bucket they need. PORT may be omitted
#                          to reuse the port DIR used last (a restart starts empty).
#   s3.sh stop DIR         stop it; fine when it is not running
#
# Any access key/secret is accepted (tests use test/test). Use a region other than us-east-1:
# rust-s3 sends a LocationConstraint for a custom "us-east-1" region, which moto rejects.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib/common.sh
source "$here/../lib/common.sh"
TAG=s3
BUCKET=atrium-test
REGION=eu-west-1

usage() {
  echo "usage: $0 install | start DIR [PORT] | stop DIR" >&2
  exit 2
}

answers() { curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$1/"; }

cmd_install() {
  ensure_venv "$TAG"
  log "$TAG" "using moto $("$ATRIUM_VENV/bin/python" -c 'import moto; print(moto.__version__)') from $ATRIUM_VENV"
}

cmd_start() {
  [[ $# -ge 1 && $# -le 2 ]] || usage
  venv_ready || die "$TAG" "moto is not installed in $ATRIUM_VENV: run '$0 install' first"
  start_target "$TAG" "$@"
  local dir=$START_DIR port=$START_PORT pid
  if running_here "$TAG" "$dir/moto.pid" "$port" "a moto server" answers; then
    return 0
  fi
  require_port_free "$TAG" "$port"

  log "$TAG" "starting moto on 127.0.0.1:$port (dir $dir)"
  (
    cd "$dir"
    exec setsid "$ATRIUM_VENV/bin/moto_server" -H 127.0.0.1 -p "$port" </dev/null >"$dir/moto.log" 2>&1
  ) &
  pid=$!
  echo "$pid" >"$dir/moto.pid"
  echo "$port" >"$dir/port"
  local rc=0
  wait_until 30 "$pid" answers "$port" || rc=$?
  if ((rc != 0)); then
    show_log_tail "$TAG" "$dir/moto.log"
    stop_pid "$TAG" "$dir/moto.pid" 5
    if ((rc == 2)); then
      die "$TAG" "moto_server exited before answering on 127.0.0.1:$port"
    fi
    die "$TAG" "moto_server did not answer HTTP on 127.0.0.1:$port within 30s"
  fi

  local out
  if ! out=$(AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_EC2_METADATA_DISABLED=true \
    "$ATRIUM_VENV/bin/python" - "http://127.0.0.1:$port" "$BUCKET" "$REGION" 2>&1 <<'PY'
import sys
import boto3
endpoint, bucket, region = sys.argv[1:4]
s3 = boto3.client("s3", endpoint_url=endpoint, region_name=region)
try:
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
except s3.exceptions.BucketAlreadyOwnedByYou:
    pass
s3.head_bucket(Bucket=bucket)
PY
  ); then
    stop_pid "$TAG" "$dir/moto.pid" 5
    die "$TAG" "could not create the bucket $BUCKET on moto: $out"
  fi
  if ! curl -fsS -o /dev/null --max-time 5 -I "http://127.0.0.1:$port/$BUCKET"; then
    stop_pid "$TAG" "$dir/moto.pid" 5
    die "$TAG" "HEAD http://127.0.0.1:$port/$BUCKET failed after creating it"
  fi
  log "$TAG" "ready on http://127.0.0.1:$port (pid $pid, bucket $BUCKET in $REGION)"
}

cmd_stop() {
  [[ $# -eq 1 ]] || usage
  [[ -d "$1" ]] || return 0
  local dir
  dir=$(cd "$1" && pwd)
  if pid_alive "$(read_pid "$dir/moto.pid")"; then
    stop_pid "$TAG" "$dir/moto.pid" 10
    log "$TAG" "stopped ($dir)"
  fi
  rm -f "$dir/moto.pid"
}

case "${1:-}" in
  install) shift; [[ $# -eq 0 ]] || usage; cmd_install ;;
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  *) usage ;;
esac
