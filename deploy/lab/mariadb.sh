#!/usr/bin/env bash
# Two lab MariaDB servers beside the machine's own (3306, never touched), for Switchback's
# integration tests and demo: 127.0.0.1:3307 is the source, 127.0.0.1:3308 the destination.
# Both have the binary log, row format, log_slave_updates, gtid_strict_mode and a GTID domain
# of their own (the port number), so GTID replication between them can serve as the migration
# instance and the reverse instance. root has no password over TCP from 127.0.0.1.
#
#   deploy/lab/mariadb.sh start|stop|status|urls
#
# SWITCHBACK_MARIADB_PORTS="3309 3310" acts on other servers instead (the fault suite's own pair,
# deploy/lab/faults.sh, which it stops and starts while others' tests use this pair); the first
# is called the source, the second the destination. SWITCHBACK_MARIADB_INCLUDE names an option
# file every server of this run also reads (deploy/lab/tls.sh: the TLS pair's certificates).
#
# Idempotent. Runs as root on a fresh machine (the servers then run as the mysql user) or as an
# ordinary user (the servers run as that user). SWITCHBACK_LAB_DIR moves the data
# (default /var/lib/switchback-lab).
set -euo pipefail

LAB_DIR="${SWITCHBACK_LAB_DIR:-/var/lib/switchback-lab}"
read -r -a PORTS <<<"${SWITCHBACK_MARIADB_PORTS:-3307 3308}"
ROLES=(source destination)
START_TIMEOUT="${SWITCHBACK_LAB_START_TIMEOUT:-60}"

die() {
  echo "mariadb lab: $*" >&2
  exit 1
}

find_bin() {
  local b
  for b in "$@"; do
    if command -v "$b" >/dev/null 2>&1; then
      command -v "$b"
      return 0
    fi
    if [ -x "/usr/sbin/$b" ]; then
      echo "/usr/sbin/$b"
      return 0
    fi
  done
  return 1
}

MARIADBD="$(find_bin mariadbd mysqld || true)"
INSTALL_DB="$(find_bin mariadb-install-db mysql_install_db || true)"
CLIENT="$(find_bin mariadb mysql || true)"
ADMIN="$(find_bin mariadb-admin mysqladmin || true)"

need_binaries() {
  [ -n "$MARIADBD" ] || die "mariadbd not found; install it: apt-get install -y mariadb-server"
  [ -n "$INSTALL_DB" ] || die "mariadb-install-db not found; install it: apt-get install -y mariadb-server"
  [ -n "$CLIENT" ] || die "the mariadb client not found; install it: apt-get install -y mariadb-client"
  [ -n "$ADMIN" ] || die "mariadb-admin not found; install it: apt-get install -y mariadb-client"
}

dir_of() { echo "$LAB_DIR/mariadb-$1"; }
sock_of() { echo "$(dir_of "$1")/mariadbd.sock"; }
pid_of_file() { echo "$(dir_of "$1")/mariadbd.pid"; }
cnf_of() { echo "$(dir_of "$1")/my.cnf"; }
log_of() { echo "$(dir_of "$1")/error.log"; }

run_user() {
  if [ "$(id -u)" = 0 ]; then
    id mysql >/dev/null 2>&1 || die "running as root needs the mysql system user (it comes with mariadb-server)"
    echo mysql
  else
    id -un
  fi
}

