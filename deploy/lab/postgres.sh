#!/usr/bin/env bash
# Switchback lab: two PostgreSQL 15 clusters with logical replication, for the postgres provider
# and engine tests and the demo.
#
#   swsrc  127.0.0.1:5433  the cutover's source
#   swdst  127.0.0.1:5434  the cutover's destination
#
# Usage: deploy/lab/postgres.sh {start|stop|status|urls}
#
# SWITCHBACK_PG_CLUSTERS="name:port name:port" acts on other clusters instead (the fault suite's
# own pair, deploy/lab/faults.sh, which it stops and starts while others' tests use this pair).
#
# Runs as root (or as postgres). The clusters belong to the postgres user, as Debian's
# pg_createcluster / pg_ctlcluster want. The machine's main cluster (5432) is never touched.
# Idempotent: start creates what is missing and starts what is stopped.
set -euo pipefail

PG_VERSION="${SWITCHBACK_PG_VERSION:-15}"
read -r -a CLUSTERS <<<"${SWITCHBACK_PG_CLUSTERS:-swsrc:5433 swdst:5434}"
CONF_NAME="switchback-lab.conf"

die() {
  echo "postgres lab: $*" >&2
  exit 1
}

as_postgres() {
  if [ "$(id -un)" = "postgres" ]; then
    "$@"
  elif [ "$(id -u)" = "0" ]; then
    runuser -u postgres -- "$@"
  else
    die "run as root or as the postgres user (now $(id -un))"
  fi
}

# pg_ctlcluster run as root recreates /var/run/postgresql (gone after a reboot without systemd's
# tmpfiles) and then drops to the cluster owner by itself; run as postgres it just runs.
# --skip-systemctl-redirect: the lab is started the same way with or without systemd.
pg_ctl_lab() {
  pg_ctlcluster --skip-systemctl-redirect "$@"
}

need_tools() {
  command -v pg_createcluster >/dev/null 2>&1 ||
    die "pg_createcluster not found: install postgresql-common and postgresql-${PG_VERSION}"
  [ -x "/usr/lib/postgresql/${PG_VERSION}/bin/postgres" ] ||
    die "PostgreSQL ${PG_VERSION} binaries not found: install postgresql-${PG_VERSION}"
  id postgres >/dev/null 2>&1 || die "no postgres user: install postgresql-${PG_VERSION}"
}

conf_dir() { echo "/etc/postgresql/${PG_VERSION}/$1"; }

cluster_exists() { [ -f "$(conf_dir "$1")/postgresql.conf" ]; }

cluster_online() {
  pg_lsclusters -h 2>/dev/null | awk -v v="$PG_VERSION" -v c="$1" \
    '$1==v && $2==c {print $4}' | grep -q '^online'
}

port_taken_by_other() {
  # A port owned by something that is not our cluster would make the start fail obscurely.
  local name=$1 port=$2
  pg_lsclusters -h 2>/dev/null | awk -v p="$port" -v c="$name" '$3==p && $2!=c {found=1} END {exit !found}'
}

configure() {
  local name=$1 port=$2 dir
  dir=$(conf_dir "$name")
  # Logical replication both ways: the forward subscription reads swsrc, the reverse instance
  # reads swdst, and each test creates its own subscriptions, so leave room for many.
  as_postgres mkdir -p "$dir/conf.d"
  as_postgres tee "$dir/conf.d/$CONF_NAME" >/dev/null <<EOF
# Written by deploy/lab/postgres.sh; rewritten on every start.
port = $port
listen_addresses = '127.0.0.1'
wal_level = logical
max_replication_slots = 64
max_wal_senders = 64
max_logical_replication_workers = 32
max_worker_processes = 48
max_sync_workers_per_subscription = 2
max_connections = 200
# Prepared transactions are writes without a session: the session check must see them.
max_prepared_transactions = 10
# Lab only: tests measure replication, not durability.
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
  # Trust for local and loopback, replication included: a lab on a single machine, never
  # reachable from elsewhere (listen_addresses above).
  as_postgres tee "$dir/pg_hba.conf" >/dev/null <<'EOF'
# Written by deploy/lab/postgres.sh; rewritten on every start.
local   all          all                 trust
local   replication  all                 trust
host    all          all   127.0.0.1/32  trust
host    replication  all   127.0.0.1/32  trust
EOF
}

