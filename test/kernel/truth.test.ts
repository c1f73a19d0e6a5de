// Truth to the kernel: one test per rule where the model used to say something the kernel
// would not (mm/highmem.c, include/linux/highmem-internal.h, kernel/sched/core.c, the PKS
// series V7). Each is named after the rule it pins.

import { describe, expect, it } from 'vitest';
import { ALL_POLICIES, eventsOf, run } from '../helpers.js';
import { compileScenario, ScenarioError } from '../../src/scenario/index.js';
import { formatDmesg } from '../../src/report/dmesg.js';
import { formatFtrace } from '../../src/report/ftrace.js';
import { toPerfetto } from '../../src/report/perfetto.js';
import { buildRunView } from '../../src/report/model.js';

const KEY = `cpus 2\nkey pmem = 1 default noaccess\n`;

describe('x86_64 is the default architecture', () => {
  it('x86_64: kmap(), kmap_local_page() and kmap_atomic() return the direct-map address', () => {
    const r = run(
      KEY + `page buf key pmem\ntask t cpu 0 {\n a = kmap(buf)\n b = kmap_local_page(buf)\n c = kmap_atomic(buf)\n kunmap_atomic(c)\n kunmap_local(b)\n kunmap(buf)\n}\n`,
      { policy: 'none' },
    );
    expect(r.config.arch).toBe('x86_64');
    expect(eventsOf(r, 'map').map((e) => e.addr)).toEqual(['0xffff888000001000', '0xffff888000001000', '0xffff888000001000']);
  });

  it('x86_64: a pointer stays addressable after its unmap, so only PKS catches a use after unmap', () => {
    const text = KEY + `page buf key pmem\ntask t cpu 0 {\n a = kmap_local_page(buf)\n kunmap_local(a)\n write(a, 0)\n}\n`;
    const none = run(text, { policy: 'none' });
    expect(none.summary.straysMissed).toBe(1); // no not-present fault: the direct map is always there
    expect(eventsOf(none, 'fault')).toHaveLength(0);
    const strict = run(text, { policy: 'scoped:strict' });
    expect(strict.summary.straysCaught).toBe(1);
    expect(eventsOf(strict, 'fault')[0]!.errorCode & 0x20).toBe(0x20); // a protection-key fault
  });

  it('x86_64: highmem and last_pkmap are refused with the way out (arch x86_32)', () => {
    const err = (() => {
      try {
        compileScenario(KEY + 'page buf key pmem highmem\n', 'h.pks');
      } catch (e) {
        return e as ScenarioError;
      }
    })();
    expect(err).toBeInstanceOf(ScenarioError);
    expect([err!.file, err!.line, err!.col]).toEqual(['h.pks', 3, 19]);
    expect(err!.message).toMatch(/x86_64 has no highmem.*arch x86_32/);
    expect(() => compileScenario('last_pkmap 4\n', 'l.pks')).toThrow(ScenarioError);
    expect(() => compileScenario('arch arm64\n', 'a.pks')).toThrow(/unknown arch 'arm64'/);
  });

  it('x86_32: every output says plainly that PKS on x86-32 is hypothetical', () => {
    const text = 'arch x86_32\n' + KEY + 'page buf key pmem highmem\ntask t cpu 0 {\n a = kmap(buf)\n kunmap(buf)\n}\n';
    const r = run(text, { policy: 'scoped:relaxed' });
    expect(r.config.arch).toBe('x86_32');
    expect(formatDmesg(r, text)).toMatch(/PKS exists only in 64-bit mode; PKS on x86-32 with highmem is hypothetical/);
    expect(eventsOf(r, 'map')[0]!.addr).toMatch(/^0xff8[0-9a-f]{5}$/); // a pkmap slot, 32 bits
    expect(toPerfetto(r).otherData.arch).toMatch(/hypothetical/);
    expect(buildRunView(r, -1).archNote).toMatch(/hypothetical/);
  });
});