pid_alive() {
  local pidfile pid
  pidfile="$(pid_of_file "$1")"
  [ -s "$pidfile" ] || return 1
  pid="$(cat "$pidfile")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

ping_ok() {
  "$ADMIN" --no-defaults --protocol=socket --socket="$(sock_of "$1")" -uroot \
    --connect-timeout=2 ping >/dev/null 2>&1
}

tcp_ok() {
  "$CLIENT" --no-defaults --protocol=tcp -h127.0.0.1 -P"$1" -uroot --connect-timeout=2 \
    -N -e 'SELECT 1' >/dev/null 2>&1
}

write_config() {
  local port="$1" dir user
  dir="$(dir_of "$port")"
  user="$(run_user)"
  cat >"$(cnf_of "$port")" <<EOF
# Written by deploy/lab/mariadb.sh; rewritten on every start.
[mariadbd]
user = $user
datadir = $dir/data
socket = $dir/mariadbd.sock
pid-file = $dir/mariadbd.pid
log-error = $dir/error.log
port = $port
bind-address = 127.0.0.1
skip-name-resolve
character-set-server = utf8mb4
collation-server = utf8mb4_general_ci
server_id = $port
gtid_domain_id = $port
log_bin = $dir/binlog/mariadb-bin
log_bin_index = $dir/binlog/mariadb-bin.index
binlog_format = ROW
log_slave_updates = ON
gtid_strict_mode = ON
binlog_expire_logs_seconds = 259200
relay_log = $dir/relay/relay-bin
# A restart must never resume a paused migration instance (the seed forbids it).
skip_slave_start
performance_schema = ON
innodb_buffer_pool_size = 128M
max_connections = 200
EOF
  if [ -n "${SWITCHBACK_MARIADB_INCLUDE:-}" ]; then
    [ -r "$SWITCHBACK_MARIADB_INCLUDE" ] ||
      die "SWITCHBACK_MARIADB_INCLUDE: $SWITCHBACK_MARIADB_INCLUDE is not a readable file"
    echo "!include $SWITCHBACK_MARIADB_INCLUDE" >>"$(cnf_of "$port")"
  fi
}

init_datadir() {
  local port="$1" dir user
  dir="$(dir_of "$port")"
  user="$(run_user)"
  mkdir -p "$dir/binlog" "$dir/relay"
  chmod 755 "$LAB_DIR" "$dir"
  write_config "$port"
  if [ ! -d "$dir/data/mysql" ]; then
    echo "mariadb lab: creating the data directory of $port in $dir/data"
    rm -rf "$dir/data"
    mkdir -p "$dir/data"
    chown -R "$user" "$dir"
    if ! "$INSTALL_DB" --defaults-file="$(cnf_of "$port")" --auth-root-authentication-method=normal \
      --skip-test-db >"$dir/install.log" 2>&1; then
      tail -n 30 "$dir/install.log" >&2
      die "mariadb-install-db failed for $port (log: $dir/install.log)"
    fi
  fi
  chown -R "$user" "$dir"
}

start_one() {
  local port="$1" dir
  dir="$(dir_of "$port")"
  if pid_alive "$port" && ping_ok "$port"; then
    echo "mariadb lab: $port already running (pid $(cat "$(pid_of_file "$port")"))"
  else
    if pid_alive "$port"; then
      echo "mariadb lab: $port has a live pid but does not answer yet; waiting"
    else
      init_datadir "$port"
      rm -f "$(sock_of "$port")" "$(pid_of_file "$port")"
      echo "mariadb lab: starting $port"
      # setsid: the server must outlive this script and the shell that ran it.
      setsid "$MARIADBD" --defaults-file="$(cnf_of "$port")" >>"$dir/stdout.log" 2>&1 </dev/null &
    fi
    local waited=0
    until ping_ok "$port"; do
      if [ "$waited" -ge "$((START_TIMEOUT * 2))" ]; then
        tail -n 30 "$(log_of "$port")" >&2 || true
        die "$port did not accept connections within ${START_TIMEOUT}s (log: $(log_of "$port"))"
      fi
      if [ "$waited" -gt 4 ] && ! pid_alive "$port" && ! pgrep -f -- "--defaults-file=$(cnf_of "$port")" >/dev/null; then
        tail -n 30 "$(log_of "$port")" >&2 || true
        die "$port exited during start (log: $(log_of "$port"))"
      fi
      sleep 0.5
      waited=$((waited + 1))
    done
  fi
  # root over TCP from 127.0.0.1 without a password; kept out of the binary log so the GTID
  # history of the lab servers holds only what tests and demos write.
  "$CLIENT" --no-defaults --protocol=socket --socket="$(sock_of "$port")" -uroot -e "
    SET SESSION sql_log_bin = 0;
    CREATE USER IF NOT EXISTS 'root'@'127.0.0.1';
    GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;" ||
    die "could not create root@127.0.0.1 on $port"
  tcp_ok "$port" || die "$port answers on its socket but not on 127.0.0.1:$port"
}

# The lab's baseline, restored on every start: both servers writable and no demo instance left.
# A finished demo leaves the old source or the destination fenced (read_only) and, after a
# rollback, its paused forward instance, as production would; the tests need neither (one
# replication connection per source server is all MariaDB allows). Only the demo's own channels
# (sb_demo_fwd, sb_demo_rev) are removed; any other is listed and left to its owner.
baseline_one() {
  local port="$1" ro channel
  sql() { "$CLIENT" --no-defaults --protocol=socket --socket="$(sock_of "$port")" -uroot -N -B -e "$1"; }
  ro="$(sql 'SELECT @@GLOBAL.read_only')"
  if [ "$ro" != 0 ]; then
    echo "mariadb lab: $port was read_only (a fence a demo or a test left); lifting it"
    sql 'SET GLOBAL read_only = OFF'
  fi
  while read -r channel; do
    [ -n "$channel" ] || continue
    case "$channel" in
      sb_demo_fwd|sb_demo_rev)
        echo "mariadb lab: $port: removing the demo's replication connection '$channel'"
        sql "STOP SLAVE '$channel'; RESET SLAVE '$channel' ALL"
        ;;
      *)
        echo "mariadb lab: $port: replication connection '$channel' is not the demo's; left alone" \
          "(tests replicating between ${PORTS[0]} and ${PORTS[1]} fail while it exists)" >&2
        ;;
    esac
  done < <("$CLIENT" --no-defaults --protocol=socket --socket="$(sock_of "$port")" -uroot -e \
    'SHOW ALL SLAVES STATUS\G' | sed -n 's/^ *Connection_name: //p')
}

