// The search alone on the 4-CPU model: `npx tsx bench/explore/speed.ts [--no-por]`: states, time,
// states per second and bytes per stored state (best of 3 runs: other jobs share the machine).

import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { compileScenario } from '../../src/scenario/index.js';
import { search } from '../../src/analysis/search.js';

const file = new URL('./four.pks', import.meta.url);
const ir = compileScenario(readFileSync(file, 'utf8'), 'bench/explore/four.pks');
const por = !process.argv.includes('--no-por');
const check = process.argv.includes('--no-checks') ? ['no-broken-legit'] : undefined;
let best = Infinity;
let r = search(ir, { policy: 'scoped:relaxed', por, check });
for (let i = 0; i < 3; i++) {
  const t0 = performance.now();
  r = search(ir, { policy: 'scoped:relaxed', por, check });
  best = Math.min(best, performance.now() - t0);
}
process.stdout.write(
  JSON.stringify({
    states: r.states,
    transitions: r.transitions,
    complete: r.complete,
    por,
    ms: Math.round(best),
    statesPerSec: Math.round(r.states / (best / 1000)),
    bytesPerState: +(r.visitedBytes / r.states).toFixed(1),
  }) + '\n',
);
