// The kernel-log view of a run: WARNING, Oops, BUG and panic splats in the kernel's own layout
// (kernel/panic.c __warn, arch/x86/mm/fault.c show_fault_oops, arch/x86/kernel/dumpstack.c),
// as dmesg shows them, with a timestamp in microseconds (one tick).

import { X86_PF_INSTR, X86_PF_PK, X86_PF_PROT, X86_PF_USER, X86_PF_WRITE, hex32 } from '../arch/x86/pkrs.js';
import { mkPte, pteHex } from '../arch/x86/pte.js';
import type { PksimEvent } from '../kernel/events.js';
import type { RunResult } from '../sim/result.js';
import { METRIC_NAMES } from '../sim/metrics.js';
import { limitHint } from '../sim/runner.js';
import { archLayout } from '../arch/x86/layout.js';
import { CpuStacks, pidOf } from './stacks.js';
import { CUT_HERE, DIE_FLAGS, END_TRACE, callTrace, cpuLines, frameSym, ksym, where } from './splat.js';

/** dmesg's timestamp: one tick is one microsecond. */
export function dmesgStamp(tick: number): string {
  return `[${String(Math.floor(tick / 1e6)).padStart(5)}.${String(tick % 1e6).padStart(6, '0')}]`;
}

/** The address as %px prints it: without 0x. */
const px = (addr: string) => addr.replace(/^0x/, '');

/** dump_pagetable(): the walk down to the PTE (upper levels: fixed tables of the model). */
function pagetable(r: RunResult, f: Extract<PksimEvent, { type: 'fault' }>): string {
  const pte = f.page >= 0 ? mkPte(f.page + 1, f.key) : 0n;
  if (r.config.arch === 'x86_32') return `*pdpt = 0000000001c01001 *pde = 0000000001c02067 *pte = ${pteHex(pte)}`;
  return `PGD 1c01067 P4D 1c01067 PUD 1c02067 PMD 1c03067 PTE ${pte.toString(16)}`;
}

/** show_fault_oops(): the BUG line and the two #PF lines, then the page-table walk. */
function faultLines(r: RunResult, f: Extract<PksimEvent, { type: 'fault' }>): string[] {
  const code = f.errorCode;
  const what = code & X86_PF_INSTR ? 'instruction fetch' : code & X86_PF_WRITE ? 'write access' : 'read access';
  const why = !(code & X86_PF_PROT) ? 'not-present page' : code & X86_PF_PK ? 'protection keys violation' : 'permissions violation';
  return [
    `BUG: unable to handle page fault for address: ${px(f.addr)}`,
    `#PF: ${code & X86_PF_USER ? 'user' : 'supervisor'} ${what} in kernel mode`,
    `#PF: error_code(0x${code.toString(16).padStart(4, '0')}) - ${why}`,
    pagetable(r, f),
  ];
}

/** The kernel's "comm/pid/0x%08x" of a scheduling-while-atomic line, with the pid the log uses. */
function fixPid(line: string, stacks: CpuStacks, cpu: number): string {
  const t = stacks.current(cpu);
  const pid = pidOf(t.name, t.ctx);
  return line.replace(/(BUG: scheduling while atomic: .*\/)\d+(\/0x[0-9a-f]+).*$/, `$1${pid}$2`).replace(/(, pid: )\d+(, name: )/, `$1${pid}$2`);
}

/**
 * The kernel log of a run, as dmesg shows it: WARNING, Oops, BUG and panic splats in the
 * kernel's layout, pksim's own lines (leaks, reports) as pr_warn lines, every line stamped
 * with the tick in microseconds. The statement-by-statement view is the ftrace text (ftrace.ts).
 */
