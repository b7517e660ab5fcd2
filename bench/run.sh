#!/usr/bin/env bash
# bench/run.sh — how fast is the demo app's session layer on this machine?
#
# Builds the app in release, starts it on loopback (release profile, a throw-away secret
# key, sessions under a key prefix of its own), drives /health, /api/session and
# /api/counter with wrk (one session per connection, carried by its cookie), prints
# requests/s, p50/p99 latency and the server's CPU per request, then stops the app and
# deletes its keys.
#
# Needs wrk (apt-get install -y wrk) and a Redis (default: DB 15 of 127.0.0.1:6379).
# Env: REDIS_URL, PORT (18080), CONNS (64), DURATION (10s), ENDPOINTS.
set -euo pipefail
cd "$(dirname "$0")/.."
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/15}"
PORT="${PORT:-18080}"
CONNS="${CONNS:-64}"
DURATION="${DURATION:-10s}"
ENDPOINTS="${ENDPOINTS:-/health /api/session /api/counter}"
PREFIX="bench:$$:"
source bench/app.sh

ticks() { awk '{print $14 + $15}' "/proc/$APP_PID/stat"; }
HZ=$(getconf CLK_TCK)
# warm-up: connections, pools, scripts
BENCH_PATH=/api/counter wrk -t4 -c4 -d2s -s bench/session.lua "http://127.0.0.1:$PORT/" >/dev/null

printf '%-14s %10s %9s %9s %14s %7s\n' endpoint req/s p50_ms p99_ms cpu_us/req errors
for path in $ENDPOINTS; do
  before=$(ticks)
  out=$(BENCH_PATH="$path" wrk -t"$CONNS" -c"$CONNS" -d"$DURATION" --timeout 5s \
        -s bench/session.lua "http://127.0.0.1:$PORT$path")
  after=$(ticks)
  line=$(grep '^RESULT ' <<<"$out")
  get() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $line"; }
  awk -v p="$path" -v n="$(get requests)" -v rps="$(get rps)" -v p50="$(get p50_us)" \
      -v p99="$(get p99_us)" -v t="$((after - before))" -v hz="$HZ" \
      -v err="$(( $(get failed) + $(get wrong) ))" \
      'BEGIN { printf "%-14s %10.0f %9.2f %9.2f %14.1f %7d\n", p, rps, p50/1000, p99/1000, t/hz*1e6/n, err }'
done
