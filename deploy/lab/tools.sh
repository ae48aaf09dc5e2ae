#!/usr/bin/env bash
# The client tools the lab's demos and benchmarks drive, from Debian's packages: pgbench (with
# PostgreSQL), sysbench (the MariaDB/HAProxy demo), percona-toolkit (pt-table-checksum, to compare
# MySQL/MariaDB sides the way DBAs do) and redis-tools (redis-cli, redis-benchmark).
#
# Usage: deploy/lab/tools.sh {start|stop|status|urls}   start installs what is missing (as root)
set -euo pipefail

# command:package
TOOLS="pgbench:postgresql-client sysbench:sysbench pt-table-checksum:percona-toolkit redis-cli:redis-tools"

die() {
  echo "tools lab: $*" >&2
  exit 1
}

missing() {
  local entry cmd pkg out=""
  for entry in $TOOLS; do
    cmd=${entry%%:*}
    pkg=${entry##*:}
    command -v "$cmd" >/dev/null 2>&1 || out="$out $pkg"
  done
  echo "$out"
}

status() {
  local entry cmd rc=0
  for entry in $TOOLS; do
    cmd=${entry%%:*}
    if command -v "$cmd" >/dev/null 2>&1; then
      echo "$cmd: $(command -v "$cmd")"
    else
      echo "$cmd: missing (package ${entry##*:})"
      rc=1
    fi
  done
  return $rc
}

case "${1:-}" in
  start)
    pkgs="$(missing)"
    if [[ -n "${pkgs// /}" ]]; then
      [[ "$(id -u)" == 0 ]] || die "missing:$pkgs; as root: apt-get install -y$pkgs"
      echo "installing Debian's packages:$pkgs"
      # shellcheck disable=SC2086 # one word per package
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q $pkgs >/dev/null ||
        die "apt-get install$pkgs failed"
    fi
    status
    ;;
  stop) echo "tools: nothing to stop" ;;
  status) status ;;
  urls) ;;
  *)
    echo "usage: $0 {start|stop|status|urls}" >&2
    exit 2
    ;;
esac
