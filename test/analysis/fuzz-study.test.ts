// The reset-point and WARN_ONCE studies.

import { describe, expect, it } from 'vitest';
import { compileScenario, loadScenario } from '../../src/scenario/index.js';
import { runScenario } from '../../src/sim/runner.js';
import { resetPointStudy, warningStudy } from '../../src/analysis/fuzz/study.js';
import { main } from '../../src/cli/main.js';
import { captureIO } from '../../src/cli/io.js';

// A syscall pardoned at a handed-over kmap() address, back to user space, then a second
// syscall of the same task that makes a stray write to another page of the key.
const TWO_SYSCALLS = compileScenario(
  `cpus 2
key pmem = 1 default noaccess
page buf key pmem
page meta key pmem
channel c
completion done
task owner cpu 0 {
  p = kmap(buf)
  send(c, p)
  wait_for_completion(done)
  kunmap(buf)
  return_to_user()
}
task user cpu 1 {
  q = recv(c)
  write(q, 0)
  complete(done)
  return_to_user()
  stray_write(meta, 0)
  return_to_user()
}
`,
  'two.pks',
);

describe('reset points', () => {
  it('reset-at irq-exit-only: a pardon survives the return to user space', () => {
    const dflt = runScenario(TWO_SYSCALLS, { policy: 'scoped:relaxed' });
    expect(dflt.summary.legitWarned).toBe(1);
    expect(dflt.summary.straysCaught).toBe(1);
    const irqOnly = runScenario(TWO_SYSCALLS, { policy: 'scoped:relaxed', resetPoints: ['irq-exit-only'] });
    expect(irqOnly.summary.straysMissed).toBe(1);
    expect(irqOnly.summary.straysCaught).toBe(0);
  });

  it('reset study: the work-item reset point shortens the worker pardon and lets fewer strays through', async () => {
    const ir = loadScenario('kthread_pardon_outlives');
    const r = await resetPointStudy(
      [{ ir, arg: 'kthread_pardon_outlives' }],
      ['scoped:relaxed'],
      { seed: 3, runs: 300, warn: 'once', maxSteps: 10_000, examples: 0, kinds: [0] },
      1,
      Infinity,
    );
    expect(r.levels.map((l) => l.level)).toEqual(['irq-exit', 'return-to-user', 'work-item', 'schedule']);
    const worker = (level: string) => r.levels.find((l) => l.level === level)!.designs[0]!.contexts.find((c) => c.kind === 'worker')!;
    const before = worker('return-to-user');
    const after = worker('work-item');
    expect(after.unscoped.value!).toBeLessThan(before.unscoped.value!);
    expect(after.unscoped.hi!).toBeLessThan(before.unscoped.lo!);
    expect(after.missed.value!).toBeLessThan(before.missed.value!);
    // The same runs (the same injections) under each reset point.
    expect(after.injected).toBe(before.injected);
  });
});

describe('warnings study', () => {
  it('warnings study: one boot prints one site; per-site dedupe counts them all', () => {
    const irs = ['kthread_pardon_outlives', 'async_handoff_softirq', 'async_handoff_workqueue'].map((n) => loadScenario(n));
    const w = warningStudy(irs, 'scoped:relaxed', 1, 20, 200, 10_000);
    expect(w.firstBoot.length).toBe(1);
    expect(w.sites.length).toBeGreaterThanOrEqual(3);
    expect(w.curve[0]).toEqual({ boots: 1, revealed: 1 });
    expect(w.curve.at(-1)!.revealed).toBe(w.sites.length - w.neverPrinted.length);
    if (w.neverPrinted.length === 0) expect(w.allRevealedAfter).toBe(w.curve.at(-1)!.boots);
    // One boot reaches more offending sites than the one WARN_ONCE prints.
    expect(w.reachedPerBoot).toBeGreaterThan(1);
  });

  it('study CLI: reset-points and warnings print, a bad study name is exit 2', async () => {
    const io = captureIO();
    expect(await main(['study', 'warnings', 'kthread_pardon_outlives', '--runs', '5', '--boots', '5', '--json'], io)).toBe(0);
    expect(JSON.parse(io.stdout).study).toBe('warnings');
    const bad = captureIO();
    expect(await main(['study', 'nope'], bad)).toBe(2);
    expect(bad.stderr).toBe("pksim study: expected reset-points or warnings, not 'nope'\n");
  });
});
