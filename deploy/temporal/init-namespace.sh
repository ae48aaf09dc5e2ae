#!/bin/sh
# Creates the namespace Switchback runs in and the two search attributes its workflow sets
# (SwitchbackPhase, SwitchbackOutcome: Keyword), so the Temporal UI can list cutovers by phase
# and outcome. A workflow that upserts an attribute the namespace does not know fails its
# workflow task, so the worker must not start before this has run. Idempotent.
set -eu

ADDR="${TEMPORAL_ADDRESS:-temporal:7233}"
NS="${TEMPORAL_NAMESPACE:-default}"
# Closed cutovers stay visible (and their reports queryable) this long.
RETENTION="${TEMPORAL_NAMESPACE_RETENTION:-720h}"

i=0
until temporal operator cluster health --address "$ADDR" >/dev/null 2>&1; do
  i=$((i + 1))
  if [ "$i" -ge 60 ]; then
    echo "init-namespace: the Temporal server at $ADDR was not healthy within 5 minutes" >&2
    exit 1
  fi
  sleep 5
done

if temporal operator namespace describe --address "$ADDR" --namespace "$NS" >/dev/null 2>&1; then
  echo "init-namespace: namespace $NS exists"
else
  temporal operator namespace create --address "$ADDR" --namespace "$NS" --retention "$RETENTION"
  echo "init-namespace: namespace $NS created (retention $RETENTION)"
fi

# A namespace just created can take a few seconds to reach every frontend cache: retry.
for attr in SwitchbackPhase SwitchbackOutcome; do
  i=0
  until temporal operator search-attribute list --address "$ADDR" --namespace "$NS" 2>/dev/null |
    grep -qw "$attr"; do
    i=$((i + 1))
    if [ "$i" -ge 24 ]; then
      echo "init-namespace: could not create search attribute $attr in namespace $NS" >&2
      exit 1
    fi
    temporal operator search-attribute create --address "$ADDR" --namespace "$NS" \
      --name "$attr" --type Keyword || sleep 5
  done
  echo "init-namespace: search attribute $attr (Keyword) present in namespace $NS"
done
