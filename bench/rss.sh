#!/usr/bin/env bash
# bench/rss.sh — does the app's memory stay flat as sessions pile up in Redis?
#
# Starts the release app (as bench/run.sh does), then creates SESSIONS distinct sessions
# (default 100000: GET /api/counter without a cookie, so each request is a new visitor),
# printing the resident set size (VmRSS) after each one-second burst. The app keeps no
# per-session state, so RSS should not grow with the number of sessions.
# Needs wrk and a Redis (REDIS_URL, default DB 15 of 127.0.0.1:6379). Env: SESSIONS, PORT.
set -euo pipefail
cd "$(dirname "$0")/.."
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/15}"
PORT="${PORT:-18081}"
SESSIONS="${SESSIONS:-100000}"
PREFIX="rss:$$:"
source bench/app.sh

rss() { awk '/^VmRSS/ {print $2}' "/proc/$APP_PID/status"; }
keys() { redis-cli -u "$REDIS_URL" --scan --pattern "${PREFIX}*" | wc -l; }
# Warm up at the same concurrency (allocator arenas, connections, buffers); sessions made
# then are counted too.
warm=$(wrk -t8 -c64 -d1s -s bench/new-visitor.lua "http://127.0.0.1:$PORT/api/counter")
made=$(sed -n 's/^CREATED //p' <<<"$warm")
printf '%10s %12s %10s\n' sessions redis_keys rss_kib
printf '%10s %12s %10s\n' "$made" "$(keys)" "$(rss)"
# wrk runs for a duration, not a count: one-second runs until SESSIONS are made.
while [ "$made" -lt "$SESSIONS" ]; do
  out=$(wrk -t8 -c64 -d1s -s bench/new-visitor.lua "http://127.0.0.1:$PORT/api/counter")
  made=$((made + $(sed -n 's/^CREATED //p' <<<"$out")))
  printf '%10s %12s %10s\n' "$made" "$(keys)" "$(rss)"
done
