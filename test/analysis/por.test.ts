// Partial-order reduction: with and without it, the same invariants are violated on every
// library scenario under every design and on the seeded bugs, with fewer (or as many) states.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { compileScenario, libraryNames, loadScenario, ScenarioError } from '../../src/scenario/index.js';
import { search } from '../../src/analysis/search.js';
import { defaultCompare } from '../../src/policy/index.js';
import { registerRacyScoped } from '../../src/policy/scoped_racy.js';
import type { ScenarioIR } from '../../src/scenario/ir.js';
import { Run } from '../../src/sim/runner.js';
import { execOf } from '../../src/sim/exec.js';
import { actArg } from '../../src/sim/sched.js';
import { POR_OWN_CPU, ampleChoice, reducibleCpus } from '../../src/analysis/por.js';

const bench = (name: string): ScenarioIR => compileScenario(readFileSync(`bench/explore/${name}.pks`, 'utf8'), `${name}.pks`);
const verdicts = (ir: ScenarioIR, policy: string, bfs: boolean) => {
  const on = search(ir, { policy, bfs });
  const off = search(ir, { policy, bfs, por: false });
  expect([on.complete, off.complete]).toEqual([true, true]);
  return {
    on,
    off,
    same:
      on.violations
        .map((v) => v.invariant)
        .sort()
        .join() ===
      off.violations
        .map((v) => v.invariant)
        .sort()
        .join(),
  };
};

let unregister = () => {};
beforeAll(() => {
  unregister = registerRacyScoped();
});
afterAll(() => unregister());

describe('partial-order reduction', () => {
  it.each(libraryNames())('%s: the same violations under every design, never more states', (name) => {
    const ir = loadScenario(name);
    for (const policy of defaultCompare()) {
      const { on, off, same } = verdicts(ir, policy, false);
      expect(same, `${name} under ${policy}`).toBe(true);
      expect(on.states).toBeLessThanOrEqual(off.states);
    }
  });

  it.each(['g2', 'g3', 'g4', 'g20', 'g40', 'fixed'])('the seeded handoff %s: the same verdict with fewer states (DFS and BFS)', (g) => {
    const ir = bench(`handoff-${g}`);
    for (const bfs of [false, true]) {
      const { on, off, same } = verdicts(ir, 'none', bfs);
      expect(same).toBe(true);
      if (g !== 'fixed') {
        expect(on.violations.map((v) => v.invariant)).toContain('no-missed-stray');
        expect(on.states).toBeLessThan(off.states);
        expect(on.reduced).toBeGreaterThan(0);
      } else expect(on.violations).toEqual([]);
    }
  });

  it('the broken refcount: the same lost update found with and without it', () => {
    const ir = compileScenario(readFileSync('test/fixtures/explore/two_kmap.pks', 'utf8'), 'two_kmap.pks');
    const { on, same } = verdicts(ir, 'scoped-racy:relaxed', true);
    expect(same).toBe(true);
    expect(on.violations.map((v) => v.invariant)).toContain('counts-agree');
  });
});

describe('partial-order reduction on random scenarios', () => {
  // Three tasks on their own CPUs (and sometimes a softirq on cpu 2) that kmap()/kunmap() one
  // page, write through their pointers, in loops, with grants and strays: the steps the
  // reduction takes alone (the switch from idle, loop ends, accesses through one's own kmap())
  // next to the ones it must interleave. `expectations` is left out: it checks the counters of
  // the first path to an end state, which any reduction changes.
  const STMTS = ['p = kmap(pg)', 'kunmap(pg)', 'write(p, 0)', 'read(p, 8)', 'l = kmap_local_page(pg)\n  write(l, 0)\n  kunmap_local(l)'];
  const MORE = ['grant_access(pmem, WRITE)', 'revoke_access(pmem)', 'stray_write(pg, 4)', 'nop()', 'schedule()', 'complete(d)', 'raise_softirq(s)'];
  const stmt = fc.oneof(fc.constantFrom(...STMTS), fc.constantFrom(...MORE));
  const body = fc.tuple(fc.array(stmt, { minLength: 1, maxLength: 3 }), fc.integer({ min: 0, max: 1 }));
  // Each task maps the page first (so that `p` is assigned); the rest may unbalance it.
  const render = ([xs, loop]: [string[], number]) =>
    `  p = kmap(pg)\n` + (loop > 0 ? `  repeat ${loop + 1} {\n${xs.map((x) => `    ${x}`).join('\n')}\n  }` : xs.map((x) => `  ${x}`).join('\n'));
  const CHECKS = [
    'no-broken-legit',
    'no-missed-stray',
    'no-panic',
    'no-leak',
    'pkrs-restored',
    'pkrs-own-cpu',
    'counts-agree',
    'local-survives-preemption',
    'no-stale-unprotect',
    'no-deadlock',
  ];

  it.each(['none', 'global', 'abandon', 'exception', 'scoped:strict', 'scoped:relaxed', 'scoped:silent'])(
    '%s: the same violations with and without it (DFS and BFS), never more states',
    (policy) => {
      let reducedSome = 0;
      fc.assert(
        fc.property(body, body, body, fc.boolean(), (a, b, c, irq) => {
          const src = `cpus 3\nkey pmem = 1 default noaccess\npage pg key pmem\ncompletion d
task t0 cpu 0 {\n${render(a)}\n}\ntask t1 cpu 1 {\n${render(b)}\n}\ntask t2 cpu 2 {\n${render(c)}\n}
${irq ? 'softirq s cpu 2 {\n  q = kmap(pg)\n  write(q, 0)\n  kunmap(pg)\n}\n' : 'softirq s cpu 2 {\n  nop()\n}\n'}`;
          let ir;
          try {
            ir = compileScenario(src, 'rand.pks');
          } catch (e) {
            if (e instanceof ScenarioError) return;
            throw e;
          }
          const on = search(ir, { policy, check: CHECKS, maxStates: 5_000 });
          const bfs = search(ir, { policy, check: CHECKS, maxStates: 5_000, bfs: true });
          const off = search(ir, { policy, check: CHECKS, por: false, maxStates: 5_000 });
          if (!on.complete || !off.complete || !bfs.complete) return;
          const names = (r: typeof on) => r.violations.map((v) => v.invariant).sort();
          expect(names(on), src).toEqual(names(off));
          expect(names(bfs), src).toEqual(names(off));
          expect(on.states).toBeLessThanOrEqual(off.states);
          expect(bfs.states).toBeLessThanOrEqual(off.states);
          if (on.states < off.states) reducedSome++;
        }),
        { numRuns: 30, seed: 10 },
      );
      expect(reducedSome).toBeGreaterThan(5);
    },
  );
});

