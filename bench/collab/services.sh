# shellcheck shell=bash
# Shared by run.sh and saturate.sh: a temporary directory, and PostgreSQL (durable), Redis and
# an S3 server started in it on free loopback ports when first needed; everything is stopped and
# removed on exit (plus whatever the caller lists in `extra_cleanup`).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
services="$root/scripts/services"
# shellcheck source=../../scripts/lib/ports.sh
source "$root/scripts/lib/ports.sh"

dir=$(mktemp -d "${TMPDIR:-/tmp}/atrium-bench.XXXXXX")
chmod 0755 "$dir" # PostgreSQL runs as the postgres user and must reach its sub-directory
extra_cleanup() { :; }
cleanup() {
  extra_cleanup
  for svc in s3 redis postgres; do
    [[ -d "$dir/$svc" ]] && "$services/$svc.sh" stop "$dir/$svc" >/dev/null 2>&1 || true
  done
  rm -rf "$dir"
}
trap cleanup EXIT
trap "exit 130" INT
trap "exit 143" TERM

pg_url="" redis_url="" service_pids=""
start_services() {
  [[ -n "$pg_url" ]] && return 0
  local pg_port redis_port s3_port
  pg_port=$(free_port)
  "$services/postgres.sh" start "$dir/postgres" "$pg_port" >&2
  pg_url="postgres://postgres@127.0.0.1:$pg_port"
  # The test server trades durability for speed; a benchmark of a durable echo must not.
  psql -q "$pg_url/postgres" -c "alter system set fsync = on" \
    -c "alter system set synchronous_commit = on" -c "alter system set full_page_writes = on" \
    -c "select pg_reload_conf()" >/dev/null
  redis_port=$(free_port)
  "$services/redis.sh" start "$dir/redis" "$redis_port" >&2
  redis_url="redis://127.0.0.1:$redis_port"
  s3_port=$(free_port)
  "$services/s3.sh" start "$dir/s3" "$s3_port" >&2
  export ATRIUM_S3_ENDPOINT="http://127.0.0.1:$s3_port" ATRIUM_S3_REGION=eu-west-1 \
    ATRIUM_S3_BUCKET=atrium-test ATRIUM_S3_ACCESS_KEY=test ATRIUM_S3_SECRET_KEY=test
  service_pids="$(<"$dir/postgres/postgres.pid"),$(<"$dir/redis/redis.pid")"
}

fresh_database() {
  local name="bench_$RANDOM$RANDOM"
  psql -q "$pg_url/postgres" -c "create database $name" >/dev/null
  echo "$pg_url/$name"
}
