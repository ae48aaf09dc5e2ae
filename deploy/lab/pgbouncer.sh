#!/usr/bin/env bash
# Lab PgBouncer for Switchback's pgbouncer router: two PgBouncer instances in front of the
# PostgreSQL lab pair (deploy/lab/postgres.sh, 5433/5434), treated by a plan as one.
#   a  127.0.0.1:6432   admin console postgres://switchback@127.0.0.1:6432/pgbouncer
#   b  127.0.0.1:6433   admin console postgres://switchback@127.0.0.1:6433/pgbouncer
# Each instance has its pgbouncer.ini and its own databases file (%include-d by pgbouncer.ini),
# which the router rewrites, under $SWITCHBACK_LAB_DIR/pgbouncer/<port> (default
# /var/lib/switchback-lab/pgbouncer). Transaction pooling, trust authentication for the users in
# users.txt (a lab on loopback only), admin user switchback.
#
# Installs Debian's pgbouncer package when it is missing. PgBouncer refuses to run as root: the
# instances run as the postgres user.
#
# Usage: deploy/lab/pgbouncer.sh {start|stop|status|urls}   (idempotent; exits non-zero with a message)
# start restores the baseline: every lab database entry paused by an interrupted run is resumed.
set -euo pipefail

HOST=127.0.0.1
PORTS=(6432 6433)
# The users the lab's clients log in as (trust: PgBouncer still wants each listed).
USERS=(switchback postgres switchback_app switchback_pgbench pgbench_app)

die() {
  echo "pgbouncer lab: $*" >&2
  exit 1
}

lab_dir() {
  if [[ -n "${SWITCHBACK_LAB_DIR:-}" ]]; then
    echo "$SWITCHBACK_LAB_DIR/pgbouncer"
  else
    echo /var/lib/switchback-lab/pgbouncer
  fi
}

DIR="$(lab_dir)"

need_tools() {
  if ! command -v pgbouncer >/dev/null 2>&1 && [[ ! -x /usr/sbin/pgbouncer ]]; then
    [[ "$(id -u)" == 0 ]] || die "pgbouncer is not installed; as root: apt-get install -y pgbouncer"
    echo "installing Debian's pgbouncer package"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q pgbouncer >/dev/null ||
      die "apt-get install pgbouncer failed"
  fi
  command -v psql >/dev/null 2>&1 || die "psql not found: install postgresql-client"
  id postgres >/dev/null 2>&1 || die "no postgres user: install postgresql (deploy/lab/postgres.sh)"
}

as_postgres() {
  if [[ "$(id -un)" == postgres ]]; then
    "$@"
  else
    runuser -u postgres -- "$@"
  fi
}

admin() {
  local port=$1
  shift
  psql -X -q -h "$HOST" -p "$port" -U switchback -d pgbouncer -At "$@"
}

# Whether process $1 runs (a killed daemon can linger as a zombie until its parent reaps it).
alive() {
  local state
  state="$(ps -o stat= -p "$1" 2>/dev/null)" && [[ -n "$state" && "$state" != Z* ]]
}

pid_of() {
  local f="$DIR/$1/pgbouncer.pid"
  [[ -s "$f" ]] && alive "$(cat "$f")" && cat "$f"
}

write_config() {
  local port=$1 d="$DIR/$1" u
  mkdir -p "$d"
  cat >"$d/pgbouncer.ini" <<CONF
; Written by deploy/lab/pgbouncer.sh; rewritten on every start.
[pgbouncer]
listen_addr = $HOST
listen_port = $port
unix_socket_dir =
auth_type = trust
auth_file = $d/users.txt
admin_users = switchback
pool_mode = transaction
default_pool_size = 20
max_client_conn = 500
; Java clients of pooled databases (pgjdbc) send extra_float_digits at startup. The router's admin
; console connection does not need it (docs/routers.md).
ignore_startup_parameters = extra_float_digits
; Clients are held while a database is paused for a switch; longer than this and they get an error.
query_wait_timeout = 120
logfile = $d/pgbouncer.log
pidfile = $d/pgbouncer.pid
; The [databases] section: the router rewrites the entry of the database it switches.
%include $d/databases.ini
CONF
  : >"$d/users.txt"
  for u in "${USERS[@]}"; do
    printf '"%s" ""\n' "$u" >>"$d/users.txt"
  done
  # The databases file belongs to whoever switched last (the router rewrites it): keep it, and
  # only create it when missing.
  if [[ ! -s "$d/databases.ini" ]]; then
    cat >"$d/databases.ini" <<CONF
; The lab PgBouncer's databases (deploy/lab/pgbouncer.sh writes this file once; Switchback's
; pgbouncer router rewrites the host, port and dbname of the entry it switches, tests add theirs).
[databases]
postgres = host=127.0.0.1 port=5433 dbname=postgres
CONF
  fi
  chown -R postgres "$d"
}

wait_ready() {
  local port=$1 i
  for i in $(seq 1 50); do
    if admin "$port" -c 'show version' >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.2
  done
  die "PgBouncer on $HOST:$port did not answer within 10 s; see $DIR/$port/pgbouncer.log"
}

# A run that stopped between PAUSE and RESUME leaves a database paused: clients would wait on it.
resume_paused() {
  local port=$1 db
  for db in $(admin "$port" -F '|' -c 'show databases' | awk -F '|' '$12 == 1 {print $1}'); do
    echo "pgbouncer $port: resuming $db (left paused)"
    admin "$port" -c "resume $db" >/dev/null
  done
}

start_one() {
  local port=$1
  write_config "$port"
  if [[ -n "$(pid_of "$port")" ]]; then
    admin "$port" -c reload >/dev/null || die "reload of PgBouncer $port failed; see $DIR/$port/pgbouncer.log"
  else
    if (exec 3<>"/dev/tcp/$HOST/$port") 2>/dev/null; then
      die "$HOST:$port is taken by a process this script did not start; free the port"
    fi
    as_postgres pgbouncer -d -q "$DIR/$port/pgbouncer.ini" ||
      die "PgBouncer $port did not start; see $DIR/$port/pgbouncer.log"
  fi
  wait_ready "$port"
  resume_paused "$port"
}

stop_one() {
  local port=$1 pid
  pid="$(pid_of "$port" || true)"
  if [[ -n "$pid" ]]; then
    kill "$pid"
    for _ in $(seq 1 50); do
      alive "$pid" || return 0
      sleep 0.2
    done
    kill -9 "$pid" 2>/dev/null || true
  fi
}

status() {
  local rc=0 port
  for port in "${PORTS[@]}"; do
    if [[ -n "$(pid_of "$port")" ]] && admin "$port" -c 'show version' >/dev/null 2>&1; then
      echo "pgbouncer $HOST:$port: up ($(admin "$port" -c 'show version' | head -1))"
    else
      echo "pgbouncer $HOST:$port: down"
      rc=1
    fi
  done
  return $rc
}

urls() {
  local port
  for port in "${PORTS[@]}"; do
    echo "pgbouncer: postgres://switchback@$HOST:$port/pgbouncer (admin console), databases file $DIR/$port/databases.ini"
  done
}

case "${1:-}" in
  start)
    need_tools
    for port in "${PORTS[@]}"; do start_one "$port"; done
    status
    urls
    ;;
  stop)
    for port in "${PORTS[@]}"; do stop_one "$port"; done
    echo "pgbouncer lab stopped"
    ;;
  status) status ;;
  urls) urls ;;
  *)
    echo "usage: $0 {start|stop|status|urls}" >&2
    exit 2
    ;;
esac
