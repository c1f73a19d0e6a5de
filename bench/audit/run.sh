#!/usr/bin/env bash
# Benchmark `pksim audit` against Coccinelle on Debian's linux-source-6.1 tree.
#   bench/audit/run.sh            # prints one JSON document on stdout, progress on stderr
# Installs linux-source-6.1 and coccinelle when missing (apt-get, as root), unpacks the tree
# under /var/tmp/pksim-linux (override with PKSIM_LINUX_CACHE), never inside the repository.
# RUNS (default 3) repetitions of each pksim configuration; spatch runs SPATCH_RUNS (default 1).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
tree=$("$here/setup.sh" | tail -n1)
work=${PKSIM_BENCH_DIR:-/var/tmp/pksim-bench}
mkdir -p "$work"
RUNS=${RUNS:-3}
SPATCH_RUNS=${SPATCH_RUNS:-1}

# The CLI as shipped (compiled JS), built into the work directory so that neither dist/ nor
# node_modules (which may be shared with another checkout) is touched.
out="$work/dist"
rm -rf "$out"
(cd "$repo" && npx tsc -p tsconfig.build.json --outDir "$out" >/dev/null 2>&1 || true)
test -f "$out/cli/main.js" || { echo "build failed" >&2; exit 1; }
ln -sfn "$repo/node_modules" "$work/node_modules" # so that $out resolves web-tree-sitter

timed() { # timed NAME CMD... : appends "NAME wall user sys" to $work/times.txt
  local name=$1; shift
  /usr/bin/time -o "$work/.t" -f "%e %U %S" "$@"
  echo "$name $(cat "$work/.t")" >> "$work/times.txt"
}

: > "$work/times.txt"
uptime >&2
# The floor: grep listing the files that name kmap, timed in the same run, between pksim runs.
for r in $(seq "$RUNS"); do
  echo "grep -rlw kmap (run $r)" >&2
  (cd "$tree" && timed grep grep -rlw kmap --include='*.[ch]' . > "$work/grep-files.out" || true)
  for j in 1 2; do
    echo "pksim audit --jobs $j (run $r)" >&2
    timed "pksim-j$j" node "$out/cli/main.js" audit "$tree" --jobs "$j" --format json > "$work/pksim-j$j.json"
  done
  echo "pksim audit --jobs 2 --no-tree (run $r)" >&2
  timed "pksim-j2-notree" node "$out/cli/main.js" audit "$tree" --jobs 2 --no-tree --format json > "$work/pksim-j2-notree.json"
done
# --cache: one cold run fills it, then warm runs (nothing changed) with grep between them.
rm -rf "$work/cache"
echo "pksim audit --jobs 2 --cache (cold)" >&2
timed "pksim-cache-cold" node "$out/cli/main.js" audit "$tree" --jobs 2 --cache "$work/cache" --format json > "$work/pksim-cache.json"
for r in $(seq "$RUNS"); do
  echo "pksim audit --jobs 2 --cache (warm, run $r)" >&2
  timed "pksim-cache-warm" node "$out/cli/main.js" audit "$tree" --jobs 2 --cache "$work/cache" --format json > "$work/pksim-cache-warm.json"
  (cd "$tree" && timed grep-cache grep -rlw kmap --include='*.[ch]' . > /dev/null || true)
done
for r in $(seq "$SPATCH_RUNS"); do
  echo "spatch -j 2 (run $r)" >&2
  (cd "$tree" && timed spatch-j2 spatch --sp-file "$here/kmap.cocci" --dir . --include-headers -j 2 --very-quiet > "$work/spatch.out" 2> "$work/spatch.err")
done
# A plain text baseline: every line that mentions kmap( at all.
(cd "$tree" && grep -rnE --include='*.[ch]' '\bkmap[[:space:]]*\(' . > "$work/grep.out" || true)
cd "$repo" && npx tsx bench/audit/compare.ts "$work" "$tree"