describe('global: interrupts do not inherit thread-local rights', () => {
  // The reproduction from the issue: a hardirq lands in a task's kmap_local window.
  const text = `cpus 1
key pmem = 1 default noaccess
page loc key pmem
task t cpu 0 {
    l = kmap_local_page(loc)
    write(l, 0)
    raise_irq(h)
    write(l, 8)
    kunmap_local(l)
    return_to_user()
}
hardirq h cpu 0 {
    stray_write(loc, 0x40)
}
`;
  it('global: a hardirq in a kmap_local window does not see the key open (entry loads the default)', () => {
    const r = run(text, { policy: 'global' });
    expect(r.summary.straysMissed).toBe(0);
    expect(r.summary.straysCaught).toBe(1);
    expect(r.summary.panics).toBe(1);
  });
  it.each(['global', 'scoped:strict', 'scoped:relaxed', 'scoped:silent', 'abandon:strict', 'exception:strict'])('%s: the stray in the interrupt oopses', (policy) => {
    expect(run(text, { policy }).summary.straysCaught).toBe(1);
  });
  it('global: the default an interrupt loads does include the keys of live kmap()s', () => {
    const r = run(text.replace('l = kmap_local_page(loc)', 'k = kmap(loc)\n    l = kmap_local_page(loc)').replace('return_to_user()', 'kunmap(loc)\n    return_to_user()'), {
      policy: 'global',
    });
    expect(r.summary.straysMissed).toBe(1);
  });
});

describe('kunmap() from another context ends the mapping that context holds', () => {
  const text =
    KEY +
    `page buf key pmem
channel bio
completion done, passed
task a cpu 0 {
    pa = kmap(buf)
    wait_for_completion(passed)
    read(pa, 0)
    kunmap(buf)
    return_to_user()
}
task b cpu 1 {
    pb = kmap(buf)
    send(bio, pb)
    wait_for_completion(done)
    complete(passed)
    return_to_user()
}
softirq s cpu 1 on bio {
    p = recv(bio)
    write(p, 0)
    kunmap(buf)
    complete(done)
}
`;
  // (scoped:strict panics at the softirq's handoff write, before a reads.)
  it.each(ALL_POLICIES.filter((p) => p !== 'scoped:strict'))(
    "%s: a's own read after b's mapping is unmapped by the softirq is legit, and a's kunmap() is its own",
    (policy) => {
      const r = run(text, { policy });
      const reads = eventsOf(r, 'access').filter((e) => e.ctxName === 'a');
      expect(reads.map((e) => (e as { class?: string }).class)).toEqual(['local']);
      const foreign = eventsOf(r, 'report').filter((e) => e.what === 'kunmap_foreign');
      expect(foreign.map((e) => e.ctxName)).toEqual(['s']); // only the softirq's, naming b
      expect(foreign[0]!.detail).toMatch(/kmapped by b/);
      expect(r.summary.strayAccesses).toBe(0);
      expect(r.summary.leaks).toBe(0);
    },
  );
});

describe('revoke_access(key) drops what is held', () => {
  const text =
    KEY + `page d key pmem\ntask t cpu 0 {\n x = page_address(d)\n grant_access(pmem, READ)\n read(x, 0)\n revoke_access(pmem)\n stray_read(d)\n return_to_user()\n}\n`;
  it('revoke_access(key) after a READ grant drops READ: a later stray read is caught', () => {
    const r = run(text, { policy: 'scoped:strict' });
    expect(r.summary.reports).toBe(0); // not an unbalanced revoke
    expect(r.summary.legitAccesses).toBe(1);
    expect(r.summary.straysCaught).toBe(1);
    expect(r.summary.straysMissed).toBe(0);
  });
  it('revoke_access(key, WRITE) of a READ grant is reported, and nothing held is dropped by mistake', () => {
    const r = run(text.replace('revoke_access(pmem)', 'revoke_access(pmem, WRITE)'), { policy: 'scoped:strict' });
    expect(eventsOf(r, 'report').map((e) => e.detail)).toEqual(['revoke_access() of key 1: this context does not hold WRITE']);
    expect(r.summary.straysMissed).toBe(1); // READ is still held: the stray read goes through
    expect(r.summary.leaks).toBe(1); // and is still held at the return to user space
  });
});

