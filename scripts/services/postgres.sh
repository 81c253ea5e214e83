#!/usr/bin/env bash
# PostgreSQL for the test suite, on loopback only.
#
#   postgres.sh install          find (or apt-get install) the server binaries
#   postgres.sh start DIR [PORT] initdb into DIR/data on first use, then start on 127.0.0.1:PORT;
#                                the socket directory is DIR. PORT may be omitted when DIR was
#                                started before: the port it used last is reused, so a test can
#                                stop the server and start it again at the same address.
#   postgres.sh stop DIR         fast shutdown; fine when it is not running
#
# The cluster uses trust authentication for the superuser `postgres`, so the admin URL is
# postgres://postgres@127.0.0.1:PORT/postgres. Durability is off (fsync, full_page_writes): this
# is a throw-away test server. As root, initdb/pg_ctl run as the `postgres` system user, which
# is created when missing; DIR is handed to it and must be reachable by it.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib/common.sh
source "$here/../lib/common.sh"
TAG=postgres

usage() {
  echo "usage: $0 install | start DIR [PORT] | stop DIR" >&2
  exit 2
}

# The newest server version installed, as its bin directory.
pg_bindir() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [[ -x "$d/initdb" && -x "$d/pg_ctl" && -x "$d/postgres" ]] && printf '%s\n' "$d"
  done | sort -V | tail -n 1
}

is_root() { [[ "$(id -u)" == 0 ]]; }

ensure_postgres_user() {
  is_root || return 0
  id -u postgres >/dev/null 2>&1 && return 0
  log "$TAG" "creating the system user postgres"
  useradd --system --user-group --home-dir /var/lib/postgresql --no-create-home \
    --shell /bin/sh postgres ||
    die "$TAG" "could not create the system user postgres (initdb refuses to run as root)"
}

# as_pg COMMAND… — run as the postgres user when we are root, else as ourselves.
as_pg() {
  if is_root; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

cmd_install() {
  if [[ -z "$(pg_bindir)" ]]; then
    apt_install "$TAG" postgresql
    [[ -n "$(pg_bindir)" ]] ||
      die "$TAG" "postgresql was installed but no initdb/pg_ctl is under /usr/lib/postgresql/*/bin"
  fi
  ensure_postgres_user
  log "$TAG" "using $(pg_bindir)"
}

cmd_start() {
  [[ $# -ge 1 && $# -le 2 ]] || usage
  local bin
  bin=$(pg_bindir)
  [[ -n "$bin" ]] || die "$TAG" "no PostgreSQL server under /usr/lib/postgresql/*/bin: run '$0 install' first"
  mkdir -p "$1"
  local dir data port
  dir=$(cd "$1" && pwd)
  data="$dir/data"
  port=${2:-}
  if [[ -z "$port" && -f "$dir/port" ]]; then
    port=$(<"$dir/port")
  fi
  [[ -n "$port" ]] || die "$TAG" "no PORT given and $dir was never started before"
  # The unix socket path DIR/.s.PGSQL.PORT must fit in sun_path (107 bytes).
  ((${#dir} + 18 <= 107)) || die "$TAG" "directory path too long for a unix socket: $dir"

  ensure_postgres_user
  cd "$dir" # initdb and pg_ctl run as postgres, which may not be allowed into our cwd

  if [[ -f "$data/PG_VERSION" ]] && as_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    local running_port
    running_port=$(sed -n 4p "$data/postmaster.pid" 2>/dev/null || true)
    if [[ "$running_port" == "$port" ]] &&
      "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres; then
      log "$TAG" "already running on 127.0.0.1:$port"
      sed -n 1p "$data/postmaster.pid" >"$dir/postgres.pid"
      return 0
    fi
    die "$TAG" "a server is already running on $data (port ${running_port:-?}), not on $port: stop it first"
  fi

  require_port_free "$TAG" "$port"

  if is_root; then
    chown postgres: "$dir"
    chmod 0750 "$dir"
    if ! runuser -u postgres -- test -w "$dir" -a -x "$dir"; then
      die "$TAG" "the postgres user cannot write $dir: every parent directory must be traversable by it (chmod o+x on each)"
    fi
  fi

  if [[ ! -f "$data/PG_VERSION" ]]; then
    rm -rf "$data" # left over from an interrupted initdb
    local locale=C
    if locale -a 2>/dev/null | grep -qix 'c\.utf-\?8'; then
      locale=C.UTF-8
    fi
    log "$TAG" "initdb $data ($("$bin/postgres" --version))"
    if ! as_pg "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale="$locale" \
      --no-sync --no-instructions >"$dir/initdb.log" 2>&1; then
      show_log_tail "$TAG" "$dir/initdb.log"
      die "$TAG" "initdb failed in $data"
    fi
    local sockdir=${dir//\'/\'\'}
    as_pg tee -a "$data/postgresql.conf" >/dev/null <<CONF

# Added by scripts/services/postgres.sh: a throw-away server for tests, on loopback only.
listen_addresses = '127.0.0.1'
unix_socket_directories = '$sockdir'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 300
CONF
  fi

  log "$TAG" "starting on 127.0.0.1:$port (data $data)"
  if ! as_pg "$bin/pg_ctl" -D "$data" -l "$dir/postgres.log" -o "-p $port" -w -t 30 start \
    >"$dir/pg_ctl.log" 2>&1; then
    show_log_tail "$TAG" "$dir/pg_ctl.log"
    show_log_tail "$TAG" "$dir/postgres.log"
    die "$TAG" "pg_ctl start failed on port $port"
  fi
  if ! wait_until 30 "" "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres; then
    show_log_tail "$TAG" "$dir/postgres.log"
    die "$TAG" "server did not accept connections on 127.0.0.1:$port within 30s"
  fi
  sed -n 1p "$data/postmaster.pid" >"$dir/postgres.pid"
  echo "$port" >"$dir/port"
  log "$TAG" "ready on 127.0.0.1:$port (pid $(<"$dir/postgres.pid"))"
}

cmd_stop() {
  [[ $# -eq 1 ]] || usage
  [[ -d "$1" ]] || return 0
  local dir data bin
  dir=$(cd "$1" && pwd)
  data="$dir/data"
  if [[ ! -f "$data/PG_VERSION" ]]; then
    rm -f "$dir/postgres.pid"
    return 0
  fi
  bin=$(pg_bindir)
  [[ -n "$bin" ]] || die "$TAG" "no pg_ctl under /usr/lib/postgresql/*/bin to stop $data"
  cd "$dir"
  if as_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    if ! as_pg "$bin/pg_ctl" -D "$data" stop -m fast -w -t 30 >"$dir/pg_ctl.log" 2>&1; then
      show_log_tail "$TAG" "$dir/pg_ctl.log"
      die "$TAG" "pg_ctl stop failed for $data"
    fi
    log "$TAG" "stopped ($data)"
  fi
  rm -f "$dir/postgres.pid"
}

case "${1:-}" in
  install) shift; [[ $# -eq 0 ]] || usage; cmd_install ;;
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  *) usage ;;
esac
