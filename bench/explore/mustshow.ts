// `npm run explore:mustshow`: the runs issue 10 asks to see, as Markdown, with their times (wall
// clock, best of one: the machine is shared, see the load average printed at the end).
//   - the 4-CPU model: states, complete, time, with and without partial-order reduction;
//   - the seeded handoff bug for G = 2, 3, 4, 20, 40 (bench/explore/handoff-g*.pks, written by
//     gen-handoff.ts): found each time; the fixed variant: complete, no violation;
//   - the broken refcount (scoped-racy, test-only): the lost update found; scoped: complete;
//   - the same result with 1 and 2 worker threads.

import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { compileScenario } from '../../src/scenario/index.js';
import { search } from '../../src/analysis/search.js';
import type { SearchOptions, SearchResult } from '../../src/analysis/search-result.js';
import { searchParallel } from '../../src/analysis/parallel.js';
import { registerRacyScoped } from '../../src/policy/scoped_racy.js';
import { GAPS } from './gen-handoff.js';

registerRacyScoped();
const load = (file: string) => compileScenario(readFileSync(file, 'utf8'), file);
const time = (s: number) => (s < 1000 ? `${Math.round(s)} ms` : `${(s / 1000).toFixed(2)} s`);
const verdict = (r: SearchResult) =>
  r.violations.length === 0 ? (r.complete ? 'complete, no violation' : `INCOMPLETE (${r.limit})`) : r.violations.map((v) => `${v.invariant} (depth ${v.depth})`).join(', ');
const row = (cells: string[]) => `| ${cells.join(' | ')} |`;
const go = (file: string, opts: SearchOptions) => {
  const t0 = performance.now();
  const r = search(load(file), opts);
  return { r, ms: performance.now() - t0 };
};
const out: string[] = [];

out.push('4-CPU model (`bench/explore/four.pks`, scoped:relaxed):', '', row(['search', 'states', 'transitions', 'result', 'time']), row(['---', '---', '---', '---', '---']));
for (const [label, opts] of [
  ['DFS, no reduction', { por: false }],
  ['DFS, partial-order reduction (default)', {}],
  ['BFS, partial-order reduction', { bfs: true }],
] as const) {
  const { r, ms } = go('bench/explore/four.pks', { policy: 'scoped:relaxed', ...opts });
  out.push(row([label, String(r.states), String(r.transitions), verdict(r), time(ms)]));
}

out.push(
  '',
  'The seeded handoff bug (BFS: the shortest path):',
  '',
  row(['scenario', 'policy', 'states', 'states, no reduction', 'result', 'time']),
  row(['---', '---', '---', '---', '---', '---']),
);
for (const g of [...GAPS.map((x) => `g${x}`), 'fixed']) {
  for (const policy of ['none', 'scoped:relaxed']) {
    const file = `bench/explore/handoff-${g}.pks`;
    const { r, ms } = go(file, { policy, bfs: true });
    const off = go(file, { policy, bfs: true, por: false }).r;
    out.push(row([`handoff-${g}`, policy, String(r.states), String(off.states), verdict(r), time(ms)]));
  }
}

out.push(
  '',
  'The broken refcount (`scoped-racy`: the unprotect count read in one step, written in the next):',
  '',
  row(['scenario', 'policy', 'states', 'result', 'time']),
  row(['---', '---', '---', '---', '---']),
);
for (const file of ['test/fixtures/explore/two_kmap.pks', 'bench/explore/three.pks']) {
  for (const policy of ['scoped-racy:relaxed', 'scoped:relaxed']) {
    const { r, ms } = go(file, { policy, bfs: true });
    out.push(row([file, policy, String(r.states), verdict(r), time(ms)]));
  }
}

out.push(
  '',
  'Worker threads (BFS; the result must be the same for every N):',
  '',
  row(['scenario', 'reduction', 'workers', 'states', 'transitions', 'result', 'time']),
  row(['---', '---', '---', '---', '---', '---', '---']),
);
// The last model is big enough for the threads to pay for their start (about 0.1 s each under tsx).
for (const [file, por] of [
  ['bench/explore/handoff-g40.pks', true],
  ['bench/explore/three.pks', true],
  ['bench/explore/four.pks', false],
] as const) {
  for (const workers of [0, 1, 2]) {
    const ir = load(file);
    const t0 = performance.now();
    const r = workers === 0 ? search(ir, { policy: 'scoped:relaxed', bfs: true, por }) : await searchParallel(ir, { policy: 'scoped:relaxed', workers, por });
    out.push(
      row([file, por ? 'on' : 'off', workers === 0 ? 'none (in-thread)' : String(workers), String(r.states), String(r.transitions), verdict(r), time(performance.now() - t0)]),
    );
  }
}
out.push(
  '',
  `Load average at the end: ${loadavg()
    .map((x) => x.toFixed(1))
    .join(', ')} (2 cores).`,
);
process.stdout.write(out.join('\n') + '\n');