describe('exposure counts stray reads as well as writes', () => {
  it('a READ grant exposes every page of the key to stray reads: exposureRead > 0, exposureWrite 0', () => {
    const r = run(
      KEY + `page d key pmem\npage e key pmem\ntask t cpu 0 {\n x = page_address(d)\n grant_access(pmem, READ)\n read(x, 0)\n stray_read(e)\n revoke_access(pmem, READ)\n}\n`,
      { policy: 'scoped:strict' },
    );
    expect(r.summary.straysMissed).toBe(1);
    expect(r.summary.exposureRead).toBeGreaterThan(0);
    expect(r.summary.exposureWrite).toBe(0);
    expect(r.summary.exposure).toBe(r.summary.exposureRead);
  });
});

describe('page_address() of a kmapped page', () => {
  const body = `task t cpu 0 {\n p = kmap(buf)\n q = page_address(buf)\n write(q, 0)\n kunmap(buf)\n}\n`;
  it('x86_32: page_address() of a kmapped highmem page returns its kmap() address (the ext2 pattern works)', () => {
    const r = run('arch x86_32\n' + KEY + 'page buf key pmem highmem\n' + body, { policy: 'none' });
    const maps = eventsOf(r, 'map');
    expect(eventsOf(r, 'access')[0]!.addr).toBe(maps[0]!.addr);
    expect([r.summary.oopses, r.summary.legitAccesses, r.summary.strayAccesses]).toEqual([0, 1, 0]);
  });
  it.each(ALL_POLICIES.filter((p) => !p.startsWith('exception')))('x86_64 %s: the page_address() pointer carries the kmap() mapping: legit, not broken', (policy) => {
    const r = run(KEY + 'page buf key pmem\n' + body, { policy });
    expect([r.summary.legitAccesses, r.summary.legitBroken, r.summary.strayAccesses]).toEqual([1, 0, 0]);
  });
  it('x86_32: kunmap() of a highmem page that is not kmapped is a kernel BUG (kunmap_high(): BUG_ON(!vaddr)); of a lowmem page or on x86_64 the kernel does nothing (pksim reports it)', () => {
    const body = 'task t cpu 0 {\n kunmap(buf)\n nop()\n}\n';
    const hi = run('arch x86_32\n' + KEY + 'page buf key pmem highmem\n' + body, { policy: 'none' });
    expect(eventsOf(hi, 'oops').map((e) => e.message)).toEqual(['kernel BUG at mm/highmem.c: kunmap_high(): kunmap() of a page that is not kmapped']);
    expect(formatDmesg(hi)).toMatch(/kernel BUG at mm\/highmem.c!\n.*invalid opcode: 0000 \[#1\]/);
    expect(hi.summary.finished).toBe(0);
    for (const arch of ['arch x86_32\n' + KEY + 'page buf key pmem\n', KEY + 'page buf key pmem\n']) {
      const r = run(arch + body, { policy: 'none' });
      expect([r.summary.oopses, r.summary.finished]).toEqual([0, 1]);
      expect(eventsOf(r, 'report').map((e) => e.what)).toEqual(['kunmap_unmapped']);
    }
  });
  it('x86_32: page_address() of a highmem page that is not kmapped is NULL', () => {
    const r = run('arch x86_32\n' + KEY + 'page buf key pmem highmem\ntask t cpu 0 {\n q = page_address(buf)\n write(q, 0)\n}\n', { policy: 'none' });
    expect(r.summary.oopses).toBe(1);
    expect(eventsOf(r, 'oops')[0]!.message).toMatch(/address: 00000000/);
  });
});

describe('sleeping in atomic context is reported as the kernel reports it', () => {
  it('wait_for_completion() with preemption disabled: might_sleep and "scheduling while atomic" splats, no oops, the task goes on', () => {
    const r = run(
      `cpus 2\ncompletion d\ntask t cpu 0 {\n preempt_disable()\n wait_for_completion(d)\n preempt_enable()\n}\ntask u cpu 1 {\n nop()\n nop()\n complete(d)\n}\n`,
      { policy: 'none' },
    );
    const reports = eventsOf(r, 'report');
    // The count schedule_debug() reset makes the preempt_enable() after it underflow.
    expect(reports.map((e) => e.what)).toEqual(['might_sleep', 'scheduling_while_atomic', 'preempt_underflow']);
    expect(reports[0]!.detail.split('\n').slice(0, 3)).toEqual([
      'BUG: sleeping function called from invalid context at test.pks:5',
      `in_atomic(): 1, irqs_disabled(): 0, non_block: 0, pid: ${reports[0]!.ctx}, name: t`,
      'preempt_count: 1, expected: 0',
    ]);
    expect(reports[1]!.detail).toBe(`BUG: scheduling while atomic: t/${reports[0]!.ctx}/0x00000001`);
    expect([r.summary.oopses, r.summary.finished]).toEqual([0, 1]);
  });
  it('schedule() with preemption disabled prints "scheduling while atomic" and schedules; it is not an oops', () => {
    const r = run(`cpus 1\ntask t cpu 0 {\n preempt_disable()\n schedule()\n}\n`, { policy: 'none' });
    expect(eventsOf(r, 'report').map((e) => e.what)).toEqual(['scheduling_while_atomic']);
    expect(r.summary.oopses).toBe(0);
  });
  it('schedule_debug(): after "scheduling while atomic" the task comes back with preempt_count 0, so its own preempt_enable() underflows', () => {
    // kernel/sched/core.c: schedule_debug() prints __schedule_bug() and sets the count to
    // PREEMPT_DISABLED, which schedule() drops on its way out.
    const src = (after: number) => `cpus 1\ntask t cpu 0 {\n preempt_disable()\n preempt_disable()\n schedule()\n assert preempt_count() == ${after}\n preempt_enable()\n}\n`;
    // The assert runs (the count the model kept before would fail it), at line 6.
    expect(run(src(2), { policy: 'none' }).expectations.map((e) => [e.metric, e.ok, e.line])).toEqual([['assert', false, 6]]);
    const r = run(src(0), { policy: 'none' });
    expect(r.expectations.filter((e) => !e.ok)).toEqual([]);
    expect(eventsOf(r, 'report').map((e) => e.what)).toEqual(['scheduling_while_atomic', 'preempt_underflow']);
    expect(eventsOf(r, 'report')[0]!.detail).toMatch(/\/0x00000002$/);
  });
  it('kmap() inside kmap_atomic(): might_sleep with in_atomic() 1 and the preempt count', () => {
    const r = run(KEY + `page a key pmem\npage b key pmem\ntask t cpu 0 {\n x = kmap_atomic(a)\n y = kmap(b)\n kunmap(b)\n kunmap_atomic(x)\n}\n`, { policy: 'none' });
    const ms = eventsOf(r, 'report').filter((e) => e.what === 'might_sleep');
    expect(ms).toHaveLength(1); // kunmap() has no might_sleep() without highmem
    expect(ms[0]!.detail).toMatch(/preempt_count: 1, expected: 0/);
  });
  it('x86_32: kunmap() in atomic context is reported too (might_sleep in kunmap())', () => {
    const r = run('arch x86_32\n' + KEY + `page a key pmem highmem\ntask t cpu 0 {\n y = kmap(a)\n local_irq_disable()\n kunmap(a)\n local_irq_enable()\n}\n`, {
      policy: 'none',
    });
    expect(eventsOf(r, 'report').map((e) => e.what)).toEqual(['might_sleep']);
    expect(eventsOf(r, 'report')[0]!.detail).toMatch(/irqs_disabled\(\): 1/);
  });
  it('sleeping in interrupt context is fatal', () => {
    const r = run(`cpus 1\ncompletion d\ntask t cpu 0 {\n raise_irq(h)\n}\nhardirq h cpu 0 {\n wait_for_completion(d)\n}\n`, { policy: 'none' });
    expect(r.summary.panics).toBe(1);
    expect(eventsOf(r, 'oops')[0]!.message).toMatch(/^BUG: scheduling while atomic: \S+\/\d+\/0x00010000 /);
  });
  it('the splat of kmap() in atomic context is whole, the mapped address is in the trace', () => {
    const text = KEY + `page a key pmem\ntask t cpu 0 {\n preempt_disable()\n y = kmap(a)\n kunmap(a)\n preempt_enable()\n}\n`;
    const r = run(text, { policy: 'none' });
    const log = formatDmesg(r, text);
    expect(log).toMatch(
      /\] BUG: sleeping function called from invalid context at test\.pks:\d+\n.*\] in_atomic\(\): 1, irqs_disabled\(\): 0, non_block: 0, pid: 2, name: t\n.*\] preempt_count: 1, expected: 0\n/,
    );
    expect(formatFtrace(r)).toMatch(/tracing_mark_write: kmap a -> 0xffff888000001000\n/);
  });
});

