# bench/redis-topology.sh — sourced by the scale-out benches: private redis-server
# processes on free loopback ports, in a temporary directory, all stopped by PID (and the
# directory removed) when the sourcing script exits. Needs redis-server and redis-cli.
dir=$(mktemp -d -t rrs-bench-redis.XXXXXX)
pids=()
stop_all() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$dir"
}
trap stop_all EXIT INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cli() { local port=$1; shift; redis-cli -h 127.0.0.1 -p "$port" "$@"; }
wait_for() { # wait_for SECONDS CMD...: polls CMD every 50 ms
  local n=$(( $1 * 20 )); shift
  until "$@" >/dev/null 2>&1; do n=$((n - 1)); [ "$n" -gt 0 ] || return 1; sleep 0.05; done
}
server() { # server PORT ARGS...: a redis-server of ours
  local port=$1; shift
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
    --dir "$dir" --logfile "$dir/$port.log" "$@" &
  pids+=($!)
  wait_for 10 cli "$port" ping
}


# start_cluster: six nodes made one cluster of 3 masters with a replica each
# (cluster-node-timeout 1000); sets $urls to a TOML list of their URLs.
start_cluster() {
  nodes=()
  for _ in 1 2 3 4 5 6; do
    port=$(free_port); bus=$(free_port)
    server "$port" --cluster-enabled yes --cluster-port "$bus" \
      --cluster-config-file "$dir/nodes-$port.conf" --cluster-node-timeout 1000
    nodes+=("127.0.0.1:$port")
  done
  redis-cli --cluster create "${nodes[@]}" --cluster-replicas 1 --cluster-yes >"$dir/create.log"
  ok() { cli "${1##*:}" cluster info | grep -q '^cluster_state:ok'; }
  for node in "${nodes[@]}"; do wait_for 30 ok "$node"; done
  urls=$(printf '"redis://%s",' "${nodes[@]}"); urls="[${urls%,}]"
}