export function formatDmesg(r: RunResult, source = ''): string {
  const src = source.split('\n');
  const out: string[] = [];
  const arch = r.config.arch;
  const stacks = new CpuStacks(r.config.cpus);
  const taint = new Set<string>();
  const lastFault: (Extract<PksimEvent, { type: 'fault' }> | null)[] = Array.from({ length: r.config.cpus }, () => null);
  const pkrs = Array.from({ length: r.config.cpus }, () => r.config.defaultPkrs);
  let tick = 0;
  let dies = 0;
  const push = (...lines: string[]) => {
    for (const l of lines) out.push(`${dmesgStamp(tick)} ${l}`);
  };
  push(`pksim: ${r.scenario} under ${r.policy}`, `pksim: ${arch}, ${r.config.cpus} CPUs, CR4.PKS=${r.config.cr4pks ? 1 : 0}, PKS_INIT_VALUE=${hex32(r.config.defaultPkrs)}`);
  const caveat = archLayout(arch).caveat;
  if (caveat) push(`pksim: ${caveat}`);
  /** The registers part of a splat: the RIP and, with PKS, the PKRS of the faulting frame. */
  const regs = (e: PksimEvent, sym: string, loc: string) => {
    push(`RIP: 0010:${sym}${loc}`);
    // The series' pks_show_regs(): the PKRS of the interrupted frame (the faulting one).
    const f = lastFault[e.cpu];
    if (r.config.cr4pks) push(`PKRS: 0x${(f && f.tick === e.tick ? f.pkrs : pkrs[e.cpu]!).toString(16)}`);
  };
  const top = (cpu: number) =>
    stacks
      .frames(cpu)
      .filter((f) => f.kind !== 'exception' && f.kind !== 'idle')
      .pop() ?? stacks.top(cpu);
  /** A WARN() splat: the message, then the WARNING line at the site (a kernel function, or '?' for the scenario line). */
  const warn = (e: PksimEvent, message: string, site: string) => {
    const kernelSite = !site.includes(':') && site !== '?';
    const sym = kernelSite ? ksym(site) : frameSym(src, top(e.cpu));
    push(CUT_HERE, message, `WARNING: CPU: ${e.cpu} PID: ${pidOf(stacks.current(e.cpu).name, stacks.current(e.cpu).ctx)} at${where(e.loc)} ${sym}`, 'Modules linked in:');
    push(...cpuLines(stacks, e.cpu, taint));
    regs(e, sym, kernelSite ? '' : where(e.loc));
    push(...callTrace(stacks, e.cpu, src, arch, [], kernelSite), END_TRACE);
    taint.add('W');
  };
  for (const e of r.events) {
    stacks.observe(e);
    tick = e.tick;
    switch (e.type) {
      case 'fault':
        lastFault[e.cpu] = e;
        break;
      case 'pkrs_write':
        pkrs[e.cpu] = e.value;
        break;
      case 'warning':
        if (e.printed) warn(e, e.message, e.site);
        break;
      case 'oops': {
        const f = lastFault[e.cpu];
        const bug = /^kernel BUG at (\S+?):? (\w+)\(\): (.*)$/.exec(e.message);
        if (e.message.startsWith('BUG: scheduling while atomic')) {
          push(fixPid(e.message, stacks, e.cpu), 'Modules linked in:', ...cpuLines(stacks, e.cpu, taint));
          push(...callTrace(stacks, e.cpu, src, arch, ['dump_stack_lvl', '__schedule_bug', '__schedule', 'schedule'], true));
          taint.add('W');
          break;
        }
        let sym = frameSym(src, top(e.cpu));
        let loc = where(e.loc);
        if (e.message.startsWith('BUG: unable to handle page fault') && f && f.tick === e.tick) {
          push(...faultLines(r, f), `Oops: ${(f.errorCode & 0xffff).toString(16).padStart(4, '0')} [#${++dies}] ${DIE_FLAGS}`);
        } else if (bug) {
          push(`${bug[2]}: ${bug[3]}`, `kernel BUG at ${bug[1]}!`, `invalid opcode: 0000 [#${++dies}] ${DIE_FLAGS}`);
          sym = ksym(bug[2]!);
          loc = '';
        } else push(e.message, `Oops: 0000 [#${++dies}] ${DIE_FLAGS}`);
        push(...cpuLines(stacks, e.cpu, taint));
        regs(e, sym, loc);
        push(...callTrace(stacks, e.cpu, src, arch, [], bug !== null), 'Modules linked in:');
        if (f && f.tick === e.tick) push(`CR2: ${px(f.addr).padStart(16, '0')}`);
        // The executive summary in case the body scrolled away: the registers again.
        push(END_TRACE);
        regs(e, sym, loc);
        taint.add('D');
        break;
      }
      case 'panic':
        push(e.message, 'Kernel Offset: disabled', `---[ end ${e.message} ]---`);
        break;
      case 'report':
        if (e.what === 'might_sleep') {
          const lines = e.detail
            .split('\n')
            .slice(0, 3)
            .map((l) => fixPid(l, stacks, e.cpu));
          push(...lines, 'RCU nest depth: 0, expected: 0', ...cpuLines(stacks, e.cpu, taint));
          push(...callTrace(stacks, e.cpu, src, arch, ['dump_stack_lvl', '__might_resched'], true));
          taint.add('W');
        } else if (e.what === 'scheduling_while_atomic') {
          push(fixPid(e.detail, stacks, e.cpu), 'Modules linked in:', ...cpuLines(stacks, e.cpu, taint));
          push(...callTrace(stacks, e.cpu, src, arch, ['dump_stack_lvl', '__schedule_bug', '__schedule', 'schedule'], true));
          taint.add('W');
        } else if (e.what === 'assert') {
          // A failed `assert`: the splat of a WARN(!cond, ...) at the statement.
          warn(e, e.detail, '?');
        } else if (e.what === 'invariant') {
          push(`pksim: ${e.detail}`); // the machine as a whole, not a statement: no splat, no line of its own
        } else push(`pksim: ${e.what}: ${e.detail}${e.loc ? ` (line ${e.loc.line})` : ''}`);
        break;
      case 'leak':
        push(`pksim: leak: ${e.ctxName}: ${e.detail}`);
        break;
      default:
        break;
    }
  }
  return out.join('\n') + '\n';
}

