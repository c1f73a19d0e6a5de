// Partial-order reduction: a step that touches only its own context's state commutes with every
// other CPU's step and changes nothing an invariant reads, so when some CPU's next step is such
// a step, that step alone (an ample set of one) is taken; the search falls back to every choice
// when the successor closes a cycle (DFS: it is on the stack; BFS: it was already visited), the
// cycle proviso.
//
// A step is local when nothing else can happen on its CPU first: no interrupt is bound to the
// CPU, it is the only task that can run there (no other task on it, no worker, no migrate() in
// the scenario), and no `at tick` trigger (the clock would be state). Then:
//  - the switch from the idle task to that task, when it holds no kmap_local (nothing to put
//    back in the fixmap, nothing local-survives-preemption reads) and the design promises
//    `pkrs-own-cpu`: it writes only its CPU's current task, PKRS and MSR, from the task's saved
//    PKRS and the globally opened keys (`global`'s IPIs rewrite every MSR from its PKRS: the
//    same either way), and no other CPU's step changes what it reads (no abandoned-key mask);
//  - at task level, a statement that is not the last of the program (the last returns to user
//    space: leak checks, the task's end): `nop`, `repeat`'s loop head, a loop end (also the
//    last statement when it jumps back), and a read/write through a pointer of a live mapping
//    this context made that the CPU's own PKRS allows (no fault, whatever another CPU does to
//    the MSR: `global` opens keys through the MSR, never through PKRS), of a kmap_local/
//    kmap_atomic (no other context can end it), or of a kmap() when only their makers end the
//    page's kmap() records (sim/ownkmap.ts) and the design promises `pkrs-own-cpu` (no other
//    CPU's step writes this CPU's PKRS; the search checks the promise on every transition).
// Such an access changes only counters (history, not state) and its own program counter.

import type { ScenarioIR } from '../scenario/ir.js';
import type { Run } from '../sim/runner.js';
import { ACT_RUN, actArg, actType } from '../sim/sched.js';
import { execOf } from '../sim/exec.js';
import { MAP_ATOMIC, MAP_KMAP, MAP_LOCAL } from '../kernel/mappings.js';
import { PKR_AD_BIT, PKR_WD_BIT } from '../arch/x86/pkrs.js';
import { designPromises, parsePolicy } from '../policy/index.js';
import type { Machine } from '../kernel/machine.js';

/** reducibleCpus() flags: local steps are taken alone on the CPU; under a design that promises `pkrs-own-cpu`, so are the switch from idle and accesses through its own kmap()s. */
export const POR_LOCAL = 1;
export const POR_OWN_CPU = 2;

/** Per CPU, which steps can be taken alone there (static: the scenario's shape and the design's promises). */
export function reducibleCpus(ir: ScenarioIR, policy?: string): Uint8Array {
  const ok = new Uint8Array(ir.machine.cpus).fill(POR_LOCAL);
  const programs = [...ir.contexts.map((c) => c.program), ...ir.works.map((w) => w.program)];
  if (ir.contexts.some((c) => c.trigger.type === 'tick') || programs.some((p) => p.some((i) => i.op === 'migrate'))) return ok.fill(0);
  const tasks = new Int32Array(ir.machine.cpus);
  for (const c of ir.contexts) {
    if (c.kind === 'user' || c.kind === 'kthread') tasks[c.cpu]!++;
    else ok[c.cpu] = 0; // an interrupt or a worker on that CPU
  }
  const ownCpu = policy !== undefined && designPromises(parsePolicy(policy)).includes('pkrs-own-cpu') ? POR_OWN_CPU : 0;
  for (let c = 0; c < ok.length; c++) {
    if (tasks[c]! > 1) ok[c] = 0;
    else if (ok[c] !== 0) ok[c] = ok[c]! | ownCpu;
  }
  return ok;
}

/** The choice (after run.offered() returned n) whose step is local, or -1. */
export function ampleChoice(run: Run, n: number, cpus: Uint8Array): number {
  const m = run.m;
  for (let i = 0; i < n; i++) {
    const act = run.actionAt(i);
    if (actType(act) !== ACT_RUN) continue;
    const cpu = actArg(act);
    const flags = cpus[cpu]!;
    if (flags === 0) continue;
    const c = m.cpus[cpu]!;
    if (c.frames.length !== 1) continue;
    const t = c.curr;
    if (t === c.idle) {
      if ((flags & POR_OWN_CPU) !== 0 && switchInIsLocal(m, cpu)) return i;
      continue;
    }
    if (t.state !== 'runnable') continue;
    const ex = execOf(t.ctx);
    if (ex.pc >= ex.program.length) continue;
    const last = ex.pc + 1 === ex.program.length;
    const ins = ex.program[ex.pc]!;
    switch (ins.op) {
      case 'nop':
      case 'loop':
        if (!last) return i;
        break;
      case 'endloop':
        if (!last || ex.loops[ins.ref]! > 1) return i;
        break;
      case 'read':
      case 'write': {
        if (last) break;
        const s = m.maps.liveSlot(ex.varMap[ins.src]!);
        if (s < 0 || m.maps.ctxAt(s) !== t.ctx) break;
        const kind = m.maps.kindAt(s);
        const page = m.maps.pageAt(s);
        if (kind === MAP_KMAP) {
          if ((flags & POR_OWN_CPU) === 0 || m.kmapOrderFree === null || m.kmapOrderFree[page] !== 1) break;
        } else if (kind !== MAP_LOCAL && kind !== MAP_ATOMIC) break;
        if (m.hooks.pks) {
          const bits = (c.pkrs >>> (m.pageKey[page]! * 2)) & 3;
          if ((bits & PKR_AD_BIT) !== 0 || (ins.op === 'write' && m.cfg.wp && (bits & PKR_WD_BIT) !== 0)) break;
        }
        return i;
      }
      default:
        break;
    }
  }
  return -1;
}

/** An idle CPU about to switch to its only task, which holds no kmap_local mapping. */
function switchInIsLocal(m: Machine, cpu: number): boolean {
  if (m.nrRunnable[cpu] !== 1) return false;
  const keys = m.keysInUse;
  for (let i = 0; i < m.tasks.length; i++) {
    const t = m.tasks[i]!;
    if (t.kind === 'idle' || t.cpu !== cpu || t.state !== 'runnable') continue;
    if (t.local.depth !== 0) return false;
    for (let k = 0; k < keys.length; k++) if (t.ctx.localMapped[keys[k]!]! !== 0) return false;
    return true;
  }
  return false;
}
