// DESIGN.md, rule by rule: the rules that had no test of their own when the design brief was
// audited against the code. Each test is named after the rule it pins (quoting DESIGN.md where
// it can) and fails when the rule breaks.

import { describe, expect, it } from 'vitest';
import { eventsOf, run } from '../helpers.js';
import { compileScenario } from '../../src/scenario/index.js';

const KEY = `key pmem = 1 default noaccess\n`;

describe('kernel facts: a reset point named `schedule` is every time the context gives up the CPU', () => {
  // A kernel thread is pardoned for a handed-off kmap() pointer, gives up the CPU one way or
  // another, then makes a stray write to another page of the key. Without the reset point the
  // pardon covers the stray (a kernel thread never returns to user space); with it, the
  // pardon ends when the thread gives up the CPU, whichever way it does.
  const scenario = (giveUp: string, extra = '', owner = '', arch = '') => `${arch}cpus 2
${KEY}page buf key pmem
page meta key pmem
channel c, c2
completion done, go
${extra}
task owner cpu 0 {
    p = kmap(buf)
    send(c, p)
    wait_for_completion(done)
    kunmap(buf)
    ${owner}
    complete(go)
    return_to_user()
}
kthread k cpu 1 {
    q = recv(c)
    write(q, 0)
    complete(done)
    ${giveUp}
    stray_write(meta, 8)
}
`;
  const cases: [string, string, string][] = [
    ['an explicit schedule()', scenario('schedule()'), ''],
    ['cond_resched()', scenario('cond_resched()'), ''],
    ['a sleep on a completion', scenario('wait_for_completion(go)'), 'completion go'],
    ['a blocking receive', scenario('r = recv(c2)', '', 'send(c2, p)'), 'recv c2'],
    [
      'a sleep on a full pkmap pool',
      // x86_32, two pkmap slots: the owner's buf and hog fill the pool, so k's kmap() of an
      // unprotected page sleeps until the owner's kunmap(buf) frees a slot.
      scenario('z = kmap(free)\n    kunmap(free)', 'page hog key pmem highmem\npage free highmem\nlast_pkmap 2', '', 'arch x86_32\n')
        .replace('page buf key pmem', 'page buf key pmem highmem')
        .replace('p = kmap(buf)', 'p = kmap(buf)\n    h = kmap(hog)')
        .replace('complete(go)', 'kunmap(hog)\n    complete(go)'),
      'pkmap pool full',
    ],
  ];
  it.each(cases)('reset at schedule: %s ends the pardon of a kernel thread', (_what, text, sleptOn) => {
    const without = run(text, { policy: 'scoped:relaxed' });
    expect(without.summary.legitWarned).toBe(1);
    expect(without.summary.straysMissed).toBe(1); // the pardon outlives the giving up of the CPU
    const reset = run(text, { policy: 'scoped:relaxed', resetPoints: ['schedule'] });
    if (sleptOn !== '') expect(eventsOf(reset, 'sleep').filter((e) => e.ctxName === 'k' && e.reason === sleptOn)).toHaveLength(1);
    expect(reset.summary.legitWarned).toBe(1);
    expect(reset.summary.straysMissed).toBe(0);
    expect(reset.summary.straysCaught).toBe(1);
  });
});

