#!/bin/bash
# Lab only (compose profile "mongodb"): mongod as a single-node replica set with access control.
# A replica set because sessions and transactions ($currentOp idleSessions, what the session
# check looks for) exist only there; access control because the write fence
# (setUserWriteBlockMode) exempts users holding bypassWriteBlockingMode, which only means
# something when users authenticate. A replica set with access control needs a key file: made
# here once, on the config volume, readable by mongod only.
set -euo pipefail
key=/data/configdb/switchback-lab.key
if [ ! -s "$key" ]; then
  head -c 756 /dev/urandom | base64 -w 0 >"$key"
fi
chmod 400 "$key"
# The image's entrypoint creates the root user (MONGO_INITDB_ROOT_*) on first start, hands the
# data and config directories (the key file included) to the mongodb user, and drops to it.
exec docker-entrypoint.sh mongod --replSet "${MONGO_REPLICA_SET:-rs0}" --keyFile "$key" --bind_ip_all
