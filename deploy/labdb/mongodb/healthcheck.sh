#!/bin/bash
# Healthy once this node is the replica set's writable primary. The first check initiates the
# set: its member address is the compose service name, which the worker and other containers
# resolve (from the host, connect with directConnection=true).
set -euo pipefail
mongosh --quiet --host 127.0.0.1 \
  -u "$MONGO_INITDB_ROOT_USERNAME" -p "$MONGO_INITDB_ROOT_PASSWORD" --authenticationDatabase admin \
  --eval "
    try { rs.status(); } catch (e) {
      rs.initiate({_id: '${MONGO_REPLICA_SET:-rs0}', members: [{_id: 0, host: '${MONGO_MEMBER_HOST:-mongodb:27017}'}]});
    }
    quit(db.hello().isWritablePrimary ? 0 : 1);
  "
