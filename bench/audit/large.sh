#!/usr/bin/env bash
# Per-file time of `pksim audit` on big generated files (issue 14, item 5): is it linear?
#   bench/audit/large.sh [CLI_JS]     # CLI_JS: a built cli/main.js (default: build this checkout)
# Prints one line per file: kind, MB, kmap() sites found with --jobs 1 and 2, wall seconds, peak KB.
# "sparse": one kmap() site per ~2 KB of ordinary code, at 4, 8 and 16 MB;
# "dense": one site per ~70 bytes (the worst case), at 1, 2 and 4 MB.
# Not a test: minutes of CPU. --max-file-size (32 MiB) and --max-sites are raised past the defaults.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=${PKSIM_BENCH_DIR:-/var/tmp/pksim-bench-large}
mkdir -p "$work"
cli=${1:-}
if [ -z "$cli" ]; then
  rm -rf "$work/dist"
  (cd "$repo" && npx tsc -p tsconfig.build.json --outDir "$work/dist" >/dev/null 2>&1 || true)
  ln -sfn "$repo/node_modules" "$work/node_modules"
  cli="$work/dist/cli/main.js"
fi
gen() { # gen KIND MB FILE
  python3 - "$@" <<'PY'
import sys
kind, mb, out = sys.argv[1], float(sys.argv[2]), sys.argv[3]
parts = ['struct page;\nvoid *kmap(struct page *);\nvoid kunmap(struct page *);\nint g(int);\n']
size, i = len(parts[0]), 0
while size < mb * 2**20:
    if kind == 'dense':
        s = 'void f%d(struct page *p) { char *a = kmap(p); a[0] = 1; kunmap(p); }\n' % i
    else:
        filler = ''.join('\tx = g(x + %d);\n' % k for k in range(100))
        s = 'int h%d(int x)\n{\n%s\treturn x;\n}\nvoid f%d(struct page *p)\n{\n\tchar *a = kmap(p);\n\ta[0] = 1;\n\tkunmap(p);\n}\n' % (i, filler, i)
    parts.append(s); size += len(s); i += 1
open(out, 'w').write(''.join(parts))
PY
}
for spec in sparse:4 sparse:8 sparse:16 dense:1 dense:2 dense:4; do
  kind=${spec%%:*}; mb=${spec##*:}
  d="$work/$kind-$mb"; mkdir -p "$d"; [ -f "$d/big.c" ] || gen "$kind" "$mb" "$d/big.c"
  line="$kind ${mb}MB"
  for j in 1 2; do
    /usr/bin/time -o "$work/.t" -f "%e %M" node "$cli" audit "$d" --jobs "$j" --max-file-size 32 --max-sites 1000000 --format json > "$work/out.json" 2>/dev/null || true
    n=$(node -e "const r=JSON.parse(require('fs').readFileSync('$work/out.json','utf8'));console.log(r.sites.filter(s=>s.call==='kmap').length, (r.errors||[]).map(e=>e.error).join(';'))" 2>/dev/null || echo "no output")
    line="$line | jobs $j: sites $n, $(awk '{print $1 " s, " $2 " KB"}' "$work/.t")"
  done
  echo "$line"
done