describe('which steps are taken alone (ampleChoice)', () => {
  const ROUNDS = '  repeat 3 {\n    p = kmap(pg)\n    write(p, 0)\n    kunmap(pg)\n  }';
  const two = compileScenario(`cpus 2\nkey pmem = 1 default noaccess\npage pg key pmem\ntask t0 cpu 0 {\n${ROUNDS}\n}\ntask t1 cpu 1 {\n${ROUNDS}\n}\n`, 'two.pks');
  /** A run of `ir` under `policy` stepped (cpu 0 first) until `at` holds; then the local choice offered, as the CPU it runs on (-1: none). */
  const localCpu = (ir: ScenarioIR, policy: string, at: (run: Run) => boolean): number => {
    const run = new Run(ir, { policy, events: false });
    for (let i = 0; i < 200 && !at(run); i++) {
      run.offered();
      run.force(0);
      run.step();
    }
    expect(at(run)).toBe(true);
    const n = run.offered();
    const c = ampleChoice(run, n, reducibleCpus(ir, policy));
    return c < 0 ? -1 : actArg(run.actionAt(c));
  };
  const t0 = (run: Run) => run.m.tasks.find((t) => t.name === 't0')!;
  const pcOf = (run: Run) => execOf(t0(run).ctx);

  it('the switch from the idle task, under the designs that promise pkrs-own-cpu only (abandon: the switch picks up abandoned keys)', () => {
    expect(localCpu(two, 'scoped:relaxed', () => true)).toBe(0);
    expect(localCpu(two, 'global', () => true)).toBe(0);
    expect(localCpu(two, 'abandon', () => true)).toBe(-1);
    expect(reducibleCpus(two, 'abandon')[0]! & POR_OWN_CPU).toBe(0);
    expect(reducibleCpus(two, 'scoped:relaxed')[0]! & POR_OWN_CPU).toBe(POR_OWN_CPU);
  });

  it('a loop end that jumps back, even as the last statement; not the last one (it returns to user space)', () => {
    expect(localCpu(two, 'none', (r) => pcOf(r).pc === 4 && pcOf(r).loops[0] === 3)).toBe(0);
    expect(localCpu(two, 'none', (r) => pcOf(r).pc === 4 && pcOf(r).loops[0] === 1)).not.toBe(0);
  });

  it("a write through one's own kmap() when the CPU's own PKRS allows it: scoped (kmap() opens the key), not exception (it faults) nor global (open through the MSR only)", () => {
    const atWrite = (r: Run) => pcOf(r).pc === 2;
    expect(localCpu(two, 'scoped:relaxed', atWrite)).toBe(0);
    expect(localCpu(two, 'exception', atWrite)).not.toBe(0);
    expect(localCpu(two, 'global', atWrite)).not.toBe(0);
  });

  it('BFS cycle proviso: an ample successor stored one level deeper closes no cycle, so BFS reduces as much as DFS here', () => {
    const three = compileScenario(
      `cpus 3\nkey pmem = 1 default noaccess\npage pg key pmem\n` + [0, 1, 2].map((i) => `task t${i} cpu ${i} {\n${ROUNDS}\n}\n`).join(''),
      'three.pks',
    );
    const dfs = search(three, { policy: 'scoped:relaxed' });
    const bfs = search(three, { policy: 'scoped:relaxed', bfs: true });
    expect(bfs.states).toBe(dfs.states);
    expect(bfs.states).toBeLessThan(search(three, { policy: 'scoped:relaxed', por: false }).states / 2);
  });

  it('a write through its own kmap() is not taken alone where another context may kunmap() that kmap(): the missed stray is found', () => {
    // t2 kunmap()s a record it did not make once t0 and t1 have mapped pg: t1's write may come after.
    const ir = compileScenario(readFileSync('test/fixtures/explore/foreign_kunmap.pks', 'utf8'), 'foreign_kunmap.pks');
    for (const policy of ['none', 'scoped:relaxed'])
      for (const bfs of [false, true]) {
        const { on, same } = verdicts(ir, policy, bfs);
        expect(same).toBe(true);
        expect(on.violations.map((v) => v.invariant)).toContain('no-missed-stray');
      }
  });
});