create() {
  local name=$1 port=$2
  if cluster_exists "$name"; then
    return 0
  fi
  echo "creating cluster ${PG_VERSION}/${name} on port ${port}"
  # pg_createcluster runs as the caller (root creates the directories) and hands the cluster
  # to --user; it refuses to run as root without it.
  pg_createcluster --user postgres --port "$port" --start-conf manual \
    "$PG_VERSION" "$name" -- --auth-local=trust --auth-host=trust >/dev/null ||
    die "pg_createcluster ${PG_VERSION} ${name} failed"
}

start_one() {
  local name=$1 port=$2
  if port_taken_by_other "$name" "$port"; then
    die "port $port is used by another cluster (see pg_lsclusters); it belongs to ${name}"
  fi
  create "$name" "$port"
  configure "$name" "$port"
  if cluster_online "$name"; then
    # Reload applies pg_hba and most settings; wal_level and the worker/slot limits need a
    # restart, which pg_settings reports as pending_restart after the reload.
    pg_ctl_lab "$PG_VERSION" "$name" reload >/dev/null
    local pending
    pending=$(as_postgres psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -Atc \
      "select string_agg(name, ', ') from pg_settings where pending_restart" 2>/dev/null || true)
    if [ -n "$pending" ]; then
      echo "restarting ${name}: ${pending} changed"
      pg_ctl_lab "$PG_VERSION" "$name" restart ||
        die "restart of ${PG_VERSION}/${name} failed; see /var/log/postgresql/postgresql-${PG_VERSION}-${name}.log"
    fi
  else
    pg_ctl_lab "$PG_VERSION" "$name" start ||
      die "start of ${PG_VERSION}/${name} failed; see /var/log/postgresql/postgresql-${PG_VERSION}-${name}.log"
  fi
  wait_ready "$name" "$port"
}

wait_ready() {
  local name=$1 port=$2 i
  for i in $(seq 1 60); do
    if as_postgres psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -Atc 'select 1' >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.5
  done
  die "${name} did not accept connections on 127.0.0.1:${port} within 30 s"
}

stop_one() {
  local name=$1
  if cluster_exists "$name" && cluster_online "$name"; then
    pg_ctl_lab "$PG_VERSION" "$name" stop -m fast ||
      die "stop of ${PG_VERSION}/${name} failed"
  fi
}

urls() {
  local entry name port
  for entry in "${CLUSTERS[@]}"; do
    name=${entry%%:*}
    port=${entry##*:}
    echo "${name}: jdbc:postgresql://127.0.0.1:${port}/<db>?user=postgres   (cluster ${PG_VERSION}/${name}; psql -h 127.0.0.1 -p ${port} -U postgres)"
  done
}

status() {
  local rc=0 entry name port
  for entry in "${CLUSTERS[@]}"; do
    name=${entry%%:*}
    port=${entry##*:}
    if ! cluster_exists "$name"; then
      echo "${name} (${port}): absent"
      rc=1
    elif cluster_online "$name"; then
      echo "${name} (${port}): online, wal_level=$(as_postgres psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -Atc 'show wal_level' 2>/dev/null || echo '?')"
    else
      echo "${name} (${port}): stopped"
      rc=1
    fi
  done
  return $rc
}

cmd=${1:-}
case "$cmd" in
  start)
    need_tools
    for entry in "${CLUSTERS[@]}"; do
      start_one "${entry%%:*}" "${entry##*:}"
    done
    status
    urls
    ;;
  stop)
    need_tools
    for entry in "${CLUSTERS[@]}"; do
      stop_one "${entry%%:*}"
    done
    echo "postgres lab stopped"
    ;;
  status)
    need_tools
    status
    ;;
  urls)
    urls
    ;;
  *)
    echo "usage: $0 {start|stop|status|urls}" >&2
    exit 2
    ;;
esac
