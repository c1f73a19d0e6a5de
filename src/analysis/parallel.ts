// `pksim explore --workers N`: the breadth-first search with the expansion of states spread over
// N worker threads. Workers take batches of queued states in queue order and send back every
// successor (hash, snapshot, the invariants it violates: expand.ts); the main thread merges the
// batches strictly in queue order with the same rules as the one-thread search (the ample
// choice first, every choice when its successor was already visited, a state stored when its
// hash is new), so the verdict, the state count and every counterexample are the same for any N.

import type { Worker } from 'node:worker_threads';
import { spawnWorker } from './threads.js';
import type { ScenarioIR } from '../scenario/ir.js';
import { StateVec } from '../kernel/state.js';
import { Expander, type Expansion } from './expand.js';
import type { StateStore } from './visited.js';
import { DEFAULT_MAX_DEPTH, DEFAULT_MAX_MEMORY, DEFAULT_MAX_STATES, makeStore, searchResult, type SearchOptions, type SearchResult, type SearchViolation } from './search.js';
import { performance } from 'node:perf_hooks';

/** States per message to a worker. */
const BATCH = 64;

const makeWorker = (): Worker => spawnWorker(import.meta.url, 'search-worker');

interface QNode {
  snap: Float64Array;
  depth: number;
  id: number;
}

