// Tasks and execution contexts. A task context lives as long as the task; every interrupt or
// exception invocation is a new context with its own entry frame (pt_regs + saved PKRS).

import type { TaskKind } from './types.js';
import { PKS_NUM_KEYS } from '../arch/x86/pkrs.js';
import { LocalStack } from '../mm/kmap_local.js';
import type { FrameKind } from './events.js';
import type { Interner, StateVec } from './state.js';

export type TaskState = 'runnable' | 'blocked' | 'done' | 'dead';
const STATES: readonly TaskState[] = ['runnable', 'blocked', 'done', 'dead'];
const RUNNABLE = 0;

export class Ctx {
  // What the context holds, kept by the machine whatever the design does with it: the
  // designs derive PKRS rights from these, the oracle keeps its own view to check them.
  /** grant_access() rights held, per key: READ and WRITE counted apart. */
  readonly grantR = new Int32Array(PKS_NUM_KEYS);
  readonly grantW = new Int32Array(PKS_NUM_KEYS);
  /** Live kmap_local_page()/kmap_atomic() mappings this context made, per key. */
  readonly localMapped = new Int32Array(PKS_NUM_KEYS);
  /** Live kmap() mappings this context made, per key. */
  readonly kmapped = new Int32Array(PKS_NUM_KEYS);
  /** Entry frame: PKRS of the interrupted context, saved at entry and restored at exit. */
  savedPkrs = 0;
  /** The PKRS saved at entry, before any handler edit (the explorer checks the restore against it). */
  entryPkrs = 0;
  /** Whether the interrupted context had interrupts disabled, restored at exit. */
  savedIrqsOff = false;
  /**
   * Accounting, as the kernel keeps a task's run time: ticks this context ran, and key x ticks
   * it ran with a protected key open, of which unscoped (open with no mapping or grant of it).
   */
  ranTicks = 0;
  openTicks = 0;
  unscopedTicks = 0;
  /** The runner's state of this context (program counter, variables): opaque to the kernel. */
  exec: unknown = null;
  /** Marks a context already written by the snapshot in progress. */
  stamp = 0;
  /** Its number in the canonical state being written (order of appearance). */
  canon = -1;

  constructor(
    readonly id: number,
    readonly name: string,
    readonly kind: FrameKind,
    public cpu: number,
    public task: Task | null,
  ) {}

  /** Holds a grant_access() right on the key (what a leak check at exit looks for). */
  holdsGrant(key: number): boolean {
    return this.grantR[key]! > 0 || this.grantW[key]! > 0;
  }

  /**
   * What the context holds and its entry frame (its identity is written by the caller), for
   * the keys in use (key 0 and the scenario's keys: no other key can be held). Without
   * `accounting`, the canonical form: no tick counters, the holdings written sparsely.
   */
  save(v: StateVec, keys: Int32Array, accounting = true): void {
    const at = v.reserve(3),
      b = v.buf;
    b[at] = this.savedPkrs;
    b[at + 1] = this.entryPkrs;
    b[at + 2] = this.savedIrqsOff ? 1 : 0;
    if (!accounting) {
      // The canonical state: most contexts hold nothing, so the non-zero holdings only, as
      // (key, counts) after their number.
      let held = 0;
      for (let i = 0; i < keys.length; i++) if (this.holds(keys[i]!)) held++;
      v.push(held);
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        if (!this.holds(k)) continue;
        v.push(k);
        v.push(this.grantR[k]!);
        v.push(this.grantW[k]!);
        v.push(this.localMapped[k]!);
        v.push(this.kmapped[k]!);
      }
      return;
    }
    let p = v.reserve(keys.length * 4 + 3);
    const w = v.buf;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      w[p++] = this.grantR[k]!;
      w[p++] = this.grantW[k]!;
      w[p++] = this.localMapped[k]!;
      w[p++] = this.kmapped[k]!;
    }
    // The accounting is history: in a snapshot, not in the canonical state.
    w[p++] = this.ranTicks;
    w[p++] = this.openTicks;
    w[p] = this.unscopedTicks;
  }

  private holds(k: number): boolean {
    return this.grantR[k] !== 0 || this.grantW[k] !== 0 || this.localMapped[k] !== 0 || this.kmapped[k] !== 0;
  }

  load(v: StateVec, keys: Int32Array): void {
    // A fixed group of fields: read through a local cursor (StateVec.reserve() on the way out).
    const b = v.buf;
    let p = v.pos;
    this.savedPkrs = b[p++]!;
    this.entryPkrs = b[p++]!;
    this.savedIrqsOff = b[p++] === 1;
    // Only the keys in use can be non-zero (no scenario names another), so only they are read.
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      this.grantR[k] = b[p++]!;
      this.grantW[k] = b[p++]!;
      this.localMapped[k] = b[p++]!;
      this.kmapped[k] = b[p++]!;
    }
    this.ranTicks = b[p++]!;
    this.openTicks = b[p++]!;
    this.unscopedTicks = b[p++]!;
    v.pos = p;
  }
}

