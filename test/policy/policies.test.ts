import { describe, expect, it } from 'vitest';
import { ALL_POLICIES, eventsOf, machine, run, runAll, task } from '../helpers.js';
import { compileScenario } from '../../src/scenario/index.js';
import { runScenario } from '../../src/sim/runner.js';
import { HashStore, PageStore } from '../../src/policy/index.js';

const HEAD = `cpus 2\nkey pmem = 1 default noaccess\npage buf key pmem highmem\npage other key pmem highmem\npage low key pmem lowmem\narch x86_32\n`;

describe('kmap(); kmap_local_page(); kunmap(); kunmap_local() is legal on one page', () => {
  const text = HEAD + `task t cpu 0 {\n a = kmap(buf)\n b = kmap_local_page(buf)\n write(a, 0)\n kunmap(buf)\n write(b, 8)\n kunmap_local(b)\n}\n`;
  it.each(ALL_POLICIES)('%s: nothing broken, nothing left unprotected, no count negative', (policy) => {
    const r = run(text, { policy });
    expect(r.summary.legitBroken).toBe(0);
    expect(r.summary.reports).toBe(0); // no unbalanced revoke, no unprotect underflow
    expect(r.summary.leaks).toBe(0);
    expect(r.summary.finished).toBe(1);
    // PKRS of every CPU is back at the default once the task has returned to user space.
    const writes = eventsOf(r, 'pkrs_write');
    // abandon (V7): the kmap() of a protected page gave key 1 up for good.
    const expected = policy === 'abandon' ? (r.config.defaultPkrs & ~0xc) >>> 0 : r.config.defaultPkrs;
    if (r.config.cr4pks && writes.length) expect(writes[writes.length - 1]!.value).toBe(expected);
  });

  it('scoped keeps a refcount, not a flag: the page stays unprotected until the last user', () => {
    const m = machine('scoped:relaxed');
    task(m, 't');
    m.kmap(0, 0);
    const a = m.kmapLocal(0, 0, false);
    m.kunmap(0, 0);
    expect(m.cpus[0]!.pkrs & 0xc).toBe(0); // still open for the kmap_local
    m.kunmapLocal(0, a, m.lastMapping, false);
    expect(m.cpus[0]!.pkrs).toBe(m.initPkrs);
    expect([m.top(0).kmapped[1], m.top(0).localMapped[1]]).toEqual([0, 0]);
  });
});

describe('interrupts and kmap_local grants', () => {
  const text = HEAD + `task t cpu 0 {\n a = kmap_local_page(buf)\n raise_irq(h)\n write(a, 0)\n kunmap_local(a)\n}\nhardirq h cpu 0 {\n stray_write(buf)\n}\n`;
  it('scoped: an interrupt arriving while a task holds a kmap_local grant does not inherit it', () => {
    const r = run(text, { policy: 'scoped:relaxed' });
    // The stray faults; the page is not globally unprotected (no kmap()), so the handler oopses
    // and, in hardirq context, the machine panics.
    expect(r.summary.straysCaught).toBe(1);
    expect(r.stop).toBe('panic');
  });
  it('global: interrupt entry loads the default, so an interrupt never inherits thread-local rights', () => {
    // Every version of the series saved PKRS and loaded the default on entry; under global the
    // default only adds the keys of live kmap()s. The task's kmap_local grant stays its own.
    const r = run(text, { policy: 'global' });
    expect(r.summary.straysMissed).toBe(0);
    expect(r.summary.straysCaught).toBe(1);
    expect(r.stop).toBe('panic');
  });
});

