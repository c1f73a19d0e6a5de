// `pksim explore --workers N`: the breadth-first search with the expansion of states spread over
// N worker threads. Workers take batches of queued states in queue order and send back every
// successor (hash, the invariants it violates, and the snapshot when it may be new: expand.ts;
// one transferred buffer each way per batch, recycled); the main thread merges the
// batches strictly in queue order with the same rules as the one-thread search (the ample
// choice first, every choice when its successor was already visited, a state stored when its
// hash is new), so the verdict, the state count and every counterexample are the same for any N.

import type { Worker } from 'node:worker_threads';
import { spawnWorker } from './threads.js';
import type { ScenarioIR } from '../scenario/ir.js';
import { StateVec } from '../kernel/state.js';
import { Expander, F_EV, F_LIMIT, F_SV, F_TV, SUCC_WORDS, packSnaps, snapAt, type Expansions } from './expand.js';
import { VisitedSet, type StateStore } from './visited.js';
import { doubled } from './grow.js';
import {
  DEFAULT_MAX_DEPTH,
  DEFAULT_MAX_MEMORY,
  DEFAULT_MAX_STATES,
  makeStore,
  SearchError,
  searchResult,
  type SearchOptions,
  type SearchResult,
  type SearchViolation,
} from './search-result.js';
import { performance } from 'node:perf_hooks';

/** States per message to a worker. */
const BATCH = 64;

const makeWorker = (): Worker => spawnWorker(import.meta.url, 'search-worker');

interface QNode {
  /** The snapshot (let go once dispatched), and its size, counted till the node is merged. */
  snap: Float64Array;
  bytes: number;
  depth: number;
  id: number;
}

const NONE: string[] = [];
const EMPTY = new Float64Array(0);

