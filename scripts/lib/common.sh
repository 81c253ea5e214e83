# shellcheck shell=bash
# Helpers shared by scripts/test, scripts/run and scripts/services/*.sh. Source it; it defines
# functions only and changes no shell option of the caller.

# Where downloaded tools live between runs: outside the repository, so a fresh clone and
# `git clean` never throw them away and they never end up in a commit.
ATRIUM_CACHE_DIR="${ATRIUM_CACHE_DIR:-${HOME:-/tmp}/.cache/atrium}"
ATRIUM_VENV="$ATRIUM_CACHE_DIR/venv"
# Python packages the service scripts need; the ranges are the ones verified with these scripts.
ATRIUM_PY_PACKAGES=('moto[server]>=5.1,<6' 'aiosmtpd>=1.4,<2' 'boto3>=1.34,<2')

# log TAG MESSAGE… — progress on stderr, so stdout stays clean for values (ports, URLs).
log() {
  local tag=$1
  shift
  printf '[%s] %s\n' "$tag" "$*" >&2
}

# die TAG MESSAGE… — say why, then exit non-zero.
die() {
  local tag=$1
  shift
  printf '[%s] ERROR: %s\n' "$tag" "$*" >&2
  exit 1
}

# pid_alive PID — true when PID names a live process (zombies count as gone).
pid_alive() {
  local pid=$1
  [[ -n "$pid" && "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  local state
  state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || true)
  [[ "$state" != "Z" ]]
}

# read_pid FILE — the pid stored in FILE, or nothing.
read_pid() {
  [[ -f "$1" ]] && head -n 1 "$1" | tr -dc '0-9' || true
}

# wait_until TIMEOUT_SECONDS PID_OR_EMPTY COMMAND… — poll COMMAND every 0.2 s until it succeeds.
# Fails when the timeout passes or, if a pid is given, as soon as that process has died.
wait_until() {
  local timeout=$1 pid=$2
  shift 2
  local deadline=$((SECONDS + timeout))
  while true; do
    if "$@" >/dev/null 2>&1; then
      return 0
    fi
    if [[ -n "$pid" ]] && ! pid_alive "$pid"; then
      return 2
    fi
    if ((SECONDS >= deadline)); then
      return 1
    fi
    sleep 0.2
  done
}

# stop_pid TAG PIDFILE [TIMEOUT] — SIGTERM the process in PIDFILE, wait for it to exit, SIGKILL
# it after TIMEOUT seconds. A missing pid file or a process already gone is fine.
stop_pid() {
  local tag=$1 pidfile=$2 timeout=${3:-15}
  local pid
  pid=$(read_pid "$pidfile")
  if [[ -z "$pid" ]] || ! pid_alive "$pid"; then
    rm -f "$pidfile"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  if ! wait_until "$timeout" "" eval "! pid_alive $pid"; then
    log "$tag" "pid $pid did not exit within ${timeout}s after SIGTERM; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait_until 5 "" eval "! pid_alive $pid" || die "$tag" "pid $pid survived SIGKILL"
  fi
  rm -f "$pidfile"
}

# tcp_open PORT — true when something accepts TCP connections on 127.0.0.1:PORT.
tcp_open() {
  timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$1" 2>/dev/null
}

# require_port_free TAG PORT — fail loudly when PORT is taken on loopback.
require_port_free() {
  local tag=$1 port=$2
  [[ "$port" =~ ^[0-9]+$ ]] && ((port > 0 && port < 65536)) || die "$tag" "invalid port '$port'"
  if tcp_open "$port"; then
    die "$tag" "port $port on 127.0.0.1 is already in use by another process"
  fi
}

# show_log_tail TAG FILE — the last lines of a service log, to explain a failed start.
show_log_tail() {
  local tag=$1 file=$2
  if [[ -s "$file" ]]; then
    log "$tag" "last lines of $file:"
    tail -n 25 "$file" | sed "s/^/[$tag]   /" >&2
  fi
}

# as_root_or_die TAG WHAT — installing Debian packages needs root.
as_root_or_die() {
  if [[ "$(id -u)" != 0 ]]; then
    die "$1" "$2 is missing and installing it needs root (apt-get); install it by hand or rerun as root"
  fi
}

# apt_install TAG PACKAGE… — apt-get install without prompts; runs `apt-get update` and retries
# once when the first attempt fails (a fresh machine often has no package lists yet).
apt_install() {
  local tag=$1
  shift
  as_root_or_die "$tag" "$*"
  export DEBIAN_FRONTEND=noninteractive
  local apt=(apt-get -o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef
    -o Dpkg::Options::=--force-confold)
  local out
  log "$tag" "apt-get install $*"
  if out=$("${apt[@]}" install -y --no-install-recommends "$@" </dev/null 2>&1); then
    return 0
  fi
  log "$tag" "apt-get install failed; running apt-get update and retrying"
  if ! out=$("${apt[@]}" update </dev/null 2>&1); then
    die "$tag" "apt-get update failed, so $* could not be installed: apt-get said: $(tail -n 5 <<<"$out")"
  fi
  if ! out=$("${apt[@]}" install -y --no-install-recommends "$@" </dev/null 2>&1); then
    die "$tag" "$* could not be installed: apt-get said: $(tail -n 8 <<<"$out")"
  fi
}

# find_python — a python3 that can create virtual environments (prints its path).
find_python() {
  local py
  for py in python3 /usr/bin/python3; do
    if command -v "$py" >/dev/null 2>&1 && "$py" -c 'import venv, ensurepip' >/dev/null 2>&1; then
      command -v "$py"
      return 0
    fi
  done
  return 1
}

# venv_ready — true when the cached venv has every package the service scripts import.
venv_ready() {
  [[ -x "$ATRIUM_VENV/bin/python" && -x "$ATRIUM_VENV/bin/moto_server" ]] &&
    "$ATRIUM_VENV/bin/python" -c 'import moto, aiosmtpd, boto3, flask' >/dev/null 2>&1
}

# ensure_venv TAG — create (or repair) the cached venv with moto[server], aiosmtpd and boto3.
# Serialised with flock so two runs starting at once do not install into the same venv.
ensure_venv() {
  local tag=$1
  venv_ready && return 0
  mkdir -p "$ATRIUM_CACHE_DIR"
  (
    flock -w 600 9 || die "$tag" "timed out waiting for $ATRIUM_CACHE_DIR/venv.lock"
    venv_ready && exit 0
    local py out
    if ! py=$(find_python); then
      apt_install "$tag" python3-venv
      py=$(find_python) || die "$tag" "no python3 with the venv module, even after installing python3-venv"
    fi
    log "$tag" "creating venv $ATRIUM_VENV with $py and installing ${ATRIUM_PY_PACKAGES[*]} (about a minute)"
    rm -rf "$ATRIUM_VENV"
    out=$("$py" -m venv "$ATRIUM_VENV" 2>&1) ||
      die "$tag" "python -m venv $ATRIUM_VENV failed: $out"
    out=$("$ATRIUM_VENV/bin/python" -m pip install --quiet "${ATRIUM_PY_PACKAGES[@]}" </dev/null 2>&1) ||
      die "$tag" "pip could not install ${ATRIUM_PY_PACKAGES[*]}: pip said: $(tail -n 8 <<<"$out")"
    venv_ready || die "$tag" "the venv at $ATRIUM_VENV still cannot import moto/aiosmtpd/boto3 after pip install"
  ) 9>"$ATRIUM_CACHE_DIR/venv.lock"
}

# start_target TAG DIR [PORT] — for a service's `start`: the absolute service directory (made if
# missing) and the port to use — the given one, or the one of its previous start — in START_DIR
# and START_PORT.
start_target() {
  local tag=$1
  mkdir -p "$2"
  START_DIR=$(cd "$2" && pwd)
  START_PORT=${3:-}
  if [[ -z "$START_PORT" && -f "$START_DIR/port" ]]; then
    START_PORT=$(<"$START_DIR/port")
  fi
  [[ -n "$START_PORT" ]] || die "$tag" "no PORT given and $START_DIR was never started before"
}

# running_here TAG PIDFILE PORT WHAT CHECK… — 0 when the service of PIDFILE already runs and
# `CHECK… PORT` succeeds; dies when it runs on another port; otherwise removes a stale PIDFILE and
# returns 1, so `start` goes on.
running_here() {
  local tag=$1 pidfile=$2 port=$3 what=$4 dir pid
  shift 4
  dir=$(dirname "$pidfile")
  pid=$(read_pid "$pidfile")
  if pid_alive "$pid"; then
    if [[ "$(<"$dir/port")" == "$port" ]] && "$@" "$port"; then
      log "$tag" "already running on 127.0.0.1:$port"
      return 0
    fi
    die "$tag" "$what (pid $pid) already runs from $dir, not on port $port: stop it first"
  fi
  rm -f "$pidfile"
  return 1
}
