// "Can this ever go wrong?", answered by a stateful search: every state of a scenario under one
// design, each stored once as a 64-bit hash of its canonical form (what decides the future, no
// history), each expanded once by restoring its snapshot and taking every choice the scheduler
// offers there. Depth-first by default; breadth-first (--bfs) finds the shortest path to each
// violation. Invariants are checked on every transition (a step that breaks a legit access,
// misses a stray, panics or leaks) and on every end state (deadlock), so that merging equal
// states cannot hide a violation. Each violation comes with the schedule that replays it.

import type { ScenarioIR } from '../scenario/ir.js';
import { Run, type RunOptions } from '../sim/runner.js';
import { StateVec } from '../kernel/state.js';
import { VisitedSet } from './visited.js';
import { performance } from 'node:perf_hooks';

export interface TransitionInvariant {
  name: string;
  description: string;
}

/** The invariants a search checks: on each transition, or (no-deadlock) on each end state. */
export const SEARCH_INVARIANTS: TransitionInvariant[] = [
  { name: 'no-broken-legit', description: 'no legitimate access oopses' },
  { name: 'no-missed-stray', description: 'no stray access goes through unnoticed' },
  { name: 'no-panic', description: 'no oops in interrupt context' },
  { name: 'no-leak', description: 'no kmap_local or grant held when its context is left' },
  { name: 'no-deadlock', description: 'no end state with contexts blocked forever' },
];

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
  /** Invariant names to check (default: all). */
  check?: string[];
  /** Called every 10,000 states. */
  onProgress?: (p: { states: number; transitions: number; depth: number; frontier: number; bytes: number }) => void;
}

export const DEFAULT_MAX_STATES = 5_000_000;
export const DEFAULT_MAX_DEPTH = 100_000;
/** A quarter of V8's default old-space limit on a 64-bit machine: a search never aborts Node. */
export const DEFAULT_MAX_MEMORY = 1024 * 1024 * 1024;

export interface SearchViolation {
  invariant: string;
  /** How many transitions (or end states) violated it. */
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
  /** Bytes of the visited set at the end. */
  visitedBytes: number;
  /**
   * States are stored as 64-bit hashes (hash compaction), not whole: the chance that two
   * distinct states collided, so that one was never expanded, is at most states^2 / 2^65.
   */
  omissionProbability: number;
}

export class SearchError extends Error {}

interface Node {
  /** Full (restorable) snapshot. */
  state: StateVec;
  /** Choices offered here, and the next one to take. */
  n: number;
  next: number;
  depth: number;
  /** Index into the path arrays (BFS) of this state. */
  id: number;
}

/** Counters whose increase on a transition is a violation, read from a run. */
function counters(run: Run, out: Float64Array): void {
  const s = run.metricsNow();
  out[0] = s.legitBroken;
  out[1] = s.straysMissed;
  out[2] = run.m.stats.panics;
  out[3] = run.m.stats.leaks;
}