export async function searchParallel(ir: ScenarioIR, opts: SearchOptions & { workers: number }): Promise<SearchResult> {
  if (opts.exposure === true) throw new SearchError('the largest exposure (exposure: true) is computed by the search in one thread: not with workers');
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

  const queue: (QNode | null)[] = rootChecks.n > 0 ? [{ snap: root, bytes: root.byteLength, depth: 0, id: 0 }] : [];
  let states = 1;
  let transitions = 0;
  let deepest = 0;
  let reduced = 0;
  let frontierBytes = root.byteLength;
  let limit: SearchResult['limit'] = null;

  const workers = Array.from({ length: opts.workers }, makeWorker);
  for (const w of workers) w.postMessage({ init: { source: ir.source, file: ir.file, opts: xopts } });
  const pending = new Map<number, (out: Expansions) => void>();
  // Each worker keeps the set of successors it produced that were taken: memory of its own.
  const takenBytes = new Float64Array(workers.length);
  // Buffers travel back and forth instead of being made anew per batch (a stream of fresh
  // transferred buffers outran the garbage collector: 7 GB resident on a 760,000-state model):
  // the dispatch buffers come back with the replies, and each reply's buffer goes back to its
  // worker once read.
  const packInto: Float64Array[] = [];
  const spareFor: Float64Array[][] = workers.map(() => []);
  for (let wi = 0; wi < workers.length; wi++)
    workers[wi]!.on('message', (m: { id: number; out: Expansions; back: Float64Array; strings: string[]; takenBytes: number }) => {
      run.m.names.learn(m.strings);
      takenBytes[wi] = m.takenBytes;
      packInto.push(m.back);
      pending.get(m.id)!(m.out);
      pending.delete(m.id);
    });
  const workerBytes = () => {
    let b = 0;
    for (let i = 0; i < takenBytes.length; i++) b += takenBytes[i]!;
    return b;
  };
  const errors = workers.map(
    (w) =>
      new Promise<never>((_, reject) => {
        w.once('error', reject);
      }),
  );
  // Every state stored, in order (hash pairs), and how far each worker has been told.
  let stored = new Uint32Array(2 * 4096);
  let nStored = 0;
  const toldUpTo = new Float64Array(workers.length);
  const noteStored = (hi: number, lo: number) => {
    if (2 * nStored === stored.length) stored = doubled(stored);
    stored[2 * nStored] = hi;
    stored[2 * nStored + 1] = lo;
    nStored++;
  };
  noteStored(hash[0]!, hash[1]!); // the root's
  let nextMsg = 0;
  // Batches in flight, in queue order: [first queue index, promise of its expansions]. A
  // worker gets its batches in queue order, and they are merged in that order (expand.ts).
  const inflight: { from: number; to: number; worker: number; reply: Promise<Expansions> }[] = [];
  let dispatched = 0;
  const dispatch = () => {
    while (inflight.length < workers.length * 4 && dispatched < queue.length) {
      const from = dispatched;
      const to = Math.min(queue.length, from + BATCH);
      const list: Float64Array[] = [];
      for (let i = from; i < to; i++) list.push(queue[i]!.snap);
      // Copied end to end into one buffer, which moves to the worker (transferred, not copied).
      const snaps = packSnaps(list, packInto.pop());
      for (let i = from; i < to; i++) queue[i]!.snap = EMPTY;
      const id = nextMsg++;
      const reply = new Promise<Expansions>((resolve) => {
        pending.set(id, resolve);
      });
      const worker = id % workers.length;
      const spare = spareFor[worker]!.pop() ?? null;
      // The states stored since this worker last heard: it need not check them again.
      const visitedNews = stored.subarray(2 * toldUpTo[worker]!, 2 * nStored).slice();
      toldUpTo[worker] = nStored;
      const transfer = [snaps.data.buffer, snaps.ends.buffer, visitedNews.buffer] as ArrayBuffer[];
      if (spare !== null) transfer.push(spare.buffer as ArrayBuffer);
      workers[worker]!.postMessage({ id, snaps, spare, strings: run.m.names.all(), visited: visitedNews }, transfer);
      inflight.push({ from, to, worker, reply });
      dispatched = to;
    }
  };

  const order: number[] = [];
  const tvOf: string[][] = [],
    svOf: string[][] = [],
    evOf: string[][] = [];
  // The BFS cycle proviso as in search(): a successor stored one level deeper closes no cycle.
  let level = -1;
  let nextLevel = new VisitedSet();
  try {
    outer: while (inflight.length > 0 || dispatched < queue.length) {
      dispatch();
      const batch = inflight.shift()!;
      const out = await Promise.race([batch.reply, ...errors]);
      const nums = out.nums;
      let at = 0;
      let nameAt = 0;
      for (let qi = batch.from; qi < batch.to; qi++) {
        const node = queue[qi]!;
        queue[qi] = null;
        if (node.depth !== level) {
          level = node.depth;
          nextLevel = new VisitedSet();
        }
        const n = nums[at]!,
          amp = nums[at + 1]!,
          first = at + 2;
        at = first + n * SUCC_WORDS;
        // The invariant names of this node's successors, in successor order (arrays reused).
        while (tvOf.length < n) {
          tvOf.push(NONE);
          svOf.push(NONE);
          evOf.push(NONE);
        }
        for (let c = 0; c < n; c++) {
          const f = nums[first + c * SUCC_WORDS + 2]!;
          tvOf[c] = f & F_TV ? out.names[nameAt++]! : NONE;
          svOf[c] = f & F_SV ? out.names[nameAt++]! : NONE;
          evOf[c] = f & F_EV ? out.names[nameAt++]! : NONE;
        }
        if (performance.now() > deadline) {
          limit = 'time-limit';
          break outer;
        }
        // The same order as search(): the ample choice alone while its successor is new.
        order.length = 0;
        const o = (c: number) => first + c * SUCC_WORDS;
        if (por && amp >= 0) {
          reduced++;
          order.push(amp);
          const a = o(amp);
          if ((nums[a + 2]! & F_LIMIT) === 0 && visited.has(nums[a]!, nums[a + 1]!) && !nextLevel.has(nums[a]!, nums[a + 1]!)) {
            reduced--;
            for (let c = 0; c < n; c++) if (c !== amp) order.push(c);
          }
        } else for (let c = 0; c < n; c++) order.push(c);
        for (const c of order) {
          const s = o(c);
          const flags = nums[s + 2]!;
          transitions++;
          const depth = node.depth + 1;
          if (depth > deepest) deepest = depth;
          violate(tvOf[c]!, node.id, c, n, depth);
          if (flags & F_LIMIT) {
            limit = 'max-steps';
            break outer;
          }
          if (!visited.add(nums[s]!, nums[s + 1]!)) continue;
          noteStored(nums[s]!, nums[s + 1]!);
          states++;
          nextLevel.add(nums[s]!, nums[s + 1]!);
          violate(svOf[c]!, node.id, c, n, depth);
          const bytes = () => visited.bytes + frontierBytes + nextLevel.bytes + workerBytes() + stored.byteLength;
          if (opts.onProgress && states % 10_000 === 0) opts.onProgress({ states, transitions, depth, frontier: queue.length - qi, bytes: bytes() });
          if (states >= maxStates) {
            limit = 'max-states';
            break outer;
          }
          if (bytes() > maxMemory) {
            limit = 'max-memory';
            break outer;
          }
          const cn = nums[s + 3]!;
          if (cn === 0) {
            endStates++;
            violate(evOf[c]!, node.id, c, n, depth);
            continue;
          }
          if (depth >= maxDepth) {
            limit = 'max-depth';
            break outer;
          }
          const si = nums[s + 4]!;
          if (si < 0) throw new Error('explore --workers: a new state came back without its snapshot');
          const id = parent.length;
          parent.push(node.id);
          choice.push(c);
          offered.push(n);
          // A child with the reduction's single choice gets a fresh id as in search() (store()).
          // A copy: a view would keep the whole reply alive, duplicates' snapshots and all.
          const snap = snapAt(out.snaps, si).slice();
          queue.push({ snap, bytes: snap.byteLength, depth, id });
          frontierBytes += snap.byteLength;
        }
        frontierBytes -= node.bytes;
      }
      // Read (the new states' snapshots were copied out): the buffer goes back to its worker.
      spareFor[batch.worker]!.push(out.snaps.data);
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
