// Tasks and execution contexts. A task context lives as long as the task; every interrupt or
// exception invocation is a new context with its own entry frame (pt_regs + saved PKRS).

import type { Instr, TaskKind } from '../scenario/ir.js';
import { PKS_NUM_KEYS } from '../arch/x86/pkrs.js';
import { LocalStack } from '../mm/kmap_local.js';
import type { FrameKind } from './events.js';

export type TaskState = 'runnable' | 'blocked' | 'done' | 'dead';

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
  /** The oracle's view of grant_access() rights (READ at key, WRITE at 16+key). */
  readonly asked = new Int32Array(PKS_NUM_KEYS * 2);
  /** Window accounting (runner): ticks running, and key x ticks open / open but unscoped. */
  ranTicks = 0;
  openTicks = 0;
  unscopedTicks = 0;
  /** Entry frame: PKRS of the interrupted context, saved at entry and restored at exit. */
  savedPkrs = 0;
  /** Whether the interrupted context had interrupts disabled, restored at exit. */
  savedIrqsOff = false;
  // Interpreter state (owned by the runner; plain data so a state can be copied).
  pc = 0;
  /** The pc of a statement that slept and will run again (its might_sleep() already ran). */
  resumePc = -1;
  program: Instr[] = [];
  /** Per-variable pointer value and the mapping it was derived from (-1: none/forged). */
  varAddr: Float64Array = new Float64Array(0);
  varMap: Float64Array = new Float64Array(0);
  loops: Int32Array = new Int32Array(0);
  /** Index of the scenario context or work item this context runs (-1 for idle). */
  decl = -1;
  /** For worker tasks: index of the work item being run, -1 when idle. */
  work = -1;

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

  /** Live mappings of pages with the key made by this context: what its code asked to reach. */
  mapped(key: number): number {
    return this.localMapped[key]! + this.kmapped[key]!;
  }

  load(program: Instr[], vars: number, loops: number): void {
    this.program = program;
    this.pc = 0;
    this.resumePc = -1;
    this.varAddr = new Float64Array(vars);
    this.varMap = new Float64Array(vars).fill(-1);
    this.loops = new Int32Array(loops);
  }
}

export class Task {
  private st: TaskState = 'runnable';
  private onCpu: number;
  /** Thread state's PKRS: saved on switch-out, loaded on switch-in. */
  threadPkrs = 0;
  preemptCount = 0;
  pagefaultDisabled = 0;
  readonly local = new LocalStack();
  /** Per-task nesting count of the `exception` policy's thread-local set/clear. */
  readonly nest = new Int32Array(PKS_NUM_KEYS);
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
    return this.st;
  }
  set state(s: TaskState) {
    if (this.kind !== 'idle' && (this.st === 'runnable') !== (s === 'runnable')) this.nrRunnable[this.onCpu]! += s === 'runnable' ? 1 : -1;
    this.st = s;
  }

  get cpu(): number {
    return this.onCpu;
  }
  set cpu(c: number) {
    if (this.kind !== 'idle' && this.st === 'runnable') {
      this.nrRunnable[this.onCpu]!--;
      this.nrRunnable[c]!++;
    }
    this.onCpu = c;
    this.ctx.cpu = c;
  }
}
