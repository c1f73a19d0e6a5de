// Partial-order reduction: a step that touches only its own context's state commutes with every
// other CPU's step, so from a state where some CPU's next step is such a step, that step alone
// (an ample set of one) is taken; the search falls back to every choice when the successor closes
// a cycle (DFS: it is on the stack; BFS: it was already visited), the cycle proviso.
//
// A step is local when: the CPU runs a task at task level that is runnable and in the middle of
// its program (not its last statement: the end of a program returns to user space); the next
// statement is `nop`, `repeat`'s loop head or end, or a read/write through a pointer of a live
// kmap_local/kmap_atomic mapping this context made (no other context can end it) that the CPU's
// PKRS allows (no fault). And nothing else can happen on that CPU before it: no interrupt is bound
// to the CPU, it is the only task that can run there (no other task on it, no worker, no
// migrate() in the scenario), and no `at tick` trigger (the clock would be state).

import type { ScenarioIR } from '../scenario/ir.js';
import type { Run } from '../sim/runner.js';
import { ACT_RUN, actArg, actType } from '../sim/sched.js';
import { execOf } from '../sim/exec.js';
import { MAP_ATOMIC, MAP_LOCAL } from '../kernel/mappings.js';
import { PKR_AD_BIT, PKR_WD_BIT } from '../arch/x86/pkrs.js';

/** The CPUs on which a local step can be taken alone (static: the scenario's shape). */
export function reducibleCpus(ir: ScenarioIR): Uint8Array {
  const ok = new Uint8Array(ir.machine.cpus).fill(1);
  const programs = [...ir.contexts.map((c) => c.program), ...ir.works.map((w) => w.program)];
  if (ir.contexts.some((c) => c.trigger.type === 'tick') || programs.some((p) => p.some((i) => i.op === 'migrate'))) return ok.fill(0);
  const tasks = new Int32Array(ir.machine.cpus);
  for (const c of ir.contexts) {
    if (c.kind === 'user' || c.kind === 'kthread') tasks[c.cpu]!++;
    else ok[c.cpu] = 0; // an interrupt or a worker on that CPU
  }
  for (let c = 0; c < ok.length; c++) if (tasks[c]! > 1) ok[c] = 0;
  return ok;
}

/** The choice (after run.offered() returned n) whose step is local, or -1. */
export function ampleChoice(run: Run, n: number, cpus: Uint8Array): number {
  const m = run.m;
  for (let i = 0; i < n; i++) {
    const act = run.actionAt(i);
    if (actType(act) !== ACT_RUN) continue;
    const cpu = actArg(act);
    if (cpus[cpu] === 0) continue;
    const c = m.cpus[cpu]!;
    if (c.frames.length !== 1) continue;
    const t = c.curr;
    if (t === c.idle || t.state !== 'runnable') continue;
    const ex = execOf(t.ctx);
    if (ex.pc + 1 >= ex.program.length) continue;
    const ins = ex.program[ex.pc]!;
    switch (ins.op) {
      case 'nop':
      case 'loop':
      case 'endloop':
        return i;
      case 'read':
      case 'write': {
        const s = m.maps.liveSlot(ex.varMap[ins.src]!);
        if (s < 0 || m.maps.ctxAt(s) !== t.ctx) break;
        const kind = m.maps.kindAt(s);
        if (kind !== MAP_LOCAL && kind !== MAP_ATOMIC) break;
        if (m.hooks.pks) {
          const bits = (c.pkrs >>> (m.pageKey[m.maps.pageAt(s)]! * 2)) & 3;
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
