#!/usr/bin/env bash
# bench/instructions.sh — user-space instructions per request, counted by valgrind's
# callgrind. Unlike requests/s and CPU time, this count does not drift with the load of a
# shared machine: a change of a few hundred instructions on the request path shows up
# the same way run after run.
#
# Builds the demo app and the hand-written floor (bench/rocket-floor, its own project) in
# release, starts each under callgrind with one worker thread, makes one session through
# /api/counter, sends WARMUP and then REQUESTS sequential requests on one keep-alive
# connection (curl), counts the latter only and prints ours ÷ floor. Stops what it starts
# and deletes the keys it made.
#
# As a guard (CI): MAX_RATIO="/api/session=1.20 /api/counter=1.17" exits 1 when a ratio
# is above its limit.
#
# TOUCH_AFTER=SECONDS sets our `[sessions] touch_after` (default: the app's, idle/30 =
# 60 s; 0 = every read also restarts the idle timeout in Redis).
#
# SIGNED_IN=1 signs our session in (bench/sign-in.py, through the demo's built-in
# provider) before counting: the requests then carry a session bound to a user.
#
# Needs valgrind, curl, redis-cli (python3 with SIGNED_IN=1) and a Redis (default: DB 15 of 127.0.0.1:6379).
# Env: REDIS_URL, PORT (18090), REQUESTS (2000), WARMUP (300), ENDPOINTS, MAX_RATIO,
# FLOOR (a floor binary already built, instead of building bench/rocket-floor), DATABASES
# (our pool's table instead of REDIS_URL's server, e.g. a cluster's), KEEP (keep the
# callgrind files, for callgrind_annotate; their directory is printed), CARGO_TARGET_DIR
# (where both are built; with CARGO_PROFILE_RELEASE_DEBUG=line-tables-only and KEEP, the
# kept files break the count down per function: callgrind_annotate --inclusive=yes).
# Valgrind's virtual CPU has no SHA extensions: SHA-256 (the session id's storage name,
# computed once per request) runs in software here, ~3,500 instructions per request in
# `sha2::sha256::compress256`, where a CPU that has them runs sha2's SHA-NI path: 192
# instructions for the one 64-byte block of an id (counted in its disassembly,
# `sha2::sha256::x86::digest_blocks`). The column "w/o SHA" is ours with the one put in
# place of the other, ÷ the floor (which hashes nothing); the limits apply to "ratio".
set -euo pipefail
cd "$(dirname "$0")/.."
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/15}"
PORT="${PORT:-18090}"
REQUESTS="${REQUESTS:-2000}"
WARMUP="${WARMUP:-300}"
ENDPOINTS="${ENDPOINTS:-/api/session /api/counter}"
FLOOR="${FLOOR:-}"
MAX_RATIO="${MAX_RATIO:-}"
TARGET="$(realpath -m "${CARGO_TARGET_DIR:-target}")"
export CARGO_TARGET_DIR="$TARGET"
PREFIX="instr:$$:"
for tool in valgrind callgrind_control callgrind_annotate curl redis-cli; do
  command -v "$tool" >/dev/null || { echo "$tool is missing (apt-get install -y valgrind curl redis-tools)" >&2; exit 2; }
done
echo "== cargo build --release" >&2
cargo build --release --locked --quiet
if [ -z "$FLOOR" ]; then
  echo "== cargo build --release (bench/rocket-floor)" >&2
  # Into our own target directory: the crates both lock files pin at the same version and
  # features (tokio, hyper, redis, ...) are then built once.
  (cd bench/rocket-floor && CARGO_TARGET_DIR="$TARGET" cargo build --release --locked --quiet)
  FLOOR="$TARGET/release/rocket-floor"
fi

WORK="$(mktemp -d /tmp/instructions.XXXXXX)"
PID=
stop() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  PID=
  redis-cli -u "$REDIS_URL" --scan --pattern "${PREFIX}*" \
    | xargs -r -n 1000 redis-cli -u "$REDIS_URL" unlink >/dev/null
}
trap 'stop; [ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT INT TERM
[ -z "${KEEP:-}" ] || echo "== callgrind files kept in $WORK (ours|floor<path with / as _>.cg.1)" >&2
single_table="{sessions={url=\"$REDIS_URL\"}}"

