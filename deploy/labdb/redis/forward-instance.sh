#!/bin/sh
# Lab only (compose profile "redis"): a few keys on redis-source and redis-destination made a
# replica of it (REPLICAOF): the forward migration instance of the redis provider.
# Runs once: a destination that already holds keys, or already replicates, was set up before;
# after a cutover it is the primary on purpose and must not be pointed back.
set -eu

: "${SRC_HOST:=redis-source}"
: "${DST_HOST:=redis-destination}"
: "${REDIS_PORT:=6379}"
: "${REDIS_SOURCE_PASSWORD:?}"
: "${REDIS_DESTINATION_PASSWORD:?}"

src() { REDISCLI_AUTH="$REDIS_SOURCE_PASSWORD" redis-cli --no-auth-warning -h "$SRC_HOST" -p "$REDIS_PORT" "$@"; }
dst() { REDISCLI_AUTH="$REDIS_DESTINATION_PASSWORD" redis-cli --no-auth-warning -h "$DST_HOST" -p "$REDIS_PORT" "$@"; }

role=$(dst ROLE | head -n 1)
if [ "$role" != master ] || [ "$(dst DBSIZE)" != 0 ]; then
  echo "redis-destination: already set up (role $role, $(dst DBSIZE) keys); left as it is"
  exit 0
fi

if [ "$(src DBSIZE)" = 0 ]; then
  i=1
  while [ "$i" -le 1000 ]; do
    echo "SET order:$i customer-$i"
    i=$((i + 1))
  done | src >/dev/null
fi
echo "redis-source: $(src DBSIZE) keys"

# The destination authenticates to the source with masterauth before it can replicate.
dst CONFIG SET masterauth "$REDIS_SOURCE_PASSWORD" >/dev/null
dst REPLICAOF "$SRC_HOST" "$REDIS_PORT" >/dev/null
i=0
until [ "$(dst INFO replication | tr -d '\r' | sed -n 's/^master_link_status://p')" = up ]; do
  i=$((i + 1))
  if [ "$i" -ge 60 ]; then
    echo "redis-destination: replication link to $SRC_HOST:$REDIS_PORT not up within 60 s" >&2
    exit 1
  fi
  sleep 1
done
echo "redis-destination: replica of $SRC_HOST:$REDIS_PORT (the forward migration instance), $(dst DBSIZE) keys"
