// The pieces of a kernel splat as dump_stack()/__warn()/__die() print them on x86: the
// CPU/PID/Comm line, the Call Trace with its stack sections, symbols as func+0xoff/0xsize.
// Symbols of the scenario's own code are its contexts (a work item is its work function), the
// offset the statement's line within the block; the kernel's glue functions have fixed offsets.

import type { SrcLoc } from '../kernel/types.js';
import type { ArchName } from '../arch/arch.js';
import { pidOf, type CpuStacks, type Frame } from './stacks.js';

/** The release and build the CPU line names: pksim's model is not a kernel release. */
export const UTS_RELEASE = 'pksim #1';
export const HARDWARE_NAME = 'pksim';
/** __die()'s flags: a preemptible SMP kernel without page-table isolation. */
export const DIE_FLAGS = 'PREEMPT SMP NOPTI';
export const END_TRACE = '---[ end trace 0000000000000000 ]---';
export const CUT_HERE = '------------[ cut here ]------------';

/** Offsets and sizes of the kernel functions a trace passes through (any plausible values: pksim has no kernel image). */
const KSYMS: Record<string, string> = {
  handle_softirqs: '0xd8/0x2a0',
  __irq_exit_rcu: '0x6a/0x90',
  sysvec_apic_timer_interrupt: '0x71/0x90',
  asm_sysvec_apic_timer_interrupt: '0x1a/0x20',
  __handle_irq_event_percpu: '0x4b/0x1b0',
  handle_irq_event: '0x34/0x70',
  handle_edge_irq: '0x9f/0x240',
  __common_interrupt: '0x48/0xd0',
  common_interrupt: '0x80/0xa0',
  asm_common_interrupt: '0x26/0x40',
  nmi_handle: '0x5d/0x120',
  default_do_nmi: '0x40/0x100',
  exc_nmi: '0x13f/0x1a0',
  asm_exc_nmi: '0xbf/0xf9',
  do_syscall_64: '0x5d/0x90',
  entry_SYSCALL_64_after_hwframe: '0x6e/0xd8',
  process_one_work: '0x174/0x340',
  worker_thread: '0x27e/0x390',
  kthread: '0xe8/0x120',
  ret_from_fork: '0x34/0x50',
  ret_from_fork_asm: '0x1b/0x30',
  default_idle: '0xf/0x20',
  default_idle_call: '0x2c/0xe0',
  do_idle: '0x1ec/0x230',
  cpu_startup_entry: '0x1d/0x20',
  start_secondary: '0x11c/0x140',
  secondary_startup_64_no_verify: '0x17e/0x18b',
  rest_init: '0xcc/0xd0',
  start_kernel: '0x5b4/0x5e0',
  dump_stack_lvl: '0x48/0x70',
  __might_resched: '0x164/0x190',
  __schedule_bug: '0x5e/0x80',
  __schedule: '0x3c2/0xbf0',
  schedule: '0x5e/0xd0',
  kunmap_local_indexed: '0x4c/0x110',
  kmap_local_idx_push: '0x24/0x40',
  pgmap_protection_flag_invalid: '0x22/0x30',
};

export function ksym(name: string): string {
  return `${name}+${KSYMS[name] ?? '0x10/0x40'}`;
}

