// A design's kmap()/kunmap() in several scheduler steps (PksHooks.kmapSteps/kunmapSteps): the
// statement stays at its pc while the steps run; the step reached and its carry are the
// context's state (Exec.sub, Exec.carry), in every snapshot and canonical state.

import type { Machine } from '../kernel/machine.js';
import type { Exec } from './exec.js';

/** The first step (the mapping) is done: the statement stays for the design's next steps. */
export function startSteps(ex: Exec): number {
  ex.sub = 1;
  ex.carry = 0;
  return ex.pc;
}

/** Step `ex.sub` of the design's kmap()/kunmap(); the next pc (past the statement after the last step). */
export function hookStep(m: Machine, ex: Exec, cpu: number, page: number, kmap: boolean): number {
  const h = m.hooks;
  const steps = kmap ? h.kmapSteps! : h.kunmapSteps!;
  const carry = kmap ? h.kmapStep!(m, cpu, page, ex.sub, ex.carry) : h.kunmapStep!(m, cpu, page, ex.sub, ex.carry);
  if (ex.sub >= steps) {
    ex.sub = 0;
    ex.carry = 0;
    return ex.pc + 1;
  }
  ex.sub++;
  ex.carry = carry;
  return ex.pc;
}
