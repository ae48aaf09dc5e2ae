#!/usr/bin/env bash
# The fault suite's own lab servers, beside the shared lab (which it never stops): the suite
# stops and starts these while a cutover runs, so nobody else may use them.
#
#   postgres source       127.0.0.1:5435  (cluster swfsrc)
#   postgres destination  127.0.0.1:5436  (cluster swfdst)
#   mariadb  source       127.0.0.1:3309
#   mariadb  destination  127.0.0.1:3310
#
#   deploy/lab/faults.sh start|stop|status|urls                 all four
#   deploy/lab/faults.sh start|stop ENGINE SIDE                  one server (postgres|mariadb,
#                                                                source|destination)
#
# Idempotent: the engines' own scripts (postgres.sh, mariadb.sh) do the work with other ports.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

server() {
  case "$1:$2" in
    postgres:source) echo "SWITCHBACK_PG_CLUSTERS=swfsrc:5435" ;;
    postgres:destination) echo "SWITCHBACK_PG_CLUSTERS=swfdst:5436" ;;
    mariadb:source) echo "SWITCHBACK_MARIADB_PORTS=3309" ;;
    mariadb:destination) echo "SWITCHBACK_MARIADB_PORTS=3310" ;;
    *) echo "faults lab: no server '$1 $2' (use postgres|mariadb source|destination)" >&2; exit 2 ;;
  esac
}

cmd="${1:-status}"
case "$cmd" in
  start|stop|status|urls) ;;
  *) echo "usage: $0 start|stop|status|urls [ENGINE SIDE]" >&2; exit 2 ;;
esac
if [ $# -ge 3 ]; then
  setting="$(server "$2" "$3")"
  if [ "$cmd" = stop ] && [ "$2" = postgres ]; then
    # A fast shutdown waits for the walsenders to hand over the last WAL, which never happens
    # while the subscriber's apply is held by a lock: give it 5 s, then stop immediately (the
    # next start runs crash recovery), so "stopped" means stopped when this returns.
    cluster="${setting#*=}"
    cluster="${cluster%%:*}"
    if pg_lsclusters -h | awk -v c="$cluster" '$2==c {print $4}' | grep -q '^online'; then
      PGCTLTIMEOUT=5 pg_ctlcluster --skip-systemctl-redirect --force \
        "${SWITCHBACK_PG_VERSION:-15}" "$cluster" stop
    fi
    exit 0
  fi
  env "$setting" bash "$here/$2.sh" "$cmd"
  exit $?
fi
rc=0
env SWITCHBACK_PG_CLUSTERS="swfsrc:5435 swfdst:5436" bash "$here/postgres.sh" "$cmd" || rc=$?
env SWITCHBACK_MARIADB_PORTS="3309 3310" bash "$here/mariadb.sh" "$cmd" || rc=$?
exit "$rc"
