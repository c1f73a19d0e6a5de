import { describe, expect, it } from 'vitest';
import { compileScenario, libraryNames, loadScenario } from '../../src/scenario/index.js';
import { runScenario, ScheduleError } from '../../src/sim/runner.js';
import { run, eventsOf } from '../helpers.js';

const HANDOFF = `cpus 2
key pmem = 1 default noaccess
page buf key pmem highmem
page low key pmem lowmem
channel bio
completion done
task writer cpu 0 {
  p = kmap(buf)
  write(p, 0)
  send(bio, p)
  wait_for_completion(done)
  kunmap(buf)
}
task other cpu 0 {
  q = kmap_local_page(low)
  write(q, 0)
  cond_resched()
  write(q, 8)
  kunmap_local(q)
}
softirq done_irq cpu 1 on bio {
  p = recv(bio)
  write(p, 0x10)
  complete(done)
}
arch x86_32
`;

describe('determinism and replay', () => {
  it('same scenario, policy and seed give byte-identical output', () => {
    const ir = compileScenario(HANDOFF, 'h.pks');
    for (const seed of [1, 2, 99]) {
      const a = JSON.stringify(runScenario(ir, { policy: 'scoped:relaxed', seed }));
      const b = JSON.stringify(runScenario(compileScenario(HANDOFF, 'h.pks'), { policy: 'scoped:relaxed', seed }));
      expect(b).toBe(a);
    }
  });

  it('the recorded schedule of a seeded run replays it exactly', () => {
    const ir = compileScenario(HANDOFF, 'h.pks');
    for (const seed of [3, 4, 5, 6]) {
      const a = runScenario(ir, { policy: 'scoped:relaxed', seed });
      const b = runScenario(ir, { policy: 'scoped:relaxed', schedule: a.schedule });
      expect(JSON.stringify(b.events)).toBe(JSON.stringify(a.events));
      expect(b.summary).toEqual(a.summary);
    }
  });

  it('different seeds explore different interleavings', () => {
    const ir = compileScenario(HANDOFF, 'h.pks');
    const schedules = new Set([1, 2, 3, 4, 5, 6, 7, 8].map((seed) => runScenario(ir, { seed }).schedule.join(',')));
    expect(schedules.size).toBeGreaterThan(1);
  });

  it('a schedule choice out of range is a ScheduleError naming the entry', () => {
    const ir = compileScenario(HANDOFF, 'h.pks');
    expect(() => runScenario(ir, { schedule: [0, 0, 99] })).toThrow(ScheduleError);
    expect(() => runScenario(ir, { schedule: [0, 0, 99] })).toThrow(/entry 3/);
  });

  it('every library scenario is deterministic under every policy', () => {
    for (const name of libraryNames()) {
      const ir = loadScenario(name);
      const a = JSON.stringify(runScenario(ir, { policy: 'scoped:relaxed' }));
      expect(JSON.stringify(runScenario(ir, { policy: 'scoped:relaxed' }))).toBe(a);
    }
  });
});

describe('the runner', () => {
  it('ticks: each executed statement is one tick on its CPU', () => {
    const r = run(`cpus 1\npage p lowmem\ntask t cpu 0 {\n a = page_address(p)\n read(a, 0)\n read(a, 8)\n}\n`);
    const stmts = eventsOf(r, 'stmt');
    expect(stmts.map((e) => e.tick)).toEqual([1, 2, 3]); // tick 0 switches the task in
    expect(r.summary.ticks).toBe(4);
  });

  it('the step limit stops a run and says which limit', () => {
    const r = run(`cpus 1\npage p lowmem\ntask t cpu 0 {\n repeat 1000 {\n a = page_address(p)\n }\n}\n`, { maxSteps: 50 });
    expect(r.stop).toBe('limit:steps');
    expect(r.summary.finished).toBe(0);
  });

  it('a task blocked forever is a deadlock, reported with what it waits on', () => {
    const r = run(`cpus 1\ncompletion c\ntask t cpu 0 {\n wait_for_completion(c)\n}\n`);
    expect(r.stop).toBe('deadlock');
    expect(eventsOf(r, 'report')[0]!.detail).toMatch(/completion c/);
  });

  it('pkmap pool exhaustion: kmap() sleeps until a kunmap() frees a slot', () => {
    const r = run(
      `cpus 2\nlast_pkmap 2\npage a highmem\npage b highmem\npage c highmem\ntask t cpu 0 {\n x = kmap(a)\n y = kmap(b)\n schedule()\n kunmap(a)\n kunmap(b)\n}\ntask u cpu 1 {\n z = kmap(c)\n kunmap(c)\n}\narch x86_32\n`,
      { policy: 'none' },
    );
    expect(r.summary.pkmapSleeps).toBeGreaterThanOrEqual(1);
    expect(r.summary.finished).toBe(1);
    expect(eventsOf(r, 'wakeup').some((e) => e.reason === 'pkmap pool full')).toBe(true);
  });

  it('the oracle: a kmap_local pointer used from another context is a stray', () => {
    const r = run(
      `cpus 2\nkey k = 1 default noaccess\npage p key k highmem\nchannel c\ncompletion d\ntask t cpu 0 {\n a = kmap_local_page(p)\n send(c, a)\n wait_for_completion(d)\n kunmap_local(a)\n}\ntask u cpu 1 {\n x = recv(c)\n write(x, 0)\n complete(d)\n}\narch x86_32\n`,
      { policy: 'none' },
    );
    expect(r.summary.strayAccesses).toBe(1);
    const acc = eventsOf(r, 'access')[0]! as { class?: string; outcome: string };
    expect(acc.class).toBe('stray');
    // On another CPU the kmap_local address is that CPU's own fixmap slot: nothing is there.
    expect(acc.outcome).toBe('not_present');
  });

  it('the oracle: use after kunmap is a stray even if the stale address still reaches the page', () => {
    const r = run(`cpus 1\nkey k = 1 default noaccess\npage p key k highmem\ntask t cpu 0 {\n a = kmap(p)\n kunmap(p)\n write(a, 0)\n}\narch x86_32\n`, { policy: 'none' });
    const acc = eventsOf(r, 'access')[0]! as { class?: string; outcome: string };
    expect(acc.class).toBe('stray');
    expect(acc.outcome).toBe('ok'); // lazy pkmap flush: the stale PTE is still there
    expect(r.summary.straysMissed).toBe(1);
  });

  it('exposure: protected page x tick that running contexts could reach unnoticed', () => {
    const text = `cpus 1\nkey k = 1 default noaccess\npage p key k lowmem\ntask t cpu 0 {\n a = kmap_local_page(p)\n read(a, 0)\n read(a, 0)\n kunmap_local(a)\n read(a, 0)\n}\n`;
    // Exposure is sampled at the end of each tick. none: the page is reachable at the end of
    // ticks 0..4 (switch-in, map, read, read, unmap); after the last read the task has exited.
    expect(run(text, { policy: 'none' }).summary.exposure).toBe(5);
    // scoped:strict: only while the key is open for the task: the end of the kmap_local tick
    // and of the two reads (3); kunmap_local closes it again.
    expect(run(text, { policy: 'scoped:strict' }).summary.exposure).toBe(3);
  });
});