describe('how long a RELAXED pardon lasts', () => {
  it('in a hardirq: until irq exit', () => {
    const r = run(
      HEAD +
        `channel c\ncompletion d\ntask t cpu 0 {\n a = kmap(buf)\n send(c, a)\n raise_irq(h)\n wait_for_completion(d)\n kunmap(buf)\n}\nhardirq h cpu 1 {\n p = recv(c)\n write(p, 0)\n write(p, 8)\n complete(d)\n}\n`,
      { policy: 'scoped:relaxed', events: true },
    );
    const pardon = eventsOf(r, 'pardon')[0]!;
    const exit = eventsOf(r, 'exit').find((e) => e.kind === 'hardirq')!;
    expect(r.summary.faults).toBe(1); // the second write uses the pardon
    expect(exit.restoredPkrs).toBe(r.config.defaultPkrs);
    expect(pardon.framePkrs & 0xc).toBe(0);
  });

  it('in a syscall task: until return to user space', () => {
    const r = run(
      HEAD +
        `channel c\ntask owner cpu 1 {\n a = kmap(buf)\n send(c, a)\n wait_for_completion(done)\n kunmap(buf)\n}\ncompletion done\ntask t cpu 0 {\n p = recv(c)\n write(p, 0)\n stray_write(low)\n complete(done)\n return_to_user()\n stray_write(low)\n}\n`,
      { policy: 'scoped:relaxed' },
    );
    // The pardon opened key 1 in the task: the stray to another page with the same key goes
    // through (rights are per key, not per page); after return to user it faults again.
    expect(r.summary.legitWarned).toBe(1);
    expect(r.summary.straysMissed).toBe(1);
    expect(r.summary.straysCaught).toBe(1);
  });

  const kthread =
    HEAD +
    `channel c\ncompletion done\ntask owner cpu 1 {\n a = kmap(buf)\n send(c, a)\n wait_for_completion(done)\n kunmap(buf)\n}\nworker kw cpu 0\nwork item1 on kw {\n p = recv(c)\n write(p, 0)\n complete(done)\n}\nwork item2 on kw {\n stray_write(low)\n}\ntask q cpu 0 {\n queue_work(item1)\n queue_work(item2)\n}\n`;
  it('in a kernel thread: never (the pardon outlives the work item)', () => {
    const r = run(kthread, { policy: 'scoped:relaxed' });
    expect(r.summary.legitWarned).toBe(1);
    expect(r.summary.straysMissed).toBe(1);
  });
  it('in a kernel thread with the work-item reset point: until the end of the work item', () => {
    const r = run(kthread, { policy: 'scoped:relaxed', resetPoints: ['work-item'] });
    expect(r.summary.legitWarned).toBe(1);
    expect(r.summary.straysCaught).toBe(1);
  });
});

