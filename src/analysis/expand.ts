// One expansion step of the breadth-first search, shared by the worker threads of --workers N
// (search-worker.ts) and the main thread: from a node's snapshot, every choice's successor with
// its hash, the invariants the transition violates, the state's invariants and, for an end state,
// the end invariants. The main thread decides, in queue order, which successors are new.
//
// What goes back is flat: numbers in one Float64Array, the snapshots of successors that may be
// new, and the names of violated invariants only where there are some. A successor this thread
// already produced at an earlier node, and the main thread took (so it is visited by the time
// the main thread reads this reply: it reads the nodes of a thread in the order they were sent),
// comes back without a snapshot: most successors of a search are such duplicates.

import type { ScenarioIR } from '../scenario/ir.js';
import { Run, type RunOptions } from '../sim/runner.js';
import { StateVec } from '../kernel/state.js';
import { Checker } from './invariants.js';
import { ampleChoice, reducibleCpus } from './por.js';
import { VisitedSet } from './visited.js';

export interface ExpandOptions extends Omit<RunOptions, 'seed' | 'schedule' | 'events' | 'onStep'> {
  check?: string[];
  por?: boolean;
}

/** Numbers per successor in an expansion's `nums`: hash hi, hash lo, flags, choices offered, snapshot index (both -1 for a successor taken before). */
export const SUCC_WORDS = 5;
/** Flags of a successor: --max-steps was hit; invariants violated by the transition, the state, the end. */
export const F_LIMIT = 1,
  F_TV = 2,
  F_SV = 4,
  F_EV = 8;

/**
 * The expansions of a batch of nodes: for each node `n`, `amp` (the ample choice or -1), then
 * n successors of SUCC_WORDS numbers; the snapshots the successors name by index; the lists of
 * invariant names, in the order of the flags that announce them.
 */
export interface Expansions {
  nums: Float64Array;
  snaps: PackedSnaps;
  names: string[][];
}

/**
 * Snapshots end to end in one array (`ends[i]`: where the i-th ends): one buffer to transfer
 * between threads instead of one per snapshot (each transfer has a fixed cost).
 */
export interface PackedSnaps {
  data: Float64Array;
  ends: Int32Array;
}

/** Pack `list` into `into` when it is large enough (a buffer handed back by the other thread), else into a new one. */
export function packSnaps(list: readonly Float64Array[], into?: Float64Array): PackedSnaps {
  let total = 0;
  for (const s of list) total += s.length;
  const data = into !== undefined && into.length >= total ? into : new Float64Array(total);
  const ends = new Int32Array(list.length);
  let at = 0;
  for (let i = 0; i < list.length; i++) {
    data.set(list[i]!, at);
    at += list[i]!.length;
    ends[i] = at;
  }
  return { data, ends };
}

/** The i-th snapshot of a pack, as a view (no copy). */
export function snapAt(p: PackedSnaps, i: number): Float64Array {
  return p.data.subarray(i === 0 ? 0 : p.ends[i - 1]!, p.ends[i]);
}

export function unpackSnaps(p: PackedSnaps): Float64Array[] {
  return Array.from(p.ends, (_, i) => snapAt(p, i));
}

export class Expander {
  readonly run: Run;
  private readonly checker: Checker;
  private readonly cpus: Uint8Array;
  private readonly state = new StateVec();
  /** Points at the snapshot being expanded (no vector made per node). */
  private readonly reader = new StateVec(16);
  private readonly canon = new StateVec();
  private readonly hash = new Uint32Array(2);
  /** Successors produced here at earlier nodes that the main thread took (see above). */
  private readonly taken = new VisitedSet();
  private readonly por: boolean;
  private sink: string[] = [];
  // Per batch, reused: the numbers written so far, and the snapshots end to end.
  private nums = new Float64Array(1024);
  private len = 0;
  private data: Float64Array = new Float64Array(0);
  private dataLen = 0;
  private ends: number[] = [];
  /** Buffers the main thread handed back, to pack the next batch's snapshots into. */
  private readonly spares: Float64Array[] = [];
  /** The size a new buffer starts at: the largest a batch has needed. */
  private dataSize = 1 << 16;

  constructor(ir: ScenarioIR, opts: ExpandOptions) {
    this.run = new Run(ir, { ...opts, events: false, schedule: null, seed: null, recordChoices: false });
    this.checker = new Checker(this.run, ir, this.run.finishLabel(), opts.check, (name) => this.sink.push(name));
    this.por = opts.por !== false;
    this.cpus = this.por ? reducibleCpus(ir, this.run.finishLabel()) : new Uint8Array(ir.machine.cpus);
  }