export class Task {
  /** The state as its index in STATES (what a snapshot writes). */
  private st = 0;
  /** The interned id of `blockedOn`, for the string it was taken of (a snapshot writes it). */
  private blockedId = 0;
  private blockedIdOf: string | null = null;
  private onCpu: number;
  /** Thread state's PKRS: saved on switch-out, loaded on switch-in. */
  threadPkrs = 0;
  preemptCount = 0;
  pagefaultDisabled = 0;
  readonly local = new LocalStack();
  /** What the task is blocked on (for logs and deadlock reports). */
  blockedOn = '';
  /** Queued work items (worker tasks). */
  readonly workQueue: number[] = [];
  readonly ctx: Ctx;

  constructor(
    readonly id: number,
    readonly name: string,
    readonly kind: TaskKind | 'idle',
    cpu: number,
    /** Position in Machine.tasks (round-robin order). */
    readonly index: number,
    /** Runnable (non-idle) tasks per CPU, kept up to date by the state and cpu setters. */
    private readonly nrRunnable: Int32Array,
  ) {
    this.onCpu = cpu;
    if (kind !== 'idle') nrRunnable[cpu]!++;
    this.ctx = new Ctx(id, name, kind === 'idle' ? 'kthread' : kind, cpu, this);
  }

  get state(): TaskState {
    return STATES[this.st]!;
  }
  set state(s: TaskState) {
    if (this.kind !== 'idle' && (this.st === RUNNABLE) !== (s === 'runnable')) this.nrRunnable[this.onCpu]! += s === 'runnable' ? 1 : -1;
    this.st = STATES.indexOf(s);
  }

  get cpu(): number {
    return this.onCpu;
  }

  /**
   * Write the task's state. `mapId` renames mapping ids: the identity for a snapshot, the
   * canonical numbering for the canonical state (which is the same but for that).
   */
  save(v: StateVec, names: Interner, mapId: ((id: number) => number) | null = null): void {
    if (this.blockedIdOf !== this.blockedOn) {
      // Not blocked (the usual case) is 0, not the 52-bit id of '': a small integer hashes in
      // one round. No string's id is 0 (textHash() never returns it).
      this.blockedId = this.blockedOn === '' ? 0 : names.id(this.blockedOn);
      this.blockedIdOf = this.blockedOn;
    }
    const at = v.reserve(7),
      b = v.buf;
    b[at] = this.st;
    b[at + 1] = this.onCpu;
    b[at + 2] = this.threadPkrs;
    b[at + 3] = this.preemptCount;
    b[at + 4] = this.pagefaultDisabled;
    b[at + 5] = this.blockedId;
    b[at + 6] = this.local.depth;
    v.pushI32(this.local.page, this.local.depth);
    if (mapId === null) v.pushF64(this.local.mapping, this.local.depth);
    else for (let i = 0; i < this.local.depth; i++) v.push(mapId(this.local.mapping[i]!));
    v.push(this.workQueue.length);
    v.pushAll(this.workQueue);
  }

  /** Read back what save() wrote. The run-queue counts are recomputed by the machine. */
  load(v: StateVec, names: Interner): void {
    const b = v.buf;
    let p = v.pos;
    this.st = b[p++]!;
    this.onCpu = b[p++]!;
    this.ctx.cpu = this.onCpu;
    this.threadPkrs = b[p++]!;
    this.preemptCount = b[p++]!;
    this.pagefaultDisabled = b[p++]!;
    const blocked = b[p++]!;
    const depth = (this.local.depth = b[p++]!);
    v.pos = p;
    this.blockedOn = blocked === 0 ? '' : names.str(blocked);
    this.blockedId = blocked;
    this.blockedIdOf = this.blockedOn;
    // Entries past the depth are never read (kunmap_local and the syscall exit leave them too).
    v.nextI32(this.local.page, depth);
    v.nextF64(this.local.mapping, depth);
    const nq = v.next();
    if (this.workQueue.length !== nq) this.workQueue.length = nq;
    for (let i = 0; i < nq; i++) this.workQueue[i] = v.next();
  }
  set cpu(c: number) {
    if (this.kind !== 'idle' && this.st === RUNNABLE) {
      this.nrRunnable[this.onCpu]!--;
      this.nrRunnable[c]!++;
    }
    this.onCpu = c;
    this.ctx.cpu = c;
  }
}
