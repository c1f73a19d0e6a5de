// The largest exposure over every path of a state graph (explore --exposure). Exposure (page x
// tick) is history, so it is not in the canonical state: two paths that reach one state may
// have exposed different amounts on the way. The search records the graph instead (each state
// an id, each transition its choice and the exposure its tick added) and the largest total over
// the paths from the initial state to an end state is computed afterwards, over the strongly
// connected components: a cycle that adds exposure each time round makes it unbounded; cycles
// that add none are walked for free.

import { doubled } from './grow.js';

/** @public The largest exposure of any path, and a schedule that reaches it. */
export interface MaxExposure {
  /** page x tick; null when unbounded. */
  exposure: number | null;
  /** A reachable cycle adds exposure each time round: no path bounds it. */
  unbounded: boolean;
  /**
   * The choices at each choice point (`pksim run FILE --schedule LIST` replays it): the path
   * to the largest total; when unbounded, the path into the cycle and once round it.
   */
  schedule: number[];
  /** When unbounded: where in `schedule` the lap round the cycle starts (repeat schedule[lap..] to go round again). */
  lap?: number;
  /** The largest path never ends: it goes round a cycle that adds no exposure (`schedule` leads into it). */
  endless?: boolean;
}

/** @internal The state graph a search records for MaxExposure. */
export class ExposureGraph {
  // hash -> id, open addressing over (hi, lo, id + 1) triples, doubled when half full.
  private table = new Uint32Array(3 * 4096);
  private mask = 4096 - 1;
  private states = 0;
  // Edges in the order recorded.
  private from = new Int32Array(1024);
  private to = new Int32Array(1024);
  private choice = new Int32Array(1024);
  private offered = new Int32Array(1024);
  private weight = new Float64Array(1024);
  private edges = 0;
  /** Per state: the exposure of the step that ends the run there (-1: not an end state). */
  private terminal = new Float64Array(1024).fill(-1);

  /** Bytes held (counted against --max-memory). */
  get bytes(): number {
    return this.table.byteLength + this.edges * 24 + this.terminal.byteLength;
  }

  /** The id of a state, made on first sight. */
  id(hi: number, lo: number): number {
    if (this.states * 2 >= this.mask + 1) this.grow();
    const t = this.table;
    hi >>>= 0;
    lo >>>= 0;
    for (let i = (hi ^ Math.imul(lo, 0x9e3779b1)) & this.mask; ; i = (i + 1) & this.mask) {
      const k = 3 * i;
      if (t[k + 2] === 0) {
        t[k] = hi;
        t[k + 1] = lo;
        t[k + 2] = ++this.states;
        if (this.states > this.terminal.length) this.terminal = doubled(this.terminal, -1);
        return this.states - 1;
      }
      if (t[k] === hi && t[k + 1] === lo) return t[k + 2]! - 1;
    }
  }

  private grow(): void {
    const old = this.table;
    const slots = (this.mask + 1) * 2;
    const t = new Uint32Array(3 * slots);
    const mask = slots - 1;
    for (let k = 0; k < old.length; k += 3) {
      if (old[k + 2] === 0) continue;
      let i = (old[k]! ^ Math.imul(old[k + 1]!, 0x9e3779b1)) & mask;
      while (t[3 * i + 2] !== 0) i = (i + 1) & mask;
      t.set(old.subarray(k, k + 3), 3 * i);
    }
    this.table = t;
    this.mask = mask;
  }

  /** A transition: from state `a` by choice `c` of the `n` offered, to state `b`, adding `w`. */
  edge(a: number, b: number, c: number, n: number, w: number): void {
    if (this.edges === this.from.length) {
      this.from = doubled(this.from);
      this.to = doubled(this.to);
      this.choice = doubled(this.choice);
      this.offered = doubled(this.offered);
      this.weight = doubled(this.weight);
    }
    const e = this.edges++;
    this.from[e] = a;
    this.to[e] = b;
    this.choice[e] = c;
    this.offered[e] = n;
    this.weight[e] = w;
  }