  /** Bytes of the set of successors taken (memory the main thread counts against --max-memory). */
  get takenBytes(): number {
    return this.taken.bytes;
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

  private put(x: number): void {
    if (this.len === this.nums.length) {
      const b = new Float64Array(this.nums.length * 2);
      b.set(this.nums);
      this.nums = b;
    }
    this.nums[this.len++] = x;
  }

  /**
   * States the main thread stored (hash hi, lo pairs) since it last said: visited by the time
   * it reads any later reply, so their successors come back as a hash alone, whichever thread
   * found them first.
   */
  learnVisited(pairs: Uint32Array): void {
    for (let i = 0; i + 1 < pairs.length; i += 2) this.taken.add(pairs[i]!, pairs[i + 1]!);
  }

  /** A buffer the other thread is done with (its length is kept; the contents are not). */
  give(buf: Float64Array): void {
    this.spares.push(buf);
  }

  /**
   * Every successor of every state in `snaps` (all choices: the caller applies the reduction).
   * The snapshots come back in a buffer of their own, which belongs to the caller (the worker
   * transfers it); the next batch packs into a spare handed back, or a new buffer.
   */
  expandAll(snaps: readonly Float64Array[]): Expansions {
    this.len = 0;
    this.dataLen = 0;
    this.ends.length = 0;
    // (The last batch's buffer went to the main thread: a detached array of length 0 now.)
    this.data = this.spares.pop() ?? new Float64Array(this.dataSize);
    const out: Expansions = { nums: this.nums, snaps: { data: this.data, ends: new Int32Array(0) }, names: [] };
    for (const s of snaps) this.expand(s, out);
    out.nums = this.nums.slice(0, this.len);
    out.snaps = { data: this.data, ends: Int32Array.from(this.ends) };
    return out;
  }

  /** Keep the run's current state as the next snapshot of the batch; its index. */
  private keepSnapshot(): number {
    const state = this.state;
    this.run.snapshot(state);
    if (this.dataLen + state.n > this.data.length) {
      const b = new Float64Array(Math.max(this.data.length * 2, this.dataLen + state.n));
      b.set(this.data.subarray(0, this.dataLen));
      this.data = b;
      this.dataSize = Math.max(this.dataSize, b.length);
    }
    this.data.set(state.buf.subarray(0, state.n), this.dataLen);
    this.dataLen += state.n;
    this.ends.push(this.dataLen);
    return this.ends.length - 1;
  }

  private expand(snap: Float64Array, out: Expansions): void {
    const { run, checker, canon, hash } = this;
    const from = this.reader.point(snap);
    run.restore(from);
    const n = run.offered();
    const amp = n > 1 && this.por ? ampleChoice(run, n, this.cpus) : -1;
    this.put(n);
    this.put(amp);
    const first = this.len;
    for (let c = 0; c < n; c++) {
      if (c > 0) run.restore(from);
      run.offered();
      run.force(c);
      checker.pre(run.actionAt(c));
      run.step();
      const tv: string[] = (this.sink = []);
      checker.post();
      let flags = tv.length > 0 ? F_TV : 0;
      if (flags) out.names.push(tv);
      if (run.stop === 'limit:steps') {
        this.put(0);
        this.put(0);
        this.put(flags | F_LIMIT);
        this.put(0);
        this.put(-1);
        continue;
      }
      run.canonical(canon);
      canon.hash64(hash);
      const hi = hash[0]!,
        lo = hash[1]!;
      // Taken at an earlier node: visited by the time the main thread reads this, which then
      // reads only its hash and the transition's invariants (most successors are such).
      if (this.taken.has(hi, lo)) {
        this.put(hi);
        this.put(lo);
        this.put(flags);
        this.put(-1);
        this.put(-1);
        continue;
      }
      const sv: string[] = (this.sink = []);
      checker.state();
      if (sv.length > 0) {
        flags |= F_SV;
        out.names.push(sv);
      }
      const cn = run.offered();
      // The snapshot: the same one for the same state reached by two choices here.
      let snapIdx = -1;
      for (let o = first; o < this.len; o += SUCC_WORDS)
        if (this.nums[o] === hi && this.nums[o + 1] === lo && this.nums[o + 4]! >= 0) {
          snapIdx = this.nums[o + 4]!;
          break;
        }
      if (snapIdx < 0 && cn > 0) snapIdx = this.keepSnapshot();
      if (cn === 0) {
        const ev: string[] = (this.sink = []);
        run.step();
        checker.end();
        if (ev.length > 0) {
          flags |= F_EV;
          out.names.push(ev);
        }
      }
      this.put(hi);
      this.put(lo);
      this.put(flags);
      this.put(cn);
      this.put(snapIdx);
    }
    // What the main thread will take of this node: every successor, or the ample one alone
    // (it may take more, when the ample successor was visited; those are not needed here).
    for (let c = 0; c < n; c++) {
      if (amp >= 0 && c !== amp) continue;
      const o = first + c * SUCC_WORDS;
      if ((this.nums[o + 2]! & F_LIMIT) === 0) this.taken.add(this.nums[o]!, this.nums[o + 1]!);
    }
  }
}
