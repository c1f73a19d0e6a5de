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
import { search } from '../../src/analysis/search.js';
import type { SearchResult } from '../../src/analysis/search-result.js';
import { searchParallel } from '../../src/analysis/parallel.js';
import { StateVec } from '../../src/kernel/state.js';
import type { Run } from '../../src/sim/runner.js';

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
/**
 * Where a transition's time goes in the search without reduction: each of Run.restore,
 * canonical, step and snapshot and StateVec.hash64 timed around every call (the cost of the
 * timing itself, measured around an empty call, taken off), in microseconds per call and per
 * transition. What bounds the states per second, from the search itself.
 */
function split(): object {
  const spent: Record<string, { ms: number; calls: number }> = {};
  const timed = <F extends (...a: never[]) => unknown>(name: string, f: F): F =>
    function (this: unknown, ...a: Parameters<F>) {
      const t0 = performance.now();
      const r = f.apply(this, a);
      const e = (spent[name] ??= { ms: 0, calls: 0 });
      e.ms += performance.now() - t0;
      e.calls++;
      return r;
    } as F;
  // The timing's own cost per call.
  const empty = timed('empty', () => 0);
  for (let i = 0; i < 200_000; i++) empty();
  // eslint-disable-next-line @typescript-eslint/unbound-method -- put back on the prototype below and called through timed(), with its this
  const hash = StateVec.prototype.hash64;
  let r: SearchResult | null = null;
  for (let round = 0; round < 3; round++) {
    for (const k of Object.keys(spent)) if (k !== 'empty') delete spent[k];
    StateVec.prototype.hash64 = timed('hash64', hash);
    try {
      r = search(ir, {
        policy: 'scoped:relaxed',
        por: false,
        check,
        onRun: (run: Run) => {
          const m = run as unknown as Record<string, (...a: unknown[]) => unknown>;
          for (const name of ['restore', 'canonical', 'step', 'snapshot']) m[name] = timed(name, m[name]!.bind(run));
        },
      });
    } finally {
      StateVec.prototype.hash64 = hash;
    }
  }
  const over = spent.empty!.ms / spent.empty!.calls;
  const out: Record<string, { calls: number; usPerCall: number; usPerTransition: number }> = {};
  for (const [k, e] of Object.entries(spent)) {
    if (k === 'empty') continue;
    const ms = Math.max(0, e.ms - over * e.calls);
    out[k] = { calls: e.calls, usPerCall: +((ms * 1000) / e.calls).toFixed(3), usPerTransition: +((ms * 1000) / r!.transitions).toFixed(3) };
  }
  return { transitions: r!.transitions, timingOverheadUsPerCall: +(over * 1000).toFixed(3), ...out };
}

if (process.argv.includes('--all')) {
  const out = {
    noReduction: await measure(false, 0),
    reduction: await measure(true, 0),
    bfs: await measure(true, 0, true),
    split: split(),
  };
  process.stdout.write(JSON.stringify(out) + '\n');
} else {
  process.stdout.write(JSON.stringify(await measure(!process.argv.includes('--no-por'), Number(arg('--workers') ?? 0))) + '\n');
}
