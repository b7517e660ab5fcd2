# bench/app.sh — sourced by run.sh and rss.sh: builds the release app and starts it on
# loopback (release profile, keys under $PREFIX), waits for /health, and stops it and
# deletes its keys on exit. Needs REDIS_URL, PORT, PREFIX; DATABASES, if set, replaces the
# pool's table (e.g. a cluster's: '{sessions={mode="cluster",urls=[...]}}').
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 2; }
command -v redis-cli >/dev/null || { echo "redis-cli is missing: apt-get install -y redis-tools" >&2; exit 2; }
echo "== cargo build --release" >&2
cargo build --release --locked --quiet
APP_PID=
cleanup() {
  [ -n "$APP_PID" ] && kill "$APP_PID" 2>/dev/null && wait "$APP_PID" 2>/dev/null
  redis-cli -u "$REDIS_URL" --scan --pattern "${PREFIX}*" \
    | xargs -r -n 1000 redis-cli -u "$REDIS_URL" unlink >/dev/null
}
trap cleanup EXIT INT TERM
single_table="{sessions={url=\"$REDIS_URL\"}}"
ROCKET_PROFILE=release ROCKET_PORT="$PORT" ROCKET_ADDRESS=127.0.0.1 ROCKET_LOG_LEVEL=off \
  ROCKET_DATABASES="${DATABASES:-$single_table}" \
  ROCKET_SESSIONS="{key_prefix=\"$PREFIX\"}" \
  target/release/rocket-redis-sessions-demo >/dev/null 2>&1 &
APP_PID=$!
for _ in $(seq 1 300); do
  curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break
  kill -0 "$APP_PID" 2>/dev/null || { echo "the app exited; is Redis at $REDIS_URL?" >&2; exit 1; }
  sleep 0.1
done
curl -sf "http://127.0.0.1:$PORT/health" >/dev/null || { echo "no answer on /health" >&2; exit 1; }
