#!/bin/sh
# Lab only (compose profile "postgres"): gives pg-source and pg-destination what a real
# migration would have left behind, so plans/example-postgres.yaml can run against them:
#   - an "orders" table in database "app" on both sides (logical replication carries no DDL),
#     with a few rows on the source;
#   - the application account "app" and the migration account "sb_migration" on both sides
#     (the reverse instance connects back to the destination with the migration account);
#   - publication sb_fwd on the source and subscription sb_fwd on the destination: the forward
#     migration instance, running its incremental stage once the initial copy is done.
# Runs once: a destination that already has the table was set up before, and after a cutover
# its forward instance is gone on purpose; creating it again would copy old rows back.
set -eu

: "${SRC_HOST:=pg-source}"
: "${DST_HOST:=pg-destination}"
: "${PG_PORT:=5432}"
: "${DB:=app}"
: "${PG_SOURCE_PASSWORD:?}"
: "${PG_DESTINATION_PASSWORD:?}"
: "${APP_PASSWORD:?}"
: "${MIGRATION_PASSWORD:?}"

src() { PGPASSWORD="$PG_SOURCE_PASSWORD" psql -v ON_ERROR_STOP=1 -qAt -h "$SRC_HOST" -p "$PG_PORT" -U postgres -d "$DB" "$@"; }
dst() { PGPASSWORD="$PG_DESTINATION_PASSWORD" psql -v ON_ERROR_STOP=1 -qAt -h "$DST_HOST" -p "$PG_PORT" -U postgres -d "$DB" "$@"; }

# Roles, table and grants; the same on both sides. psql variables keep passwords out of the
# script and are quoted by psql (:'name'), so any character is safe.
schema() {
  "$@" -v app_pw="$APP_PASSWORD" -v mig_pw="$MIGRATION_PASSWORD" <<'SQL'
SELECT format('CREATE ROLE app LOGIN PASSWORD %L', :'app_pw')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'app') \gexec
SELECT format('CREATE ROLE sb_migration LOGIN REPLICATION PASSWORD %L', :'mig_pw')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sb_migration') \gexec
CREATE TABLE IF NOT EXISTS public.orders (
  id         bigserial PRIMARY KEY,
  customer   text        NOT NULL,
  amount     numeric(12,2) NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
GRANT USAGE ON SCHEMA public TO app, sb_migration;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO app;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO app;
-- The initial copy and the walsender read every published table as the migration account.
GRANT SELECT ON ALL TABLES IN SCHEMA public TO sb_migration;
SQL
}

schema src
src <<'SQL'
INSERT INTO public.orders (customer, amount)
SELECT 'customer-' || g, (g % 97) + 0.5 FROM generate_series(1, 1000) g
 WHERE NOT EXISTS (SELECT 1 FROM public.orders);
SELECT 'CREATE PUBLICATION sb_fwd FOR ALL TABLES'
 WHERE NOT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = 'sb_fwd') \gexec
SQL
echo "pg-source: database $DB, table orders ($(src -c 'SELECT count(*) FROM public.orders') rows), publication sb_fwd"

if [ "$(dst -c "SELECT to_regclass('public.orders') IS NOT NULL")" = t ]; then
  echo "pg-destination: already set up (table orders exists); forward instance left as it is:"
  dst -c "SELECT coalesce(string_agg(subname || ' enabled=' || subenabled, ', '), 'no subscription') FROM pg_subscription"
  exit 0
fi

schema dst
# CREATE SUBSCRIPTION cannot run in a transaction block, hence its own psql call.
conninfo="host=$SRC_HOST port=$PG_PORT dbname=$DB user=sb_migration password=$MIGRATION_PASSWORD"
dst -v conninfo="$conninfo" <<'SQL'
SELECT format('CREATE SUBSCRIPTION sb_fwd CONNECTION %L PUBLICATION sb_fwd', :'conninfo') \gexec
SQL
echo "pg-destination: subscription sb_fwd created (the forward migration instance)"