export function search(ir: ScenarioIR, opts: SearchOptions = {}): SearchResult {
  const checked = opts.check ?? SEARCH_INVARIANTS.map((i) => i.name);
  for (const name of checked) {
    if (!SEARCH_INVARIANTS.some((i) => i.name === name)) throw new SearchError(`unknown invariant '${name}' (expected ${SEARCH_INVARIANTS.map((i) => i.name).join(', ')})`);
  }
  const want = SEARCH_INVARIANTS.map((i) => checked.includes(i.name));
  const maxStates = opts.maxStates ?? DEFAULT_MAX_STATES;
  const maxDepth = opts.maxDepth ?? DEFAULT_MAX_DEPTH;
  const maxMemory = opts.maxMemory ?? DEFAULT_MAX_MEMORY;
  const bfs = opts.bfs === true;
  const deadline = opts.timeLimit === undefined ? Infinity : performance.now() + opts.timeLimit * 1000;
  const run = new Run(ir, { ...opts, events: false, schedule: null, seed: null });
  const visited = new VisitedSet();
  const canon = new StateVec();
  const scratch = new StateVec();
  const hash = new Uint32Array(2);
  const before = new Float64Array(4);
  const after = new Float64Array(4);
  // Path bookkeeping per stored state (BFS: parent and the choice that led here, with how many
  // choices were offered there, so that the schedule can be rebuilt).
  let parent = new Int32Array(1024);
  let choice = new Int32Array(1024);
  let offered = new Int32Array(1024);
  let nStored = 0;
  const store = (p: number, c: number, n: number): number => {
    if (nStored === parent.length) {
      const grow = (a: Int32Array) => {
        const b = new Int32Array(a.length * 2);
        b.set(a);
        return b;
      };
      parent = grow(parent);
      choice = grow(choice);
      offered = grow(offered);
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
  let limit: SearchResult['limit'] = null;
  let frontierBytes = 0;

  // DFS keeps the path on its stack; BFS rebuilds it from the parent links.
  const stack: Node[] = [];
  const pathOf = (node: Node, c: number, n: number): number[] => {
    const out: number[] = [];
    if (n > 1) out.push(c);
    if (bfs) {
      for (let id = node.id; id > 0; id = parent[id]!) if (offered[id]! > 1) out.push(choice[id]!);
    } else {
      const top = stack.indexOf(node);
      for (let i = top - 1; i >= 0; i--) {
        const s = stack[i]!;
        if (s.n > 1) out.push(s.next - 1);
      }
    }
    return out.reverse();
  };
  const violate = (name: string, node: Node, c: number, n: number, depth: number) => {
    const v = violations.get(name);
    if (v) v.count++;
    else violations.set(name, { invariant: name, count: 1, depth, schedule: pathOf(node, c, n) });
  };

  const s0 = new StateVec();
  run.snapshot(s0);
  run.canonical(canon);
  canon.hash64(hash);
  visited.add(hash[0]!, hash[1]!);
  const root: Node = { state: s0, n: run.offered(), next: 0, depth: 0, id: store(-1, -1, 0) };
  // The restore the loop starts with re-reads it: offered() may have fired `at tick` interrupts.
  frontierBytes += s0.n * 8;
  const queue: Node[] = [root];
  let qHead = 0;
  if (!bfs) stack.push(root);
  let states = 1;

  /** An end state (nothing can run: done, deadlock or panic), reached from `from` by choice `c`. */
  const endState = (state: StateVec, from: Node | null, c: number, depth: number): void => {
    endStates++;
    run.restore(state);
    run.step();
    if (run.stop === 'deadlock' && want[4]) {
      if (from === null) violations.set('no-deadlock', { invariant: 'no-deadlock', count: 1, depth: 0, schedule: [] });
      else violate('no-deadlock', from, c, from.n, depth);
    }
  };
  if (root.n === 0) endState(s0, null, -1, 0);

  for (;;) {
    const node = bfs ? queue[qHead] : stack[stack.length - 1];
    if (node === undefined || limit !== null) break;
    if (node.next >= node.n) {
      if (bfs) {
        queue[qHead++] = undefined as unknown as Node;
        frontierBytes -= node.state.n * 8;
      } else {
        stack.pop();
        frontierBytes -= node.state.n * 8;
      }
      continue;
    }
    if ((transitions & 1023) === 0 && performance.now() > deadline) {
      limit = 'time-limit';
      break;
    }
    const c = node.next++;
    run.restore(node.state);
    counters(run, before);
    run.offered();
    run.force(c);
    run.step();
    transitions++;
    counters(run, after);
    const depth = node.depth + 1;
    if (depth > deepest) deepest = depth;
    if (want[0] && after[0]! > before[0]!) violate('no-broken-legit', node, c, node.n, depth);
    if (want[1] && after[1]! > before[1]!) violate('no-missed-stray', node, c, node.n, depth);
    if (want[2] && after[2]! > before[2]!) violate('no-panic', node, c, node.n, depth);
    if (want[3] && after[3]! > before[3]!) violate('no-leak', node, c, node.n, depth);
    if (run.stop === 'limit:steps') {
      limit = 'max-steps';
      break;
    }
    run.canonical(canon);
    canon.hash64(hash);
    if (!visited.add(hash[0]!, hash[1]!)) continue;
    states++;
    if (opts.onProgress && states % 10_000 === 0)
      opts.onProgress({ states, transitions, depth, frontier: bfs ? queue.length - qHead : stack.length, bytes: visited.bytes + frontierBytes });
    if (states >= maxStates) {
      limit = 'max-states';
      break;
    }
    if (visited.bytes + frontierBytes > maxMemory) {
      limit = 'max-memory';
      break;
    }
    const n = run.offered();
    run.snapshot(scratch);
    const snap = scratch.copy();
    if (n === 0) {
      endState(snap, node, c, depth);
      continue;
    }
    const child: Node = { state: snap, n, next: 0, depth, id: bfs ? store(node.id, c, node.n) : 0 };
    if (depth >= maxDepth) {
      limit = 'max-depth';
      break;
    }
    frontierBytes += snap.n * 8;
    if (bfs) queue.push(child);
    else stack.push(child);
  }

  return {
    scenario: ir.name,
    file: ir.file,
    policy: run.finishLabel(),
    mode: bfs ? 'bfs' : 'dfs',
    complete: limit === null,
    limit,
    states,
    transitions,
    depth: deepest,
    endStates,
    checked,
    violations: [...violations.values()],
    visitedBytes: visited.bytes,
    omissionProbability: (states * states) / 2 ** 65,
  };
}