describe('mapping records', () => {
  it('slots are recycled, and a stale pointer to a reused slot is still a stray', () => {
    const r = run(
      `cpus 1\nkey k = 1 default noaccess\npage p key k highmem\npage q key k highmem\ntask t cpu 0 {\n a = kmap_local_page(p)\n kunmap_local(a)\n b = kmap_local_page(q)\n write(a, 0)\n kunmap_local(b)\n}\narch x86_32\n`,
      { policy: 'none' },
    );
    const acc = eventsOf(r, 'access')[0]! as { class?: string; mapping: number; page: number };
    // a's slot in the fixmap and its mapping record were both reused by b: the write through
    // a reaches q, but a's generation is dead.
    expect(acc.page).toBe(1);
    expect(acc.class).toBe('stray');
  });

  it('a long run keeps as many records as its peak of live mappings', async () => {
    const { Machine } = await import('../../src/kernel/machine.js');
    const { createPolicy, parsePolicy } = await import('../../src/policy/index.js');
    const m = new Machine(
      { cpus: 1, lastPkmap: 4, wp: true, keys: [], pages: [{ key: 0, highmem: true }], warn: 'once', resetPoints: [] },
      createPolicy(parsePolicy('none'), 1),
    );
    m.switchTo(0, m.newTask('t', 'kthread', 0));
    for (let i = 0; i < 10_000; i++) {
      const a = m.kmapLocal(0, 0, false);
      m.kunmapLocal(0, a, m.lastMapping, false);
    }
    expect(m.maps.liveCount).toBe(0);
  });
});

describe('windows: how long each context runs with a key open', () => {
  const text = `cpus 1\nkey k = 1 default noaccess\npage p key k highmem\ntask t cpu 0 {\n a = kmap_local_page(p)\n read(a, 0)\n kunmap_local(a)\n}\narch x86_32\n`;
  it("keys opened by the context's own mapping are open but scoped", () => {
    // Sampled at the end of each tick: switch-in (closed), map (open), read (open), unmap
    // (the task has exited by the end of that tick).
    const r = run(text, { policy: 'scoped:strict' });
    expect(r.summary.keyOpenTicks).toBe(2);
    expect(r.summary.unscopedTicks).toBe(0);
    expect(r.windows).toEqual([{ context: 't', kind: 'user', ticks: 3, keyOpenTicks: 2, unscopedTicks: 0 }]);
  });
  it('without PKS every key is open; before the mapping exists that is unscoped', () => {
    const r = run(text, { policy: 'none' });
    expect(r.summary.keyOpenTicks).toBe(3);
    expect(r.summary.unscopedTicks).toBe(1); // the switch-in tick, before kmap_local_page()
  });
  it('a pardon in a kernel thread stays unscoped until a reset point', () => {
    const ir = loadScenario('kthread_pardon_outlives');
    const plain = runScenario(ir, { policy: 'scoped:relaxed' });
    const reset = runScenario(ir, { policy: 'scoped:relaxed', resetPoints: ['work-item'] });
    const kw = (r: typeof plain) => r.windows.find((w) => w.context === 'kworker')!;
    expect(kw(plain).unscopedTicks).toBeGreaterThan(kw(reset).unscopedTicks);
    expect(plain.windows.find((w) => w.context === 'submitter')!.unscopedTicks).toBe(0);
  });
  it('global opens the key for contexts that never mapped anything', () => {
    const ir = loadScenario('stray_irq_during_kmap');
    const g = runScenario(ir, { policy: 'global' });
    expect(g.windows.find((w) => w.context === 'buggy')!.unscopedTicks).toBeGreaterThan(0);
    const s = runScenario(ir, { policy: 'scoped:strict' });
    expect(s.summary.unscopedTicks).toBe(0);
  });
});