export function formatSummary(r: RunResult): string {
  const s = r.summary as unknown as Record<string, number>;
  const limit = limitHint(r.stop);
  const lines = [`--- ${r.scenario} under ${r.policy}: ${r.stop}${limit ? ` (stopped at ${limit})` : ''}`];
  const row: string[] = [];
  for (const k of METRIC_NAMES) row.push(`${k}=${s[k]}`);
  for (let i = 0; i < row.length; i += 6) lines.push('    ' + row.slice(i, i + 6).join(' '));
  if (r.windows.length) {
    lines.push('windows (ticks run; key x ticks open; unscoped: open with no mapping or grant of the key):');
    for (const w of r.windows)
      lines.push(
        `    ${`${w.kind} ${w.context}`.padEnd(28)} ran ${String(w.ticks).padStart(5)}  open ${String(w.keyOpenTicks).padStart(5)}  unscoped ${String(w.unscopedTicks).padStart(5)}`,
      );
  }
  // A context that never ran is easy to miss in the log (an interrupt declared without its
  // 'on CHANNEL' that nothing raises, a work item never queued, a task behind a deadlock).
  const ran = new Set(r.windows.map((w) => w.context));
  const idle = r.config.contexts.filter((c) => !ran.has(c.name));
  if (idle.length) lines.push(`did not run: ${idle.map((c) => `${c.kind} ${c.name}`).join(', ')}`);
  lines.push(`schedule: ${r.schedule.length ? r.schedule.join(',') : '(no choices)'}`);
  const inj = r.injection;
  if (inj)
    lines.push(
      inj.fired
        ? `injected stray: ${inj.spec} from ${inj.contextKind} ${inj.context}: ${inj.fate} (expectations not checked)`
        : `injected stray: ${inj.requested}: never fired (no context could make it from that tick on; expectations not checked)`,
    );
  // The expect lines met out of those that apply; the assert and invariant lines are listed
  // only when they fail (one that held, or never ran, is not in the result).
  const isCheck = (x: RunResult['expectations'][number]) => x.metric === 'assert' || x.metric === 'invariant';
  const expects = r.expectations.filter((x) => !isCheck(x));
  const failed = r.expectations.filter((x) => !x.ok);
  if (expects.length) lines.push(`expectations: ${expects.filter((x) => x.ok).length} of ${expects.length} met`);
  const checks = ['assert', 'invariant'].map((m) => [m, failed.filter((x) => x.metric === m).length] as const).filter(([, n]) => n > 0);
  if (checks.length) lines.push(`checks failed: ${checks.map(([m, n]) => `${n} ${m}${n === 1 ? '' : 's'}`).join(', ')}`);
  for (const x of failed) {
    // An assert or invariant counts how often it failed; an expect line has a metric's value.
    const what = isCheck(x) ? `failed ${x.actual} time${x.actual === 1 ? '' : 's'}` : `actual ${x.actual}`;
    lines.push(`${isCheck(x) ? '' : 'expect '}FAIL line ${x.line}: ${x.text} (${what})`);
  }
  return lines.join('\n') + '\n';
}