export async function searchParallel(ir: ScenarioIR, opts: SearchOptions & { workers: number }): Promise<SearchResult> {
  const maxStates = opts.maxStates ?? DEFAULT_MAX_STATES;
  const maxDepth = opts.maxDepth ?? DEFAULT_MAX_DEPTH;
  const maxMemory = opts.maxMemory ?? DEFAULT_MAX_MEMORY;
  const por = opts.por !== false;
  const deadline = opts.timeLimit === undefined ? Infinity : performance.now() + opts.timeLimit * 1000;
  const xopts = {
    policy: opts.policy,
    mode: opts.mode,
    store: opts.store,
    warn: opts.warn,
    resetPoints: opts.resetPoints,
    maxSteps: opts.maxSteps,
    check: opts.check,
    por,
  };
  // The root, in this thread: the same Run and checks the workers use.
  const local = new Expander(ir, xopts);
  const run = local.run;
  const visited: StateStore = makeStore(opts);
  const parent: number[] = [-1];
  const choice: number[] = [-1];
  const offered: number[] = [0];
  const violations = new Map<string, SearchViolation>();
  const pathOf = (id: number, c: number, n: number): number[] => {
    const out: number[] = [];
    if (id < 0) return out;
    if (n > 1) out.push(c);
    for (let i = id; i > 0; i = parent[i]!) if (offered[i]! > 1) out.push(choice[i]!);
    return out.reverse();
  };
  const violate = (names: string[], id: number, c: number, n: number, depth: number) => {
    for (const name of names) {
      const v = violations.get(name);
      if (v) v.count++;
      else violations.set(name, { invariant: name, count: 1, depth, schedule: pathOf(id, c, n) });
    }
  };

  const s0 = new StateVec();
  run.snapshot(s0);
  const root = s0.buf.slice(0, s0.n);
  // The root's hash and state invariants: expand() of a node reports those of its successors.
  const canon = new StateVec();
  const hash = new Uint32Array(2);
  run.canonical(canon);
  canon.hash64(hash);
  visited.add(hash[0]!, hash[1]!);
  const rootChecks = new Expander(ir, xopts).root();
  violate(rootChecks.sv, -1, -1, 0, 0);
  let endStates = 0;
  if (rootChecks.n === 0) {
    endStates++;
    violate(rootChecks.ev, -1, -1, 0, 0);
  }

  const queue: (QNode | null)[] = rootChecks.n > 0 ? [{ snap: root, depth: 0, id: 0 }] : [];
  let states = 1;
  let transitions = 0;
  let deepest = 0;
  let reduced = 0;
  let frontierBytes = root.byteLength;
  let limit: SearchResult['limit'] = null;

  const workers = Array.from({ length: opts.workers }, makeWorker);
  for (const w of workers) w.postMessage({ init: { source: ir.source, file: ir.file, opts: xopts } });
  const pending = new Map<number, (out: Expansion[]) => void>();
  for (const w of workers)
    w.on('message', (m: { id: number; out: Expansion[]; strings: string[] }) => {
      run.m.names.learn(m.strings);
      pending.get(m.id)!(m.out);
      pending.delete(m.id);
    });
  const errors = workers.map(
    (w) =>
      new Promise<never>((_, reject) => {
        w.once('error', reject);
      }),
  );
  let nextMsg = 0;
  // Batches in flight, in queue order: [first queue index, promise of its expansions].
  const inflight: { from: number; to: number; reply: Promise<Expansion[]> }[] = [];
  let dispatched = 0;
  const dispatch = () => {
    while (inflight.length < workers.length * 2 && dispatched < queue.length) {
      const from = dispatched;
      const to = Math.min(queue.length, from + BATCH);
      const snaps: Float64Array[] = [];
      for (let i = from; i < to; i++) snaps.push(queue[i]!.snap);
      const id = nextMsg++;
      const reply = new Promise<Expansion[]>((resolve) => {
        pending.set(id, resolve);
      });
      workers[id % workers.length]!.postMessage({ id, snaps, strings: run.m.names.all() });
      inflight.push({ from, to, reply });
      dispatched = to;
    }
  };

  try {
    outer: while (inflight.length > 0 || dispatched < queue.length) {
      dispatch();
      const batch = inflight.shift()!;
      const out = await Promise.race([batch.reply, ...errors]);
      for (let k = 0; k < out.length; k++) {
        const qi = batch.from + k;
        const node = queue[qi]!;
        queue[qi] = null;
        const e = out[k]!;
        if (performance.now() > deadline) {
          limit = 'time-limit';
          break outer;
        }
        // The same order as search(): the ample choice alone while its successor is new.
        let order: number[];
        if (por && e.amp >= 0) {
          reduced++;
          const a = e.succ[e.amp]!;
          if (!a.limit && visited.has(a.hi, a.lo)) {
            reduced--;
            order = [e.amp, ...Array.from({ length: e.n }, (_, c) => c).filter((c) => c !== e.amp)];
          } else order = [e.amp];
        } else order = Array.from({ length: e.n }, (_, c) => c);
        for (const c of order) {
          const s = e.succ[c]!;
          transitions++;
          const depth = node.depth + 1;
          if (depth > deepest) deepest = depth;
          violate(s.tv, node.id, c, e.n, depth);
          if (s.limit) {
            limit = 'max-steps';
            break outer;
          }
          if (!visited.add(s.hi, s.lo)) continue;
          states++;
          violate(s.sv, node.id, c, e.n, depth);
          if (opts.onProgress && states % 10_000 === 0) opts.onProgress({ states, transitions, depth, frontier: queue.length - qi, bytes: visited.bytes + frontierBytes });
          if (states >= maxStates) {
            limit = 'max-states';
            break outer;
          }
          if (visited.bytes + frontierBytes > maxMemory) {
            limit = 'max-memory';
            break outer;
          }
          if (s.n === 0) {
            endStates++;
            violate(s.ev, node.id, c, e.n, depth);
            continue;
          }
          if (depth >= maxDepth) {
            limit = 'max-depth';
            break outer;
          }
          const id = parent.length;
          parent.push(node.id);
          choice.push(c);
          offered.push(e.n);
          // A child with the reduction's single choice gets a fresh id as in search() (store()).
          queue.push({ snap: s.snap!, depth, id });
          frontierBytes += s.snap!.byteLength;
        }
        frontierBytes -= node.snap.byteLength;
      }
    }
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }

  return searchResult(ir, run, visited, {
    mode: 'bfs',
    limit,
    states,
    transitions,
    depth: deepest,
    endStates,
    checked: rootChecks.names,
    violations: [...violations.values()],
    por,
    reduced,
  });
}
