// pksim's splats next to the kernel's layout: each fixture in test/fixtures/dmesg/ is a splat
// written from the kernel's format strings (kernel/panic.c __warn, arch/x86/mm/fault.c
// show_fault_oops, arch/x86/kernel/dumpstack.c __die, kernel/sched/core.c __might_resched and
// __schedule_bug, the PKS series' pks_show_regs), with made-up names, addresses and build.
// Each block pksim prints must match its fixture line by line, once the fields that
// legitimately differ are masked: timestamps, symbol offsets, file:line, addresses, the build
// and hardware name; the register lines pksim does not model are dropped from the fixture.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatDmesg, dmesgStamp } from '../../src/report/dmesg.js';
import { tainted } from '../../src/report/splat.js';
import { compileScenario, loadScenario } from '../../src/scenario/index.js';
import { runScenario, type RunOptions } from '../../src/sim/runner.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'dmesg');

/** Register lines of the kernel's show_regs() that pksim does not model (it has no registers). */
const NOT_MODELLED = /^(Code|RSP|RAX|RDX|RBP|R10|R13|FS|CS): |^CR2: \S+ CR3: /;

function norm(line: string): string {
  return line
    .replace(/^\[\s*\d+\.\d{6}\] /, '')
    .replace(/\+0x[0-9a-f]+\/0x[0-9a-f]+/g, '+OFF')
    .replace(/ \S+\.(?:c|h|pks):\d+/g, ' FILE:LINE')
    .replace(/\b(PGD|P4D|PUD|PMD|PTE) [0-9a-f]+/g, '$1 X')
    .replace(/\b[0-9a-f]{16}\b/g, 'ADDR')
    .replace(/(Not tainted|Tainted: [A-Z ]*[A-Z]) +\S+ #\d+$/, '$1 BUILD')
    .replace(/^Hardware name: .*/, 'Hardware name: HW');
}

function fixture(name: string): string[] {
  return readFileSync(join(FIXTURES, name), 'utf8')
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.replace(/^\[\s*\d+\.\d{6}\] /, ''))
    .filter((l) => !NOT_MODELLED.test(l))
    .map(norm);
}

/** The lines of pksim's log from the first match of `from` to the line before `to` (or the end). */
function block(log: string, from: RegExp, to?: RegExp): string[] {
  const lines = log.split('\n').filter((l) => l !== '');
  const i = lines.findIndex((l) => from.test(l));
  expect(i, `no line matching ${from}`).toBeGreaterThanOrEqual(0);
  const j = to ? lines.findIndex((l, k) => k > i && to.test(l)) : -1;
  return lines.slice(i, j < 0 ? undefined : j).map(norm);
}

function sideBySide(a: string[], b: string[]): string {
  const w = Math.max(...a.map((l) => l.length), 10);
  return Array.from({ length: Math.max(a.length, b.length) }, (_, i) => `${(a[i] ?? '').padEnd(w)} | ${b[i] ?? ''}`).join('\n');
}

function log(source: string | { name: string }, opts: RunOptions): string {
  const ir = typeof source === 'string' ? compileScenario(source, 'test.pks') : loadScenario(source.name);
  return formatDmesg(runScenario(ir, opts), ir.source);
}

const NMI = `cpus 1
key pmem = 1 default noaccess
page buf key pmem
task app cpu 0 {
    raise_softirq(net_rx)
    schedule()
    return_to_user()
}
softirq net_rx cpu 0 {
    raise_irq(nic)
    schedule()
}
hardirq nic cpu 0 {
    raise_irq(perf)
    preempt_disable()
    preempt_enable()
}
nmi perf cpu 0 {
    stray_write(buf, 0x40)
}`;

const SLEEP = `cpus 1
completion done
task app cpu 0 {
    complete(done)
    preempt_disable()
    wait_for_completion(done)
    schedule()
    preempt_enable()
}`;

const CASES: { fixture: string; source: string | { name: string }; opts: RunOptions; from: RegExp; to?: RegExp }[] = [
  { fixture: 'warning-softirq.txt', source: { name: 'async_handoff_softirq' }, opts: { policy: 'scoped:relaxed' }, from: /cut here/ },
  { fixture: 'oops-pks-softirq.txt', source: { name: 'async_handoff_softirq' }, opts: { policy: 'scoped:strict' }, from: /BUG: unable/ },
  { fixture: 'warning-kernel-site.txt', source: { name: 'lifo_violation' }, opts: { policy: 'scoped:relaxed' }, from: /cut here/ },
  { fixture: 'oops-nmi.txt', source: NMI, opts: { policy: 'scoped:strict' }, from: /BUG: unable/ },
  { fixture: 'might-sleep.txt', source: SLEEP, opts: { policy: 'none' }, from: /BUG: sleeping/, to: /BUG: scheduling/ },
  { fixture: 'sched-atomic.txt', source: SLEEP, opts: { policy: 'none' }, from: /BUG: scheduling/, to: /preempt_underflow/ },
];

