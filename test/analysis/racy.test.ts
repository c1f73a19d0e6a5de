// A kernel operation in several scheduler steps: the deliberately broken scoped-racy (its unprotect
// count updated by a read, then a write) loses an update between two CPUs, which the search finds
// and the replay shows; the correct design passes the same search; the step in progress is state.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { compileScenario } from '../../src/scenario/index.js';
import { search } from '../../src/analysis/search.js';
import { Run } from '../../src/sim/runner.js';
import { pkmapCount } from '../../src/sim/expr.js';
import { StateVec } from '../../src/kernel/state.js';
import { registerRacyScoped } from '../../src/policy/scoped_racy.js';
import { designNames } from '../../src/policy/index.js';

const ir = compileScenario(readFileSync('test/fixtures/explore/two_kmap.pks', 'utf8'), 'two_kmap.pks');
let unregister = () => {};
beforeAll(() => {
  unregister = registerRacyScoped();
});
afterAll(() => unregister());

describe('races inside kmap()', () => {
  it('scoped-racy is never in the built-in registry', () => {
    unregister();
    expect(designNames()).not.toContain('scoped-racy');
    unregister = registerRacyScoped();
  });

  it('finds the lost update between two CPUs: after the replay, one count for two live kmap()s', () => {
    const r = search(ir, { policy: 'scoped-racy:relaxed', bfs: true });
    expect(r.complete).toBe(true);
    const v = r.violations.find((x) => x.invariant === 'counts-agree')!;
    expect(v).toBeDefined();
    const run = new Run(ir, { policy: 'scoped-racy:relaxed', schedule: v.schedule, events: false });
    run.advance(v.depth);
    expect([run.m.hooks.unprotectCount!(0), pkmapCount(run.m, 0)]).toEqual([1, 2]);
  });

  it('the correct design passes the same search, complete, no violation', () => {
    for (const policy of ['scoped:relaxed', 'scoped:strict']) {
      const r = search(ir, { policy });
      expect([r.complete, r.violations]).toEqual([true, []]);
    }
  });

  it('the step in progress is state: snapshot, restore and the canonical hash keep it', () => {
    const run = new Run(ir, { policy: 'scoped-racy:relaxed', schedule: [0, 0, 0, 0], events: false });
    const canon = (r: Run) => {
      const v = new StateVec();
      r.canonical(v);
      const h = new Uint32Array(2);
      v.hash64(h);
      return `${h[0]}:${h[1]}`;
    };
    run.advance(2); // switch in, kmap step 0 (mapped, count not read yet)
    const s = new StateVec();
    run.snapshot(s);
    const mid = canon(run);
    run.advance(1); // step 1: the count is read
    const afterRead = canon(run);
    expect(afterRead).not.toBe(mid);
    run.restore(s);
    expect(canon(run)).toBe(mid);
    run.advance(1);
    expect(canon(run)).toBe(afterRead);
  });
});
