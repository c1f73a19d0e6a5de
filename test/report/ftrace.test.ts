// The ftrace text (`pksim run --ftrace FILE`, `--log ftrace`): every line follows ftrace's
// layout, the text parses back to the run's events, and the handoff's flow from the task to
// the softirq can be read from it.

import { describe, expect, it } from 'vitest';
import { formatFtrace, flagsOf } from '../../src/report/ftrace.js';
import { loadScenario } from '../../src/scenario/index.js';
import { runScenario } from '../../src/sim/runner.js';
import { libraryNames } from '../../src/scenario/index.js';
import { run } from '../helpers.js';

/** ftrace's event line: `comm-pid [cpu] flags secs.usecs: event: fields` (Perfetto's systrace tokenizer accepts the same). */
const LINE = /^ *(.+)-(\d+) +\[(\d{3})\] ([.dX][.nNp][.zZhHs][.0-9a-f][.0-9a-f]) +(\d+\.\d{6}): ([a-z_]+): (.*)$/;

interface FtraceLine {
  comm: string;
  pid: number;
  cpu: number;
  flags: string;
  ts: number;
  event: string;
  fields: string;
}

function parse(text: string): { cpus: number; lines: FtraceLine[]; bad: string[] } {
  const all = text.split('\n').filter((l) => l !== '');
  const cpus = Number(/^cpus=(\d+)$/.exec(all[0]!)?.[1] ?? NaN);
  const lines: FtraceLine[] = [];
  const bad: string[] = [];
  for (const l of all.slice(1)) {
    if (l.startsWith('#')) continue;
    const m = LINE.exec(l);
    if (!m) {
      bad.push(l);
      continue;
    }
    lines.push({ comm: m[1]!.trim(), pid: Number(m[2]), cpu: Number(m[3]), flags: m[4]!, ts: Math.round(Number(m[5]) * 1e6), event: m[6]!, fields: m[7]! });
  }
  return { cpus, lines, bad };
}

const fields = (s: string) =>
  Object.fromEntries(
    s
      .split(' ')
      .filter((w) => w.includes('='))
      .map((w) => w.split('=') as [string, string]),
  );

