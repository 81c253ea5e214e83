#!/usr/bin/env bash
# Saturation: what one Atrium node and two nodes deliver at rising load (BENCHMARKS.md,
# "Saturation"). Each node runs in its own CPU cgroup capped at NODE_CPU of a core, as if each
# were a small machine of its own; the load generator (atrium-load), PostgreSQL (durable) and
# Redis get the rest of this machine. Both shapes run on PostgreSQL and Redis; the clients are
# spread over the nodes.
#
#   bench/collab/saturate.sh
#
#   NODES="1 2"               node counts to run
#   PACES="200 100 50 25"     ms between a client's edits, one step each (lower = more load)
#   CLIENTS=100 ROOMS=10      clients and rooms (10 a room: 9 peer deliveries an edit)
#   STEP_S=15                 seconds of editing per step
#   NODE_CPU=0.4              each node's CPU cap, in cores (needs root and the cgroup v1 cpu
#                             controller at /sys/fs/cgroup/cpu)
#   SAMPLE_S=0                with SAMPLE_S > 0, the nodes' RSS every SAMPLE_S seconds (soaks:
#                             NODE_CPU=2 NODES=2 PACES=1000 STEP_S=600 CLIENTS=500 ROOMS=50 SAMPLE_S=30
#                             LOAD_ARGS="--keep-chars 200")
#   LOAD_ARGS                 more arguments for atrium-load, e.g. "--keep-chars 2000" in a soak
#   ATRIUM_BIN, ATRIUM_LOAD_BIN   default $CARGO_TARGET_DIR/release/{atrium,atrium-load}
#
# Prints atrium-load's figures for every step (latency p50/p99, deliveries per second, the
# nodes' CPU per delivery) after a line naming the step.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
target=${CARGO_TARGET_DIR:-$here/../../target}/release
bin=${ATRIUM_BIN:-$target/atrium}
load=${ATRIUM_LOAD_BIN:-$target/atrium-load}
for b in "$bin" "$load"; do
  [[ -x "$b" ]] || {
    echo "missing $b: cargo build --release -p atrium-server --bin atrium -p atrium-tests --bin atrium-load" >&2
    exit 2
  }
done
cgroups=/sys/fs/cgroup/cpu
[[ -w "$cgroups" ]] || {
  echo "saturate.sh caps each node with a cgroup: it needs root and $cgroups" >&2
  exit 2
}

source "$here/services.sh"
node_pids=()
made_groups=()
extra_cleanup() {
  for pid in "${node_pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  for group in "${made_groups[@]}"; do rmdir "$group" 2>/dev/null || true; done
}

# A short period (10 ms) so a node at its cap stalls for milliseconds, not for most of 100 ms.
period=10000
quota=$(python3 -c "print(int(float('${NODE_CPU:-0.4}') * $period))")
clients=${CLIENTS:-100} rooms=${ROOMS:-10} step_s=${STEP_S:-15}

# Starts node $1 on database $2 in its own capped cgroup; sets node_url and node_pid.
start_node() {
  local index=$1 database=$2 port group
  port=$(free_port)
  group="$cgroups/atrium-bench-$$-$index"
  rmdir "$group" 2>/dev/null || true # the previous step's, so the counters start at zero
  mkdir -p "$group"
  made_groups+=("$group")
  echo "$period" >"$group/cpu.cfs_period_us"
  echo "$quota" >"$group/cpu.cfs_quota_us"
  mkdir -p "$dir/node-$index"
  # The node is started inside its group (a subshell moved there first), so every thread it
  # ever makes is capped.
  (
    echo "$BASHPID" >"$group/cgroup.procs"
    ATRIUM_DATA_DIR="$dir/node-$index" ATRIUM_DATABASE_URL="$database" \
      ATRIUM_REDIS_URL="$redis_url" ATRIUM_NODE_ID="bench-$index" \
      ATRIUM_AUTH_RATE_PER_MINUTE=1000000 ATRIUM_API_RATE_PER_SECOND=1000000 \
      exec "$bin" serve --listen "127.0.0.1:$port" --log warn >"$dir/node-$index.log" 2>&1
  ) &
  node_pid=$!
  node_url="http://127.0.0.1:$port"
  node_pids+=("$node_pid")
  for _ in $(seq 300); do
    curl -fs "$node_url/readyz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "node $index did not become ready" >&2
  cat "$dir/node-$index.log" >&2
  exit 2
}

start_services
status=0
for nodes in ${NODES:-1 2}; do
  for pace in ${PACES:-200 100 50 25}; do
    database=$(fresh_database)
    urls=() pids=()
    for ((i = 0; i < nodes; i++)); do
      start_node "$i" "$database"
      urls+=("$node_url") pids+=("$node_pid")
    done
    edits=$((step_s * 1000 / pace))
    echo "## $nodes node(s) at ${NODE_CPU:-0.4} core each: $clients clients in $rooms rooms, an edit every $pace ms each ($((clients * 1000 / pace)) edits/s offered), load average $(cut -d' ' -f1-3 /proc/loadavg)"
    sampler=""
    if ((${SAMPLE_S:-0} > 0)); then
      (
        started=$SECONDS
        while sleep "$SAMPLE_S"; do
          rss=0
          for pid in "${pids[@]}"; do
            rss=$((rss + $(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)))
          done
          echo "sample at $((SECONDS - started)) s: nodes' RSS $((rss / 1024)) MB, load average $(cut -d' ' -f1 /proc/loadavg)"
        done
      ) &
      sampler=$!
    fi
    "$load" --scenario edit --nodes "$(IFS=,; echo "${urls[*]}")" --pid "$(IFS=,; echo "${pids[*]}")" \
      --clients "$clients" --rooms "$rooms" --edits "$edits" --pace-ms "$pace" ${LOAD_ARGS:-} || status=1
    [[ -n "$sampler" ]] && kill "$sampler" 2>/dev/null
    # How often each node hit its cap: throttled periods of 10 ms, and the time it waited.
    for ((i = 0; i < nodes; i++)); do
      awk -v node="$i" '/^nr_periods/ {p=$2} /^nr_throttled/ {t=$2} /^throttled_time/ {w=$2/1e9}
        END {printf "node %s: throttled in %d of %d periods, %.2f s in all\n", node, t, p, w}' \
        "$cgroups/atrium-bench-$$-$i/cpu.stat"
    done
    for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
    wait "${pids[@]}" 2>/dev/null || true
    node_pids=()
  done
done
exit $status