# count LABEL PATH BINARY [VAR=VALUE...] — instructions per request of PATH on the server
# BINARY, started with those variables set.
count() {
  local label=$1 path=$2 bin=$3 i
  shift 3
  env ROCKET_WORKERS=1 "$@" valgrind --tool=callgrind --callgrind-out-file="$WORK/$label.cg" \
    "$bin" >"$WORK/$label.log" 2>&1 &
  PID=$!
  for i in $(seq 1 600); do
    curl -sf "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break
    kill -0 "$PID" 2>/dev/null || { cat "$WORK/$label.log" >&2; return 1; }
    sleep 0.2
  done
  local cookie
  cookie=$(curl -sf -D - -o /dev/null "http://127.0.0.1:$PORT/api/counter" \
    | sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\).*/\1/p' | head -n 1)
  [ -n "$cookie" ] || { echo "$label: /api/counter set no cookie" >&2; return 1; }
  if [ "${SIGNED_IN:-0}" = 1 ] && [ "${label#ours}" != "$label" ]; then
    # The session bound to a user, as after a sign-in (the floor has no users).
    cookie=$(python3 bench/sign-in.py "http://127.0.0.1:$PORT" "$cookie")
  fi
  printf 'header = "Cookie: %s"\n' "$cookie" | tee "$WORK/warmup" >"$WORK/requests"
  for i in $(seq 1 "$WARMUP"); do
    printf 'url = "http://127.0.0.1:%s%s"\noutput = "/dev/null"\n' "$PORT" "$path"
  done >>"$WORK/warmup"
  for i in $(seq 1 "$REQUESTS"); do
    printf 'url = "http://127.0.0.1:%s%s"\noutput = "/dev/null"\n' "$PORT" "$path"
  done >>"$WORK/requests"
  curl -sf -K "$WORK/warmup"
  callgrind_control -z "$PID" >/dev/null 2>&1
  curl -sf -K "$WORK/requests"
  callgrind_control -d "$PID" >/dev/null 2>&1
  # The floor keeps its session under sess:<cookie value>; ours live under $PREFIX.
  case $cookie in sid=*) redis-cli -u "$REDIS_URL" unlink "sess:${cookie#sid=}" >/dev/null ;; esac
  stop
  # Instructions per request, then those of SHA-256 in software (see above).
  callgrind_annotate --inclusive=no --threshold=100 "$WORK/$label.cg.1" 2>/dev/null \
    | awk -v n="$REQUESTS" '
        /PROGRAM TOTALS/ { gsub(",", "", $1); total = $1 }
        /:sha2::sha256::compress256 / { gsub(",", "", $1); sha += $1 }
        END { printf "%.0f %.0f\n", total / n, sha / n }'
}

# sha2's SHA-NI path for one block (see above).
SHA_NI=192

printf '%-14s %14s %14s %8s %8s %8s\n' endpoint ours floor ratio limit "w/o SHA"
failed=0
for path in $ENDPOINTS; do
  read -r ours sha < <(count "ours${path//\//_}" "$path" "$TARGET/release/rocket-redis-sessions-demo" ROCKET_PROFILE=release \
    ROCKET_PORT="$PORT" ROCKET_ADDRESS=127.0.0.1 ROCKET_LOG_LEVEL=off \
    ROCKET_DATABASES="${DATABASES:-$single_table}" \
    ROCKET_SESSIONS="{key_prefix=\"$PREFIX\"${TOUCH_AFTER:+, touch_after=$TOUCH_AFTER}}")
  read -r floor _ < <(count "floor${path//\//_}" "$path" "$FLOOR" PORT="$PORT" REDIS_URL="$REDIS_URL")
  [ -n "$ours" ] && [ -n "$floor" ] || { echo "$path: no count" >&2; exit 1; }
  ratio=$(awk -v a="$ours" -v b="$floor" 'BEGIN { printf "%.3f", a / b }')
  hw=$(awk -v a="$ours" -v s="$sha" -v h="$SHA_NI" -v b="$floor" \
    'BEGIN { printf "%.3f", (a - s + (s > 0 ? h : 0)) / b }')
  limit=-
  for rule in $MAX_RATIO; do
    [ "${rule%%=*}" = "$path" ] && limit=${rule#*=}
  done
  printf '%-14s %14s %14s %8s %8s %8s\n' "$path" "$ours" "$floor" "$ratio" "$limit" "$hw"
  if [ "$limit" != - ] && awk -v r="$ratio" -v l="$limit" 'BEGIN { exit !(r > l) }'; then
    echo "$path: ours ÷ floor = $ratio is above $limit: the request path got slower" >&2
    failed=1
  fi
done
exit "$failed"
