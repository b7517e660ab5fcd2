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
source bench/redis-topology.sh

echo "== a primary with one replica" >&2
primary=$(free_port); replica=$(free_port)
server "$primary"
server "$replica" --replicaof 127.0.0.1 "$primary"
synced() { cli "$replica" info replication | grep -q '^master_link_status:up'; }
wait_for 10 synced
# The first confirmed write ends the primary's wait for the replica's first acknowledgement.
printf 'SET ready 1\nWAIT 1 5000\n' | cli "$primary" >/dev/null

echo "== a cluster of 3 masters and 3 replicas" >&2
start_cluster

run() { # run NAME TABLE
  echo "== $1" >&2
  echo "-- $1"
  DATABASES="$2" REDIS_URL="redis://127.0.0.1:$primary/0" bench/run.sh 2>/dev/null
}
run single "{sessions={url=\"redis://127.0.0.1:$primary/0\"}}"
run single+ack "{sessions={url=\"redis://127.0.0.1:$primary/0\",min_replicas_ack=1}}"
run cluster "{sessions={mode=\"cluster\",urls=$urls}}"
