#!/usr/bin/env bash
# Lab HAProxy for Switchback's haproxy router: TCP backends that hold a source and a destination
# server each, in front of the lab pairs (deploy/lab/mariadb.sh, postgres.sh, redis.sh).
#
#   frontend        listens on        backend servers (src ready, dst disabled at start)
#   mariadb         127.0.0.1:3390    src 127.0.0.1:3307  dst 127.0.0.1:3308   (the demo's)
#   postgres        127.0.0.1:5490    src 127.0.0.1:5433  dst 127.0.0.1:5434
#   redis           127.0.0.1:6390    src 127.0.0.1:6380  dst 127.0.0.1:6381
#   test_mariadb    127.0.0.1:3391    the same servers, reserved for the router's tests
#   test_postgres   127.0.0.1:5491
#   test_redis      127.0.0.1:6391
#
# Runtime API (level admin): tcp://127.0.0.1:9999 and unix://$DIR/admin.sock, where DIR is
# $SWITCHBACK_LAB_DIR/haproxy (default /var/lib/switchback-lab/haproxy).
# Installs Debian's haproxy package when it is missing.
#
# Usage: deploy/lab/haproxy.sh {start|stop|status|urls}   (idempotent; exits non-zero with a message)
# start restores the baseline of every backend: src ready, dst in maintenance, whatever a test or
# an interrupted cutover left.
set -euo pipefail

HOST=127.0.0.1
API_PORT=9999
BACKENDS="mariadb:3390:3307:3308 postgres:5490:5433:5434 redis:6390:6380:6381 test_mariadb:3391:3307:3308 test_postgres:5491:5433:5434 test_redis:6391:6380:6381"

die() {
  echo "haproxy lab: $*" >&2
  exit 1
}

if [[ -n "${SWITCHBACK_LAB_DIR:-}" ]]; then
  DIR="$SWITCHBACK_LAB_DIR/haproxy"
else
  DIR=/var/lib/switchback-lab/haproxy
fi

need_tools() {
  if [[ ! -x /usr/sbin/haproxy ]]; then
    [[ "$(id -u)" == 0 ]] || die "haproxy is not installed; as root: apt-get install -y haproxy"
    echo "installing Debian's haproxy package"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q haproxy >/dev/null ||
      die "apt-get install haproxy failed"
  fi
}

# One runtime API command; prints the answer.
api() {
  local answer
  exec 3<>"/dev/tcp/$HOST/$API_PORT" || return 1
  printf '%s\n' "$1" >&3
  answer="$(cat <&3)"
  exec 3<&-
  printf '%s\n' "$answer"
}

# Whether the runtime API answers (the answer is read whole: grep -q closing the pipe early would
# fail the pipeline under pipefail).
answers() {
  local info
  info="$(api "show info" 2>/dev/null)" || return 1
  [[ "$info" == *"Name: HAProxy"* ]]
}

# Whether process $1 runs (a killed daemon can linger as a zombie until its parent reaps it).
alive() {
  local state
  state="$(ps -o stat= -p "$1" 2>/dev/null)" && [[ -n "$state" && "$state" != Z* ]]
}

pid_of() {
  local f="$DIR/haproxy.pid"
  [[ -s "$f" ]] && alive "$(head -1 "$f")" && head -1 "$f"
}

write_config() {
  local entry name port src dst
  mkdir -p "$DIR"
  {
    cat <<CONF
# Written by deploy/lab/haproxy.sh; rewritten on every start.
global
  pidfile $DIR/haproxy.pid
  stats socket ipv4@$HOST:$API_PORT level admin
  stats socket $DIR/admin.sock mode 600 level admin
  stats timeout 30s
  log stderr local0 notice

defaults
  mode tcp
  timeout connect 2s
  timeout client 1h
  timeout server 1h
  timeout queue 5s
CONF
    for entry in $BACKENDS; do
      IFS=: read -r name port src dst <<<"$entry"
      cat <<CONF

frontend $name
  bind $HOST:$port
  default_backend $name

backend $name
  server src $HOST:$src
  server dst $HOST:$dst disabled
CONF
    done
  } >"$DIR/haproxy.cfg"
  /usr/sbin/haproxy -c -q -f "$DIR/haproxy.cfg" || die "haproxy.cfg does not check: $DIR/haproxy.cfg"
}

wait_ready() {
  for _ in $(seq 1 50); do
    if answers; then
      return 0
    fi
    sleep 0.2
  done
  die "HAProxy's runtime API did not answer on $HOST:$API_PORT within 10 s"
}

baseline() {
  local entry name answer
  for entry in $BACKENDS; do
    name=${entry%%:*}
    for answer in "$(api "set server $name/src state ready")" "$(api "set server $name/dst state maint")" \
      "$(api "shutdown sessions server $name/dst")"; do
      [[ -z "${answer//[[:space:]]/}" ]] || die "restoring $name: $answer"
    done
  done
}

start() {
  need_tools
  write_config
  if [[ -z "$(pid_of || true)" ]]; then
    if (exec 3<>"/dev/tcp/$HOST/$API_PORT") 2>/dev/null; then
      die "$HOST:$API_PORT is taken by a process this script did not start; free the port"
    fi
    /usr/sbin/haproxy -D -f "$DIR/haproxy.cfg" ||
      die "haproxy did not start (haproxy -f $DIR/haproxy.cfg)"
  fi
  wait_ready
  baseline
}

stop() {
  local pid
  pid="$(pid_of || true)"
  if [[ -n "$pid" ]]; then
    kill "$pid"
    for _ in $(seq 1 50); do
      alive "$pid" || break
      sleep 0.2
    done
  fi
  echo "haproxy lab stopped"
}

status() {
  if [[ -n "$(pid_of || true)" ]] && answers; then
    echo "haproxy: up ($(api 'show info' | awk -F': ' '$1=="Version"{print $2}')), runtime API tcp://$HOST:$API_PORT"
    api "show servers state" | awk 'NR>2 && NF>5 {printf "  %s/%s admin_state=%s\n", $2, $4, $7}'
  else
    echo "haproxy: down"
    return 1
  fi
}

urls() {
  echo "haproxy runtime API: tcp://$HOST:$API_PORT and unix://$DIR/admin.sock (level admin)"
  local entry name port
  for entry in $BACKENDS; do
    IFS=: read -r name port _ _ <<<"$entry"
    echo "haproxy frontend $name: $HOST:$port (backend $name: servers src, dst)"
  done
}

case "${1:-}" in
  start) start; status; urls ;;
  stop) stop ;;
  status) status ;;
  urls) urls ;;
  *)
    echo "usage: $0 {start|stop|status|urls}" >&2
    exit 2
    ;;
esac
