// Reads the outputs of bench/audit/run.sh and prints the comparison as JSON:
// times, file and site counts, classes, sites per function, and every site found by one
// tool and not the other (and every grep hit found by neither), each with an explanation.
// Usage: tsx bench/audit/compare.ts WORKDIR TREE

import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';

const [work, tree] = process.argv.slice(2) as [string, string];
const read = (f: string) => readFileSync(join(work, f), 'utf8');

interface PkSite {
  file: string;
  line: number;
  column: number;
  call: string;
  class: string;
  function: string | null;
  viaMacro?: string;
  inErrorRegion: boolean;
}
const pk = JSON.parse(read('pksim-j2.json')) as {
  sites: (PkSite & { reasons: string[]; atomic?: { needs: string[]; convertible: boolean; note: string } })[];
  summary: Record<string, unknown>;
};
const pkNoTree = JSON.parse(read('pksim-j2-notree.json')) as { summary: Record<string, unknown> };
const pk1 = JSON.parse(read('pksim-j1.json')) as { sites: PkSite[] };

const times: Record<string, { wall: number[]; cpu: number[] }> = {};
for (const l of read('times.txt').split('\n').filter(Boolean)) {
  const [name, wall, user, sys] = l.split(' ');
  const t = (times[name!] ??= { wall: [], cpu: [] });
  t.wall.push(Number(wall));
  t.cpu.push(Number(user) + Number(sys));
}
const stat = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { runs: xs, min: s[0], median: s[Math.floor(s.length / 2)] };
};

const key = (f: string, l: number, c: number) => `${f}:${l}:${c}`;
const ours = new Map(pk.sites.filter((s) => s.call === 'kmap').map((s) => [key(s.file, s.line, s.column), s]));
const spatch = new Map<string, string>();
for (const l of read('spatch.out').split('\n')) {
  const m = /^KMAP (?:\.\/)?(.+?):(\d+):(\d+):(.*)$/.exec(l);
  if (m) spatch.set(key(m[1]!, Number(m[2]), Number(m[3])), m[4]!);
}

