// What each CPU is running, rebuilt from the event list: the task (comm, pid) and the frames
// of interrupts nested on it, with the scenario line each frame last executed. The dmesg splats
// (Call Trace, CPU/PID/Comm) and the ftrace text (comm-pid, the flags column) read it.

import type { FrameKind, PksimEvent } from '../kernel/events.js';
import type { SrcLoc } from '../kernel/types.js';

export interface Frame {
  kind: FrameKind | 'idle';
  name: string;
  ctx: number;
  /** The scenario statement this frame executed last. */
  loc: SrcLoc | null;
  /** preempt_disable() depth (with kmap_atomic()) and migrate_disable() depth (kmap_local). */
  preempt: number;
  migrate: number;
  irqsOff: boolean;
  /** A worker's current work item. */
  work: string;
}

const IDLE_RE = /^swapper\/\d+$/;

/** The pid the kernel prints for a context id: 0 for the idle tasks (swapper/N). */
export function pidOf(name: string, ctx: number): number {
  return IDLE_RE.test(name) || ctx < 0 ? 0 : ctx;
}

/** The kernel function a statement calls: `p = kmap(buf)` -> kmap. */
export function calleeOf(text: string): string {
  const m = /^\s*(?:\w+\s*=\s*)?(\w+)\s*\(/.exec(text);
  return m ? m[1]! : '';
}

export class CpuStacks {
  /** Per CPU: frames[0] is the task, then the interrupts nested on it. */
  readonly cpus: Frame[][] = [];
  /** Task state kept across switches (preempt depth, irqs, location) by context id. */
  private readonly tasks = new Map<number, Frame>();

  constructor(ncpus: number) {
    for (let c = 0; c < ncpus; c++) this.cpus.push([this.task(`swapper/${c}`, c, 'idle')]);
  }

  private task(name: string, ctx: number, kind: FrameKind | 'idle'): Frame {
    let t = this.tasks.get(ctx);
    if (!t) {
      t = { kind, name, ctx, loc: null, preempt: 0, migrate: 0, irqsOff: false, work: '' };
      this.tasks.set(ctx, t);
    }
    return t;
  }

  frames(cpu: number): Frame[] {
    return this.cpus[cpu] ?? [];
  }

  /** The task the CPU runs (what the kernel's `current` is, under any interrupt). */
  current(cpu: number): Frame {
    return this.frames(cpu)[0]!;
  }

  top(cpu: number): Frame {
    const f = this.frames(cpu);
    return f[f.length - 1]!;
  }

  /** Updates the stacks with one event (call for every event, in order). */
  observe(e: PksimEvent): void {
    const fs = this.cpus[e.cpu];
    if (!fs) return;
    switch (e.type) {
      case 'switch':
        fs.length = 0;
        fs.push(this.task(e.to, e.toCtx, e.ctxKind));
        break;
      case 'entry':
        fs.push({ kind: e.kind, name: e.name, ctx: e.ctx, loc: null, preempt: 0, migrate: 0, irqsOff: e.kind !== 'softirq' && e.kind !== 'exception', work: '' });
        break;
      case 'exit':
        if (fs.length > 1) fs.pop();
        break;
      case 'work':
        if (e.phase !== 'queue') fs[0]!.work = e.phase === 'start' ? e.work : '';
        break;
      case 'stmt': {
        const f = fs[fs.length - 1]!;
        f.loc = e.loc;
        this.statement(f, calleeOf(e.text));
        break;
      }
      default:
        break;
    }
  }

  private statement(f: Frame, callee: string): void {
    switch (callee) {
      case 'preempt_disable':
      case 'kmap_atomic':
        f.preempt++;
        break;
      case 'preempt_enable':
      case 'kunmap_atomic':
        if (f.preempt > 0) f.preempt--;
        break;
      case 'kmap_local_page':
        f.migrate++;
        break;
      case 'kunmap_local':
        if (f.migrate > 0) f.migrate--;
        break;
      case 'local_irq_disable':
        f.irqsOff = true;
        break;
      case 'local_irq_enable':
        f.irqsOff = false;
        break;
      default:
        break;
    }
  }
}
