#!/usr/bin/env bash
# bench/cluster-vs-floor.sh [ROUNDS] — the app on a Redis Cluster of 3 masters (each with
# a replica) against the hand-written floor on one Redis (DB 14 of 127.0.0.1:6379), side
# by side in one run through bench/vs-floor/vs-floor.sh (ROUNDS rounds, default 3; the
# median table with ratios). The cluster is private (free loopback ports) and stopped at
# the end. Needs wrk, redis-server, redis-cli and a Redis on 6379 for the floor.
# Env: as vs-floor.sh (CONNS, DURATION, NO_LAT, ENDPOINTS).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS="${1:-3}"
export ENDPOINTS="${ENDPOINTS:-/api/session /api/counter}"
source bench/redis-topology.sh
echo "== a cluster of 3 masters and 3 replicas" >&2
start_cluster
echo "== cargo build --release" >&2
cargo build --release --locked --quiet
table="{sessions={mode=\"cluster\",urls=$urls}}"
LABEL=cluster bench/vs-floor/vs-floor.sh "$ROUNDS" -- \
  env ROCKET_PORT='$PORT' ROCKET_ADDRESS=127.0.0.1 ROCKET_PROFILE=release ROCKET_LOG_LEVEL=off \
  "ROCKET_DATABASES='$table'" target/release/rocket-redis-sessions-demo
