// "Can this ever go wrong?", answered by a stateful search: every state of a scenario under one
// design, each stored once as a 64-bit hash of its canonical form (what decides the future, no
// history), each expanded once by restoring its snapshot and taking every choice the scheduler
// offers there. Depth-first by default; breadth-first (--bfs) finds the shortest path to each
// violation. Invariants (invariants.ts) are checked on every transition, in every state and on
// every end state, so that merging equal states cannot hide a violation. Partial-order
// reduction (por.ts) takes a step that only touches its own context alone. Each violation
// comes with the schedule that replays it.

import type { ScenarioIR } from '../scenario/ir.js';
import { Run } from '../sim/runner.js';
import { StateVec } from '../kernel/state.js';
import { StackSet, VisitedSet } from './visited.js';
import { Checker } from './invariants.js';
import { ampleChoice, reducibleCpus } from './por.js';
import { ExposureGraph } from './exposure.js';
import { doubled } from './grow.js';
import {
  DEFAULT_MAX_DEPTH,
  DEFAULT_MAX_MEMORY,
  DEFAULT_MAX_STATES,
  makeStore,
  searchResult,
  type SearchOptions,
  type SearchResult,
  type SearchViolation,
} from './search-result.js';
import { performance } from 'node:perf_hooks';

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
