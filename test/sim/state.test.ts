// Machine state as data: every library scenario under every design, snapshotted at every
// step; restoring any snapshot into another run and continuing gives byte-identical events
// and results; equal states hash equal, and states that differ in any field hash apart.

import { describe, expect, it } from 'vitest';
import { libraryNames, loadScenario } from '../../src/scenario/index.js';
import { Run, type RunOptions } from '../../src/sim/runner.js';
import { StateVec } from '../../src/kernel/state.js';
import type { ScenarioIR } from '../../src/scenario/ir.js';
import { ALL_POLICIES } from '../helpers.js';

/** Run to the end, keeping the state before every step. */
function runKeeping(ir: ScenarioIR, opts: RunOptions): { run: Run; states: StateVec[]; eventsAt: number[] } {
  const run = new Run(ir, opts);
  const states: StateVec[] = [];
  const eventsAt: number[] = [];
  const v = new StateVec();
  for (;;) {
    run.snapshot(v);
    states.push(v.copy());
    eventsAt.push(run.events.length);
    if (!run.step()) break;
  }
  return { run, states, eventsAt };
}

const key = (v: StateVec, out = new Uint32Array(2)): string => (v.hash64(out), `${out[0]}:${out[1]}`);

describe('snapshot and restore', () => {
  it.each(libraryNames())('%s: the continuation from any restored step is byte-identical, under every design', (name) => {
    const ir = loadScenario(name);
    for (const policy of ALL_POLICIES) {
      const opts = { policy, seed: 3 };
      const { run, states, eventsAt } = runKeeping(ir, opts);
      const full = run.finish();
      const whole = JSON.stringify(full);
      // One run restored again and again, from every step, in an order unlike the run's.
      const other = new Run(ir, opts);
      const order = states.map((_, i) => i).sort((a, b) => ((a * 7919) % states.length) - ((b * 7919) % states.length));
      for (const k of order) {
        other.restore(states[k]!);
        // Restoring and writing again gives the very same vector.
        const again = new StateVec();
        other.snapshot(again);
        expect(again.equals(states[k]!)).toBe(true);
        while (other.step());
        const r = other.finish();
        // The events from step k on are those of the uninterrupted run.
        expect(JSON.stringify(other.events.slice(other.events.length - (full.events.length - eventsAt[k]!)))).toBe(JSON.stringify(full.events.slice(eventsAt[k])));
        expect(JSON.stringify({ ...r, events: full.events })).toBe(whole);
      }
    }
  });
});

describe('reading a snapshot back', () => {
  const ir = loadScenario(libraryNames()[0]!);
  const snap = (): StateVec => {
    const v = new StateVec();
    new Run(ir, { policy: 'scoped' }).snapshot(v);
    return v;
  };

  it('restore reads every number written, no more and no fewer: a longer or shorter vector is refused', () => {
    const run = new Run(ir, { policy: 'scoped' });
    run.restore(snap());
    const longer = snap();
    longer.push(0);
    expect(() => run.restore(longer)).toThrow(/read \d+ of its \d+ numbers/);
    const shorter = snap();
    shorter.n--;
    expect(() => run.restore(shorter)).toThrow(/read \d+ of its \d+ numbers/);
  });

  it('recordChoices: false (the search): no schedule is kept, so a snapshot does not grow with the path', () => {
    const sizes = (recordChoices: boolean): number[] => {
      const run = new Run(loadScenario('shared_kmap_two_cpus'), { policy: 'scoped', seed: 3, recordChoices });
      const v = new StateVec();
      const out: number[] = [];
      do {
        run.snapshot(v);
        out.push(v.n);
      } while (run.step());
      expect(run.finish().schedule.length === 0).toBe(!recordChoices);
      return out;
    };
    const kept = sizes(true),
      none = sizes(false);
    expect(kept.length).toBe(none.length);
    // Two numbers (the choice, the options) per choice point with the log, none without.
    expect(kept[kept.length - 1]! - kept[0]!).toBeGreaterThan(none[none.length - 1]! - none[0]!);
  });
});

describe('hash64', () => {
  // Every state of every library run, under every design: thousands of states.
  const all: StateVec[] = [];
  for (const name of libraryNames()) for (const policy of ALL_POLICIES) for (const seed of [1, 2, 3]) all.push(...runKeeping(loadScenario(name), { policy, seed }).states);

  it('equal states hash equal; distinct states never collide (all pairs of the library states)', () => {
    const seen = new Map<string, StateVec>();
    let distinct = 0;
    for (const s of all) {
      const k = key(s);
      const prev = seen.get(k);
      if (prev)
        expect(prev.equals(s)).toBe(true); // same hash: same state
      else {
        seen.set(k, s);
        distinct++;
      }
    }
    expect(distinct).toBeGreaterThan(2000);
    // distinct * (distinct - 1) / 2 pairs compared through the map, none colliding.
    expect((distinct * (distinct - 1)) / 2).toBeGreaterThan(2_000_000);
  });

  it('a state that differs in any one field hashes apart from it', () => {
    const out = new Uint32Array(2);
    let checked = 0;
    for (let i = 0; i < all.length; i += 97) {
      const s = all[i]!;
      const base = key(s, out);
      const t = s.copy();
      for (let f = 0; f < t.n; f++) {
        const was = t.buf[f]!;
        t.buf[f] = was + 1;
        expect(key(t, out)).not.toBe(base);
        t.buf[f] = was;
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(10_000);
  });

  it('numbers that are not 32-bit integers are hashed whole: equal int32 parts, other values, other hashes', () => {
    const v = (xs: number[]) => {
      const s = new StateVec();
      for (const x of xs) s.push(x);
      return key(s);
    };
    // 5.5 truncates to 5, 2^32 + 5 wraps to 5, a linear-map id (2^50 + ...) to its low word.
    const variants = [5, 5.5, 2 ** 32 + 5, 2 ** 50 + 5, 2 ** 50 + 2 ** 32 + 5, -5, 2 ** 31 + 5];
    const keys = variants.map((x) => v([1, x, 2]));
    expect(new Set(keys).size).toBe(variants.length);
    // The same number at another position: another hash.
    expect(v([2 ** 50 + 5, 1, 2])).not.toBe(v([1, 2 ** 50 + 5, 2]));
    expect(v([1, 2 ** 50 + 5, 2])).toBe(v([1, 2 ** 50 + 5, 2]));
  });
});
