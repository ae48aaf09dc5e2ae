#!/bin/sh
# Creates Temporal's two databases (history and visibility) on the compose stack's PostgreSQL
# and brings their schemas up to the version of the admin-tools image, then exits.
# Safe to run again: "create" and "setup-schema" fail harmlessly once done, and
# "update-schema" applies only what is missing (that is how a server upgrade gets its schema).
set -eu

: "${POSTGRES_SEEDS:?set POSTGRES_SEEDS to the PostgreSQL host}"
: "${POSTGRES_USER:?set POSTGRES_USER}"
: "${SQL_PASSWORD:?set SQL_PASSWORD (temporal-sql-tool reads it)}"
PORT="${DB_PORT:-5432}"
SCHEMA_DIR=/etc/temporal/schema/postgresql/v12

tool() {
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$PORT" -u "$POSTGRES_USER" "$@"
}

i=0
until nc -z -w 5 "$POSTGRES_SEEDS" "$PORT"; do
  i=$((i + 1))
  if [ "$i" -ge 60 ]; then
    echo "setup-schema: PostgreSQL at $POSTGRES_SEEDS:$PORT did not open its port in 5 minutes" >&2
    exit 1
  fi
  sleep 5
done

for db in temporal temporal_visibility; do
  if [ "$db" = temporal ]; then dir=temporal; else dir=visibility; fi
  tool --db "$db" create >/dev/null 2>&1 || echo "setup-schema: database $db exists"
  tool --db "$db" setup-schema -v 0.0 >/dev/null 2>&1 || echo "setup-schema: $db has a schema"
  tool --db "$db" update-schema -d "$SCHEMA_DIR/$dir/versioned"
done
echo "setup-schema: done"