const DECL_RE = /^\s*(?:task|kthread|worker|softirq|hardirq|nmi|work)\s+([A-Za-z_]\w*)\b[^{]*\{/;

/**
 * `block_done+0x20/0x50`: the scenario context (or work item) whose block holds the line, the
 * offset 0x10 per line from its header, the size its lines. Without the source: the frame's name.
 */
export function scenarioSym(src: string[], loc: SrcLoc | null, fallback: string): string {
  if (loc && src.length >= loc.line) {
    for (let h = loc.line - 1; h >= 0; h--) {
      const m = DECL_RE.exec(src[h]!);
      if (!m) continue;
      let depth = 0;
      let end = h;
      for (let i = h; i < src.length; i++) {
        for (const ch of src[i]!.replace(/\/\/.*$|#.*$/, '')) depth += ch === '{' ? 1 : ch === '}' ? -1 : 0;
        end = i;
        if (depth <= 0) break;
      }
      if (end < loc.line - 1) break;
      return `${m[1]}+0x${((loc.line - 1 - h) * 16).toString(16)}/0x${((end - h + 1) * 16).toString(16)}`;
    }
  }
  const off = loc ? loc.line * 16 : 0;
  return `${fallback}+0x${off.toString(16)}/0x${(off + 64).toString(16)}`;
}

/** `file:line`, as scripts/decode_stacktrace.sh appends it to a frame. */
export function where(loc: SrcLoc | null): string {
  return loc ? ` ${loc.file}:${loc.line}` : '';
}

const TAINT_FLAGS = 19;
const TAINT_INDEX: Record<string, number> = { D: 7, W: 9 };

/** print_tainted(): "Not tainted" or "Tainted: G        W" (trailing blanks dropped). */
export function tainted(flags: ReadonlySet<string>): string {
  if (flags.size === 0) return 'Not tainted';
  const cols: string[] = Array.from({ length: TAINT_FLAGS }, (_, i) => (i === 0 ? 'G' : ' '));
  for (const f of flags) cols[TAINT_INDEX[f]!] = f;
  return `Tainted: ${cols.join('').trimEnd()}`;
}

/** dump_stack_print_info(): the CPU line and the hardware name, naming the task the CPU runs. */
export function cpuLines(stacks: CpuStacks, cpu: number, taint: ReadonlySet<string>): string[] {
  const t = stacks.current(cpu);
  return [`CPU: ${cpu} PID: ${pidOf(t.name, t.ctx)} Comm: ${t.name} ${tainted(taint)} ${UTS_RELEASE}`, `Hardware name: ${HARDWARE_NAME}`];
}

/** The symbol of a frame's current statement: the scenario's code. */
export function frameSym(src: string[], f: Frame): string {
  return scenarioSym(src, f.loc, f.kind === 'worker' && f.work ? f.work : f.name);
}

function section(kind: Frame['kind'], arch: ArchName): string {
  if (kind === 'nmi') return 'NMI';
  if (kind === 'hardirq') return 'IRQ';
  // x86_64 runs softirqs on the hardirq stack; x86_32 has a softirq stack of its own.
  if (kind === 'softirq') return arch === 'x86_32' ? 'SOFTIRQ' : 'IRQ';
  return 'TASK';
}

/** The kernel frames between an interrupt's handler and what it interrupted, and the entry stub left on the interrupted stack. */
function glue(kind: Frame['kind']): { inside: string[]; below: string | null } {
  if (kind === 'hardirq')
    return { inside: ['__handle_irq_event_percpu', 'handle_irq_event', 'handle_edge_irq', '__common_interrupt', 'common_interrupt'], below: 'asm_common_interrupt' };
  if (kind === 'softirq') return { inside: ['handle_softirqs', '__irq_exit_rcu', 'sysvec_apic_timer_interrupt'], below: 'asm_sysvec_apic_timer_interrupt' };
  if (kind === 'nmi') return { inside: ['nmi_handle', 'default_do_nmi', 'exc_nmi', 'asm_exc_nmi'], below: null };
  return { inside: [], below: null };
}

function taskTail(f: Frame, cpu: number): string[] {
  if (f.kind === 'idle')
    return [
      'default_idle',
      'default_idle_call',
      'do_idle',
      'cpu_startup_entry',
      ...(cpu === 0 ? ['rest_init', 'start_kernel'] : ['start_secondary', 'secondary_startup_64_no_verify']),
    ];
  if (f.kind === 'user') return ['do_syscall_64', 'entry_SYSCALL_64_after_hwframe'];
  if (f.kind === 'worker') return ['process_one_work', 'worker_thread', 'kthread', 'ret_from_fork', 'ret_from_fork_asm'];
  return ['kthread', 'ret_from_fork', 'ret_from_fork_asm'];
}

/**
 * `Call Trace:` and its lines, innermost first, with `<NMI>`, `<IRQ>`/`<SOFTIRQ>` and `<TASK>`
 * sections. `lead` are kernel frames above the top one (a WARN inside a kernel function, the
 * dump_stack() of a BUG); `fromTop` says whether the top frame's own line is printed (the RIP
 * line names it when the splat has registers).
 */
export function callTrace(stacks: CpuStacks, cpu: number, src: string[], arch: ArchName, lead: string[], fromTop: boolean): string[] {
  const frames = stacks.frames(cpu).filter((f) => f.kind !== 'exception');
  const out = ['Call Trace:'];
  let open = '';
  let pending: string | null = null;
  const enter = (s: string) => {
    if (s === open) return;
    if (open) out.push(` </${open}>`);
    out.push(` <${s}>`);
    open = s;
  };
  for (let i = frames.length - 1; i >= 0; i--) {
    const f = frames[i]!;
    enter(section(f.kind, arch));
    if (i === frames.length - 1) for (const l of lead) out.push(` ${ksym(l)}`);
    if (pending) out.push(` ${ksym(pending)}`);
    if (f.kind !== 'idle' && (i < frames.length - 1 || fromTop || lead.length)) out.push(` ${frameSym(src, f)}${where(f.loc)}`);
    const g = glue(f.kind);
    for (const l of g.inside) out.push(` ${ksym(l)}`);
    pending = g.below;
    if (i === 0) for (const l of taskTail(f, cpu)) out.push(` ${ksym(l)}`);
  }
  if (open) out.push(` </${open}>`);
  return out;
}
