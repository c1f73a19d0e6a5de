// Fuzz throughput for `npm run bench`: runs per second and injected strays per second on one
// core (this thread), over the library's scenarios (the average scenario: total runs over total
// time), with injection and metrics on and event recording off; next to the plain event-free
// runner on the same scenarios in the same process (its reference figure), since both move
// with the machine's load.

import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { libraryNames, loadScenario } from '../src/scenario/index.js';
import { runScenario } from '../src/sim/runner.js';
import { emptyStats } from '../src/analysis/fuzz/acc.js';
import { fuzzRuns, horizonOf, type FuzzOptions } from '../src/analysis/fuzz/engine.js';

export function fuzzBench(runsPerScenario = 3000, policy = 'scoped:relaxed'): object {
  const irs = libraryNames().map((n) => loadScenario(n));
  const o: FuzzOptions = { seed: 1, runs: runsPerScenario, warn: 'once', resetPoints: [], maxSteps: 100_000, examples: 0, kinds: [0, 1, 2] };
  const horizons = irs.map((ir) => horizonOf(ir, o));
  let best = Infinity;
  let runs = 0;
  let injected = 0;
  let ticks = 0;
  for (let round = 0; round < 4; round++) {
    const t0 = performance.now();
    let r = 0;
    let f = 0;
    let tk = 0;
    for (let i = 0; i < irs.length; i++) {
      const st = fuzzRuns(irs[i]!, policy, horizons[i]!, o, round * runsPerScenario, (round + 1) * runsPerScenario, emptyStats());
      r += st.runs;
      f += st.fired;
      tk += st.ticks;
    }
    const ms = performance.now() - t0;
    if (round > 0 && ms < best) [best, runs, injected, ticks] = [ms, r, f, tk]; // round 0 warms up
  }
  // The plain runner: a new run per seed, events off, no injection, no statistics.
  let plainBest = Infinity;
  let plainRuns = 0;
  for (let round = 0; round < 3; round++) {
    const t0 = performance.now();
    let n = 0;
    for (let s = 0; s < runsPerScenario / 3; s++)
      for (const ir of irs) {
        runScenario(ir, { policy, events: false, seed: s });
        n++;
      }
    const ms = performance.now() - t0;
    if (round > 0 && ms < plainBest) [plainBest, plainRuns] = [ms, n];
  }
  const fuzzRunsPerSec = Math.round(runs / (best / 1000));
  return {
    policy,
    scenarios: irs.length,
    runs,
    ticksPerRun: +(ticks / runs).toFixed(1),
    runsPerSec: fuzzRunsPerSec,
    injectedStraysPerSec: Math.round(injected / (best / 1000)),
    injectedFraction: +(injected / runs).toFixed(3),
    plainRunnerRunsPerSec: Math.round(plainRuns / (plainBest / 1000)),
    goal: '>= 50,000 runs/s per core with injection and metrics on',
    loadAverage: loadavg().map((x) => +x.toFixed(2)),
    boundBy:
      'the runner per step (scheduler choice, statement, oracle, per-tick exposure and window sampling) and one snapshot restore per run; the fuzz loop allocates nothing per step (the kernel makes a context object per interrupt or #PF entry)',
  };
}
