// Partial-order reduction: with and without it, the same invariants are violated on every
// library scenario under every design and on the seeded bugs, with fewer (or as many) states.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { compileScenario, libraryNames, loadScenario } from '../../src/scenario/index.js';
import { search } from '../../src/analysis/search.js';
import { defaultCompare } from '../../src/policy/index.js';
import { registerRacyScoped } from '../../src/policy/scoped_racy.js';
import type { ScenarioIR } from '../../src/scenario/ir.js';

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