describe('dmesg splats follow the kernel layout (test/fixtures/dmesg)', () => {
  for (const c of CASES) {
    it(`splat layout: ${c.fixture}`, () => {
      const want = fixture(c.fixture);
      const got = block(log(c.source, c.opts), c.from, c.to);
      expect(got, `pksim | kernel format\n${sideBySide(got, want)}`).toEqual(want);
    });
  }

  it('dmesg: a pardoned fault prints no #PF lines (they are in the ftrace text), a fatal one does', () => {
    const relaxed = log({ name: 'async_handoff_softirq' }, { policy: 'scoped:relaxed' });
    expect(relaxed).toMatch(/WARNING: CPU: 1 PID: 0 at/);
    expect(relaxed).not.toMatch(/#PF/);
    expect(log({ name: 'async_handoff_softirq' }, { policy: 'scoped:strict' })).toMatch(/#PF: error_code\(0x0023\) - protection keys violation/);
  });

  it('dmesg: timestamps are seconds.microseconds, one tick one microsecond', () => {
    expect(dmesgStamp(7)).toBe('[    0.000007]');
    expect(dmesgStamp(1_234_567)).toBe('[    1.234567]');
    expect(log({ name: 'async_handoff_softirq' }, { policy: 'scoped:relaxed' })).toMatch(/^\[ {4}0\.000007\] WARNING: /m);
  });

  it('dmesg: the CPU line is "Not tainted" before any warning, "Tainted: G        W" after one', () => {
    const text = `cpus 1
key pmem = 1 default noaccess
key other = 2 default noaccess
page a key pmem
page b key other
channel c
task t cpu 0 { p = kmap(a); send(c, p); schedule(); stray_write(b) }
softirq s cpu 0 on c { p = recv(c); write(p) }`;
    const out = log(text, { policy: 'scoped:relaxed' });
    const cpu = out.split('\n').filter((l) => /\] CPU: 0 PID: /.test(l));
    expect(cpu).toHaveLength(2);
    expect(cpu[0]).toMatch(/Comm: t Not tainted pksim #1$/);
    expect(cpu[1]).toMatch(/Comm: t Tainted: G {8}W pksim #1$/);
  });

  it('dmesg: a softirq has no PID: the splat names the task the CPU runs, swapper/N with PID 0 when idle', () => {
    const text = `cpus 1
key pmem = 1 default noaccess
page a key pmem
channel c
task writer cpu 0 { p = kmap(a); send(c, p); schedule() }
softirq s cpu 0 on c { p = recv(c); write(p) }`;
    const out = log(text, { policy: 'scoped:relaxed' });
    expect(out).toMatch(/WARNING: CPU: 0 PID: 1 at test\.pks:6 s\+0x0\/0x10/);
    expect(out).toMatch(/CPU: 0 PID: 1 Comm: writer Not tainted/);
    const idle = log({ name: 'async_handoff_softirq' }, { policy: 'scoped:relaxed' });
    expect(idle).toMatch(/CPU: 1 PID: 0 Comm: swapper\/1 Not tainted/);
  });

  it('dmesg: on x86_32 a softirq runs on its own stack: <SOFTIRQ>, not <IRQ>', () => {
    const text = `arch x86_32
cpus 1
key pmem = 1 default noaccess
page a key pmem
task t cpu 0 { raise_softirq(s); schedule() }
softirq s cpu 0 { stray_write(a) }`;
    const out = log(text, { policy: 'scoped:strict' });
    expect(out).toMatch(/ <SOFTIRQ>\n.* handle_softirqs/);
    expect(out).not.toMatch(/<IRQ>/);
  });

  it('dmesg: a work item is its work function, called from process_one_work in the worker kthread', () => {
    const out = log({ name: 'async_handoff_workqueue' }, { policy: 'exception', warn: 'per-site' });
    expect(out).toMatch(/WARNING: CPU: 1 PID: 3 at scenarios\/async_handoff_workqueue\.pks:26 decrypt\+0x20\/0x60\n.*Modules linked in:\n.*CPU: 1 PID: 3 Comm: kcryptd /);
    expect(out).toMatch(
      /Call Trace:\n.*<TASK>\n.* process_one_work\+0x[0-9a-f]+\/0x[0-9a-f]+\n.* worker_thread\+.*\n.* kthread\+.*\n.* ret_from_fork\+.*\n.* ret_from_fork_asm\+.*\n.* <\/TASK>/,
    );
  });

  it('dmesg: print_tainted() flags: G, then D after an oops and W after a warning, in their columns', () => {
    expect(tainted(new Set())).toBe('Not tainted');
    expect(tainted(new Set(['W']))).toBe('Tainted: G        W');
    expect(tainted(new Set(['D']))).toBe('Tainted: G      D');
    expect(tainted(new Set(['W', 'D']))).toBe('Tainted: G      D W');
  });
});
