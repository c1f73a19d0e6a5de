#!/bin/sh
# The campaign of job.yaml on one machine: the same N shards as processes, then the merge.
#   docs/campaign/run-local.sh N OUTDIR [pksim fuzz options...]
# e.g. docs/campaign/run-local.sh 4 /tmp/campaign --runs 100000 --seed 1
# PKSIM names the command (default: pksim; from a checkout: PKSIM="node bin/pksim.js").
# OUTDIR gets shard-K.json for K = 0..N-1 and merged.json, byte for byte the --json output of
# the same campaign run unsharded. Exit status: the first failing shard's (3 for a limit), or
# the merge's.
set -eu
if [ $# -lt 2 ]; then
  echo "usage: $0 N OUTDIR [pksim fuzz options...]" >&2
  exit 2
fi
N=$1
OUT=$2
shift 2
PKSIM=${PKSIM:-pksim}
mkdir -p "$OUT"
pids=""
k=0
while [ "$k" -lt "$N" ]; do
  # shellcheck disable=SC2086 # PKSIM may be a command with arguments
  $PKSIM fuzz "$@" --shard "$k/$N" --out "$OUT/shard-$k.json" --force &
  pids="$pids $!"
  k=$((k + 1))
done
status=0
for p in $pids; do
  wait "$p" || {
    rc=$?
    [ "$status" -ne 0 ] || status=$rc
  }
done
[ "$status" -eq 0 ] || exit "$status"
files=""
k=0
while [ "$k" -lt "$N" ]; do
  files="$files $OUT/shard-$k.json"
  k=$((k + 1))
done
# shellcheck disable=SC2086
$PKSIM merge $files --json > "$OUT/merged.json"
