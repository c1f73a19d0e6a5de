// What a stateful search takes and gives: its options, limits and result (search.ts runs one
// thread, parallel.ts several); the store its options ask for, and the result built from what
// the store says of its coverage.

import { BUILTIN_INVARIANTS, InvariantError } from './invariants.js';
import { BitStore, CompactStore, Hash64Store, type StateStore } from './visited.js';
import type { ScenarioIR } from '../scenario/ir.js';
import type { Run, RunOptions } from '../sim/runner.js';
import type { MaxExposure } from './exposure.js';

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

/** @internal The visited-state store the options ask for (64-bit hashes, compact, bit-state). */
export function makeStore(opts: SearchOptions): StateStore {
  if (opts.bitstate !== undefined) return new BitStore(opts.bitstate);
  if (opts.hashCompact) return new CompactStore();
  return new Hash64Store();
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
