#!/usr/bin/env bash
# bench/scale-out.sh — what the session layer costs on other Redis setups, in one run:
#
#   single        the app on one redis-server (the baseline)
#   single+ack    the same with min_replicas_ack = 1 (each write waits for a replica: WAIT)
#   cluster       the app on a Redis Cluster of 3 masters (each with a replica)
#
# Starts its own servers on free loopback ports (a primary with one replica, and six
# cluster nodes), runs bench/run.sh against each setup, prints run.sh's table per setup,
# and stops every server it started, by PID. Nothing on disk outside a temporary directory.
# Needs wrk, redis-server and redis-cli. Env: CONNS (64), DURATION (10s), ENDPOINTS
# (/api/session /api/counter), as run.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
export CONNS="${CONNS:-64}" DURATION="${DURATION:-10s}"
export ENDPOINTS="${ENDPOINTS:-/api/session /api/counter}"
dir=$(mktemp -d -t rrs-scale-out.XXXXXX)
pids=()
stop_all() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$dir"
}
trap stop_all EXIT INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cli() { local port=$1; shift; redis-cli -h 127.0.0.1 -p "$port" "$@"; }
wait_for() { # wait_for SECONDS CMD...: polls CMD every 50 ms
  local n=$(( $1 * 20 )); shift
  until "$@" >/dev/null 2>&1; do n=$((n - 1)); [ "$n" -gt 0 ] || return 1; sleep 0.05; done
}
server() { # server PORT ARGS...: a redis-server of ours
  local port=$1; shift
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
    --dir "$dir" --logfile "$dir/$port.log" "$@" &
  pids+=($!)
  wait_for 10 cli "$port" ping
}

echo "== a primary with one replica" >&2
primary=$(free_port); replica=$(free_port)
server "$primary"
server "$replica" --replicaof 127.0.0.1 "$primary"
synced() { cli "$replica" info replication | grep -q '^master_link_status:up'; }
wait_for 10 synced
# The first confirmed write ends the primary's wait for the replica's first acknowledgement.
printf 'SET ready 1\nWAIT 1 5000\n' | cli "$primary" >/dev/null

echo "== a cluster of 3 masters and 3 replicas" >&2
nodes=()
for _ in 1 2 3 4 5 6; do
  port=$(free_port); bus=$(free_port)
  server "$port" --cluster-enabled yes --cluster-port "$bus" \
    --cluster-config-file "$dir/nodes-$port.conf" --cluster-node-timeout 1000
  nodes+=("127.0.0.1:$port")
done
redis-cli --cluster create "${nodes[@]}" --cluster-replicas 1 --cluster-yes >"$dir/create.log"
ok() { cli "${1##*:}" cluster info | grep -q '^cluster_state:ok'; }
for node in "${nodes[@]}"; do wait_for 30 ok "$node"; done
urls=$(printf '"redis://%s",' "${nodes[@]}"); urls="[${urls%,}]"

run() { # run NAME TABLE
  echo "== $1" >&2
  echo "-- $1"
  DATABASES="$2" REDIS_URL="redis://127.0.0.1:$primary/0" bench/run.sh 2>/dev/null
}
run single "{sessions={url=\"redis://127.0.0.1:$primary/0\"}}"
run single+ack "{sessions={url=\"redis://127.0.0.1:$primary/0\",min_replicas_ack=1}}"
run cluster "{sessions={mode=\"cluster\",urls=$urls}}"
