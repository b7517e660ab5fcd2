#!/usr/bin/env bash
# bench/redis-cpu.sh — Redis's own CPU per operation: our load and save against the
# floor's GET and SETEX.
#
# Feeds Redis OPS pipelined operations per kind through `redis-cli --pipe` (as the app's
# multiplexed connection sends them: many commands per read) over 64 session hashes, and
# reads Redis's used_cpu_user + used_cpu_sys from INFO before and after. Our read is one
# `HGETALL`; once per `touch_after` it also restarts the idle timeout (the "touch" row).
# "EVALSHA save.lua" is the app's save (crates/rocket_redis_sessions/src/store/lua/
# save.lua, loaded with SCRIPT LOAD), which every update goes through (it checks the
# session's limits as it writes); "HSET + PEXPIRE" is the script-free save an update that
# only set fields once was, kept for comparison; "return 1" is an empty script with the
# same arguments, the price of entering Lua at all.
# Prints µs of Redis CPU per operation. Deletes the keys it made.
#
# Needs redis-cli and a Redis it may write to (REDIS_URL, default DB 15 of
# 127.0.0.1:6379). Env: OPS (200000), ROUNDS (3). Compare rows of one run only.
set -euo pipefail
cd "$(dirname "$0")/.."
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/15}"
OPS="${OPS:-200000}"
ROUNDS="${ROUNDS:-3}"
PREFIX="rcpu:$$:"
command -v redis-cli >/dev/null || { echo "redis-cli is missing (apt-get install -y redis-tools)" >&2; exit 2; }
rcli() { redis-cli -u "$REDIS_URL" "$@"; }
rcli ping >/dev/null || { echo "no Redis at $REDIS_URL" >&2; exit 2; }

WORK="$(mktemp -d /tmp/redis-cpu.XXXXXX)"
cleanup() {
  rcli --scan --pattern "${PREFIX}*" | xargs -r -n 1000 redis-cli -u "$REDIS_URL" unlink >/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

save_sha=$(rcli -x script load <crates/rocket_redis_sessions/src/store/lua/save.lua)
empty_sha=$(rcli script load 'return 1')

cpu() { rcli info cpu | tr -d '\r' | awk -F: '/^used_cpu_(user|sys):/ { t += $2 } END { printf "%.6f", t }'; }

# resp OPS KIND: OPS operations of KIND as RESP, over 64 sessions.
resp() {
  awk -v n="$1" -v kind="$2" -v p="$PREFIX" -v save="$save_sha" -v empty="$empty_sha" '
    function cmd(s,   a, i, k, out) {
      k = split(s, a, " ")
      out = "*" k "\r\n"
      for (i = 1; i <= k; i++) out = out "$" length(a[i]) "\r\n" a[i] "\r\n"
      return out
    }
    BEGIN {
      ORS = ""
      for (i = 0; i < n; i++) {
        key = p "h" (i % 64); str = p "s" (i % 64)
        if (kind == "get") print cmd("GET " str)
        else if (kind == "setex") print cmd("SETEX " str " 1800 {\"count\":" i "}")
        else if (kind == "read") print cmd("HGETALL " key)
        else if (kind == "load") print cmd("HGETALL " key) cmd("PEXPIRE " key " 1800000 XX")
        else if (kind == "save") print cmd("HSET " key " count " i) cmd("PEXPIRE " key " 1800000 XX")
        else if (kind == "script") print cmd("EVALSHA " save " 1 " key " 1800000 65536 128 2 count " i)
        else if (kind == "empty") print cmd("EVALSHA " empty " 1 " key " 1800000 65536 128 2 count " i)
      }
    }'
}

for kind in get setex read load save script empty; do resp "$OPS" "$kind" >"$WORK/$kind"; done
# The sessions: one field each, with a TTL, as the app keeps them.
for i in $(seq 0 63); do
  printf 'HSET %sh%d count 1\nPEXPIRE %sh%d 1800000\n' "$PREFIX" "$i" "$PREFIX" "$i"
done | rcli >/dev/null

printf '%-28s' operation
for r in $(seq 1 "$ROUNDS"); do printf '%10s' "round $r"; done
printf '\n'
for kind in get setex read load save script empty; do
  case $kind in
    get) label="GET (floor read)" ;;
    setex) label="SETEX (floor write)" ;;
    read) label="HGETALL (read)" ;;
    load) label="HGETALL + PEXPIRE (touch)" ;;
    save) label="HSET + PEXPIRE (save)" ;;
    script) label="EVALSHA save.lua" ;;
    empty) label="EVALSHA return 1" ;;
  esac
  printf '%-28s' "$label"
  for r in $(seq 1 "$ROUNDS"); do
    before=$(cpu)
    rcli --pipe <"$WORK/$kind" >"$WORK/pipe.log" 2>&1 || { tail -n 3 "$WORK/pipe.log" >&2; exit 1; }
    grep -q "errors: 0," "$WORK/pipe.log" || { echo "$label: Redis answered with errors ($(tail -n 1 "$WORK/pipe.log"))" >&2; exit 1; }
    after=$(cpu)
    awk -v a="$before" -v b="$after" -v n="$OPS" 'BEGIN { printf "%10.2f", (b - a) * 1e6 / n }'
  done
  printf '   µs of Redis CPU per operation\n'
done