  /** State `a` is an end state; the step that ends the run there adds `w`. */
  end(a: number, w: number): void {
    this.terminal[a] = w;
  }

  /** The largest exposure from state `root` (the initial state's id) to an end state. */
  longest(root: number): MaxExposure {
    const n = this.states,
      m = this.edges;
    // Outgoing edges of each state, by state (counting sort of the edges by `from`).
    const start = new Int32Array(n + 1);
    for (let e = 0; e < m; e++) start[this.from[e]! + 1]!++;
    for (let s = 0; s < n; s++) start[s + 1]! += start[s]!;
    const out = new Int32Array(m);
    const fill = start.slice(0, n);
    for (let e = 0; e < m; e++) out[fill[this.from[e]!]!++] = e;
    const { comp, order } = tarjan(n, start, out, this.to);
    // Per component, in the order Tarjan closes them (successors first): the best total from
    // any of its states, and where it is reached (state and edge; edge -1: the run ends there).
    const nc = order.length;
    const best = new Float64Array(nc).fill(-Infinity);
    const bestAt = new Int32Array(nc).fill(-1);
    const bestEdge = new Int32Array(nc).fill(-1);
    const members: number[][] = Array.from({ length: nc }, () => []);
    for (let s = 0; s < n; s++) members[comp[s]!]!.push(s);
    for (let c = 0; c < nc; c++) {
      let cyclic = false;
      for (const s of members[c]!) {
        if (this.terminal[s]! >= 0 && this.terminal[s]! > best[c]!) {
          best[c] = this.terminal[s]!;
          bestAt[c] = s;
          bestEdge[c] = -1;
        }
        for (let k = start[s]!; k < start[s + 1]!; k++) {
          const e = out[k]!,
            d = comp[this.to[e]!]!;
          if (d === c) {
            cyclic = true;
            if (this.weight[e]! > 0) best[c] = Infinity;
            continue;
          }
          const v = this.weight[e]! + best[d]!;
          if (v > best[c]!) {
            best[c] = v;
            bestAt[c] = s;
            bestEdge[c] = e;
          }
        }
      }
      // A cycle that adds nothing: a path may go round it for ever (a run that never ends,
      // such as a softirq that raises itself), having exposed what it had on the way in.
      if (cyclic && best[c]! < 0) {
        best[c] = 0;
        bestAt[c] = members[c]![0]!;
        bestEdge[c] = -1;
      }
    }
    const r = comp[root]!;
    if (best[r] === Infinity) {
      const { schedule, lap } = this.lap(root, start, out, comp, best);
      return { exposure: null, unbounded: true, schedule, lap };
    }
    if (best[r] === -Infinity) return { exposure: 0, unbounded: false, schedule: [] };
    // The path: inside each component walk to the state where its best leaves, then take it.
    const schedule: number[] = [];
    let at = root;
    for (;;) {
      const c = comp[at]!;
      this.walk(at, bestAt[c]!, start, out, comp, schedule);
      const e = bestEdge[c]!;
      if (e < 0) {
        at = bestAt[c]!;
        break;
      }
      this.take(e, schedule);
      at = this.to[e]!;
    }
    // Not an end state: the path goes on round a cycle that adds nothing, and never ends.
    return this.terminal[at]! >= 0 ? { exposure: best[r]!, unbounded: false, schedule } : { exposure: best[r]!, unbounded: false, schedule, endless: true };
  }

  private take(e: number, schedule: number[]): void {
    if (this.offered[e]! > 1) schedule.push(this.choice[e]!);
  }

