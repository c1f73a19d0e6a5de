// The runner's state of one execution context: where its program is, its pointer variables,
// its loop counters, and the per-context accounting of the oracle and the metrics. The
// kernel's Ctx carries it in an opaque slot (`exec`) and never reads it, so that a context
// is machine state only.

import { PKS_NUM_KEYS } from '../arch/x86/pkrs.js';
import type { Ctx } from '../kernel/context.js';
import type { Instr } from '../scenario/ir.js';

export class Exec {
  pc = 0;
  /** The pc of a statement that slept and will run again (its might_sleep() already ran). */
  resumePc = -1;
  program: Instr[] = [];
  /** Per-variable pointer value and the mapping it was derived from (-1: none/forged). */
  varAddr: Float64Array = new Float64Array(0);
  varMap: Float64Array = new Float64Array(0);
  loops: Int32Array = new Int32Array(0);
  /** Index of the scenario context this context runs (-1 for idle). */
  decl = -1;
  /** For worker tasks: index of the work item being run, -1 when idle. */
  work = -1;
  /** Window accounting (metrics): ticks running, and key x ticks open / open but unscoped. */
  ranTicks = 0;
  openTicks = 0;
  unscopedTicks = 0;
  /** The oracle's view of grant_access() rights asked for and not revoked (READ at key, WRITE at 16+key). */
  readonly asked = new Int32Array(PKS_NUM_KEYS * 2);

  load(program: Instr[], vars: number, loops: number): void {
    this.program = program;
    this.pc = 0;
    this.resumePc = -1;
    this.varAddr = new Float64Array(vars);
    this.varMap = new Float64Array(vars).fill(-1);
    this.loops = new Int32Array(loops);
  }

  get done(): boolean {
    return this.pc >= this.program.length;
  }
}

/** The runner state of a context, made on first use. */
export function execOf(ctx: Ctx): Exec {
  let e = ctx.exec as Exec | null;
  if (e === null) ctx.exec = e = new Exec();
  return e;
}
