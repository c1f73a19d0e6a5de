// The search alone on the 4-CPU model, in a process of its own (`npm run bench` spawns it, so
// that call sites its other benchmarks made polymorphic do not slow the search down):
//   npx tsx bench/explore/speed.ts [--no-por] [--workers N]   one configuration, one JSON line
//   npx tsx bench/explore/speed.ts --all                       without and with reduction, and BFS
// (--workers is measured by npm run bench through the compiled CLI: under tsx each worker
// thread first loads tsx and compiles the sources, which a search this short cannot repay).
// Each time is the best of 3 searches (other jobs share the machine).

import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { compileScenario } from '../../src/scenario/index.js';
import { search, type SearchResult } from '../../src/analysis/search.js';
import { searchParallel } from '../../src/analysis/parallel.js';

const file = new URL('./four.pks', import.meta.url);
const ir = compileScenario(readFileSync(file, 'utf8'), 'bench/explore/four.pks');
const check = process.argv.includes('--no-checks') ? ['no-broken-legit'] : undefined;

async function measure(por: boolean, workers: number, bfs = false): Promise<object> {
  const once = () =>
    workers > 0 ? searchParallel(ir, { policy: 'scoped:relaxed', por, check, workers }) : Promise.resolve(search(ir, { policy: 'scoped:relaxed', por, check, bfs }));
  let r: SearchResult = await once();
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    r = await once();
    best = Math.min(best, performance.now() - t0);
  }
  return {
    mode: r.mode,
    workers,
    por,
    states: r.states,
    transitions: r.transitions,
    complete: r.complete,
    ms: Math.round(best),
    statesPerSec: Math.round(r.states / (best / 1000)),
    bytesPerState: +(r.visitedBytes / r.states).toFixed(1),
    invariantsChecked: r.checked.length,
  };
}

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
};
if (process.argv.includes('--all')) {
  const out = {
    noReduction: await measure(false, 0),
    reduction: await measure(true, 0),
    bfs: await measure(true, 0, true),
  };
  process.stdout.write(JSON.stringify(out) + '\n');
} else {
  process.stdout.write(JSON.stringify(await measure(!process.argv.includes('--no-por'), Number(arg('--workers') ?? 0))) + '\n');
}