const lines = new Map<string, string[]>();
const src = (file: string, line: number): string => {
  let ls = lines.get(file);
  if (!ls) lines.set(file, (ls = readFileSync(join(tree, file), 'utf8').split('\n')));
  return ls[line - 1] ?? '';
};
const inMacro = (file: string, line: number): boolean => {
  for (let l = line; l > 0 && l > line - 40; l--) {
    const t = src(file, l);
    if (/^\s*#\s*define\b/.test(t)) return true;
    if (l < line && !/\\\s*$/.test(t)) return false;
  }
  return false;
};

const explainOurs = (s: PkSite): string => {
  if (s.viaMacro && s.function) return `found at a use of wrapper macro ${s.viaMacro}(); spatch matches the macro's definition instead, not its expansions`;
  if (s.viaMacro) return `inside the body of macro ${s.viaMacro}(), reported by pksim as a macro site`;
  if (s.inErrorRegion) return 'in a function that does not parse cleanly; spatch skips the function (parse error) while tree-sitter keeps the call';
  return 'spatch did not report it (file or function skipped by spatch)';
};
const explainSpatch = (k: string): string => {
  const [file, line] = k.split(':');
  if (inMacro(file!, Number(line))) return 'inside a #define body: pksim reports wrapper macros at their uses and other macro bodies as macro sites';
  return 'pksim did not report it';
};

// Same site, different idea of the enclosing function.
const functionNames = [...ours].filter(([k, s]) => spatch.has(k) && spatch.get(k) !== s.function).map(([k, s]) => ({ site: k, pksim: s.function, spatch: spatch.get(k) }));
const onlyPksim = [...ours].filter(([k]) => !spatch.has(k)).map(([k, s]) => ({ site: k, function: s.function, class: s.class, why: explainOurs(s) }));
const onlySpatch = [...spatch].filter(([k]) => !ours.has(k)).map(([k, fn]) => ({ site: k, function: fn, why: explainSpatch(k) }));

// grep hits that are not call sites of either tool.
const grepOnly: { line: string; why: string }[] = [];
for (const l of read('grep.out').split('\n').filter(Boolean)) {
  const m = /^(?:\.\/)?(.+?):(\d+):(.*)$/.exec(l);
  if (!m) continue;
  const [, file, ln, text] = m;
  const hit = [...ours.keys(), ...spatch.keys()].some((k) => k.startsWith(`${file}:${ln}:`));
  if (hit) continue;
  const t = text!.trim();
  let why = 'not a call of kmap()';
  if (/^(\*|\/\*|\/\/)/.test(t) || /\/\*.*\bkmap\s*\(.*\*\//.test(t) || /\/\/.*\bkmap\s*\(/.test(t)) why = 'comment';
  else if (/"[^"]*\bkmap\s*\([^"]*"/.test(t)) why = 'string literal';
  else if (/^\s*#\s*define\s+kmap\b/.test(t)) why = 'definition of kmap itself (macro)';
  else if (/^(static\s+)?(inline\s+)?(extern\s+)?void\s*\*\s*kmap\s*\(/.test(t) || /\bkmap\s*\(\s*struct\s+page\s*\*/.test(t)) why = 'declaration or definition of kmap()';
  else if (inMacro(file!, Number(ln))) why = 'inside a #define body';
  else if (!/\bkmap\s*\(/.test(t.replace(/\b\w+kmap\s*\(/g, ''))) why = 'another identifier ending in kmap';
  grepOnly.push({ line: `${file}:${ln}: ${t.slice(0, 120)}`, why });
}
const byWhy = (xs: { why: string }[]) => xs.reduce<Record<string, number>>((a, x) => ((a[x.why] = (a[x.why] ?? 0) + 1), a), {});

const perFn = (fns: string[]) => {
  const m = new Map<string, number>();
  for (const f of fns) m.set(f, (m.get(f) ?? 0) + 1);
  const h: Record<string, number> = {};
  for (const n of m.values()) h[String(n)] = (h[String(n)] ?? 0) + 1;
  return h;
};
const spatchErr = read('spatch.err');

// Agreement with the hand-labelled sample (test/fixtures/audit/sample-linux-6.1.tsv).
const sample = readFileSync(new URL('../../test/fixtures/audit/sample-linux-6.1.tsv', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l && !l.startsWith('#'))
  .map((l) => l.split('\t'));
const bySite = new Map(pk.sites.filter((s) => s.call === 'kmap').map((s) => [`${s.file}:${s.line}`, s]));
const disagreements = sample
  .filter((r) => bySite.get(`${r[0]}:${r[1]}`)?.class !== r[3])
  .map((r) => ({ site: `${r[0]}:${r[1]}`, label: r[3], audit: bySite.get(`${r[0]}:${r[1]}`)?.class ?? 'missing', why: r[5] ?? 'not explained' }));
// kmap_atomic(): what a conversion needs, and why the others are not mechanical.
const atomic = pk.sites.filter((s) => s.atomic);
const notMechanical = byWhy(
  atomic.filter((s) => !s.atomic!.convertible).map((s) => ({ why: s.atomic!.note.replace(/line \d+/g, 'line N').replace(/macro \w+\(\)/, 'macro M()') })),
);
const unclear = pk.sites
  .filter((s) => s.call === 'kmap' && s.class === 'unclear')
  .map((s) => ({ site: `${s.file}:${s.line}`, function: s.function, why: s.reasons.join('; ').slice(0, 300) }));
const grepMin = stat(times['grep']?.wall ?? []).min ?? NaN;

const out = {
  tree,
  machine: { cpus: cpus().length, loadavgAtEnd: loadavg().map((x) => Math.round(x * 100) / 100) },
  pksim: {
    jobs1: stat(times['pksim-j1']?.wall ?? []),
    jobs2: stat(times['pksim-j2']?.wall ?? []),
    cpuSeconds: { jobs1: stat(times['pksim-j1']?.cpu ?? []), jobs2: stat(times['pksim-j2']?.cpu ?? []) },
    sameResultWithJobs1And2: JSON.stringify(pk1.sites) === JSON.stringify(pk.sites),
    filesScanned: pk.summary.filesScanned,
    filesParsed: pk.summary.filesParsed,
    filesWithParseErrors: pk.summary.filesWithErrors,
    calls: pk.summary.calls,
    kmapSites: ours.size,
    classes: pk.summary.classes,
    fixable: pk.summary.fixable,
    findings: pk.summary.findings,
    sitesPerFunction: pk.summary.sitesPerFunction,
  },
  spatch: {
    command: 'spatch --sp-file bench/audit/kmap.cocci --dir TREE --include-headers -j 2 --very-quiet',
    jobs2: stat(times['spatch-j2']?.wall ?? []),
    cpuSeconds: stat(times['spatch-j2']?.cpu ?? []),
    filesMatched: Number(/(\d+) files match/.exec(spatchErr)?.[1] ?? NaN),
    kmapSites: spatch.size,
    // Per file and function, as pksim counts (two static dir_get_page() in two files are two functions).
    sitesPerFunction: perFn([...spatch].map(([k, fn]) => k.split(':')[0] + ':' + fn)),
  },
  grep: { command: "grep -rlw kmap --include='*.[ch]' TREE", wall: stat(times['grep']?.wall ?? []), cpuSeconds: stat(times['grep']?.cpu ?? []) },
  timesGrep: {
    pksimJobs2: Math.round(((stat(times['pksim-j2']?.wall ?? []).min ?? NaN) / grepMin) * 10) / 10,
    pksimJobs2NoTree: Math.round(((stat(times['pksim-j2-notree']?.wall ?? []).min ?? NaN) / grepMin) * 10) / 10,
    pksimJobs1: Math.round(((stat(times['pksim-j1']?.wall ?? []).min ?? NaN) / grepMin) * 10) / 10,
  },
  cache: {
    cold: stat(times['pksim-cache-cold']?.wall ?? []),
    warm: stat(times['pksim-cache-warm']?.wall ?? []),
    warmCpuSeconds: stat(times['pksim-cache-warm']?.cpu ?? []),
    grepSameRounds: stat(times['grep-cache']?.wall ?? []),
    warmTimesGrep: Math.round(((stat(times['pksim-cache-warm']?.wall ?? []).min ?? NaN) / (stat(times['grep-cache']?.wall ?? []).min ?? NaN)) * 10) / 10,
    sameResultAsWithoutCache: read('pksim-cache-warm.json') === read('pksim-j2.json'),
  },
  noTree: { wall: stat(times['pksim-j2-notree']?.wall ?? []), classes: pkNoTree.summary.classes },
  unclear,
  kmapAtomic: { ...(pk.summary.atomic as object), notMechanicalByReason: notMechanical },
  sample: { sites: sample.length, agree: sample.length - disagreements.length, disagreements },
  speedup: {
    pksimJobs2VsSpatch: Math.round(((stat(times['spatch-j2']?.wall ?? [])?.min ?? NaN) / (stat(times['pksim-j2']?.wall ?? [])?.min ?? NaN)) * 10) / 10,
  },
  onlyPksim,
  onlySpatch,
  sameSiteDifferentFunctionName: functionNames,
  grepHitsNotSites: { count: grepOnly.length, byReason: byWhy(grepOnly), lines: grepOnly },
};
process.stdout.write(JSON.stringify(out, null, 2) + '\n');
