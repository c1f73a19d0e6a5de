// Which pages' kmap() records only their maker ever ends: read statically off the scenario's
// programs. kunmap(page) ends the unmapping context's own record of the page; only a context
// that holds none ends another's (the one whose pointer it holds, else the oldest), and only
// such a context's page_address() takes another's record (the oldest). When no statement of
// any program can run without its context holding a record of the page, no record is ever
// ended or taken by another context: then (the explorer's uses)
//  - the order between different contexts' live records of the page decides nothing (the
//    canonical state may write them in a fixed order), and
//  - a context's own live kmap() record stays live until the context itself kunmap()s it (an
//    access through it is independent of every other CPU's step: partial-order reduction).
//
// The check runs each program abstractly, as the interpreter would (a task's program once, an
// interrupt's or work item's per invocation from a context holding nothing of its own: each
// interrupt invocation is a new context; a worker may carry records from an earlier item, which
// only adds to what it holds), counting per page the kmap()s minus kunmap()s done so far.

import type { Instr, ScenarioIR } from '../scenario/ir.js';

/** Abstract steps per program before the check gives up (every page then counts as shared). */
const MAX_STEPS = 1_000_000;

/** Per scenario, computed once (every run of it shares the answer; read only). */
const memo = new WeakMap<ScenarioIR, Uint8Array>();

/**
 * Per page: 1 when every kunmap() and page_address() of it, in every program, runs while its
 * context holds a kmap() of the page it made itself; 0 otherwise.
 */
export function ownKmapsOnly(ir: ScenarioIR): Uint8Array {
  let ok = memo.get(ir);
  if (!ok) memo.set(ir, (ok = analyse(ir)));
  return ok;
}

function analyse(ir: ScenarioIR): Uint8Array {
  const ok = new Uint8Array(ir.pages.length).fill(1);
  const bal = new Int32Array(ir.pages.length);
  const programs: { program: Instr[]; loopSlots: number }[] = [...ir.contexts, ...ir.works];
  for (const { program, loopSlots } of programs) {
    bal.fill(0);
    const loops = new Int32Array(loopSlots);
    let steps = 0;
    for (let pc = 0; pc < program.length;) {
      if (++steps > MAX_STEPS) return ok.fill(0);
      const ins = program[pc]!;
      let next = pc + 1;
      switch (ins.op) {
        case 'kmap':
          bal[ins.page]!++;
          break;
        case 'kunmap':
          if (bal[ins.page]! < 1) ok[ins.page] = 0;
          else bal[ins.page]!--;
          break;
        case 'page_address':
          if (bal[ins.page]! < 1) ok[ins.page] = 0;
          break;
        case 'loop':
          loops[ins.ref] = ins.arg;
          break;
        case 'endloop':
          if (--loops[ins.ref]! > 0) next = ins.target;
          break;
        default:
          break;
      }
      pc = next;
    }
  }
  return ok;
}
