// "Can this ever go wrong?", answered by a stateful search: every state of a scenario under one
// design, each stored once as a 64-bit hash of its canonical form (what decides the future, no
// history), each expanded once by restoring its snapshot and taking every choice the scheduler
// offers there. Depth-first by default; breadth-first (--bfs) finds the shortest path to each
// violation. Invariants (invariants.ts) are checked on every transition, in every state and on
// every end state, so that merging equal states cannot hide a violation. Partial-order
// reduction (por.ts) takes a step that only touches its own context alone. Each violation
// comes with the schedule that replays it.

import type { ScenarioIR } from '../scenario/ir.js';
import { Run, type RunOptions } from '../sim/runner.js';
import { StateVec } from '../kernel/state.js';
import { BitStore, CompactStore, Hash64Store, VisitedSet, type StateStore } from './visited.js';
import { BUILTIN_INVARIANTS, Checker, InvariantError } from './invariants.js';
import { ampleChoice, reducibleCpus } from './por.js';
import { ExposureGraph, type MaxExposure } from './exposure.js';
import { doubled } from './grow.js';
import { performance } from 'node:perf_hooks';

export interface TransitionInvariant {
  name: string;
  description: string;
}

/** The built-in invariants (invariants.ts), for --help and tables. */
export const SEARCH_INVARIANTS: TransitionInvariant[] = BUILTIN_INVARIANTS.map((i) => ({ name: i.name, description: i.description }));

export interface SearchOptions extends Omit<RunOptions, 'seed' | 'schedule' | 'events' | 'onStep'> {
  /** Breadth-first: the first violation found of each invariant has the shortest path. */
  bfs?: boolean;
  /** Stop after storing this many distinct states. */
  maxStates?: number;
  /** Do not expand states deeper than this many steps (the search is then incomplete). */
  maxDepth?: number;
  /** Stop when the visited set and the states waiting to be expanded take this many bytes. */
  maxMemory?: number;
  /** Stop after this many seconds of wall-clock time (the only input that is not data: a
   * search it stops says so, and which states it covered depends on the machine). */
  timeLimit?: number;
  /** Invariant names to check (default: all that apply to the design). */
  check?: string[];
  /** Partial-order reduction (default on; off with `exposure`). */
  por?: boolean;
  /**
   * Also the largest exposure over every path (`maxExposure`): the search records the state
   * graph. Without reduction (a reduced graph leaves out interleavings that expose more).
   */
  exposure?: boolean;
  /** Store 32 bits of each state's hash instead of 64 (probabilistic coverage). */
  hashCompact?: boolean;
  /** Bit-state hashing over a bit array of this many bytes (probabilistic coverage). */
  bitstate?: number;
  /** @internal DFS keeps no snapshot below the root and replays the path to every state it
   * comes back to (tests check that replaying gives the same search as restoring). */
  replayAll?: boolean;
  /** @internal Called with the run before the search starts (tests break the machine with it). */
  onRun?: (run: Run) => void;
  /** Called every 10,000 states. */
  onProgress?: (p: { states: number; transitions: number; depth: number; frontier: number; bytes: number }) => void;
}

export const DEFAULT_MAX_STATES = 5_000_000;
export const DEFAULT_MAX_DEPTH = 100_000;
/** A quarter of V8's default old-space limit on a 64-bit machine: a search never aborts Node. */
export const DEFAULT_MAX_MEMORY = 1024 * 1024 * 1024;
/** --bitstate without a size: 64 MiB of bits (2^29). */
export const DEFAULT_BITSTATE_BYTES = 64 * 2 ** 20;

export interface SearchViolation {
  invariant: string;
  /** How many transitions (or states, or end states) violated it. */
  count: number;
  /** Steps from the initial state to the violation (the first found). */
  depth: number;
  /** The choices at each choice point: `pksim run FILE --schedule LIST` replays it. */
  schedule: number[];
}

