#!/bin/sh
# Lab only (compose profile "mysql"): gives mysql-source and mysql-destination what a real
# migration would have left behind, so plans/example-mysql.yaml can run against them:
#   - database "app" with an "orders" table and a few rows, the application account "app" and
#     the migration account "sb_migration" (replication privileges), all created on the source
#     and carried to the destination by replication;
#   - replication channel sb_fwd on the destination (GTID auto-position): the forward migration
#     instance.
# Runs once: a destination that already has the channel or the database was set up before, and
# after a cutover its forward instance is gone on purpose.
set -eu

: "${SRC_HOST:=mysql-source}"
: "${DST_HOST:=mysql-destination}"
: "${MYSQL_PORT:=3306}"
: "${MYSQL_SOURCE_PASSWORD:?}"
: "${MYSQL_DESTINATION_PASSWORD:?}"
: "${APP_PASSWORD:?}"
: "${MIGRATION_PASSWORD:?}"

# Client options in files, not on the command line, so passwords stay out of ps output.
cnf() {
  f=$(mktemp)
  printf '[client]\nhost=%s\nport=%s\nuser=root\npassword="%s"\n' "$1" "$MYSQL_PORT" "$2" >"$f"
  echo "$f"
}
SRC_CNF=$(cnf "$SRC_HOST" "$MYSQL_SOURCE_PASSWORD")
DST_CNF=$(cnf "$DST_HOST" "$MYSQL_DESTINATION_PASSWORD")
trap 'rm -f "$SRC_CNF" "$DST_CNF"' EXIT
src() { mysql --defaults-extra-file="$SRC_CNF" -N -B "$@"; }
dst() { mysql --defaults-extra-file="$DST_CNF" -N -B "$@"; }
sql_quote() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/''/g")"; }

has_app() { [ "$("$@" -e "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'app'")" != 0 ]; }
dst_channels=$(dst -e "SELECT COUNT(*) FROM performance_schema.replication_connection_configuration WHERE CHANNEL_NAME = 'sb_fwd'")

if [ "$dst_channels" != 0 ] || has_app dst; then
  echo "mysql-destination: already set up; forward instance left as it is:"
  dst -e "SELECT CONCAT(CHANNEL_NAME, ' ', SERVICE_STATE) FROM performance_schema.replication_applier_status WHERE CHANNEL_NAME <> ''"
  exit 0
fi
if has_app src; then
  echo "mysql-source has database app but mysql-destination is new: the pair is out of step." >&2
  echo "Start both afresh: docker compose --profile mysql down -v, then up again." >&2
  exit 1
fi

# Both servers are new. Forget whatever the image's own initialisation wrote to the binary log,
# so the forward instance starts at the source's first transaction, and the destination's own
# history holds nothing that a reverse instance would later send back to the source.
src -e "RESET BINARY LOGS AND GTIDS"
dst -e "RESET BINARY LOGS AND GTIDS"

src <<SQL
CREATE USER 'sb_migration'@'%' IDENTIFIED BY $(sql_quote "$MIGRATION_PASSWORD");
GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'sb_migration'@'%';
CREATE USER 'app'@'%' IDENTIFIED BY $(sql_quote "$APP_PASSWORD");
CREATE DATABASE app;
CREATE TABLE app.orders (
  id         BIGINT AUTO_INCREMENT PRIMARY KEY,
  customer   VARCHAR(100)  NOT NULL,
  amount     DECIMAL(12,2) NOT NULL,
  created_at TIMESTAMP(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
);
GRANT SELECT, INSERT, UPDATE, DELETE ON app.* TO 'app'@'%';
INSERT INTO app.orders (customer, amount)
WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 1000)
SELECT CONCAT('customer-', n), (n % 97) + 0.5 FROM g;
SQL
echo "mysql-source: database app, table orders ($(src -e 'SELECT COUNT(*) FROM app.orders') rows), accounts app and sb_migration"

# MySQL 8.4's default authentication (caching_sha2_password) needs the source's public key
# on a connection without TLS.
dst <<SQL
CHANGE REPLICATION SOURCE TO
  SOURCE_HOST = $(sql_quote "$SRC_HOST"), SOURCE_PORT = $MYSQL_PORT,
  SOURCE_USER = 'sb_migration', SOURCE_PASSWORD = $(sql_quote "$MIGRATION_PASSWORD"),
  SOURCE_AUTO_POSITION = 1, GET_SOURCE_PUBLIC_KEY = 1
  FOR CHANNEL 'sb_fwd';
START REPLICA FOR CHANNEL 'sb_fwd';
SQL

i=0
until [ "$(dst -e "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'app' AND TABLE_NAME = 'orders'")" = 1 ] &&
  [ "$(dst -e 'SELECT COUNT(*) FROM app.orders')" = 1000 ]; do
  i=$((i + 1))
  if [ "$i" -ge 60 ]; then
    echo "mysql-destination: channel sb_fwd did not bring app.orders across in 60 s:" >&2
    dst -e "SELECT CONCAT(CHANNEL_NAME, ': ', LAST_ERROR_MESSAGE) FROM performance_schema.replication_connection_status WHERE CHANNEL_NAME = 'sb_fwd'" >&2
    dst -e "SELECT CONCAT(CHANNEL_NAME, ': ', LAST_ERROR_MESSAGE) FROM performance_schema.replication_applier_status_by_worker WHERE CHANNEL_NAME = 'sb_fwd' AND LAST_ERROR_NUMBER <> 0" >&2
    exit 1
  fi
  sleep 1
done
echo "mysql-destination: channel sb_fwd running (the forward migration instance), app.orders caught up"
