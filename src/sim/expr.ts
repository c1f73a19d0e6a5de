// Evaluation of `assert` and `invariant` expressions (scenario/expr.ts) over the counters the
// machine keeps. No allocation: a walk of the expression tree.

import type { Expr, ScenarioIR } from '../scenario/ir.js';
import type { Machine } from '../kernel/machine.js';
import { MAP_KMAP } from '../kernel/mappings.js';
import { PKR_AD_BIT, PKR_WD_BIT } from '../arch/x86/pkrs.js';
import { RIGHT_READ, RIGHT_WRITE } from '../kernel/types.js';
import {
  FN_HOLDS,
  FN_IN_IRQ,
  FN_IN_NMI,
  FN_IN_SOFTIRQ,
  FN_IN_TASK,
  FN_IRQS_DISABLED,
  FN_LOCAL_DEPTH,
  FN_PKMAP_COUNT,
  FN_PREEMPT_COUNT,
  FN_UNPROTECT,
} from '../scenario/expr.js';

/** Live kmap() mappings of a page. */
export function pkmapCount(m: Machine, page: number): number {
  const maps = m.maps;
  let n = 0;
  for (let s = 0; s < maps.slots; s++) if (maps.ctxAt(s) !== null && maps.kindAt(s) === MAP_KMAP && maps.pageAt(s) === page) n++;
  return n;
}

/** The value of an expression; `cpu` is the CPU whose running context it reads (-1: none). */
export function evalExpr(e: Expr, m: Machine, ir: ScenarioIR, cpu: number): number {
  switch (e.op) {
    case 'num':
      return e.value;
    case 'not':
      return evalExpr(e.l!, m, ir, cpu) === 0 ? 1 : 0;
    case '&&':
      return evalExpr(e.l!, m, ir, cpu) !== 0 && evalExpr(e.r!, m, ir, cpu) !== 0 ? 1 : 0;
    case '||':
      return evalExpr(e.l!, m, ir, cpu) !== 0 || evalExpr(e.r!, m, ir, cpu) !== 0 ? 1 : 0;
    case '==':
      return evalExpr(e.l!, m, ir, cpu) === evalExpr(e.r!, m, ir, cpu) ? 1 : 0;
    case '!=':
      return evalExpr(e.l!, m, ir, cpu) !== evalExpr(e.r!, m, ir, cpu) ? 1 : 0;
    case '>=':
      return evalExpr(e.l!, m, ir, cpu) >= evalExpr(e.r!, m, ir, cpu) ? 1 : 0;
    case '<=':
      return evalExpr(e.l!, m, ir, cpu) <= evalExpr(e.r!, m, ir, cpu) ? 1 : 0;
    case '>':
      return evalExpr(e.l!, m, ir, cpu) > evalExpr(e.r!, m, ir, cpu) ? 1 : 0;
    case '<':
      return evalExpr(e.l!, m, ir, cpu) < evalExpr(e.r!, m, ir, cpu) ? 1 : 0;
    case 'fn':
      return fn(e, m, ir, cpu);
  }
}

function fn(e: Expr, m: Machine, ir: ScenarioIR, cpu: number): number {
  switch (e.fn) {
    case FN_UNPROTECT:
      return m.hooks.unprotectCount?.(e.a) ?? 0;
    case FN_PKMAP_COUNT:
      return pkmapCount(m, e.a);
  }
  if (cpu < 0) return 0; // the compiler keeps context counters out of top-level invariants
  const c = m.cpus[cpu]!;
  const top = c.frames[c.frames.length - 1]!;
  switch (e.fn) {
    case FN_HOLDS: {
      if (!m.hooks.pks) return 1;
      const bits = (c.msr >>> (ir.keys[e.a]!.id * 2)) & 3;
      if ((e.b & (RIGHT_READ | RIGHT_WRITE)) !== 0 && (bits & PKR_AD_BIT) !== 0) return 0;
      if ((e.b & RIGHT_WRITE) !== 0 && m.cfg.wp && (bits & PKR_WD_BIT) !== 0) return 0;
      return 1;
    }
    case FN_LOCAL_DEPTH:
      return c.curr.local.depth;
    case FN_IN_IRQ:
      return top.kind === 'hardirq' ? 1 : 0;
    case FN_IN_SOFTIRQ:
      return top.kind === 'softirq' ? 1 : 0;
    case FN_IN_NMI:
      return top.kind === 'nmi' ? 1 : 0;
    case FN_IN_TASK:
      return c.frames.length === 1 ? 1 : 0;
    case FN_PREEMPT_COUNT:
      return m.preemptCount(cpu);
    case FN_IRQS_DISABLED:
      return c.irqsOff ? 1 : 0;
  }
  return 0;
}