  /** Append the choices of a shortest path from `a` to `b` inside their component. */
  private walk(a: number, b: number, start: Int32Array, out: Int32Array, comp: Int32Array, schedule: number[], anyComp = false): void {
    if (a === b) return;
    const via = new Map<number, number>([[a, -1]]);
    const queue = [a];
    for (let q = 0; q < queue.length && !via.has(b); q++) {
      const s = queue[q]!;
      for (let k = start[s]!; k < start[s + 1]!; k++) {
        const e = out[k]!,
          t = this.to[e]!;
        if (via.has(t) || (!anyComp && comp[t] !== comp[a])) continue;
        via.set(t, e);
        queue.push(t);
      }
    }
    const path: number[] = [];
    for (let s = b; s !== a; s = this.from[via.get(s)!]!) path.push(via.get(s)!);
    for (let i = path.length - 1; i >= 0; i--) this.take(path[i]!, schedule);
  }

  /** Unbounded: the path from the root into a cycle that adds exposure, and once round it. */
  private lap(root: number, start: Int32Array, out: Int32Array, comp: Int32Array, best: Float64Array): { schedule: number[]; lap: number } {
    // The cycle nearest the root: of the edges that add exposure inside a component, the one
    // whose source the fewest steps reach (ties: the first recorded).
    const dist = new Int32Array(this.states).fill(-1);
    const queue = [root];
    dist[root] = 0;
    for (let q = 0; q < queue.length; q++) {
      const s = queue[q]!;
      for (let k = start[s]!; k < start[s + 1]!; k++) {
        const t = this.to[out[k]!]!;
        if (dist[t]! < 0) {
          dist[t] = dist[s]! + 1;
          queue.push(t);
        }
      }
    }
    let e = -1;
    for (let x = 0; x < this.edges; x++) {
      const a = this.from[x]!;
      if (this.weight[x]! > 0 && comp[a] === comp[this.to[x]!] && best[comp[a]!] === Infinity && dist[a]! >= 0 && (e < 0 || dist[a]! < dist[this.from[e]!]!)) e = x;
    }
    const schedule: number[] = [];
    const a = this.from[e]!;
    this.walk(root, a, start, out, comp, schedule, true);
    const lap = schedule.length;
    this.take(e, schedule);
    this.walk(this.to[e]!, a, start, out, comp, schedule);
    return { schedule, lap };
  }
}

/**
 * Strongly connected components (Tarjan, iterative: a path may be longer than the JS stack).
 * `comp[s]` numbers components in the order they close, successors before predecessors.
 */
function tarjan(n: number, start: Int32Array, out: Int32Array, to: Int32Array): { comp: Int32Array; order: number[] } {
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const comp = new Int32Array(n).fill(-1);
  const onStack = new Uint8Array(n);
  const stack: number[] = [];
  const order: number[] = [];
  const callS: number[] = [];
  const callK: number[] = [];
  let next = 0;
  for (let s0 = 0; s0 < n; s0++) {
    if (index[s0] !== -1) continue;
    callS.push(s0);
    callK.push(start[s0]!);
    index[s0] = low[s0] = next++;
    stack.push(s0);
    onStack[s0] = 1;
    while (callS.length > 0) {
      const s = callS[callS.length - 1]!;
      const k = callK[callK.length - 1]!;
      if (k < start[s + 1]!) {
        callK[callK.length - 1] = k + 1;
        const t = to[out[k]!]!;
        if (index[t] === -1) {
          index[t] = low[t] = next++;
          stack.push(t);
          onStack[t] = 1;
          callS.push(t);
          callK.push(start[t]!);
        } else if (onStack[t]) low[s] = Math.min(low[s]!, index[t]!);
        continue;
      }
      callS.pop();
      callK.pop();
      if (callS.length > 0) {
        const p = callS[callS.length - 1]!;
        low[p] = Math.min(low[p]!, low[s]!);
      }
      if (low[s] === index[s]) {
        const c = order.length;
        order.push(s);
        for (;;) {
          const t = stack.pop()!;
          onStack[t] = 0;
          comp[t] = c;
          if (t === s) break;
        }
      }
    }
  }
  return { comp, order };
}