describe('kernel facts: sleeping where the kernel may not sleep', () => {
  // "any wait, blocking receive or full pkmap pool with preemption or interrupts disabled":
  // the kernel reports it and survives in task context; in interrupt context it is fatal.
  const pool = `arch x86_32\ncpus 2\nlast_pkmap 2\npage a highmem\npage b highmem\npage c highmem\ncompletion full, freed\nchannel ch\n`;
  const holder = `task holder cpu 1 {\n x = kmap(a)\n y = kmap(b)\n complete(full)\n wait_for_completion(freed)\n kunmap(a)\n kunmap(b)\n}\n`;
  const atomic: [string, string][] = [
    [
      'a blocking receive',
      `cpus 2\nchannel ch\ntask t cpu 0 {\n preempt_disable()\n r = recv(ch)\n preempt_enable()\n}\npage pg\ntask u cpu 1 {\n nop()\n nop()\n x = page_address(pg)\n send(ch, x)\n}\n`,
    ],
    [
      'a full pkmap pool',
      pool + holder + `task t cpu 0 {\n wait_for_completion(full)\n preempt_disable()\n complete(freed)\n z = kmap(c)\n preempt_enable()\n kunmap(c)\n}\n`,
    ],
  ];
  it.each(atomic)('%s with preemption disabled: "BUG: scheduling while atomic", not an oops, and the task goes on', (_what, text) => {
    const r = run(text, { policy: 'none' });
    expect(eventsOf(r, 'report').map((e) => e.what)).toContain('scheduling_while_atomic');
    expect([r.summary.oopses, r.summary.panics, r.summary.finished]).toEqual([0, 0, 1]);
  });
  const inIrq: [string, string][] = [
    ['a blocking receive', `cpus 1\nchannel ch\ntask t cpu 0 {\n raise_softirq(s)\n}\nsoftirq s cpu 0 {\n r = recv(ch)\n}\n`],
    ['a full pkmap pool', pool + holder + `task t cpu 0 {\n wait_for_completion(full)\n raise_irq(h)\n complete(freed)\n}\nhardirq h cpu 0 {\n z = kmap(c)\n}\n`],
  ];
  it.each(inIrq)('%s in interrupt context is fatal', (_what, text) => {
    const r = run(text, { policy: 'none' });
    expect(r.summary.panics).toBe(1);
    expect(eventsOf(r, 'oops')[0]!.message).toMatch(/^BUG: scheduling while atomic: .* in interrupt context\)$/);
  });
  it('x86_64: kunmap() has no might_sleep() (mainline !CONFIG_HIGHMEM; DESIGN.md says both call it), kmap() has', () => {
    const r = run(`${KEY}page a key pmem\ntask t cpu 0 {\n y = kmap(a)\n preempt_disable()\n kunmap(a)\n z = kmap(a)\n preempt_enable()\n kunmap(a)\n}\n`, { policy: 'none' });
    const ms = eventsOf(r, 'report').filter((e) => e.what === 'might_sleep');
    expect(ms.map((e) => e.detail.split('\n').pop())).toEqual(['(kmap())']);
  });
});

describe('hardware facts: the error code does not say which key', () => {
  it('faults on pages of two keys have the same error code; the handler finds the key from the page', () => {
    const text = `key a = 1 default noaccess\nkey b = 2 default noaccess\npage pa key a\npage pb key b\ntask t cpu 0 {\n stray_write(pa)\n}\ntask u cpu 0 {\n stray_write(pb)\n}\n`;
    const r = run(text, { policy: 'scoped:strict' });
    const faults = eventsOf(r, 'fault');
    expect(faults.map((e) => e.errorCode)).toEqual([0x23, 0x23]);
    expect(faults.map((e) => [e.page, e.key])).toEqual([
      [0, 1],
      [1, 2],
    ]);
    expect(eventsOf(r, 'oops').map((e) => e.message.match(/protection key (\d+)/)![1])).toEqual(['1', '2']);
  });
});

describe('kernel facts: the kmap() pool', () => {
  it('x86-32: a pool of LAST_PKMAP slots, 1024 by default (last_pkmap N for another size, e.g. 512 as with PAE)', () => {
    expect(compileScenario('arch x86_32\npage p highmem\ntask t cpu 0 {\n nop()\n}\n', 'p.pks').machine.lastPkmap).toBe(1024);
    expect(compileScenario('arch x86_32\nlast_pkmap 512\npage p highmem\ntask t cpu 0 {\n nop()\n}\n', 'p.pks').machine.lastPkmap).toBe(512);
    // 1024 distinct highmem pages kmapped at once: no sleep; the 1025th sleeps.
    const pages = (n: number) => Array.from({ length: n }, (_, i) => `page p${i} highmem`).join('\n');
    const maps = (n: number) => Array.from({ length: n }, (_, i) => ` x${i} = kmap(p${i})`).join('\n');
    expect(run(`arch x86_32\n${pages(1024)}\ntask t cpu 0 {\n${maps(1024)}\n}\n`, { policy: 'none' }).summary.pkmapSleeps).toBe(0);
    const over = run(`arch x86_32\n${pages(1025)}\ntask t cpu 0 {\n${maps(1025)}\n}\n`, { policy: 'none' });
    expect(over.summary.pkmapSleeps).toBe(1);
    expect(over.stop).toBe('deadlock');
  });
});

