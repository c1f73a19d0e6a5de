// Issue 14: pending interrupts were a per-CPU array scanned on every step and grown by every
// raise: an 89-byte scenario whose softirq raises itself twice ran 511 s and took 1.2 GB before
// the step limit. Now one pending bit per interrupt, as the kernel's softirq bitmap (and one bit
// per IRQ line): raised while pending, it stays pending once; raise and delivery are O(1).

import { describe, expect, it } from 'vitest';
import { compileScenario } from '../../src/scenario/index.js';
import { Run, runScenario } from '../../src/sim/runner.js';
import { StateVec } from '../../src/kernel/state.js';

const SELF_RAISE = 'softirq s cpu 0 { raise_softirq(s); raise_softirq(s) }\ntask t cpu 0 { raise_softirq(s) }\n';

const entries = (text: string, policy = 'scoped:relaxed') =>
  runScenario(compileScenario(text, 'p.pks'), { policy })
    .events.filter((e) => e.type === 'entry' && e.kind !== 'exception')
    .map((e) => (e as { name: string }).name);

describe('pending interrupts', () => {
  it('a softirq raising itself twice (89 bytes) ran 511 s to the step limit; now seconds', () => {
    expect(SELF_RAISE.length).toBe(89);
    const ir = compileScenario(SELF_RAISE, 'selfraise.pks');
    const t0 = performance.now();
    const r = runScenario(ir, { events: false, maxSteps: 1_000_000 });
    expect(r.stop).toBe('limit:steps');
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it('a softirq raised while pending is pending once', () => {
    const text = `task t cpu 0 {
  local_irq_disable()
  raise_softirq(s)
  raise_softirq(s)
  raise_softirq(s)
  local_irq_enable()
}
softirq s cpu 0 { nop() }
`;
    expect(entries(text)).toEqual(['s']);
  });

  it('a hardirq raised while pending is pending once (one bit per line); raised again after delivery, it runs again', () => {
    const text = `task t cpu 0 {
  local_irq_disable()
  raise_irq(h)
  raise_irq(h)
  local_irq_enable()
  raise_irq(h)
}
hardirq h cpu 0 { nop() }
`;
    expect(entries(text)).toEqual(['h', 'h']);
  });

  it('pending interrupts are delivered by priority (nmi, hardirq, softirq), and in raise order within a kind', () => {
    const text = `task t cpu 0 {
  local_irq_disable()
  raise_softirq(b)
  raise_softirq(a)
  raise_irq(h2)
  raise_irq(h1)
  raise_irq(n)
  raise_softirq(b)
  local_irq_enable()
}
softirq a cpu 0 { nop() }
softirq b cpu 0 { nop() }
hardirq h1 cpu 0 { nop() }
hardirq h2 cpu 0 { nop() }
nmi n cpu 0 { nop() }
`;
    // The NMI is delivered at once, irqs off or not; then the hardirqs, then the softirqs.
    expect(entries(text)).toEqual(['n', 'h2', 'h1', 'b', 'a']);
  });

  it('a snapshot with nothing pending leaves the queues out; restored over a run with interrupts queued, it empties them', () => {
    const text = `cpus 1
softirq a cpu 0 { nop() }
softirq b cpu 0 { nop() }
task t cpu 0 {
  local_irq_disable()
  raise_softirq(a)
  raise_softirq(b)
  local_irq_enable()
  nop()
}
`;
    const ir = compileScenario(text, 'queues.pks');
    const pending = (r: Run): number => (r['sched'] as unknown as { nPending: number }).nPending;
    const run = new Run(ir, { policy: 'scoped:relaxed' });
    const empty = new StateVec();
    run.snapshot(empty);
    expect(pending(run)).toBe(0);
    const busy = new StateVec();
    while (pending(run) < 2) run.step();
    run.snapshot(busy);
    // Fewer numbers with nothing pending: the queue links are not written.
    expect(empty.n).toBeLessThan(busy.n);
    const fresh = new Run(ir, { policy: 'scoped:relaxed' });
    while (fresh.step());
    const expected = JSON.stringify(fresh.finish());
    const other = new Run(ir, { policy: 'scoped:relaxed' });
    other.restore(busy);
    other.restore(empty);
    expect(pending(other)).toBe(0);
    while (other.step());
    expect(JSON.stringify(other.finish())).toBe(expected);
  });
});
