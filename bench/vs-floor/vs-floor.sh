#!/usr/bin/env bash
# vs-floor.sh ROUNDS -- CMD...   Benchmark an app against the hand-written Rocket floor,
# side by side in one run. CMD starts the app in the foreground on 127.0.0.1:$PORT with its
# Redis at $REDIS_URL (both exported; DB 14 of the local Redis), e.g.
#   bench/vs-floor/vs-floor.sh 3 -- env ROCKET_PORT='$PORT' ... target/release/app
# (CMD is run by bash -c, so the quoted $PORT and $REDIS_URL expand there).
# Both servers run for the whole benchmark. Each round measures every endpoint on the floor
# and on the app back to back (which one goes first alternates by round), because this
# machine's speed drifts within minutes: ratios are taken within a round. Prints the median
# table (summarize.py) with those ratios.
# Env: run.sh knobs (CONNS, DURATION, LAT_DURATION, NO_LAT), ENDPOINTS, LABEL (default:
#      app), CLEAN_PATTERN (a regex for your key prefix, e.g. '^session:'), SIGN_IN=1 (the
#      app's sessions are signed in through the demo's built-in provider before they are
#      measured: session.lua).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROUNDS="${1:?usage: vs-floor.sh ROUNDS -- CMD...}"; shift
[ "${1:-}" = "--" ] && shift
APP_CMD="$*"
[ -n "$APP_CMD" ] || { echo "usage: vs-floor.sh ROUNDS -- CMD..." >&2; exit 2; }
LABEL="${LABEL:-app}"
ENDPOINTS="${ENDPOINTS:-/health /api/counter /api/session}"
export REDIS_DB="${REDIS_DB:-14}"
export REDIS_URL="redis://127.0.0.1:6379/$REDIS_DB"
FLOOR_TARGET="${FLOOR_TARGET:-/tmp/rocket-floor-target}"
OUTDIR="$(mktemp -d /tmp/vs-floor.XXXXXX)"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 2; }

echo "== building the floor (release) into $FLOOR_TARGET"
(cd "$HERE/rocket-floor" && CARGO_TARGET_DIR="$FLOOR_TARGET" cargo build --release --locked -q)

declare -A PIDS PORTS=([floor]=18004 ["$LABEL"]=18005)
start() { # label
  local label=$1 port=${PORTS[$1]} log="$OUTDIR/$1.log"
  if [ "$label" = floor ]; then
    PORT="$port" "$FLOOR_TARGET/release/rocket-floor" >"$log" 2>&1 &
  else
    PORT="$port" bash -c "$APP_CMD" >"$log" 2>&1 &
  fi
  PIDS[$label]=$!
  for _ in $(seq 1 300); do
    curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && return 0
    kill -0 "${PIDS[$label]}" 2>/dev/null || { echo "$label died:"; cat "$log"; return 1; }
    sleep 0.1
  done
  echo "$label did not answer /health in 30 s"; cat "$log"; return 1
}
stop_all() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}
trap stop_all EXIT INT TERM

for label in floor "$LABEL"; do
  start "$label"
  port=${PORTS[$label]}
  # warm-up (not measured): sessions, pools, lazy initialisation
  BENCH_PATH=/api/counter wrk -t4 -c4 -d2s -s "$HERE/session.lua" "http://127.0.0.1:$port/api/counter" >/dev/null
done
for round in $(seq 1 "$ROUNDS"); do
  order="floor $LABEL"; [ $((round % 2)) -eq 0 ] && order="$LABEL floor"
  echo "== round $round/$ROUNDS"
  for path in $ENDPOINTS; do
    for label in $order; do
      # SIGN_IN=1: the app's sessions are signed in first (the floor has no users).
      sign_in=0; [ "$label" != floor ] && sign_in="${SIGN_IN:-0}"
      SIGN_IN="$sign_in" ENDPOINTS="$path" SERVER_PID="${PIDS[$label]}" OUT="$OUTDIR/round$round.tsv" \
        "$HERE/run.sh" "http://127.0.0.1:${PORTS[$label]}" "$label"
    done
  done
done
REF=floor python3 "$HERE/summarize.py" "$OUTDIR" | tee "$OUTDIR/summary.md"
echo "(raw results: $OUTDIR)"
