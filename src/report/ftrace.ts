// A run as ftrace text, as `trace-cmd report` prints a trace: a `cpus=N` line, ftrace's
// `# tracer: nop` header, then one line per event, `comm-pid [cpu] flags timestamp: event: fields`
// (the layout Perfetto and KernelShark import). The flags column is computed from the state
// pksim tracks: irqs off, need-resched, hardirq/softirq/NMI, preempt depth, migrate-disable depth.
// Kernel tracepoints where the kernel has one (sched_switch, irq_handler_entry/exit,
// softirq_raise/entry/exit, workqueue_*, sched_waking/wakeup, ipi_raise, page_fault_kernel,
// write_msr), `print` events for every statement and what the model adds (map, unmap, pardon,
// warning, oops).

import { MSR_IA32_PKRS, hex32, rightsOf } from '../arch/x86/pkrs.js';
import type { PksimEvent } from '../kernel/events.js';
import type { RunResult } from '../sim/result.js';
import { CpuStacks, pidOf, type Frame } from './stacks.js';

/** One tick is one microsecond: seconds.microseconds, as ftrace prints with the default clock. */
export function ftraceTime(tick: number): string {
  return `${Math.floor(tick / 1e6)}.${String(tick % 1e6).padStart(6, '0')}`;
}

/**
 * The flags column: irqs-off (d), need-resched (N: a task woken for this CPU while another runs
 * there, until the next switch), hardirq/softirq (z NMI, Z NMI in a hardirq,
 * H hardirq in a softirq, h hardirq, s softirq), preempt depth, migrate-disable depth.
 */
export function flagsOf(frames: readonly Frame[], needResched = false): string {
  const kinds = frames.map((f) => f.kind);
  const top = frames[frames.length - 1]!;
  const nmi = kinds.includes('nmi');
  const hard = kinds.includes('hardirq');
  const soft = kinds.includes('softirq');
  const irqsOff = nmi || hard || frames.some((f) => f.irqsOff);
  const ctx = nmi ? (hard ? 'Z' : 'z') : hard ? (soft ? 'H' : 'h') : soft ? 's' : '.';
  const task = frames[0]!;
  const preempt = frames.reduce((n, f) => n + f.preempt, 0);
  const migrate = task.migrate + (top === task ? 0 : top.migrate);
  const digit = (n: number) => (n === 0 ? '.' : n > 15 ? 'f' : n.toString(16));
  return `${irqsOff ? 'd' : '.'}${needResched ? 'N' : '.'}${ctx}${digit(preempt)}${digit(migrate)}`;
}

const HEADER = `# tracer: nop
#
# entries-in-buffer/entries-written: N/N   #P:P
#
#                                _-----=> irqs-off/BH-disabled
#                               / _----=> need-resched
#                              | / _---=> hardirq/softirq
#                              || / _--=> preempt-depth
#                              ||| / _-=> migrate-disable
#                              |||| /     delay
#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION
#              | |         |   |||||     |         |`;