stop_one() {
  local port="$1" pidfile pid waited=0
  pidfile="$(pid_of_file "$port")"
  if ! pid_alive "$port"; then
    echo "mariadb lab: $port is not running"
    return 0
  fi
  pid="$(cat "$pidfile")"
  echo "mariadb lab: stopping $port (pid $pid)"
  "$ADMIN" --no-defaults --protocol=socket --socket="$(sock_of "$port")" -uroot shutdown \
    >/dev/null 2>&1 || kill "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$waited" -ge 120 ]; then
      die "$port (pid $pid) did not stop within 60s"
    fi
    sleep 0.5
    waited=$((waited + 1))
  done
}

urls() {
  local i
  for i in "${!PORTS[@]}"; do
    echo "SWITCHBACK_MARIADB_${ROLES[$i]^^}_URL=jdbc:mariadb://127.0.0.1:${PORTS[$i]}/"
  done
}

status() {
  local rc=0 i port
  for i in "${!PORTS[@]}"; do
    port="${PORTS[$i]}"
    if pid_alive "$port" && tcp_ok "$port"; then
      echo "mariadb lab: ${ROLES[$i]} 127.0.0.1:$port running (pid $(cat "$(pid_of_file "$port")"))"
    else
      echo "mariadb lab: ${ROLES[$i]} 127.0.0.1:$port stopped"
      rc=1
    fi
  done
  return "$rc"
}

case "${1:-}" in
  start)
    need_binaries
    mkdir -p "$LAB_DIR"
    for port in "${PORTS[@]}"; do start_one "$port"; done
    for port in "${PORTS[@]}"; do baseline_one "$port"; done
    urls
    ;;
  stop)
    need_binaries
    for port in "${PORTS[@]}"; do stop_one "$port"; done
    ;;
  status)
    need_binaries
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
