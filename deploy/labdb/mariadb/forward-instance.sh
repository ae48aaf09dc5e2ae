#!/bin/sh
# Lab only (compose profile "mariadb"): gives mariadb-source and mariadb-destination what a
# real migration would have left behind, so a plan with provider mariadb can run against them:
#   - database "app" with an "orders" table and a few rows, the application account "app" and
#     the migration account "sb_migration" (replication privileges), all created on the source
#     and carried to the destination by replication;
#   - replica connection sb_fwd on the destination (MASTER_USE_GTID=slave_pos): the forward
#     migration instance.
# Runs once: a destination that already has the connection or the database was set up before,
# and after a cutover its forward instance is gone on purpose.
set -eu

: "${SRC_HOST:=mariadb-source}"
: "${DST_HOST:=mariadb-destination}"
: "${MARIADB_PORT:=3306}"
: "${MARIADB_SOURCE_PASSWORD:?}"
: "${MARIADB_DESTINATION_PASSWORD:?}"
: "${APP_PASSWORD:?}"
: "${MIGRATION_PASSWORD:?}"

# Client options in files, not on the command line, so passwords stay out of ps output.
cnf() {
  f=$(mktemp)
  printf '[client]\nhost=%s\nport=%s\nuser=root\npassword="%s"\n' "$1" "$MARIADB_PORT" "$2" >"$f"
  echo "$f"
}
SRC_CNF=$(cnf "$SRC_HOST" "$MARIADB_SOURCE_PASSWORD")
DST_CNF=$(cnf "$DST_HOST" "$MARIADB_DESTINATION_PASSWORD")
trap 'rm -f "$SRC_CNF" "$DST_CNF"' EXIT
src() { mariadb --defaults-extra-file="$SRC_CNF" -N -B "$@"; }
dst() { mariadb --defaults-extra-file="$DST_CNF" -N -B "$@"; }
sql_quote() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/''/g")"; }

has_app() { [ "$("$@" -e "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'app'")" != 0 ]; }

if dst -e "SHOW SLAVE 'sb_fwd' STATUS" >/dev/null 2>&1 || has_app dst; then
  echo "mariadb-destination: already set up; forward instance left as it is:"
  mariadb --defaults-extra-file="$DST_CNF" -e "SHOW ALL SLAVES STATUS\\G" | grep -E 'Connection_name|Slave_(IO|SQL)_Running:' || true
  exit 0
fi
if has_app src; then
  echo "mariadb-source has database app but mariadb-destination is new: the pair is out of step." >&2
  echo "Start both afresh: docker compose --profile mariadb down -v, then up again." >&2
  exit 1
fi

# Both servers are new. Forget whatever the image's own initialisation wrote to the binary log,
# so the forward instance starts at the source's first transaction, and the destination's own
# history holds nothing that a reverse instance would later send back to the source.
src -e "RESET MASTER"
dst -e "RESET MASTER; SET GLOBAL gtid_slave_pos = ''"

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
-- seq_1_to_1000 is the Sequence engine's virtual table: it needs a current database.
USE app;
INSERT INTO app.orders (customer, amount)
SELECT CONCAT('customer-', seq), (seq % 97) + 0.5 FROM seq_1_to_1000;
SQL
echo "mariadb-source: database app, table orders ($(src -e 'SELECT COUNT(*) FROM app.orders') rows), accounts app and sb_migration"

dst <<SQL
CHANGE MASTER 'sb_fwd' TO
  MASTER_HOST = $(sql_quote "$SRC_HOST"), MASTER_PORT = $MARIADB_PORT,
  MASTER_USER = 'sb_migration', MASTER_PASSWORD = $(sql_quote "$MIGRATION_PASSWORD"),
  MASTER_USE_GTID = slave_pos;
START SLAVE 'sb_fwd';
SQL

i=0
until [ "$(dst -e "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'app' AND TABLE_NAME = 'orders'")" = 1 ] &&
  [ "$(dst -e 'SELECT COUNT(*) FROM app.orders')" = 1000 ]; do
  i=$((i + 1))
  if [ "$i" -ge 60 ]; then
    echo "mariadb-destination: connection sb_fwd did not bring app.orders across in 60 s:" >&2
    dst -e "SHOW SLAVE 'sb_fwd' STATUS\G" >&2 || true
    exit 1
  fi
  sleep 1
done
echo "mariadb-destination: connection sb_fwd running (the forward migration instance), app.orders caught up"
