// One expansion step of the breadth-first search, shared by the worker threads of --workers N
// (search-worker.ts) and the main thread: from a node's snapshot, every choice's successor with
// its hash, the invariants the transition violates, the state's invariants and, for an end state,
// the end invariants. The main thread decides, in queue order, which successors are new.

import type { ScenarioIR } from '../scenario/ir.js';
import { Run, type RunOptions } from '../sim/runner.js';
import { StateVec } from '../kernel/state.js';
import { Checker } from './invariants.js';
import { ampleChoice, reducibleCpus } from './por.js';

export interface Successor {
  hi: number;
  lo: number;
  /** Invariants the transition violates. */
  tv: string[];
  /** The run hit --max-steps on this transition. */
  limit: boolean;
  /** The successor's snapshot and the choices it offers (null at a limit). */
  snap: Float64Array | null;
  n: number;
  /** Invariants the successor state violates; at an end state (n = 0), the end invariants. */
  sv: string[];
  ev: string[];
}

export interface Expansion {
  n: number;
  amp: number;
  succ: Successor[];
}

export interface ExpandOptions extends Omit<RunOptions, 'seed' | 'schedule' | 'events' | 'onStep'> {
  check?: string[];
  por?: boolean;
}

export class Expander {
  readonly run: Run;
  private readonly checker: Checker;
  private readonly cpus: Uint8Array;
  private readonly state = new StateVec();
  private readonly canon = new StateVec();
  private readonly hash = new Uint32Array(2);
  private sink: string[] = [];

  constructor(ir: ScenarioIR, opts: ExpandOptions) {
    this.run = new Run(ir, { ...opts, events: false, schedule: null, seed: null });
    this.checker = new Checker(this.run, ir, this.run.finishLabel(), opts.check, (name) => this.sink.push(name));
    this.cpus = opts.por !== false ? reducibleCpus(ir, this.run.finishLabel()) : new Uint8Array(ir.machine.cpus);
  }

  /** The initial state's own invariants (expand() reports those of successors only). */
  root(): { sv: string[]; ev: string[]; n: number; names: string[] } {
    const sv: string[] = (this.sink = []);
    this.checker.state();
    const n = this.run.offered();
    const ev: string[] = (this.sink = []);
    if (n === 0) {
      this.run.step();
      this.checker.end();
    }
    return { sv, ev, n, names: this.checker.names };
  }

  /** Every successor of the state in `snap` (all choices: the caller applies the reduction). */
  expand(snap: Float64Array): Expansion {
    const { run, checker, state, canon, hash } = this;
    const load = () => {
      state.clear();
      state.pushAll(snap);
      run.restore(state);
    };
    load();
    const n = run.offered();
    const amp = n > 1 ? ampleChoice(run, n, this.cpus) : -1;
    const succ: Successor[] = [];
    for (let c = 0; c < n; c++) {
      load();
      run.offered();
      run.force(c);
      checker.pre(run.actionAt(c));
      run.step();
      const tv: string[] = (this.sink = []);
      checker.post();
      if (run.stop === 'limit:steps') {
        succ.push({ hi: 0, lo: 0, tv, limit: true, snap: null, n: 0, sv: [], ev: [] });
        continue;
      }
      run.canonical(canon);
      canon.hash64(hash);
      const sv: string[] = (this.sink = []);
      checker.state();
      const cn = run.offered();
      run.snapshot(state);
      const child = state.buf.slice(0, state.n);
      const ev: string[] = (this.sink = []);
      if (cn === 0) {
        run.step();
        checker.end();
      }
      succ.push({ hi: hash[0]!, lo: hash[1]!, tv, limit: false, snap: child, n: cn, sv, ev });
    }
    return { n, amp, succ };
  }
}