describe('truth: the provenance oracle', () => {
  it('legit-local: a mapping made by this task before it was preempted (and its rights survive the switch)', () => {
    const text = `cpus 1\n${KEY}page p key pmem\ntask t cpu 0 {\n a = kmap_local_page(p)\n write(a, 0)\n write(a, 8)\n kunmap_local(a)\n}\ntask u cpu 0 {\n nop()\n}\n`;
    // Choices: t maps, writes, is preempted (choice 1: u runs), then writes again.
    const r = run(text, { policy: 'scoped:strict', schedule: [0, 0, 1] });
    expect(eventsOf(r, 'switch').map((e) => `${e.from}->${e.to}`)).toEqual(['swapper/0->t', 't->u', 'u->t', 't->swapper/0']);
    const acc = eventsOf(r, 'access');
    expect(acc.map((e) => [(e as { class?: string }).class, e.outcome])).toEqual([
      ['local', 'ok'],
      ['local', 'ok'],
    ]);
    expect(acc[1]!.tick).toBeGreaterThan(eventsOf(r, 'switch')[2]!.tick); // the second write is after the switch back
  });
  it('x86_64: a kmap_local pointer used from another context is a stray, though its address still reaches the page', () => {
    const text = `cpus 2\n${KEY}page p key pmem\nchannel c\ncompletion d\ntask t cpu 0 {\n a = kmap_local_page(p)\n send(c, a)\n wait_for_completion(d)\n kunmap_local(a)\n}\nsoftirq s cpu 1 on c {\n x = recv(c)\n write(x, 0)\n complete(d)\n}\n`;
    const none = run(text, { policy: 'none' });
    const acc = eventsOf(none, 'access');
    expect(acc.map((e) => [(e as { class?: string }).class, e.outcome])).toEqual([['stray', 'ok']]);
    expect([none.summary.strayAccesses, none.summary.straysMissed]).toEqual([1, 1]);
    // Under scoped the page is not globally unprotected (no kmap()): the handler oopses.
    expect(run(text, { policy: 'scoped:relaxed' }).summary.straysCaught).toBe(1);
  });
  it('legit-handoff needs a live kmap() made by another context; a dead one is a stray (use after unmap)', () => {
    const text = `cpus 2\n${KEY}page p key pmem\nchannel c\ncompletion d, unmapped\ntask t cpu 0 {\n a = kmap(p)\n send(c, a)\n wait_for_completion(d)\n kunmap(p)\n complete(unmapped)\n}\nkthread k cpu 1 {\n x = recv(c)\n write(x, 0)\n complete(d)\n wait_for_completion(unmapped)\n write(x, 8)\n}\n`;
    const r = run(text, { policy: 'none' });
    expect(eventsOf(r, 'access').map((e) => (e as { class?: string }).class)).toEqual(['handoff', 'stray']);
    expect([r.summary.legitAccesses, r.summary.strayAccesses, r.summary.straysMissed]).toEqual([1, 1, 1]);
  });
});

describe('truth: exposure', () => {
  it('is counted per running context: an idle CPU adds nothing, an interrupt running on it does', () => {
    const one = `cpus 1\n${KEY}page p key pmem\ntask t cpu 0 {\n nop()\n nop()\n nop()\n}\n`;
    const two = one.replace('cpus 1', 'cpus 2');
    const a = run(one, { policy: 'none' }).summary;
    const b = run(two, { policy: 'none' }).summary;
    // Without PKS every protected page is reachable by a stray from whatever runs: one page
    // at the end of each tick the task is on CPU 0 (the switch-in and two statements: it has
    // exited by the end of the third), nothing from idle CPU 1.
    expect([a.exposure, a.ticks]).toEqual([3, 4]);
    expect(b.exposure).toBe(a.exposure);
    const irq = run(two.replace('nop()\n}', 'raise_softirq(s)\n}\nsoftirq s cpu 1 {\n nop()\n nop()\n}'), { policy: 'none' }).summary;
    // The softirq runs on CPU 1 at the end of its delivery tick and of its first statement (it
    // has exited by the end of its last): two more page x tick.
    expect(irq.exposure).toBe(a.exposure + 2);
  });
  it("after the first WARN_ONCE, later RELAXED pardons are as silent as SILENT mode's (missed strays, exposure)", () => {
    // The worker is pardoned (with the warning) for the handed-off buf; a second softirq's
    // stray write to buf2, also globally unprotected, is pardoned without a new warning.
    const text = `cpus 2\n${KEY}page buf key pmem\npage buf2 key pmem\nchannel c\ncompletion d, e\ntask t cpu 0 {\n a = kmap(buf)\n b = kmap(buf2)\n send(c, a)\n wait_for_completion(d)\n raise_softirq(s2)\n wait_for_completion(e)\n kunmap(buf2)\n kunmap(buf)\n}\nsoftirq s cpu 1 on c {\n x = recv(c)\n write(x, 0)\n complete(d)\n}\nsoftirq s2 cpu 1 {\n stray_write(buf2, 8)\n complete(e)\n}\n`;
    const once = run(text, { policy: 'scoped:relaxed', warn: 'once' }).summary;
    const silent = run(text, { policy: 'scoped:silent' }).summary;
    const perSite = run(text, { policy: 'scoped:relaxed', warn: 'per-site' }).summary;
    expect([once.legitWarned, once.straysWarned, once.straysMissed, once.warnings]).toEqual([1, 0, 1, 1]);
    // Reported: two sites reached the warning, one printed (the first to fault), one suppressed.
    expect([once.warningSites, once.warningsSuppressed]).toEqual([2, 1]);
    const warned = eventsOf(run(text, { policy: 'scoped:relaxed', warn: 'once' }), 'warning');
    const lineOf = (stmt: string) => text.split('\n').findIndex((l) => l.trim() === stmt) + 1;
    expect(warned.map((e) => [e.loc?.line, e.printed])).toEqual([
      [lineOf('write(x, 0)'), true],
      [lineOf('stray_write(buf2, 8)'), false],
    ]);
    expect([silent.legitSilent, silent.straysMissed]).toEqual([1, 1]);
    expect([perSite.straysWarned, perSite.straysMissed]).toEqual([1, 0]); // a new site prints
    // Exposure: before the warning, RELAXED exposes what the task's PKRS opens; after it, also
    // every globally unprotected page (as SILENT does all along). Per-site never pardons a new
    // site silently.
    expect(once.exposure).toBeGreaterThan(perSite.exposure);
    expect(once.exposure).toBeLessThan(silent.exposure);
  });
});