describe('kmap_local depth', () => {
  const maps = (n: number) => Array.from({ length: n }, (_, i) => ` x${i} = kmap_local_page(p)`).join('\n');
  it('15 live kmap_local entries are allowed; the 16th is a BUG (oops)', () => {
    const fifteen = run(KEY + `page p key pmem\ntask t cpu 0 {\n${maps(15)}\n}\n`, { policy: 'none' });
    expect(fifteen.summary.oopses).toBe(0);
    const sixteen = run(KEY + `page p key pmem\ntask t cpu 0 {\n${maps(16)}\n}\n`, { policy: 'none' });
    expect(sixteen.summary.oopses).toBe(1);
    expect(eventsOf(sixteen, 'oops')[0]!.message).toMatch(/kernel BUG at mm\/highmem.c: kmap_local_idx_push/);
  });
});

describe('abandon follows V7', () => {
  const text = KEY + `page buf key pmem\ntask t cpu 0 {\n a = kmap(buf)\n write(a, 0)\n kunmap(buf)\n}\ntask u cpu 1 {\n stray_write(buf, 8)\n}\n`;
  it('abandon (RELAXED): kmap() of a protected page warns "Page map protection disabled" once and abandons the key, with no IPI', () => {
    const r = run(text, { policy: 'abandon' });
    const w = eventsOf(r, 'warning');
    expect(w[0]!.site).toBe('pgmap_protection_flag_invalid');
    expect(w[0]!.message).toMatch(/^Page map protection disabled/);
    expect(r.summary.ipis).toBe(0);
    expect(r.summary.legitWarned + r.summary.legitBroken).toBe(0);
  });
  it('abandon:strict: kmap() of a protected page is a BUG', () => {
    const r = run(text, { policy: 'abandon:strict' });
    expect(eventsOf(r, 'oops')[0]!.message).toMatch(/pgmap_protection_flag_invalid/);
  });
  it('abandon: other CPUs pick the abandoned key up lazily; a stale CPU faults and is retried silently', () => {
    const r = run(
      KEY +
        `page buf key pmem\ncompletion d\ntask t cpu 0 {\n a = kmap(buf)\n complete(d)\n kunmap(buf)\n}\ntask u cpu 1 {\n x = page_address(buf)\n grant_access(pmem, READ)\n wait_for_completion(d)\n revoke_access(pmem)\n stray_write(buf, 8)\n}\n`,
      { policy: 'abandon', schedule: null },
    );
    expect(r.summary.warnings).toBe(1);
    expect(r.summary.straysMissed).toBe(1);
    expect(r.summary.ipis).toBe(0);
  });
});

