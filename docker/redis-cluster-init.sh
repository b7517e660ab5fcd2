#!/bin/sh
# One-shot of the `cluster` profile (docker-compose.yml): makes the nodes given as arguments
# (host:port) one Redis Cluster, 3 primaries with one replica each.
#
# Idempotent: when the first node already says cluster_state:ok, the cluster exists (a
# second `up` runs this container again) and nothing is done. Nodes that are neither a
# cluster nor empty (a create cut short) make `redis-cli --cluster create` fail, and this
# container with it; `docker compose --profile cluster down` and `up` start afresh.
set -eu

if [ "$#" -lt 6 ]; then
    echo "usage: $0 host:port ... (six nodes or more)" >&2
    exit 2
fi

cluster_ok() {
    redis-cli -h "${1%:*}" -p "${1##*:}" cluster info 2>/dev/null | grep -q '^cluster_state:ok'
}

if cluster_ok "$1"; then
    echo "redis-cluster-init: $1 says cluster_state:ok, the cluster exists; nothing to do"
    exit 0
fi

redis-cli --cluster create "$@" --cluster-replicas 1 --cluster-yes

# redis-cli returns once the slots are assigned; wait until every node sees them all served,
# so that the app, which starts next, finds a whole cluster.
for node in "$@"; do
    tries=0
    until cluster_ok "$node"; do
        tries=$((tries + 1))
        if [ "$tries" -ge 30 ]; then
            echo "redis-cluster-init: $node: no cluster_state:ok after 30 s" >&2
            exit 1
        fi
        sleep 1
    done
done
echo "redis-cluster-init: cluster created, cluster_state:ok on every node"
