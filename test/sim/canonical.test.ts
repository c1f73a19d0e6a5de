// The canonical state (Run.canonical): what decides the future and nothing of the history.
// Each rule that leaves something out has a test that changes only that and sees the same
// vector, and one that changes what must stay and sees another.

import { describe, expect, it } from 'vitest';
import { compileScenario, libraryNames, loadScenario } from '../../src/scenario/index.js';
import { Run } from '../../src/sim/runner.js';
import { StateVec } from '../../src/kernel/state.js';
import { execOf } from '../../src/sim/exec.js';
import { ALL_POLICIES } from '../helpers.js';

const canon = (run: Run): string => {
  const v = new StateVec();
  run.canonical(v);
  return Array.from(v.buf.subarray(0, v.n)).join(',');
};

describe('canonical state', () => {
  it("leaves out the saved thread PKRS of a running or finished task (read only at switch-in), keeps a switched-out task's", () => {
    const ir = compileScenario(
      'cpus 1\nkey pmem = 1 default noaccess\npage pg key pmem\ntask t cpu 0 {\n p = kmap(pg)\n kunmap(pg)\n}\ntask u cpu 0 {\n nop()\n}\n',
      'tp.pks',
    );
    const run = new Run(ir, { policy: 'scoped:relaxed', events: false });
    const [t, u] = run.m.tasks.filter((x) => x.kind !== 'idle');
    while (run.m.cpus[0]!.curr !== t) run.step();
    expect(u!.state).toBe('runnable');
    const before = canon(run);
    t.threadPkrs ^= 0b1100;
    expect(canon(run)).toBe(before);
    u!.threadPkrs ^= 0b1100;
    expect(canon(run)).not.toBe(before);
    u!.threadPkrs ^= 0b1100;
    while (t.state !== 'done') run.step();
    const done = canon(run);
    t.threadPkrs ^= 0b1100;
    expect(canon(run)).toBe(done);
  });

  it("leaves out an idle task's context and runner state, which no step changes (every library scenario, every design, 3 seeds)", () => {
    // Its context (holdings, entry frame, accounting) and its runner state.
    const execOfIdle = (run: Run): string =>
      run.m.tasks
        .filter((t) => t.kind === 'idle')
        .map((t) => {
          const v = new StateVec();
          t.ctx.save(v, run.m.keysInUse, true);
          execOf(t.ctx).saveState(v, run.m.keysInUse);
          return Array.from(v.buf.subarray(0, v.n)).join(',');
        })
        .join('|');
    let steps = 0;
    for (const name of libraryNames())
      for (const policy of ALL_POLICIES)
        for (const seed of [1, 2, 3]) {
          const run = new Run(loadScenario(name), { policy, seed, events: false });
          const first = execOfIdle(run);
          while (run.step()) {
            expect(execOfIdle(run)).toBe(first);
            steps++;
          }
        }
    expect(steps).toBeGreaterThan(5000);
  });

  it("an idle task's context and runner state are in neither the canonical vector nor a snapshot; a user task's are", () => {
    const ir = compileScenario('cpus 1\nkey pmem = 1 default noaccess\npage pg key pmem\ntask t cpu 0 {\n p = kmap(pg)\n kunmap(pg)\n}\n', 'idle.pks');
    const run = new Run(ir, { policy: 'scoped:relaxed', events: false });
    const before = canon(run);
    const idle = run.m.tasks.find((t) => t.kind === 'idle')!;
    execOf(idle.ctx).work = 7;
    expect(canon(run)).toBe(before);
    const snap = (): string => {
      const v = new StateVec();
      run.snapshot(v);
      return Array.from(v.buf.subarray(0, v.n)).join(',');
    };
    const snapped = snap();
    execOf(idle.ctx).work = 8;
    idle.ctx.ranTicks += 5;
    idle.ctx.kmapped[1]! += 1;
    expect(snap()).toBe(snapped);
    expect(canon(run)).toBe(before);
    idle.ctx.kmapped[1]! -= 1;
    const t = run.m.tasks.find((x) => x.kind !== 'idle')!;
    execOf(t.ctx).work = 7;
    expect(canon(run)).not.toBe(before);
    expect(snap()).not.toBe(snapped);
  });
});