describe('reset points', () => {
  const text = `cpus 2
key pmem = 1 default noaccess
page buf key pmem
page meta key pmem
channel c
completion done, second
task submit cpu 0 {
    p = kmap(buf)
    send(c, p)
    queue_work(io_done)
    wait_for_completion(done)
    kunmap(buf)
    complete(second)
    return_to_user()
}
worker kw cpu 1
work io_done on kw {
    q = recv(c)
    write(q, 0)
    complete(done)
}
kthread later cpu 1 {
    wait_for_completion(second)
    queue_work(unrelated)
}
work unrelated on kw {
    stray_write(meta, 8)
}
`;
  it('--reset-at schedule resets whenever the worker gives up the CPU: the pardon from one item no longer covers the next', () => {
    const without = run(text, { policy: 'scoped:relaxed' });
    expect(without.summary.straysMissed).toBe(1);
    const withReset = run(text, { policy: 'scoped:relaxed', resetPoints: ['schedule'] });
    expect(withReset.summary.straysMissed).toBe(0);
    expect(withReset.summary.straysCaught).toBe(1);
  });
});

describe('no false diagnostics', () => {
  it('a kmap() held across return_to_user() is legal: not a leak', () => {
    const r = run(KEY + `page buf key pmem\ntask t cpu 0 {\n a = kmap(buf)\n return_to_user()\n kunmap(buf)\n}\n`, { policy: 'scoped:relaxed' });
    expect(r.summary.leaks).toBe(0);
    expect(r.summary.reports).toBe(0);
  });
  it('scoped:off behaves exactly as none', () => {
    const text =
      KEY +
      `page buf key pmem\nchannel c\ntask t cpu 0 {\n a = kmap(buf)\n send(c, a)\n kunmap(buf)\n kunmap(buf)\n revoke_access(pmem)\n}\nsoftirq s cpu 1 on c {\n p = recv(c)\n write(p, 0)\n}\n`;
    const none = run(text, { policy: 'none' });
    const off = run(text, { policy: 'scoped:off' });
    expect(off.summary).toEqual(none.summary);
    expect(off.events.map((e) => e.type)).toEqual(none.events.map((e) => e.type));
  });
  it('kmap_local_page() in a hardirq with interrupts enabled gets the WARN_ON_ONCE of kmap_local_idx_push()', () => {
    const r = run(
      KEY +
        `page buf key pmem\ntask t cpu 0 {\n raise_irq(h)\n}\nhardirq h cpu 0 {\n local_irq_enable()\n a = kmap_local_page(buf)\n kunmap_local(a)\n b = kmap_local_page(buf)\n kunmap_local(b)\n}\n`,
      { policy: 'none' },
    );
    expect(eventsOf(r, 'warning').map((e) => [e.site, e.printed])).toEqual([
      ['kmap_local_idx_push', true],
      ['kmap_local_idx_push', false],
    ]);
    expect(r.summary.warnings).toBe(1);
  });
  it('an out-of-order kunmap_local() prints a full WARNING block once and counts in warnings', () => {
    const text =
      KEY + `page a key pmem\npage b key pmem\ntask t cpu 0 {\n repeat 2 {\n x = kmap_local_page(a)\n y = kmap_local_page(b)\n kunmap_local(x)\n kunmap_local(y)\n }\n}\n`;
    const r = run(text, { policy: 'none' });
    // Each iteration unmaps out of order twice: x while y is the top, then y after it went.
    expect(r.summary.lifoViolations).toBe(4);
    expect(r.summary.warnings).toBe(1);
    expect(r.summary.warningsSuppressed).toBe(3);
    const log = formatDmesg(r, text);
    expect(log.match(/------------\[ cut here \]------------/g)).toHaveLength(1);
    expect(log).toMatch(/WARNING: CPU: 0 PID: 2 at test\.pks:\d+ kunmap_local_indexed\+0x/);
  });
});
