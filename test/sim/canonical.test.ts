// The canonical state (Run.canonical): what decides the future and nothing of the history.
// Each rule that leaves something out has a test that changes only that and sees the same
// vector, and one that changes what must stay and sees another.

import { describe, expect, it } from 'vitest';
import { compileScenario } from '../../src/scenario/index.js';
import { Run } from '../../src/sim/runner.js';
import { StateVec } from '../../src/kernel/state.js';

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
});