/** The ftrace text of a run (the statement-by-statement view of `pksim run --log ftrace`). */
export function formatFtrace(r: RunResult): string {
  const stacks = new CpuStacks(r.config.cpus);
  const lines: string[] = [];
  const cpuOf = new Map(r.config.contexts.map((c) => [c.name, c.cpu]));
  const kindIndex = (kind: string, name: string) => r.config.contexts.filter((c) => c.kind === kind).findIndex((c) => c.name === name);
  const irq = (name: string) => 24 + Math.max(0, kindIndex('hardirq', name));
  const vec = (name: string) => Math.max(0, kindIndex('softirq', name)) % 10;
  const works = new Map<string, number>();
  const workStruct = (w: string) => {
    if (!works.has(w)) works.set(w, works.size + 1);
    return `00000000${(0x5a3c1e40 + 0x40 * works.get(w)!).toString(16)}`;
  };
  const page = (p: number) => r.config.pages[p]?.name ?? `page ${p}`;
  const key = (k: number) => `key ${k}${r.config.keys.find((x) => x.id === k) ? ` (${r.config.keys.find((x) => x.id === k)!.name})` : ''}`;
  const asleep = new Map<number, string>();
  /** TIF_NEED_RESCHED per CPU: a task woken for it while another runs there, until the next switch. */
  const resched = Array.from({ length: r.config.cpus }, () => false);
  /** The pid of each task by name, for the wake-up of a task that is not running. */
  const pids = new Map<string, number>();
  const lastStmt = new Map<number, string>();
  const line = (e: PksimEvent, event: string, fields: string) => {
    const frames = stacks.frames(e.cpu);
    const t = frames[0]!;
    const comm = t.kind === 'idle' ? '<idle>' : t.name;
    lines.push(
      `${comm.padStart(16)}-${String(pidOf(t.name, t.ctx)).padEnd(7)} [${String(e.cpu).padStart(3, '0')}] ${flagsOf(frames, resched[e.cpu])} ${ftraceTime(e.tick).padStart(12)}: ${event}: ${fields}`,
    );
  };
  const print = (e: PksimEvent, text: string) => line(e, 'print', `tracing_mark_write: ${text}`);
  for (const e of r.events) {
    // Events logged in the state before their change: a statement (its flags are those it
    // starts with), the exit of a frame, the switch away.
    if (e.type === 'switch') pids.set(e.to, e.toCtx);
    const before = e.type === 'exit' || e.type === 'switch' || e.type === 'stmt';
    if (before) event(e);
    stacks.observe(e);
    if (!before) event(e);
  }
  function event(e: PksimEvent): void {
    switch (e.type) {
      case 'stmt':
        lastStmt.set(e.ctx, e.text);
        print(e, `${e.loc ? `line ${e.loc.line}: ` : ''}${e.text}`);
        break;
      case 'switch': {
        const prev = stacks.current(e.cpu);
        const why = asleep.get(prev.ctx);
        const state =
          prev.kind === 'idle'
            ? 'R'
            : why === 'work'
              ? 'I'
              : why !== undefined
                ? why.startsWith('completion')
                  ? 'D'
                  : 'S'
                : /^return_to_user\(\)$/.test(lastStmt.get(prev.ctx) ?? '')
                  ? 'X'
                  : 'R+';
        asleep.delete(prev.ctx);
        line(
          e,
          'sched_switch',
          `prev_comm=${prev.name} prev_pid=${pidOf(prev.name, prev.ctx)} prev_prio=120 prev_state=${state} ==> next_comm=${e.to} next_pid=${pidOf(e.to, e.toCtx)} next_prio=120`,
        );
        resched[e.cpu] = false;
        break;
      }
      case 'entry':
        if (e.kind === 'hardirq') line(e, 'irq_handler_entry', `irq=${irq(e.name)} name=${e.name}`);
        else if (e.kind === 'softirq') line(e, 'softirq_entry', `vec=${vec(e.name)} [action=${e.name}]`);
        else if (e.kind === 'nmi') print(e, `nmi entry: ${e.name}`);
        break;
      case 'exit':
        if (e.kind === 'hardirq') line(e, 'irq_handler_exit', `irq=${irq(e.name)} ret=handled`);
        else if (e.kind === 'softirq') line(e, 'softirq_exit', `vec=${vec(e.name)} [action=${e.name}]`);
        else if (e.kind === 'nmi') line(e, 'nmi_handler', `handler=${e.name} delta_ns=0 handled=1`);
        break;
      case 'raise':
        if (e.kind === 'softirq') line(e, 'softirq_raise', `vec=${vec(e.name)} [action=${e.name}]`);
        else print(e, `raise ${e.kind} ${e.name} on cpu${e.target}`);
        break;
      case 'work':
        if (e.phase === 'queue')
          line(e, 'workqueue_queue_work', `work struct=${workStruct(e.work)} function=${e.work} workqueue=${e.worker} req_cpu=${e.cpu} cpu=${cpuOf.get(e.worker) ?? e.cpu}`);
        else line(e, e.phase === 'start' ? 'workqueue_execute_start' : 'workqueue_execute_end', `work struct ${workStruct(e.work)}: function ${e.work}`);
        break;
      case 'sleep':
        asleep.set(e.ctx, e.reason);
        print(e, `sleeps on ${e.reason}`);
        break;
      case 'wakeup': {
        const fields = `comm=${e.target} pid=${pidOf(e.target, pids.get(e.target) ?? -1)} prio=120 target_cpu=${String(cpuOf.get(e.target) ?? 0).padStart(3, '0')}`;
        line(e, 'sched_waking', fields);
        line(e, 'sched_wakeup', fields);
        const target = cpuOf.get(e.target);
        if (target !== undefined && target < resched.length && stacks.current(target).name !== e.target) resched[target] = true;
        break;
      }
      case 'ipi':
        line(e, 'ipi_raise', `target_mask=00000000,${(1 << e.target).toString(16).padStart(8, '0')} (${e.reason})`);
        break;
      case 'pkrs_write':
        if (!e.skipped) line(e, 'write_msr', `${MSR_IA32_PKRS.toString(16)}, value ${e.value.toString(16)}`);
        break;
      case 'map':
        print(e, `${e.how} ${page(e.page)} -> ${e.addr}${e.slot >= 0 ? ` (${e.how === 'kmap' ? 'pkmap slot' : 'kmap_local idx'} ${e.slot})` : ''}`);
        break;
      case 'unmap':
        print(e, `${e.how} ${page(e.page)}${e.addr ? ` ${e.addr}` : ''}`);
        break;
      case 'access': {
        const cls = (e as { class?: string }).class;
        if (e.outcome !== 'ok' || cls === 'stray')
          print(e, `${e.write ? 'write' : 'read'} ${e.addr} ${e.page >= 0 ? page(e.page) : '(not present)'}: ${e.outcome.replace('_', ' ')}${cls ? ` [oracle: ${cls}]` : ''}`);
        break;
      }
      case 'fault':
        line(e, 'page_fault_kernel', `address=${e.addr} ip=${stacks.top(e.cpu).name} error_code=0x${e.errorCode.toString(16)}`);
        if (e.key >= 0)
          print(e, `#PF: ${key(e.key)} of ${page(e.page)}, PKRS ${hex32(e.pkrs)} (${r.config.keys.map((k) => `${k.name}=${rightsOf(e.pkrs, k.id)}`).join(' ')})`);
        break;
      case 'pardon':
        print(e, `pardon: ${key(e.key)} opened for the faulting context, saved PKRS -> ${hex32(e.framePkrs)}${e.silent ? ' (silently)' : ''}`);
        break;
      case 'warning':
        print(e, e.printed ? `WARNING at ${e.site}: ${e.message}` : `warning at ${e.site} suppressed (WARN_ONCE already fired)`);
        break;
      case 'oops':
        print(e, `Oops: ${e.message}${e.killed ? ` (${e.ctxName} killed)` : ''}`);
        break;
      case 'panic':
        print(e, e.message);
        break;
      case 'grant':
      case 'revoke':
        print(e, `${e.type}_access(${key(e.key)}, ${e.rights}) count ${e.count}`);
        break;
      case 'lifo_violation':
        print(e, `kunmap_local() of idx ${e.got} while idx ${e.expected} is the top`);
        break;
      case 'leak':
      case 'report':
        print(e, `${e.what}: ${e.detail.split('\n')[0]}`);
        break;
      default:
        break;
    }
  }
  const head = HEADER.replace('N/N', `${lines.length}/${lines.length}`).replace('#P:P', `#P:${r.config.cpus}`);
  return `cpus=${r.config.cpus}\n${head}\n${lines.join('\n')}${lines.length ? '\n' : ''}`;
}