describe('policies: thread-local rights stay with their context', () => {
  const text = `cpus 1\n${KEY}page d key pmem\npage e key pmem\ntask t cpu 0 {\n x = page_address(d)\n grant_access(pmem, READ|WRITE)\n write(x, 0)\n raise_irq(h)\n write(x, 8)\n revoke_access(pmem)\n}\nhardirq h cpu 0 {\n stray_write(e, 0x40)\n}\n`;
  it.each(['global', 'scoped:strict', 'scoped:relaxed', 'abandon:strict', 'exception:strict'])(
    '%s: an interrupt never inherits the grant_access() of the context it interrupted',
    (policy) => {
      const r = run(text, { policy });
      expect(r.summary.legitAccesses).toBe(1); // the task's own write before the interrupt
      expect(r.summary.straysCaught).toBe(1);
      expect(r.summary.straysMissed).toBe(0);
      expect(r.stop).toBe('panic');
    },
  );
  it('scoped: kunmap() undoes both: the unprotect count drops and the key closes again for the caller', () => {
    const text = `cpus 1\n${KEY}page buf key pmem\npage meta key pmem\ntask t cpu 0 {\n a = kmap(buf)\n assert unprotect(buf) == 1 && holds(pmem, READ|WRITE)\n write(a, 0)\n stray_write(meta, 0)\n kunmap(buf)\n assert unprotect(buf) == 0 && !holds(pmem, READ)\n stray_write(meta, 8)\n}\n`;
    for (const mode of ['strict', 'relaxed', 'silent']) {
      const r = run(text, { policy: `scoped:${mode}` });
      // The asserts hold, the caller's own access is fine, a stray to another page of the key
      // goes through while the kmap() is live (rights are per key) and oopses after kunmap().
      expect(r.expectations.filter((e) => !e.ok)).toEqual([]);
      expect([r.summary.legitBroken, r.summary.straysMissed, r.summary.straysCaught, r.summary.faults], mode).toEqual([0, 1, 1, 1]);
    }
  });
  it('grants nest: each grant_access() is a reference, the key closes with the last revoke_access()', () => {
    const nest = `cpus 1\n${KEY}page d key pmem\ntask t cpu 0 {\n x = page_address(d)\n grant_access(pmem, WRITE)\n grant_access(pmem, WRITE)\n revoke_access(pmem, WRITE)\n write(x, 0)\n revoke_access(pmem, WRITE)\n stray_write(d, 8)\n}\n`;
    for (const policy of ['scoped:strict', 'global', 'exception:strict', 'abandon:strict']) {
      const r = run(nest, { policy });
      expect([r.summary.legitAccesses, r.summary.legitBroken, r.summary.straysCaught, r.summary.reports], policy).toEqual([1, 0, 1, 0]);
    }
  });
});