export interface SearchResult {
  scenario: string;
  file: string;
  policy: string;
  mode: 'dfs' | 'bfs';
  /** Every reachable state was expanded: the verdict is a proof, within the model. */
  complete: boolean;
  /** The limit that stopped the search, or null. */
  limit: 'max-states' | 'max-depth' | 'max-memory' | 'max-steps' | 'time-limit' | null;
  /** Distinct canonical states stored. */
  states: number;
  transitions: number;
  /** Deepest state reached (steps from the start). */
  depth: number;
  /** End states (nothing can run). */
  endStates: number;
  checked: string[];
  violations: SearchViolation[];
  /** With `exposure` and a complete search: the largest exposure of any path, and its schedule. */
  maxExposure?: MaxExposure;
  /** Partial-order reduction was on; how many states took one local step only. */
  por: boolean;
  reduced: number;
  /** How states are stored: 64-bit hashes, 32 bits (--hash-compact) or bits (--bitstate). */
  storage: 'hash64' | 'hash-compact' | 'bitstate';
  /** False with --hash-compact and --bitstate: a state may have been skipped, with `omissionProbability`. */
  exact: boolean;
  /** 'probabilistic' with --hash-compact and --bitstate, said plainly for --json readers. */
  coverage: 'exact' | 'probabilistic';
  /** Bytes of the visited set at the end. */
  visitedBytes: number;
  /**
   * The chance that a state was taken as visited though it was not (so never expanded): at most
   * states^2 / 2^65 with 64-bit hashes, states^2 / 2^33 with 32 bits, and with bit-state
   * hashing the false-positive rate of the bit array when full.
   */
  omissionProbability: number;
}

export class SearchError extends Error {}

interface Node {
  /** Full (restorable) snapshot, once `saved` (DFS takes it only when the state will be restored). */
  state: StateVec;
  saved: boolean;
  /** Bytes counted against --max-memory while the node waits. */
  bytes: number;
  /** Choices offered here. */
  n: number;
  /** Next index to try in full expansion. */
  next: number;
  depth: number;
  /** Index into the path arrays (BFS) of this state. */
  id: number;
  /** Its id in the exposure graph (-1: none recorded). */
  gid: number;
  /** The local choice taken alone (-1: none), and whether the node is expanded fully. */
  amp: number;
  full: boolean;
  /** The choice being explored (DFS: the path). */
  cur: number;
  hi: number;
  lo: number;
}

/** @internal The visited-state store the options ask for (64-bit hashes, compact, bit-state). */
export function makeStore(opts: SearchOptions): StateStore {
  if (opts.bitstate !== undefined) return new BitStore(opts.bitstate);
  if (opts.hashCompact) return new CompactStore();
  return new Hash64Store();
}

/**
 * On-stack hashes for the DFS cycle proviso, as a hash table with one chain per bucket through
 * the stack positions. Entries leave in the reverse order they came (the DFS stack), so the
 * one leaving is always the head of its bucket's chain: push and pop are O(1), with no
 * allocation once the stack has been this deep.
 */
class StackSet {
  private static readonly BUCKETS = 1024;
  private readonly head = new Int32Array(StackSet.BUCKETS).fill(-1);
  private next = new Int32Array(256);
  private his = new Uint32Array(256);
  private los = new Uint32Array(256);
  private n = 0;
  private static bucket(hi: number, lo: number): number {
    return (hi ^ lo) & (StackSet.BUCKETS - 1);
  }
  add(hi: number, lo: number): void {
    if (this.n === this.next.length) {
      this.next = doubled(this.next);
      this.his = doubled(this.his);
      this.los = doubled(this.los);
    }
    const b = StackSet.bucket(hi, lo),
      i = this.n++;
    this.his[i] = hi;
    this.los[i] = lo;
    this.next[i] = this.head[b]!;
    this.head[b] = i;
  }
  /** Remove the entry added last (it must be hi, lo). */
  remove(hi: number, lo: number): void {
    const i = --this.n;
    this.head[StackSet.bucket(hi, lo)] = this.next[i]!;
  }
  has(hi: number, lo: number): boolean {
    for (let i = this.head[StackSet.bucket(hi, lo)]!; i >= 0; i = this.next[i]!) if (this.his[i] === hi >>> 0 && this.los[i] === lo >>> 0) return true;
    return false;
  }
}

