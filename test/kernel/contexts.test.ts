import { describe, expect, it } from 'vitest';
import { eventsOf, machine, run, task } from '../helpers.js';
import type { PksimEvent } from '../../src/kernel/events.js';
import { ACCESS_PARDONED } from '../../src/kernel/machine.js';

const DEFAULT = 0x4; // key 1 access-disabled

describe('kernel facts: entry and exit', () => {
  it('entry to an interrupt saves the current PKRS into the entry frame and loads the default', () => {
    const m = machine('scoped:relaxed');
    task(m, 'a');
    m.kmapLocal(0, 0, false); // opens key 1 for the task
    expect(m.cpus[0]!.pkrs).toBe(0);
    const f = m.enter(0, 'hardirq', 'irq');
    expect(f.savedPkrs).toBe(0);
    expect(m.cpus[0]!.pkrs).toBe(DEFAULT);
  });

  it('exit restores PKRS from the frame, including any change the fault handler made to it', () => {
    const m = machine('scoped:relaxed');
    task(m, 'a');
    const f = m.enter(0, 'softirq', 'irq');
    f.savedPkrs = 0x0; // what a handler's edit looks like
    m.exit(0);
    expect(m.cpus[0]!.pkrs).toBe(0);
  });

  it('every kind of context nests: task, softirq, hardirq, NMI, exception', () => {
    const m = machine();
    task(m, 'a');
    for (const k of ['softirq', 'hardirq', 'nmi', 'exception'] as const) m.enter(0, k, k);
    expect(m.cpus[0]!.frames.map((f) => f.kind)).toEqual(['user', 'softirq', 'hardirq', 'nmi', 'exception']);
    for (let i = 0; i < 4; i++) m.exit(0);
    expect(m.cpus[0]!.frames.length).toBe(1);
  });

  it('a context switch saves PKRS in the outgoing task and loads the incoming one', () => {
    const m = machine();
    const a = task(m, 'a');
    m.kmapLocal(0, 0, false);
    const b = m.newTask('b', 'kthread', 0);
    m.switchTo(0, b);
    expect(a.threadPkrs).toBe(0);
    expect(m.cpus[0]!.pkrs).toBe(DEFAULT);
    m.switchTo(0, a);
    expect(m.cpus[0]!.pkrs).toBe(0);
  });

  it('entry from user space starts at the default', () => {
    const m = machine();
    const a = task(m, 'a');
    expect(a.threadPkrs).toBe(DEFAULT);
    m.writePkrs(0, 0);
    m.returnToUser(0);
    expect(m.cpus[0]!.pkrs).toBe(DEFAULT);
  });

  it('PKRS is written through a per-CPU cache: unchanged values are not written', () => {
    const ev: PksimEvent[] = [];
    const m = machine('scoped:relaxed', {}, ev);
    task(m, 'a');
    const before = m.stats.pkrsWrites;
    m.writePkrs(0, DEFAULT);
    expect(m.stats.pkrsWrites).toBe(before);
    expect(m.stats.pkrsWritesSkipped).toBeGreaterThan(0);
    m.writePkrs(0, 0);
    expect(m.stats.pkrsWrites).toBe(before + 1);
  });

  it('writing PKRS affects the current CPU only', () => {
    const m = machine();
    task(m, 'a', 'user', 0);
    m.writePkrs(0, 0);
    expect(m.cpus[1]!.msr).toBe(DEFAULT);
  });

  it('a task that oopses is killed', () => {
    const m = machine('scoped:strict');
    const a = task(m, 'a');
    m.access(0, m.strayAddr(1), true, -1);
    expect(a.state).toBe('dead');
    expect(m.panicked).toBeNull();
  });

  it('an oops in interrupt context panics the machine', () => {
    const m = machine('scoped:strict');
    task(m, 'a');
    m.enter(0, 'hardirq', 'irq');
    m.access(0, m.strayAddr(1), true, -1);
    expect(m.panicked).toMatch(/Fatal exception in interrupt/);
    expect(m.stats.panics).toBe(1);
  });

  it('a key fault enters the #PF exception frame and returns to the faulting context', () => {
    const ev: PksimEvent[] = [];
    const m = machine('exception', {}, ev);
    task(m, 'a');
    expect(m.access(0, m.strayAddr(1), true, -1)).toBe(ACCESS_PARDONED);
    const entries = eventsOf(ev, 'entry').filter((e) => e.kind === 'exception');
    expect(entries.length).toBe(1);
    expect(eventsOf(ev, 'fault')[0]!.errorCode).toBe(0x23);
    expect(m.cpus[0]!.frames.length).toBe(1);
  });
});

describe('kernel facts: scheduling statements', () => {
  it('preempt_disable() makes kmap() in that section a might_sleep report', () => {
    const r = run(
      `cpus 1\nkey k = 1 default noaccess\npage p key k highmem\ntask t cpu 0 {\n preempt_disable()\n a = kmap(p)\n kunmap(p)\n preempt_enable()\n}\narch x86_32\n`,
      { policy: 'scoped' },
    );
    expect(eventsOf(r, 'report').map((e) => e.what)).toContain('might_sleep');
  });

  it('local_irq_disable() holds off a hardirq until local_irq_enable()', () => {
    const r = run(
      `cpus 1\nkey k = 1 default noaccess\npage p key k highmem\ntask t cpu 0 {\n local_irq_disable()\n raise_irq(h)\n a = kmap_local_page(p)\n write(a, 0)\n kunmap_local(a)\n local_irq_enable()\n}\nhardirq h cpu 0 {\n stray_write(p)\n}\narch x86_32\n`,
      { policy: 'scoped:strict' },
    );
    // The stray runs after irqs are enabled again, when nothing maps the page: it is caught
    // as a not-present fault (highmem, no mapping), not pardoned.
    const entry = eventsOf(r, 'entry').find((e) => e.kind === 'hardirq')!;
    const enable = eventsOf(r, 'stmt').find((e) => e.text.startsWith('local_irq_enable'))!;
    expect(entry.tick).toBeGreaterThan(enable.tick);
  });

  it('migrate() is refused while kmap_local holds migrate_disable()', () => {
    const r = run(
      `cpus 2\nkey k = 1 default noaccess\npage p key k highmem\ntask t cpu 0 {\n a = kmap_local_page(p)\n migrate(1)\n write(a, 0)\n kunmap_local(a)\n migrate(1)\n}\narch x86_32\n`,
    );
    const reps = eventsOf(r, 'report').filter((e) => e.what === 'migrate_disabled');
    expect(reps.length).toBe(1);
    expect(r.summary.legitBroken).toBe(0);
    expect(r.summary.finished).toBe(1);
  });
});
