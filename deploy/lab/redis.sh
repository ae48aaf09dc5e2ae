#!/usr/bin/env bash
# Lab Redis for Switchback's tests and demo: two redis-server instances next to the machine's own
# (127.0.0.1:6379 is never touched).
#   source       127.0.0.1:6380
#   destination  127.0.0.1:6381
# No persistence (save "" and appendonly no): the lab holds test data only. Each instance is
# daemonized with its config, pid, log and working directory under $SWITCHBACK_LAB_DIR/redis
# (default /var/lib/switchback-lab/redis, or /tmp/switchback-lab/redis when /var/lib is not
# writable).
#
# Usage: deploy/lab/redis.sh {start|stop|status|urls}   (idempotent; exits non-zero with a message)
set -euo pipefail

HOST=127.0.0.1
SOURCE_PORT=6380
DESTINATION_PORT=6381
PORTS=("$SOURCE_PORT" "$DESTINATION_PORT")

die() {
  echo "redis lab: $*" >&2
  exit 1
}

lab_dir() {
  if [[ -n "${SWITCHBACK_LAB_DIR:-}" ]]; then
    echo "$SWITCHBACK_LAB_DIR/redis"
  elif mkdir -p /var/lib/switchback-lab/redis 2>/dev/null && [[ -w /var/lib/switchback-lab/redis ]]; then
    echo /var/lib/switchback-lab/redis
  else
    echo "${TMPDIR:-/tmp}/switchback-lab/redis"
  fi
}

DIR="$(lab_dir)"

role_of() {
  [[ "$1" == "$SOURCE_PORT" ]] && echo source || echo destination
}

cli() {
  local port=$1
  shift
  redis-cli -h "$HOST" -p "$port" --no-auth-warning "$@"
}

answers_ping() {
  [[ "$(cli "$1" ping 2>/dev/null)" == "PONG" ]]
}

pid_of() {
  local f="$DIR/$1/redis.pid"
  [[ -s "$f" ]] && kill -0 "$(cat "$f")" 2>/dev/null && cat "$f"
}

write_config() {
  local port=$1 d="$DIR/$1"
  mkdir -p "$d"
  cat >"$d/redis.conf" <<EOF
# Written by deploy/lab/redis.sh: the Switchback lab $(role_of "$port") instance.
bind $HOST
port $port
daemonize yes
pidfile $d/redis.pid
logfile $d/redis.log
dir $d
save ""
appendonly no
# The lab's replicas attach often; a full sync should not wait for more replicas to join.
repl-diskless-sync-delay 0
EOF
}

start_one() {
  local port=$1
  if answers_ping "$port"; then
    if [[ -z "$(pid_of "$port")" ]]; then
      die "127.0.0.1:$port answers but was not started by this script (no pid in $DIR/$port); stop that server or free the port"
    fi
    return 0
  fi
  write_config "$port"
  redis-server "$DIR/$port/redis.conf" || die "redis-server failed to start on port $port; see $DIR/$port/redis.log"
  for _ in $(seq 1 100); do
    answers_ping "$port" && return 0
    sleep 0.1
  done
  die "redis-server on port $port did not answer PING within 10 s; see $DIR/$port/redis.log"
}

stop_one() {
  local port=$1 pid
  pid="$(pid_of "$port" || true)"
  if [[ -z "$pid" ]]; then
    if answers_ping "$port"; then
      die "127.0.0.1:$port answers but was not started by this script; not stopping it"
    fi
    return 0
  fi
  # SHUTDOWN NOSAVE: the lab has no persistence and must not leave a dump behind.
  cli "$port" shutdown nosave >/dev/null 2>&1 || kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || {
      rm -f "$DIR/$port/redis.pid"
      return 0
    }
    sleep 0.1
  done
  die "redis-server on port $port (pid $pid) did not stop within 10 s"
}

urls() {
  echo "source      redis://$HOST:$SOURCE_PORT"
  echo "destination redis://$HOST:$DESTINATION_PORT"
}

status() {
  local rc=0
  for port in "${PORTS[@]}"; do
    if answers_ping "$port"; then
      local role
      role="$(cli "$port" info replication | tr -d '\r' | sed -n 's/^role://p')"
      echo "$(role_of "$port") redis://$HOST:$port up (pid $(pid_of "$port" || echo '?'), role $role)"
    else
      echo "$(role_of "$port") redis://$HOST:$port down"
      rc=3
    fi
  done
  return $rc
}

command -v redis-server >/dev/null || die "redis-server is not installed (apt-get install redis-server)"
command -v redis-cli >/dev/null || die "redis-cli is not installed (apt-get install redis-tools)"

case "${1:-}" in
  start)
    for port in "${PORTS[@]}"; do start_one "$port"; done
    urls
    ;;
  stop)
    for port in "${PORTS[@]}"; do stop_one "$port"; done
    echo "redis lab stopped"
    ;;
  status) status ;;
  urls) urls ;;
  *) die "usage: $0 {start|stop|status|urls}" ;;
esac
