// The runner's state of one execution context: where its program is, its pointer variables,
// its loop counters, and the per-context accounting of the oracle and the metrics. The
// kernel's Ctx carries it in an opaque slot (`exec`) and never reads it, so that a context
// is machine state only.

import { PKS_NUM_KEYS } from '../arch/x86/pkrs.js';
import type { Ctx } from '../kernel/context.js';
import type { Instr, ScenarioIR } from '../scenario/ir.js';
import type { StateVec } from '../kernel/state.js';

export class Exec {
  pc = 0;
  /** The pc of a statement that slept and will run again (its might_sleep() already ran). */
  resumePc = -1;
  program: Instr[] = [];
  /** A kernel operation in several steps (PksHooks.kmapSteps): the step done so far (0: none), and its carry. */
  sub = 0;
  carry = 0;
  /** Per-variable pointer value and the mapping it was derived from (-1: none/forged). */
  varAddr: Float64Array = new Float64Array(0);
  varMap: Float64Array = new Float64Array(0);
  loops: Int32Array = new Int32Array(0);
  /** Index of the scenario context this context runs (-1 for idle). */
  decl = -1;
  /** For worker tasks: index of the work item being run, -1 when idle. */
  work = -1;
  /** The oracle's view of grant_access() rights asked for and not revoked (READ at key, WRITE at 16+key). */
  readonly asked = new Int32Array(PKS_NUM_KEYS * 2);

  /** Which program runs: a scenario context's (its index), a work item's (-2 - index), none (-1). */
  progId = -1;

  load(program: Instr[], vars: number, loops: number, progId: number): void {
    this.program = program;
    this.progId = progId;
    this.pc = 0;
    this.resumePc = -1;
    this.sub = 0;
    this.carry = 0;
    this.varAddr = new Float64Array(vars);
    this.varMap = new Float64Array(vars).fill(-1);
    this.loops = new Int32Array(loops);
  }

  /**
   * Write the context's runner state. With `mapId` (the canonical state) mapping ids are
   * renamed and the window counters, which are history, are left out.
   */
  saveState(v: StateVec, keys: Int32Array, mapId: ((id: number) => number) | null = null): void {
    const at = v.reserve(8),
      b = v.buf;
    b[at] = this.pc;
    b[at + 1] = this.resumePc;
    b[at + 2] = this.sub;
    b[at + 3] = this.carry;
    b[at + 4] = this.progId;
    b[at + 5] = this.decl;
    b[at + 6] = this.work;
    b[at + 7] = this.varAddr.length;
    v.pushF64(this.varAddr);
    if (mapId === null) v.pushF64(this.varMap);
    else for (let i = 0; i < this.varMap.length; i++) v.push(mapId(this.varMap[i]!));
    v.push(this.loops.length);
    v.pushI32(this.loops);
    if (mapId === null) this.saveAsked(v, keys);
    else {
      // The canonical state: the keys asked for only, after their number (most ask for none).
      let asked = 0;
      for (let i = 0; i < keys.length; i++) if (this.asked[keys[i]!] !== 0 || this.asked[PKS_NUM_KEYS + keys[i]!] !== 0) asked++;
      v.push(asked);
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        if (this.asked[k] === 0 && this.asked[PKS_NUM_KEYS + k] === 0) continue;
        v.push(k);
        v.push(this.asked[k]!);
        v.push(this.asked[PKS_NUM_KEYS + k]!);
      }
    }
  }

  /** The grants the oracle counts, for the keys in use only. */
  private saveAsked(v: StateVec, keys: Int32Array): void {
    for (let i = 0; i < keys.length; i++) {
      v.push(this.asked[keys[i]!]!);
      v.push(this.asked[PKS_NUM_KEYS + keys[i]!]!);
    }
  }

  loadState(v: StateVec, ir: ScenarioIR, keys: Int32Array): void {
    // A fixed group of fields: read through a local cursor (as reserve() writes them).
    const b = v.buf;
    let at = v.pos;
    this.pc = b[at++]!;
    this.resumePc = b[at++]!;
    this.sub = b[at++]!;
    this.carry = b[at++]!;
    const p = b[at++]!;
    this.decl = b[at++]!;
    this.work = b[at++]!;
    const nv = b[at++]!;
    v.pos = at;
    if (p !== this.progId) {
      this.progId = p;
      this.program = p >= 0 ? ir.contexts[p]!.program : p <= -2 ? ir.works[-2 - p]!.program : [];
    }
    if (this.varAddr.length !== nv) {
      this.varAddr = new Float64Array(nv);
      this.varMap = new Float64Array(nv);
    }
    v.nextF64(this.varAddr, nv);
    v.nextF64(this.varMap, nv);
    const nl = v.next();
    if (this.loops.length !== nl) this.loops = new Int32Array(nl);
    v.nextI32(this.loops, nl);
    // Only the keys in use can be non-zero: only they are read back.
    for (let i = 0; i < keys.length; i++) {
      this.asked[keys[i]!] = v.next();
      this.asked[PKS_NUM_KEYS + keys[i]!] = v.next();
    }
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
