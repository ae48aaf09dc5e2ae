#!/usr/bin/env bash
# The local lab: the extra database servers Switchback's tests and demo use, beside the ones this
# kind of machine runs (PostgreSQL 5432, MariaDB 3306, Redis 6379).
#   deploy/lab/lab.sh start|stop|status|urls [all|postgres|mariadb|redis|faults|tls|pgbouncer|haproxy|tools]
# faults: the fault suite's own PostgreSQL and MariaDB pairs (deploy/lab/faults.sh).
# tls: a PostgreSQL pair (5440, 5441) and a MariaDB pair (3320, 3321) with TLS certificates of a
# throwaway CA, for the tests of encrypted replication links (deploy/lab/tls.sh).
# pgbouncer: two PgBouncer instances (6432, 6433) in front of the PostgreSQL pair; haproxy: one
# HAProxy with TCP backends holding each pair's source and destination (deploy/lab/haproxy.sh);
# tools: the client tools the demos drive (pgbench, sysbench, percona-toolkit, redis-tools),
# installed from Debian's packages when missing.
# Each engine has its own idempotent script next to this one.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cmd="${1:-status}"
what="${2:-all}"
case "$cmd" in
  start|stop|status|urls) ;;
  *) echo "usage: $0 start|stop|status|urls [all|postgres|mariadb|redis|faults|tls|pgbouncer|haproxy|tools]" >&2; exit 2 ;;
esac
if [ "$what" = all ]; then
  engines="tools postgres mariadb redis faults tls pgbouncer haproxy"
else
  engines="$what"
fi
rc=0
for engine in $engines; do
  script="$here/$engine.sh"
  if [ ! -f "$script" ]; then
    echo "lab: no script for '$engine' (expected $script)" >&2
    rc=2
    continue
  fi
  echo "== lab $cmd $engine"
  bash "$script" "$cmd" || rc=$?
done
exit "$rc"