export function search(ir: ScenarioIR, opts: SearchOptions = {}): SearchResult {
  const maxStates = opts.maxStates ?? DEFAULT_MAX_STATES;
  const maxDepth = opts.maxDepth ?? DEFAULT_MAX_DEPTH;
  const maxMemory = opts.maxMemory ?? DEFAULT_MAX_MEMORY;
  const bfs = opts.bfs === true;
  const graph = opts.exposure === true ? new ExposureGraph() : null;
  const por = opts.por !== false && graph === null;
  const deadline = opts.timeLimit === undefined ? Infinity : performance.now() + opts.timeLimit * 1000;
  const run = new Run(ir, { ...opts, events: false, schedule: null, seed: null, recordChoices: false });
  opts.onRun?.(run);
  const visited = makeStore(opts);
  const canon = new StateVec();
  const scratch = new StateVec();
  const hash = new Uint32Array(2);
  const cpus = por ? reducibleCpus(ir, run.finishLabel()) : new Uint8Array(ir.machine.cpus);
  const onStack = new StackSet();
  // Path bookkeeping per stored state (BFS: parent and the choice that led here, with how many
  // choices were offered there, so that the schedule can be rebuilt).
  let parent = new Int32Array(1024);
  let choice = new Int32Array(1024);
  let offered = new Int32Array(1024);
  let nStored = 0;
  const store = (p: number, c: number, n: number): number => {
    if (nStored === parent.length) {
      parent = doubled(parent);
      choice = doubled(choice);
      offered = doubled(offered);
    }
    parent[nStored] = p;
    choice[nStored] = c;
    offered[nStored] = n;
    return nStored++;
  };
  const violations = new Map<string, SearchViolation>();
  let transitions = 0;
  let endStates = 0;
  let deepest = 0;
  let reduced = 0;
  let limit: SearchResult['limit'] = null;
  let frontierBytes = 0;

  // DFS keeps the path on its stack; BFS rebuilds it from the parent links.
  const stack: Node[] = [];
  const pathOf = (node: Node | null, c: number, n: number): number[] => {
    const out: number[] = [];
    if (node === null) return out;
    if (n > 1) out.push(c);
    if (bfs) {
      for (let id = node.id; id > 0; id = parent[id]!) if (offered[id]! > 1) out.push(choice[id]!);
    } else {
      for (let i = stack.length - 2; i >= 0; i--) {
        const s = stack[i]!;
        if (s.n > 1) out.push(s.cur);
      }
    }
    return out.reverse();
  };
  // Where the violation being checked happened: the transition from `at` by choice `atC`.
  let at: Node | null = null;
  let atC = -1;
  let atDepth = 0;
  const checker = new Checker(run, ir, run.finishLabel(), opts.check, (name) => {
    const v = violations.get(name);
    if (v) v.count++;
    else violations.set(name, { invariant: name, count: 1, depth: atDepth, schedule: pathOf(at, atC, at?.n ?? 0) });
  });

  const newNode = (state: StateVec, n: number, depth: number, id: number, reuse: Node | null = null): Node => {
    const amp = n > 1 && por ? ampleChoice(run, n, cpus) : -1;
    if (amp >= 0) reduced++;
    if (reuse === null) return { state, saved: true, bytes: 0, n, next: 0, depth, id, gid: -1, amp, full: amp < 0, cur: -1, hi: hash[0]!, lo: hash[1]! };
    reuse.saved = true;
    reuse.n = n;
    reuse.next = 0;
    reuse.depth = depth;
    reuse.id = id;
    reuse.amp = amp;
    reuse.full = amp < 0;
    reuse.cur = -1;
    reuse.hi = hash[0]!;
    reuse.lo = hash[1]!;
    return reuse;
  };
  // DFS: the node of each stack depth is reused with its snapshot vector (no allocation per state
  // once the deepest path has been reached); `runAt` is the node whose state the run is in.
  const pool: Node[] = [];
  let runAt: Node | null = null;
  /**
   * Bring the run to the state of `node` (the top of the DFS stack) that has no snapshot yet:
   * restore the deepest ancestor that has one and take again the choices from there (steps are
   * deterministic), then keep the snapshot.
   */
  const replayTo = (node: Node): void => {
    let from = stack.length - 2;
    while (!stack[from]!.saved) from--;
    run.restore(stack[from]!.state);
    for (let k = from; k < stack.length - 1; k++) {
      run.offered();
      run.force(stack[k]!.cur);
      run.step();
    }
    run.snapshot(node.state);
    node.saved = true;
  };

  const s0 = new StateVec();
  run.snapshot(s0);
  run.canonical(canon);
  canon.hash64(hash);
  visited.add(hash[0]!, hash[1]!);
  checker.state();
  const n0 = run.offered();
  const root = newNode(s0, n0, 0, store(-1, -1, 0));
  root.gid = graph ? graph.id(hash[0]!, hash[1]!) : -1;
  root.bytes = s0.n * 8;
  frontierBytes += root.bytes;
  const queue: Node[] = [root];
  let qHead = 0;
  if (!bfs) {
    stack.push(root);
    onStack.add(root.hi, root.lo);
  }
  let states = 1;

  /** The run is in an end state (nothing can run: done, deadlock or panic), `gid` in the exposure graph. */
  const endState = (gid: number): void => {
    endStates++;
    const e0 = run.metricsNow().exposure;
    run.step();
    if (graph) graph.end(gid, run.metricsNow().exposure - e0);
    checker.end();
  };
  if (root.n === 0) endState(root.gid);

  /** The next choice to take at a node, or -1 when it is expanded. */
  const nextChoice = (node: Node): number => {
    if (!node.full) {
      if (node.next === 0) {
        node.next = 1;
        return node.amp;
      }
      return -1;
    }
    while (node.next < node.n) {
      const c = node.next++;
      if (c !== node.amp) return c;
    }
    return -1;
  };
  /** The ample step closed a cycle (DFS) or met a visited state (BFS): expand every choice. */
  const expandFully = (node: Node): void => {
    node.full = true;
    node.next = 0;
    reduced--;
  };

  // The BFS cycle proviso: an ample step whose successor was stored before is taken with every
  // other choice, unless that successor is one level deeper (stored from another state of this
  // level): such an edge goes down a level, and a cycle of ample steps cannot go down all the way.
  let level = -1;
  let nextLevel = new VisitedSet();

  for (;;) {
    const node = bfs ? queue[qHead] : stack[stack.length - 1];
    if (node === undefined || limit !== null) break;
    if (bfs && node.depth !== level) {
      level = node.depth;
      nextLevel = new VisitedSet();
    }
    const c = nextChoice(node);
    if (c < 0) {
      if (bfs) queue[qHead++] = undefined as unknown as Node;
      else {
        stack.pop();
        onStack.remove(node.hi, node.lo);
      }
      frontierBytes -= node.bytes;
      continue;
    }
    if ((transitions & 1023) === 0 && performance.now() > deadline) {
      limit = 'time-limit';
      break;
    }
    node.cur = c;
    // DFS takes the first choice of a state it has just stored: the run is there already.
    if (runAt !== node) {
      if (node.saved) run.restore(node.state);
      else replayTo(node);
      // The choices offered here, for force() and actionAt() (a state just stored has them).
      run.offered();
    }
    runAt = null;
    run.force(c);
    checker.pre(run.actionAt(c));
    const e0 = graph ? run.metricsNow().exposure : 0;
    run.step();
    transitions++;
    const depth = node.depth + 1;
    if (depth > deepest) deepest = depth;
    at = node;
    atC = c;
    atDepth = depth;
    checker.post();
    if (run.stop === 'limit:steps') {
      limit = 'max-steps';
      break;
    }
    run.canonical(canon);
    canon.hash64(hash);
    let gid = -1;
    if (graph) {
      gid = graph.id(hash[0]!, hash[1]!);
      graph.edge(node.gid, gid, c, node.n, run.metricsNow().exposure - e0);
    }
    if (c === node.amp && !node.full && (bfs ? visited.has(hash[0]!, hash[1]!) && !nextLevel.has(hash[0]!, hash[1]!) : onStack.has(hash[0]!, hash[1]!))) expandFully(node);
    if (!visited.add(hash[0]!, hash[1]!)) continue;
    states++;
    if (bfs) nextLevel.add(hash[0]!, hash[1]!);
    checker.state();
    if (opts.onProgress && states % 10_000 === 0)
      opts.onProgress({
        states,
        transitions,
        depth,
        frontier: bfs ? queue.length - qHead : stack.length,
        bytes: visited.bytes + frontierBytes + nextLevel.bytes + (graph ? graph.bytes : 0),
      });
    if (states >= maxStates) {
      limit = 'max-states';
      break;
    }
    if (visited.bytes + frontierBytes + nextLevel.bytes + (graph ? graph.bytes : 0) > maxMemory) {
      limit = 'max-memory';
      break;
    }
    const n = run.offered();
    if (n === 0) {
      endState(gid);
      continue;
    }
    if (depth >= maxDepth) {
      limit = 'max-depth';
      break;
    }
    let child: Node;
    if (bfs) {
      run.snapshot(scratch);
      child = newNode(scratch.copy(), n, depth, store(node.id, c, node.n));
      queue.push(child);
    } else {
      const at = stack.length;
      let reuse = pool[at];
      if (reuse === undefined) reuse = pool[at] = newNode(new StateVec(scratch.n), n, depth, 0);
      else newNode(reuse.state, n, depth, 0, reuse);
      child = reuse;
      // A state with one choice to take (one offered, or the reduction's) is left for good once
      // that choice is taken, unless the cycle proviso expands it fully: its snapshot waits until
      // then (replayTo), and most such states never need one.
      if (n === 1 || child.amp >= 0 || opts.replayAll === true) child.saved = false;
      else run.snapshot(child.state);
      stack.push(child);
      onStack.add(child.hi, child.lo);
      runAt = child;
    }
    child.gid = gid;
    child.bytes = (child.saved ? child.state.n : s0.n) * 8;
    frontierBytes += child.bytes;
  }

  return searchResult(ir, run, visited, {
    mode: bfs ? 'bfs' : 'dfs',
    limit,
    states,
    transitions,
    depth: deepest,
    endStates,
    checked: checker.names,
    violations: [...violations.values()],
    por,
    reduced,
    ...(graph && limit === null ? { maxExposure: graph.longest(root.gid) } : {}),
  });
}