describe('policy details', () => {
  it('rights are per key: opening a key for a context opens every page with that key', () => {
    const r = run(HEAD + `task t cpu 0 {\n a = kmap_local_page(buf)\n stray_write(low)\n kunmap_local(a)\n}\n`, { policy: 'scoped:strict' });
    expect(r.summary.straysMissed).toBe(1);
  });

  it('global: each open/close transition costs an IPI to every other CPU', () => {
    const r = run(
      `cpus 4\nkey pmem = 1 default noaccess\npage buf key pmem highmem\ntask t cpu 0 {\n a = kmap(buf)\n b = kmap(buf)\n kunmap(buf)\n kunmap(buf)\n}\narch x86_32\n`,
      { policy: 'global' },
    );
    expect(r.summary.ipis).toBe(6); // one open and one close, 3 other CPUs each
  });

  it('global: every CPU and every new context sees the key open while a kmap() is live', () => {
    const r = run(
      HEAD + `task t cpu 0 {\n a = kmap(buf)\n wait_for_completion(done)\n kunmap(buf)\n}\ncompletion done\ntask u cpu 1 {\n stray_write(buf)\n complete(done)\n}\n`,
      { policy: 'global' },
    );
    expect(r.summary.straysMissed).toBe(1);
  });

  it('abandon (V7): the first pardoned fault clears the key for everyone, for good, without an IPI', () => {
    const r = run(HEAD + `task t cpu 0 {\n stray_write(low)\n}\ntask u cpu 1 {\n schedule()\n schedule()\n stray_write(low)\n}\n`, { policy: 'abandon' });
    // cpu1 has not reloaded PKRS since the abandon: its stray faults, and the fault handler
    // (handle_abandoned_pks_value()) opens the key in the frame and retries without a word.
    expect(r.summary.faults).toBe(2);
    expect(r.summary.straysWarned).toBe(1);
    expect(r.summary.straysMissed).toBe(1);
    expect(r.summary.ipis).toBe(0);
  });

  it("exception: kmap() opens nothing, so even the caller's own access faults", () => {
    const r = run(HEAD + `task t cpu 0 {\n a = kmap(buf)\n write(a, 0)\n kunmap(buf)\n}\n`, { policy: 'exception' });
    expect(r.summary.faults).toBe(1);
    expect(r.summary.legitWarned).toBe(1);
  });

  it('exception: RELAXED opens the key in the faulting frame without looking at the page', () => {
    const r = run(HEAD + `task t cpu 0 {\n stray_write(low)\n}\n`, { policy: 'exception' });
    expect(r.summary.straysWarned).toBe(1);
    expect(r.summary.oopses).toBe(0);
  });

  it("exception: the nesting count is the task's, even when called from an interrupt on top of it", () => {
    const r = run(
      HEAD +
        `task t cpu 0 {\n a = kmap_local_page(buf)\n raise_irq(h)\n write(a, 0)\n kunmap_local(a)\n}\nhardirq h cpu 0 {\n b = kmap_local_page(other)\n write(b, 0)\n kunmap_local(b)\n}\n`,
      { policy: 'exception:strict' },
    );
    // The task's count is 1, so the irq's kmap_local only bumps it to 2 and writes nothing:
    // the irq runs with the default PKRS and its own legit access oopses.
    expect(r.summary.legitBroken).toBe(1);
    expect(r.stop).toBe('panic');
    const scoped = run(
      HEAD +
        `task t cpu 0 {\n a = kmap_local_page(buf)\n raise_irq(h)\n write(a, 0)\n kunmap_local(a)\n}\nhardirq h cpu 0 {\n b = kmap_local_page(other)\n write(b, 0)\n kunmap_local(b)\n}\n`,
      { policy: 'scoped:strict' },
    );
    expect(scoped.summary.legitBroken).toBe(0);
  });

  it('scoped: only an access from another context faults and reaches the handler', () => {
    const r = run(
      HEAD +
        `channel c\ntask t cpu 0 {\n a = kmap(buf)\n write(a, 0)\n send(c, a)\n wait_for_completion(d)\n kunmap(buf)\n}\ncompletion d\nsoftirq s cpu 1 on c {\n p = recv(c)\n write(p, 0)\n complete(d)\n}\n`,
      { policy: 'scoped:relaxed' },
    );
    expect(r.summary.faults).toBe(1);
    const f = eventsOf(r, 'fault')[0]!;
    expect(f.ctxKind).toBe('softirq');
  });

  it('scoped: a kunmap() from another context is reported', () => {
    const r = run(HEAD + `channel c\ntask t cpu 0 {\n a = kmap(buf)\n send(c, a)\n}\ntask u cpu 1 {\n p = recv(c)\n kunmap(buf)\n}\n`, { policy: 'scoped:relaxed' });
    expect(eventsOf(r, 'report').map((e) => e.what)).toContain('kunmap_foreign');
  });

  it('scoped: a fault on a page that is not globally unprotected oopses, even in RELAXED', () => {
    const r = run(HEAD + `task t cpu 0 {\n stray_write(low)\n}\n`, { policy: 'scoped:relaxed' });
    expect(r.summary.straysCaught).toBe(1);
    expect(r.summary.warnings).toBe(0);
  });

  it('scoped: STRICT never pardons; SILENT pardons without a warning; OFF clears CR4.PKS', () => {
    const text =
      HEAD +
      `channel c\ntask t cpu 0 {\n a = kmap(buf)\n send(c, a)\n wait_for_completion(d)\n kunmap(buf)\n}\ncompletion d\ntask u cpu 1 {\n p = recv(c)\n write(p, 0)\n complete(d)\n}\n`;
    const all = runAll(text);
    expect(all['scoped:strict']!.summary.legitBroken).toBe(1);
    expect(all['scoped:silent']!.summary.legitSilent).toBe(1);
    expect(all['scoped:silent']!.summary.warnings).toBe(0);
    expect(all['scoped:off']!.config.cr4pks).toBe(false);
    expect(all['scoped:off']!.summary.faults).toBe(0);
  });

  it('scoped: the unprotect count kept per page or in a hash gives the same results', () => {
    const ir = compileScenario(
      HEAD +
        `channel c\ntask t cpu 0 {\n a = kmap(buf)\n b = kmap(other)\n send(c, a)\n kunmap(other)\n wait_for_completion(d)\n kunmap(buf)\n}\ncompletion d\nsoftirq s cpu 1 on c {\n p = recv(c)\n write(p, 0)\n stray_write(other)\n complete(d)\n}\n`,
      't.pks',
    );
    for (const mode of ['strict', 'relaxed', 'silent']) {
      const a = runScenario(ir, { policy: `scoped:${mode}`, store: 'page' });
      const b = runScenario(ir, { policy: `scoped:${mode}`, store: 'hash' });
      expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    }
    const h = new HashStore();
    h.inc(3);
    h.inc(3);
    h.dec(3);
    expect(h.get(3)).toBe(1);
    h.dec(3);
    expect(h.size).toBe(0); // entries go away at zero
    const p = new PageStore(4);
    expect(p.dec(0)).toBe(false); // never negative
  });

  it('grant_access(READ) leaves writes blocked; READ|WRITE allows them', () => {
    const text = HEAD + `task t cpu 0 {\n p = page_address(low)\n grant_access(pmem, READ)\n read(p, 0)\n write(p, 0)\n revoke_access(pmem, READ)\n}\n`;
    const r = run(text, { policy: 'scoped:strict' });
    expect(r.summary.legitAccesses).toBe(1);
    expect(r.summary.strayAccesses).toBe(1); // the write had no WRITE intent
    expect(r.summary.straysCaught).toBe(1);
    const rw = run(text.replace('READ)\n read', 'READ|WRITE)\n read').replace('revoke_access(pmem, READ)', 'revoke_access(pmem, READ|WRITE)'), { policy: 'scoped:strict' });
    expect(rw.summary.legitBroken).toBe(0);
    expect(rw.summary.oopses).toBe(0);
  });

  it('grant/revoke act on the current context only, and an unbalanced revoke is reported', () => {
    const r = run(
      HEAD + `task t cpu 0 {\n grant_access(pmem, READ|WRITE)\n raise_irq(h)\n revoke_access(pmem)\n revoke_access(pmem)\n}\nhardirq h cpu 0 {\n stray_write(low)\n}\n`,
      { policy: 'scoped:strict' },
    );
    expect(r.summary.straysCaught).toBe(1); // the irq does not get the task's grant
    expect(r.stop).toBe('panic');
  });

  it('a grant still held when the context exits is reported', () => {
    const r = run(HEAD + `task t cpu 0 {\n raise_irq(h)\n}\nhardirq h cpu 0 {\n grant_access(pmem, READ)\n}\n`, { policy: 'scoped' });
    expect(eventsOf(r, 'leak').map((e) => e.what)).toContain('grant');
    const u = run(HEAD + `task t cpu 0 {\n grant_access(pmem, READ)\n revoke_access(pmem, READ)\n revoke_access(pmem, READ)\n}\n`, { policy: 'scoped' });
    expect(eventsOf(u, 'report').map((e) => e.what)).toContain('unbalanced_revoke');
  });

  it('WARN_ONCE fires once per boot, whichever site faulted first; per-site warns once per site', () => {
    const text =
      HEAD +
      `channel c\ntask t cpu 0 {\n a = kmap(buf)\n send(c, a)\n send(c, a)\n wait_for_completion(d)\n wait_for_completion(d)\n kunmap(buf)\n}\ncompletion d\nsoftirq s cpu 1 on c {\n p = recv(c)\n write(p, 0)\n complete(d)\n}\nsoftirq s2 cpu 1 on c {\n p = recv(c)\n read(p, 0)\n complete(d)\n}\n`;
    const once = run(text, { policy: 'scoped:relaxed', warn: 'once' });
    const per = run(text, { policy: 'scoped:relaxed', warn: 'per-site' });
    expect(once.summary.warnings).toBe(1);
    expect(once.summary.warningsSuppressed).toBeGreaterThanOrEqual(1);
    expect(per.summary.warnings).toBe(per.summary.warningSites);
    expect(per.summary.warnings).toBeGreaterThan(1);
  });
});