describe('ftrace text', () => {
  it('ftrace format: every line of every library run matches ftrace layout, with the trace-cmd and ftrace headers', () => {
    for (const name of libraryNames()) {
      for (const policy of ['global', 'scoped:relaxed', 'scoped:strict', 'exception']) {
        const text = formatFtrace(runScenario(loadScenario(name), { policy }));
        const p = parse(text);
        expect(p.bad, `${name} ${policy}`).toEqual([]);
        expect(text.split('\n')[1]).toBe('# tracer: nop');
        expect(p.cpus).toBeGreaterThan(0);
        // Timestamps never go back.
        for (let i = 1; i < p.lines.length; i++) expect(p.lines[i]!.ts).toBeGreaterThanOrEqual(p.lines[i - 1]!.ts);
      }
    }
  });

  it('ftrace parse-back: the handoff has its sched_switch, softirq and print events, and the flow from the task to the softirq', () => {
    const r = runScenario(loadScenario('async_handoff_softirq'), { policy: 'scoped:relaxed' });
    const { cpus, lines } = parse(formatFtrace(r));
    expect(cpus).toBe(2);
    const switches = lines.filter((l) => l.event === 'sched_switch');
    expect(switches).toHaveLength(r.events.filter((e) => e.type === 'switch').length);
    expect(fields(switches[0]!.fields)).toMatchObject({
      prev_comm: 'swapper/0',
      prev_pid: '0',
      prev_prio: '120',
      prev_state: 'R',
      next_comm: 'writer',
      next_pid: '2',
      next_prio: '120',
    });
    // The writer sleeps in wait_for_completion(): uninterruptible.
    expect(switches.map((s) => fields(s.fields).prev_state)).toContain('D');
    // The flow: the writer's send raises the softirq on cpu 0; it runs on cpu 1 over the idle task.
    const raise = lines.find((l) => l.event === 'softirq_raise')!;
    expect(raise).toMatchObject({ comm: 'writer', pid: 2, cpu: 0, fields: 'vec=0 [action=block_done]' });
    const entry = lines.find((l) => l.event === 'softirq_entry')!;
    expect(entry).toMatchObject({ comm: '<idle>', pid: 0, cpu: 1, flags: '..s..', fields: 'vec=0 [action=block_done]' });
    expect(entry.ts).toBeGreaterThan(raise.ts);
    expect(lines.find((l) => l.event === 'softirq_exit')).toMatchObject({ cpu: 1, fields: 'vec=0 [action=block_done]' });
    // Statements, the map, the fault, the warning and the pardon are print events.
    const prints = lines.filter((l) => l.event === 'print').map((l) => l.fields);
    expect(prints).toContain('tracing_mark_write: line 13: p = kmap(buf)');
    expect(prints).toContain('tracing_mark_write: kmap buf -> 0xffff888000001000');
    expect(prints.some((p) => p.startsWith('tracing_mark_write: #PF: key 1 (pmem) of buf, PKRS 0x00000004'))).toBe(true);
    expect(prints.some((p) => p.startsWith('tracing_mark_write: WARNING at scenarios/async_handoff_softirq.pks:24:5'))).toBe(true);
    expect(prints.some((p) => p.startsWith('tracing_mark_write: pardon: key 1 (pmem)'))).toBe(true);
    expect(lines.find((l) => l.event === 'page_fault_kernel')).toMatchObject({ cpu: 1, flags: '..s..', fields: 'address=0xffff888000001010 ip=block_done error_code=0x23' });
    // The wake-up of the writer by the softirq.
    expect(lines.find((l) => l.event === 'sched_waking')).toMatchObject({ cpu: 1, fields: 'comm=writer pid=2 prio=120 target_cpu=000' });
    // need-resched: the woken writer is due on cpu 0, where the idle task runs until the switch.
    const back = switches.find((s) => s.cpu === 0 && fields(s.fields).next_comm === 'writer' && s.ts > 8)!;
    expect(back.flags).toBe('.N...');
    expect(lines.find((l) => l.cpu === 0 && l.ts === back.ts && l.event === 'write_msr')!.flags).toBe('.....');
    // Every statement has its print event.
    expect(prints.filter((p) => /^tracing_mark_write: line \d+: /.test(p))).toHaveLength(r.events.filter((e) => e.type === 'stmt').length);
  });

  it('ftrace workqueue: queue_work and the worker running the item are workqueue_* events', () => {
    const { lines } = parse(formatFtrace(runScenario(loadScenario('async_handoff_workqueue'), { policy: 'global' })));
    const q = lines.find((l) => l.event === 'workqueue_queue_work')!;
    expect(q).toMatchObject({ comm: 'submitter', cpu: 0 });
    expect(q.fields).toMatch(/^work struct=([0-9a-f]{16}) function=decrypt workqueue=kcryptd req_cpu=0 cpu=1$/);
    const ptr = /struct=(\w+)/.exec(q.fields)![1];
    expect(lines.find((l) => l.event === 'workqueue_execute_start')).toMatchObject({ comm: 'kcryptd', cpu: 1, fields: `work struct ${ptr}: function decrypt` });
    expect(lines.find((l) => l.event === 'workqueue_execute_end')).toMatchObject({ comm: 'kcryptd', cpu: 1, fields: `work struct ${ptr}: function decrypt` });
    expect(lines.filter((l) => l.event === 'ipi_raise').map((l) => l.fields)).toEqual([
      'target_mask=00000000,00000002 (kmap: global enable of key 1)',
      'target_mask=00000000,00000002 (kunmap: global disable of key 1)',
    ]);
  });

  it('ftrace flags: irqs-off and hardirq in a hardirq, preempt depth and migrate-disable from the statements', () => {
    const r = run(`cpus 1
key pmem = 1 default noaccess
page a key pmem
task t cpu 0 {
  p = kmap_local_page(a)
  preempt_disable()
  raise_irq(h)
  read(p)
  preempt_enable()
  local_irq_disable()
  read(p)
  local_irq_enable()
  kunmap_local(p)
}
hardirq h cpu 0 { schedule_nothing = page_address(a) }`);
    const { lines, bad } = parse(formatFtrace(r));
    expect(bad).toEqual([]);
    const at = (text: string) => lines.find((l) => l.fields.endsWith(text))!.flags;
    expect(at('p = kmap_local_page(a)')).toBe('.....');
    expect(at('preempt_disable()')).toBe('....1');
    expect(at('raise_irq(h)')).toBe('...11');
    expect(lines.find((l) => l.event === 'irq_handler_entry')).toMatchObject({ flags: 'd.h11', fields: 'irq=24 name=h' });
    expect(at('preempt_enable()')).toBe('...11');
    expect(at('local_irq_disable()')).toBe('....1');
    expect(lines.filter((l) => l.fields.endsWith('read(p)'))[1]!.flags).toBe('d...1');
    expect(at('kunmap_local(p)')).toBe('....1');
    expect(
      flagsOf([
        { kind: 'idle', name: 'swapper/0', ctx: 0, loc: null, preempt: 0, migrate: 0, irqsOff: false, work: '' },
        { kind: 'softirq', name: 's', ctx: 5, loc: null, preempt: 0, migrate: 0, irqsOff: false, work: '' },
        { kind: 'hardirq', name: 'h', ctx: 6, loc: null, preempt: 0, migrate: 0, irqsOff: true, work: '' },
        { kind: 'nmi', name: 'n', ctx: 7, loc: null, preempt: 0, migrate: 0, irqsOff: true, work: '' },
      ]),
    ).toBe('d.Z..');
  });
});
