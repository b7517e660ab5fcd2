#!/usr/bin/env bash
# bench/load.sh — a load test that loses nothing: CLIENTS visitors, each with its own
# keep-alive connection and cookie (its own session), each sending REQUESTS sequential
# GET /api/counter to the release build over loopback (the driver: examples/load.rs).
# Prints requests/s, p50, p99 and max latency and the totals, and exits 1, saying what went
# wrong, unless:
#   - every visitor's count goes 1, 2, ... REQUESTS (no gap, no repeat, no lost session),
#   - every response is 2xx and no connection fails,
#   - the driver is done within DEADLINE seconds (past it, it stops and fails),
#   - afterwards Redis holds exactly CLIENTS keys under the app's prefix, each with a TTL.
#
# Builds the app (cargo build --release --locked) and the driver (its example), starts a
# private redis-server and the app on free loopback ports (never the shared Redis on 6379),
# and stops both by PID on exit. Nothing on disk outside a temporary directory.
# Needs redis-server, redis-cli, curl and python3 (for free ports).
# Env: CLIENTS (64), REQUESTS (1000), DEADLINE (300 seconds for the driver's run),
# THREADS (the driver's worker threads; default: the number of cores), CARGO_TARGET_DIR,
# DRIVER_PROFILE (release; `dev` builds the driver without optimisation, as the tests'
# build does, which a short correctness run in CI can reuse instead of building the
# dev-dependencies again in release).
set -euo pipefail
cd "$(dirname "$0")/.."
CLIENTS="${CLIENTS:-64}"
REQUESTS="${REQUESTS:-1000}"
DEADLINE="${DEADLINE:-300}"
THREADS="${THREADS:-$(nproc)}"
PREFIX="load:"
TARGET="$(realpath -m "${CARGO_TARGET_DIR:-target}")"
export CARGO_TARGET_DIR="$TARGET"
for tool in redis-server redis-cli curl python3; do
  command -v "$tool" >/dev/null \
    || { echo "$tool is missing (apt-get install -y redis-server redis-tools curl python3)" >&2; exit 2; }
done
echo "== cargo build --release" >&2
cargo build --release --locked --quiet
# Apart from the app's build: the example turns on the dev-dependencies' features
# (reqwest's cookies), which must not change the app binary under test.
DRIVER_PROFILE="${DRIVER_PROFILE:-release}"
echo "== cargo build --profile $DRIVER_PROFILE --example load" >&2
cargo build --profile "$DRIVER_PROFILE" --locked --quiet --example load
case $DRIVER_PROFILE in dev) driver_dir=debug ;; *) driver_dir=$DRIVER_PROFILE ;; esac

source bench/redis-topology.sh
APP_PID=
cleanup() {
  if [ -n "$APP_PID" ]; then
    kill "$APP_PID" 2>/dev/null || true
    wait "$APP_PID" 2>/dev/null || true
    APP_PID=
  fi
  stop_all
}
trap cleanup EXIT
trap 'exit 130' INT TERM

redis_port=$(free_port)
server "$redis_port" || { echo "our redis-server on port $redis_port did not answer" >&2; exit 1; }
port=$(free_port)
# The release profile as deployed (a Secure __Host- cookie, as bench/app.sh runs it): the
# driver's cookie store sends Secure cookies to loopback over plain HTTP.
ROCKET_PROFILE=release ROCKET_ADDRESS=127.0.0.1 ROCKET_PORT="$port" ROCKET_LOG_LEVEL=off \
  ROCKET_DATABASES="{sessions={url=\"redis://127.0.0.1:$redis_port/0\"}}" \
  ROCKET_SESSIONS="{key_prefix=\"$PREFIX\"}" \
  "$TARGET/release/rocket-redis-sessions-demo" >"$dir/app.log" 2>&1 &
APP_PID=$!
for _ in $(seq 1 300); do
  curl -sf --max-time 2 "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  kill -0 "$APP_PID" 2>/dev/null || { echo "the app exited at launch:" >&2; cat "$dir/app.log" >&2; exit 1; }
  sleep 0.1
done
curl -sf --max-time 2 "http://127.0.0.1:$port/health" >/dev/null \
  || { echo "no answer on /health within 30 s" >&2; exit 1; }

echo "== $CLIENTS clients x $REQUESTS GET /api/counter (deadline ${DEADLINE}s," \
  "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
failed=0
# The driver stops itself at the deadline; timeout only bounds a driver that does not.
status=0
timeout "$((DEADLINE + 60))" "$TARGET/$driver_dir/examples/load" --clients "$CLIENTS" \
  --requests "$REQUESTS" --deadline "$DEADLINE" --threads "$THREADS" \
  "http://127.0.0.1:$port" || status=$?
case $status in
  0) ;;
  124) echo "FAIL: the driver did not stop by itself; killed $((DEADLINE + 60)) s after its start" >&2
    failed=1 ;;
  *) failed=1 ;;
esac
# Any HTTP answer will do: /health is 503 while Redis is down, which the driver reports.
if ! curl -s -o /dev/null --max-time 10 "http://127.0.0.1:$port/health"; then
  echo "FAIL: the app no longer answers HTTP after the run" >&2
  failed=1
fi

# Every key under the prefix (SCAN may repeat one: sort -u): exactly one per visitor, each
# with a TTL (PTTL -1: none, -2: gone since the scan). Redis gets 30 s per command.
rcli() { timeout 30 redis-cli -h 127.0.0.1 -p "$redis_port" "$@"; }
if ! rcli --scan --pattern "${PREFIX}*" | sort -u >"$dir/keys" \
  || ! sed 's/^/PTTL /' "$dir/keys" | rcli >"$dir/pttl"; then
  echo "FAIL: our Redis did not answer SCAN/PTTL within 30 s" >&2
  exit 1
fi
keys=$(wc -l <"$dir/keys")
no_ttl=$(awk '!($1 > 0)' "$dir/pttl" | wc -l)
range=$(sort -n "$dir/pttl" | sed -n '1p;$p' | paste -sd' ' -)
echo "redis       $keys keys under $PREFIX, $no_ttl without a TTL (PTTL min/max ms: ${range:-none})"
if [ "$keys" -ne "$CLIENTS" ]; then
  echo "FAIL: $keys session keys under $PREFIX, expected $CLIENTS (one per client)" >&2
  failed=1
fi
if [ "$no_ttl" -ne 0 ]; then
  echo "FAIL: $no_ttl keys under $PREFIX have no TTL, e.g.:" >&2
  paste "$dir/keys" "$dir/pttl" | awk '!($2 > 0) && n++ < 5 { print "  " $1 " PTTL " $2 }' >&2
  failed=1
fi
if [ "$failed" -eq 0 ]; then echo "OK: nothing lost" >&2; fi
exit "$failed"