type SearchFields = Pick<SearchResult, 'mode' | 'limit' | 'states' | 'transitions' | 'depth' | 'endStates' | 'checked' | 'violations' | 'por' | 'reduced' | 'maxExposure'>;

/** @internal A search's result, the sequential one's or the parallel one's: what the store says of its coverage added. */
export function searchResult(ir: ScenarioIR, run: Run, visited: StateStore, f: SearchFields): SearchResult {
  return {
    scenario: ir.name,
    file: ir.file,
    policy: run.finishLabel(),
    mode: f.mode,
    complete: f.limit === null,
    limit: f.limit,
    states: f.states,
    transitions: f.transitions,
    depth: f.depth,
    endStates: f.endStates,
    checked: f.checked,
    violations: f.violations,
    por: f.por,
    reduced: f.reduced,
    ...(f.maxExposure ? { maxExposure: f.maxExposure } : {}),
    storage: visited.kind,
    exact: visited.kind === 'hash64',
    coverage: visited.kind === 'hash64' ? 'exact' : 'probabilistic',
    visitedBytes: visited.bytes,
    omissionProbability: visited.omission(f.states),
  };
}

/** An unknown --check name is bad input (the CLI maps it to exit 2). */
export function checkError(e: unknown): e is InvariantError {
  return e instanceof InvariantError;
}
