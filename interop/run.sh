#!/usr/bin/env bash
# The interop proof in one command: a Temporal client that is not Switchback's (the TypeScript
# SDK's @temporalio/client, in cutover.mjs) runs a real PostgreSQL cutover using only the names of
# DESIGN.md section 5.
#
#   interop/run.sh            (from anywhere; run as root on a machine of the project's kind)
#
# Starts, in the background: the port-bound Temporal test server (./switchback server), the
# Switchback worker against it (./switchback worker --address), and the demo's databases, forward
# instance and writing application (./switchback demo --prepare-only, which starts the PostgreSQL
# lab clusters 5433/5434 itself). Converts the plan with ./switchback plan json, installs the
# client with npm ci, runs cutover.mjs, then stops everything it started.
#
# Exit code: cutover.mjs's (0: COMPLETED with every gate approved by its signals). When the script
# succeeded but the demo application then finds a lost, duplicated or failed write, 1.
# Settings: INTEROP_TEMPORAL_PORT (default: a free port), INTEROP_APPROVER (default interop),
# INTEROP_WORK (logs and plan files; default a new temporary directory).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
sb="$root/switchback"
approver="${INTEROP_APPROVER:-interop}"

die() { echo "interop: $*" >&2; exit 1; }

command -v node >/dev/null && command -v npm >/dev/null \
  || die "node and npm are needed (Node.js 20.3 or later): apt-get install nodejs npm"
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=3)?0:1)' \
  || die "Node.js $(node --version) is too old: @temporalio/client needs 20.3 or later"

work="${INTEROP_WORK:-$(mktemp -d -t switchback-interop.XXXXXX)}"
mkdir -p "$work"
port="${INTEROP_TEMPORAL_PORT:-$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')}"
address="127.0.0.1:$port"
echo "interop: logs and plan files in $work; Temporal at $address"

pids=()
stop_all() {
  # Only what this script started, newest first, by process id.
  local i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${pids[i]}" 2>/dev/null || true
  done
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    wait "${pids[i]}" 2>/dev/null || true
  done
  pids=()
}
trap stop_all EXIT
trap 'exit 130' INT TERM

alive() { kill -0 "$1" 2>/dev/null; }
show_log() { echo "---- $1 (last 40 lines)" >&2; tail -n 40 "$1" >&2 || true; }

# Build the CLI once, before three launchers race to do it.
"$sb" --version >/dev/null

echo "interop: npm ci (@temporalio/client from the npm registry)"
(cd "$here" && npm ci --no-audit --no-fund --loglevel=error) >"$work/npm.log" 2>&1 \
  || { show_log "$work/npm.log"; die "npm ci failed (it needs the npm registry)"; }

"$sb" server --port "$port" >"$work/server.log" 2>&1 &
server=$!
pids+=("$server")
for _ in $(seq 1 60); do
  grep -q "Ctrl-C stops it" "$work/server.log" 2>/dev/null && break
  alive "$server" || { show_log "$work/server.log"; die "the Temporal test server did not start"; }
  sleep 0.5
done
grep -q "Ctrl-C stops it" "$work/server.log" || { show_log "$work/server.log"; die "the Temporal test server did not answer in 30s"; }
echo "interop: Temporal test server up on $address"

"$sb" worker --address "$address" --metrics-port 0 >"$work/worker.log" 2>&1 &
worker=$!
pids+=("$worker")

"$sb" demo --prepare-only --plan-out "$work/plan.yaml" --approver "$approver" >"$work/demo.out" 2>"$work/demo.log" &
demo=$!
pids+=("$demo")
echo "interop: preparing the PostgreSQL demo (lab clusters, forward instance, writing application) ..."
for _ in $(seq 1 360); do
  [[ -f "$work/plan.yaml" ]] && break
  alive "$demo" || { show_log "$work/demo.log"; die "the demo preparation stopped"; }
  sleep 0.5
done
[[ -f "$work/plan.yaml" ]] || { show_log "$work/demo.log"; die "the demo was not prepared in 3 minutes"; }
alive "$worker" || { show_log "$work/worker.log"; die "the worker stopped"; }
grep -E "^(forward instance|plan|demo application)" "$work/demo.log" | sed 's/^/  demo: /'

"$sb" plan json "$work/plan.yaml" >"$work/plan.json"
echo "interop: plan converted with ./switchback plan json -> $work/plan.json"
echo "interop: node cutover.mjs --address $address --plan $work/plan.json --approver $approver"
echo
set +e
node "$here/cutover.mjs" --address "$address" --plan "$work/plan.json" --approver "$approver"
rc=$?
set -e
echo

# The demo application's witness: every write it got an ack for must be on the side it ends on.
kill -TERM "$demo" 2>/dev/null || true
set +e
wait "$demo"
demo_rc=$?
set -e
cat "$work/demo.out"
stop_all
if [[ $rc -eq 0 && $demo_rc -ne 0 ]]; then
  show_log "$work/demo.log"
  echo "interop: the cutover completed but the demo application found a lost, duplicated or failed write (exit $demo_rc)" >&2
  rc=1
fi
if [[ $rc -ne 0 ]]; then
  show_log "$work/worker.log"
fi
echo "interop: cutover.mjs exit $rc"
exit "$rc"
