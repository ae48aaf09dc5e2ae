#!/bin/sh
# Lab only: PgBouncer in front of pg-source, for the pgbouncer router (docs/routers.md).
#   - admin console user "switchback" (the worker's router.password), application user "app";
#   - transaction pooling, query_wait_timeout 120 s (longer than the router's hold);
#   - the [databases] entry "app" in its own file, %included by pgbouncer.ini, on the volume the
#     worker mounts too: the router rewrites that file and RELOADs. Written once, pointing at the
#     source; after a cutover it keeps pointing where the cutover left it, across restarts.
# Runs as root to prepare the files, then PgBouncer runs as the postgres user.
set -eu

: "${PGBOUNCER_ADMIN_PASSWORD:?}"
: "${APP_PASSWORD:?}"
: "${SOURCE_HOST:=pg-source}"
: "${DATABASE:=app}"
# The worker's user (deploy/Dockerfile): it rewrites the databases file and keeps its owner, so it
# must own the file and be able to create files in its directory.
: "${WORKER_UID:=10001}"
: "${WORKER_GID:=10001}"
DIR=/etc/pgbouncer/databases

# userlist.txt: "user" "password", a double quote doubled.
quote() { printf '"%s"' "$(printf '%s' "$1" | sed 's/"/""/g')"; }
umask 077
{
  printf '%s %s\n' "$(quote switchback)" "$(quote "$PGBOUNCER_ADMIN_PASSWORD")"
  printf '%s %s\n' "$(quote app)" "$(quote "$APP_PASSWORD")"
} >/etc/pgbouncer/userlist.txt
chown postgres /etc/pgbouncer/userlist.txt
umask 022

cat >/etc/pgbouncer/pgbouncer.ini <<CONF
; Written by deploy/pgbouncer/entrypoint.sh at every start.
[pgbouncer]
listen_addr = 0.0.0.0
listen_port = 6432
unix_socket_dir =
auth_type = scram-sha-256
auth_file = /etc/pgbouncer/userlist.txt
admin_users = switchback
pool_mode = transaction
default_pool_size = 20
max_client_conn = 500
query_wait_timeout = 120
; pgjdbc before 42.7 sends extra_float_digits at startup (Java applications through PgBouncer).
ignore_startup_parameters = extra_float_digits
; The [databases] section: the router rewrites the entry it switches.
%include $DIR/databases.ini
CONF

mkdir -p "$DIR"
if [ ! -s "$DIR/databases.ini" ]; then
  cat >"$DIR/databases.ini" <<CONF
; The lab PgBouncer's databases (deploy/pgbouncer/entrypoint.sh writes this file once; the
; Switchback worker's pgbouncer router rewrites the host, port and dbname of the entry it switches).
[databases]
$DATABASE = host=$SOURCE_HOST port=5432 dbname=$DATABASE
CONF
fi
chown "$WORKER_UID:$WORKER_GID" "$DIR" "$DIR/databases.ini"
chmod 0755 "$DIR"
chmod 0644 "$DIR/databases.ini"

exec runuser -u postgres -- pgbouncer /etc/pgbouncer/pgbouncer.ini
