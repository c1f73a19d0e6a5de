// The scenario's own checks in a run: `assert EXPR` statements (the interpreter calls failed()
// when one's condition is 0) and `invariant EXPR` lines (checked after every step of a run that
// records events). Each failure is a WARN-style splat in the log and a failed check of the run.

import type { Instr, ScenarioIR } from '../scenario/ir.js';
import type { Machine } from '../kernel/machine.js';
import type { Ctx } from '../kernel/context.js';
import type { RunResult } from './result.js';
import { evalExpr } from './expr.js';

export class Asserts {
  /** Failed `assert` statements so far (in every snapshot), and the last one (explore names a violation by it). */
  fails = 0;
  last: Instr | null = null;
  /** Per assert statement (or invariant, by index -1 - i): failures, for the run's result. */
  private readonly count = new Map<Instr | number, number>();
  /** Invariants false in the previous state: a report when one turns false, not every step. */
  private readonly invFalse: Uint8Array;

  constructor(
    private readonly m: Machine,
    private readonly ir: ScenarioIR,
    /** Reports and invariant checks only in runs that check them (not in the explorer's). */
    private readonly report: boolean,
  ) {
    this.invFalse = new Uint8Array(ir.invariants.length);
  }

  /** Whether the runner should call checkInvariants() after each step. */
  get watching(): boolean {
    return this.report && this.invFalse.length > 0;
  }

  failed(cpu: number, _ctx: Ctx, ins: Instr): void {
    this.fails++;
    this.last = ins;
    if (!this.report) return;
    this.count.set(ins, (this.count.get(ins) ?? 0) + 1);
    // The kernel log prints it as the splat of a WARN() at the statement (report/dmesg.ts).
    this.m.report(cpu, 'assert', `assertion failed: ${ins.text}`);
  }

  checkInvariants(): void {
    const invs = this.ir.invariants;
    for (let i = 0; i < invs.length; i++) {
      const bad = evalExpr(invs[i]!.expr, this.m, this.ir, -1) === 0;
      if (bad && this.invFalse[i] === 0) {
        this.count.set(-1 - i, (this.count.get(-1 - i) ?? 0) + 1);
        const inv = invs[i]!;
        // A check of the whole machine, not of a statement: a pksim line, not a kernel splat.
        this.m.report(0, 'invariant', `${inv.loc.file}:${inv.loc.line}: ${inv.text} is false after tick ${this.m.tick}`);
      }
      this.invFalse[i] = bad ? 1 : 0;
    }
  }

  /** Each assert or invariant that failed, as a failed check of the run (exit 1, as an expect line). */
  results(): RunResult['expectations'] {
    const out: RunResult['expectations'] = [];
    for (const [k, n] of this.count) {
      const inv = typeof k === 'number' ? this.ir.invariants[-1 - k]! : null;
      const text = inv ? inv.text : (k as Instr).text;
      const line = inv ? inv.loc.line : (k as Instr).loc.line;
      out.push({ text, metric: inv ? 'invariant' : 'assert', expected: 'true', actual: n, ok: false, line });
    }
    return out.sort((a, b) => a.line - b.line);
  }
}
