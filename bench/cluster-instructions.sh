#!/usr/bin/env bash
# bench/cluster-instructions.sh — instructions per request of the app on a Redis Cluster
# against the same app on one Redis: bench/instructions.sh (callgrind, one worker) on each
# endpoint, with the app on one Redis and on a private cluster of 3 masters (each with a
# replica), and the difference. Needs what instructions.sh and bench/redis-topology.sh
# need. Env: REQUESTS (1000), WARMUP (200), ENDPOINTS (/api/session /api/counter).
set -euo pipefail
cd "$(dirname "$0")/.."
export REQUESTS="${REQUESTS:-1000}" WARMUP="${WARMUP:-200}"
source bench/redis-topology.sh
echo "== a cluster of 3 masters and 3 replicas" >&2
start_cluster
cluster_table="{sessions={mode=\"cluster\",urls=$urls}}"

ours() { # ours PATH TABLE: our instructions per request
  DATABASES="$2" ENDPOINTS="$1" bench/instructions.sh 2>/dev/null | awk -v p="$1" '$1 == p { print $2 }'
}
printf '%-14s %12s %12s %12s\n' endpoint single cluster difference
for path in ${ENDPOINTS:-/api/session /api/counter}; do
  single=$(ours "$path" "")
  cluster=$(ours "$path" "$cluster_table")
  printf '%-14s %12s %12s %+12d\n' "$path" "$single" "$cluster" $((cluster - single))
done
