#!/bin/sh
# Entrypoint of the `sentinel` profile's Redis servers and Sentinels (docker-compose.yml):
# runs redis-server on /data/redis.conf, a config file that Redis itself rewrites. A Sentinel
# saves its state there (epoch, the current primary, the replicas and Sentinels it knows) and
# refuses to start on a read-only file; a data node saves its role there when the Sentinels
# send it REPLICAOF + CONFIG REWRITE during a failover, so that a restart does not bring back
# the role it had before.
#
# So the file is made once, on the container's first start, from $CONF_TEMPLATE (a file,
# mounted read-only; optional) followed by the lines in $CONF_INIT (optional); later starts
# keep it. Arguments are options for redis-server (e.g. --sentinel, --appendonly yes): they
# come after the file, so they apply on every start.
#
# /data is the redis image's anonymous volume: `restart`, `stop`/`start` and a re-create by
# `up` keep it; after `down` the next `up` gets a new one and starts from the template again.
set -eu

conf=/data/redis.conf
if [ ! -f "$conf" ]; then
    : > "$conf.new"
    if [ -n "${CONF_TEMPLATE:-}" ]; then
        cat "$CONF_TEMPLATE" >> "$conf.new"
    fi
    if [ -n "${CONF_INIT:-}" ]; then
        printf '%s\n' "$CONF_INIT" >> "$conf.new"
    fi
    mv "$conf.new" "$conf"
fi

# The image's own entrypoint: gives /data (and the file) to the user `redis` and runs
# redis-server as that user.
exec docker-entrypoint.sh redis-server "$conf" "$@"
