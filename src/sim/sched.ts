// The scheduler of a run: which CPU executes the next statement, when pending interrupts are
// delivered, when a task is preempted, when an `at any` interrupt fires. Every step offers the
// same list of actions whatever drives the choice (default, seed, explicit schedule), so any
// run replays exactly from the choices it recorded.

import type { ScenarioIR } from '../scenario/ir.js';
import type { Machine } from '../kernel/machine.js';
import type { Task } from '../kernel/context.js';
import type { Rng } from './rng.js';
import type { StateVec } from '../kernel/state.js';
import { execOf } from './exec.js';

export const ACT_DELIVER = 1;
export const ACT_RUN = 2;
export const ACT_PREEMPT = 3;
export const ACT_FIRE = 4;
export const actType = (a: number): number => a >>> 16;
export const actArg = (a: number): number => a & 0xffff;

export class ScheduleError extends Error {}

/** Choices and option counts in typed buffers that double when full: no per-step garbage. */
class ChoiceLog {
  private taken = new Uint16Array(256);
  private offer = new Uint16Array(256);
  private n = 0;
  /** Off: nothing is recorded (a search keeps its paths itself; the log would be history in every snapshot). */
  constructor(private readonly on: boolean) {}
  push(choice: number, options: number): void {
    if (!this.on) return;
    if (this.n === this.taken.length) {
      const t = new Uint16Array(this.n * 2);
      const o = new Uint16Array(this.n * 2);
      t.set(this.taken);
      o.set(this.offer);
      this.taken = t;
      this.offer = o;
    }
    this.taken[this.n] = choice;
    this.offer[this.n++] = options;
  }
  choices(): number[] {
    return toArray(this.taken, this.n);
  }
  save(v: StateVec): void {
    v.push(this.n);
    v.pushAll(this.taken, this.n);
    v.pushAll(this.offer, this.n);
  }
  load(v: StateVec): void {
    const n = v.next();
    while (this.taken.length < n) this.push(0, 0);
    this.n = n;
    v.nextInto(this.taken, n);
    v.nextInto(this.offer, n);
  }
  offered(): number[] {
    return toArray(this.offer, this.n);
  }
}

// A plain loop: Array.from() on a typed array goes through the iterator, far slower.
function toArray(a: Uint16Array, n: number): number[] {
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = a[i]!;
  return out;
}

// Interrupt kinds in delivery priority order: an NMI before a hardirq before a softirq.
const K_NMI = 0;
const K_HARDIRQ = 1;
const K_SOFTIRQ = 2;
const NKINDS = 3;

function irqKind(kind: string): number {
  return kind === 'nmi' ? K_NMI : kind === 'hardirq' ? K_HARDIRQ : K_SOFTIRQ;
}

export class Scheduler {
  /**
   * Pending interrupts, as the kernel keeps them: one pending bit per interrupt (the softirq
   * bitmap, one bit per IRQ line), so an interrupt raised while pending stays pending once.
   * Per CPU and kind, the pending ones form a FIFO in raise order (linked through `nextPending`):
   * raising and delivering are O(1) and nothing grows, however often an interrupt is raised.
   */
  private readonly isPending: Uint8Array;
  private readonly nextPending: Int32Array;
  private readonly head: Int32Array;
  private readonly tail: Int32Array;
  private readonly kindOf: Uint8Array;
  private nPending = 0;
  /** The choices made at every step that had more than one action, and how many it offered. */
  private readonly log: ChoiceLog;
  /** Task of each scenario task context (null for interrupt contexts). */
  readonly taskOf: (Task | null)[];
  private readonly fired: Uint8Array;
  private readonly acts: Int32Array;
  private si = 0;
  private lastRunCpu = -1;
  /** Contexts triggered `at tick N` and `at any`, found once. */
  private readonly timed: number[];
  private readonly anyTime: number[];

  constructor(
    private readonly m: Machine,
    private readonly ir: ScenarioIR,
    private readonly rng: Rng | null,
    private readonly schedule: number[] | null,
    recordChoices = true,
  ) {
    this.log = new ChoiceLog(recordChoices);
    const n = ir.contexts.length;
    this.isPending = new Uint8Array(n);
    this.nextPending = new Int32Array(n).fill(-1);
    this.head = new Int32Array(m.cpus.length * NKINDS).fill(-1);
    this.tail = new Int32Array(m.cpus.length * NKINDS).fill(-1);
    this.kindOf = Uint8Array.from(ir.contexts, (d) => irqKind(d.kind));
    this.fired = new Uint8Array(n);
    this.acts = new Int32Array(m.cpus.length * 3 + n + 1);
    this.timed = ir.contexts.flatMap((d, i) => (d.trigger.type === 'tick' ? [i] : []));
    this.anyTime = ir.contexts.flatMap((d, i) => (d.trigger.type === 'any' ? [i] : []));
    this.taskOf = ir.contexts.map((d, i) => {
      if (d.kind !== 'user' && d.kind !== 'kthread' && d.kind !== 'worker') return null;
      const t = m.newTask(d.name, d.kind, d.cpu);
      const ex = execOf(t.ctx);
      ex.decl = i;
      if (d.kind === 'worker') {
        t.state = 'blocked';
        t.blockedOn = 'work';
      } else ex.load(d.program, d.vars.length, d.loopSlots, i);
      return t;
    });
  }

  save(v: StateVec): void {
    // With nothing pending (most states) every queue is empty, its links all -1: not written.
    v.push(this.nPending);
    if (this.nPending > 0) {
      v.pushU8(this.isPending);
      v.pushI32(this.nextPending);
      v.pushI32(this.head);
      v.pushI32(this.tail);
    }
    v.pushU8(this.fired);
    v.push(this.si);
    v.push(this.lastRunCpu);
    v.push(this.rng ? this.rng.state : -1);
    this.log.save(v);
  }

  /**
   * The canonical form: the pending interrupts of each CPU and kind in FIFO order (not the
   * links: a queue's tail is stale once it is empty, and decides nothing), and the `at any`
   * ones already fired.
   */
  canonical(v: StateVec): void {
    v.push(this.nPending);
    if (this.nPending > 0)
      for (let q = 0; q < this.head.length; q++) {
        for (let d = this.head[q]!; d >= 0; d = this.nextPending[d]!) v.push(d);
        v.push(-1);
      }
    v.pushU8(this.fired);
  }

  load(v: StateVec): void {
    this.nPending = v.next();
    if (this.nPending > 0) {
      v.nextU8(this.isPending, this.isPending.length);
      v.nextI32(this.nextPending, this.nextPending.length);
      v.nextI32(this.head, this.head.length);
      v.nextI32(this.tail, this.tail.length);
    } else {
      this.isPending.fill(0);
      this.nextPending.fill(-1);
      this.head.fill(-1);
      this.tail.fill(-1);
    }
    v.nextU8(this.fired, this.fired.length);
    this.si = v.next();
    this.lastRunCpu = v.next();
    const r = v.next();
    if (this.rng) this.rng.state = r;
    this.log.load(v);
  }

  /** A new seed for the random schedule (a run restored to its start and run again: the fuzzer). */
  reseed(seed: number): void {
    if (this.rng) this.rng.state = seed;
  }

  /** Interrupts triggered `at tick N` become pending when the clock reaches N. */
  raiseTimed(): void {
    const timed = this.timed;
    // Called every step; most scenarios have no `at tick N` interrupt (an indexed loop: no iterator).
    for (let j = 0; j < timed.length; j++) {
      const i = timed[j]!;
      const t = this.ir.contexts[i]!.trigger;
      if (t.type === 'tick' && !this.fired[i] && this.m.tick >= t.tick) {
        this.fired[i] = 1;
        this.raise(i);
      }
    }
  }

  /** Marks an interrupt pending on its CPU; raised again while pending, it stays pending once. */
  raise(decl: number): void {
    if (this.isPending[decl]) return;
    this.isPending[decl] = 1;
    this.nPending++;
    const q = this.ir.contexts[decl]!.cpu * NKINDS + this.kindOf[decl]!;
    if (this.tail[q]! < 0) this.head[q] = decl;
    else this.nextPending[this.tail[q]!] = decl;
    this.tail[q] = decl;
  }

  /** FIRE: an `at any` interrupt is raised now. */
  fire(decl: number): void {
    this.fired[decl] = 1;
    this.raise(decl);
  }

  /** The pending interrupt that can be delivered on a CPU now (a scenario context), or -1. */
  deliverable(cpu: number): number {
    if (this.nPending === 0) return -1;
    const c = this.m.cpus[cpu]!;
    const q = cpu * NKINDS;
    if (this.head[q + K_NMI]! >= 0 && c.frames[c.frames.length - 1]!.kind !== 'nmi') return this.head[q + K_NMI]!;
    if (c.irqsOff) return -1;
    if (this.head[q + K_HARDIRQ]! >= 0) return this.head[q + K_HARDIRQ]!;
    if (this.head[q + K_SOFTIRQ]! >= 0 && c.frames.length === 1) return this.head[q + K_SOFTIRQ]!; // softirqs run from task level
    return -1;
  }

  /** Takes the interrupt deliverable on a CPU off its queue; it can be raised again from now on. */
  takePending(cpu: number): number {
    const decl = this.deliverable(cpu);
    const q = cpu * NKINDS + this.kindOf[decl]!;
    this.head[q] = this.nextPending[decl]!;
    if (this.head[q] < 0) this.tail[q] = -1;
    this.nextPending[decl] = -1;
    this.isPending[decl] = 0;
    this.nPending--;
    return decl;
  }

  /** Another runnable task on the CPU, in round-robin order after the current one. */
  nextRunnable(cpu: number): Task | null {
    const tasks = this.m.tasks;
    const curr = this.m.cpus[cpu]!.curr;
    const start = curr.index;
    for (let k = 1; k <= tasks.length; k++) {
      const t = tasks[(start + k) % tasks.length]!;
      if (t !== curr && t.cpu === cpu && t.state === 'runnable' && t.kind !== 'idle') return t;
    }
    return null;
  }

  canRun(cpu: number): boolean {
    const c = this.m.cpus[cpu]!;
    if (c.frames.length > 1) return true;
    // The current task runs, or another runnable task is switched in.
    return this.m.nrRunnable[cpu]! > 0;
  }

  canPreempt(cpu: number): boolean {
    const c = this.m.cpus[cpu]!;
    const t = c.curr;
    // Cheapest and most often false first: a second runnable task on the CPU.
    return this.m.nrRunnable[cpu]! > 1 && c.frames.length === 1 && t !== c.idle && t.state === 'runnable' && t.preemptCount === 0 && !c.irqsOff;
  }

  /** Switch to the next runnable task, or to idle when there is none. */
  switchAway(cpu: number): void {
    this.m.switchTo(cpu, this.nextRunnable(cpu) ?? this.m.cpus[cpu]!.idle);
  }

  preempt(cpu: number): void {
    this.switchAway(cpu);
  }

  /** The action of choice i after offered() (ACT_* << 16 | argument). */
  actAt(i: number): number {
    return this.acts[i]!;
  }

  /** The explorer's choice for the next choice point (-1: the usual rule). */
  forced = -1;

  /** How many actions the next step offers (0 when nothing can run). */
  offered(): number {
    return this.collect();
  }

  /** The actions that can be taken now, into `acts`; their number. */
  private collect(): number {
    const a = this.acts;
    let n = 0;
    const cpus = this.m.cpus.length;
    // The common step has nothing pending: skip the per-CPU deliverable() calls.
    if (this.nPending > 0) for (let c = 0; c < cpus; c++) if (this.deliverable(c) >= 0) a[n++] = (ACT_DELIVER << 16) | c;
    const firstRun = n;
    for (let c = 0; c < cpus; c++) if (this.canRun(c)) a[n++] = (ACT_RUN << 16) | c;
    const endRun = n;
    for (let c = 0; c < cpus; c++) if (this.canPreempt(c)) a[n++] = (ACT_PREEMPT << 16) | c;
    const firstFire = n;
    for (let j = 0; j < this.anyTime.length; j++) {
      const i = this.anyTime[j]!;
      if (!this.fired[i]) a[n++] = (ACT_FIRE << 16) | i;
    }
    this.firstRun = firstRun;
    this.endRun = endRun;
    this.firstFire = firstFire;
    return n;
  }

  private firstRun = 0;
  private endRun = 0;
  private firstFire = 0;

  /** The next action, or -1 when nothing can run. */
  choose(): number {
    const a = this.acts;
    const n = this.collect();
    const { firstRun, endRun, firstFire } = this;
    if (n === 0) return -1;
    let idx: number;
    if (n === 1) idx = 0;
    else if (this.forced >= 0) {
      idx = this.forced;
      this.log.push(idx, n);
    } else {
      if (this.schedule && this.si < this.schedule.length) {
        idx = this.schedule[this.si++]!;
        if (!(idx >= 0 && idx < n)) {
          throw new ScheduleError(`schedule entry ${this.si} is ${idx}, but tick ${this.m.tick} offers only choices 0..${n - 1}`);
        }
      } else if (this.rng) idx = this.rng.below(n);
      else idx = this.defaultChoice(firstRun, endRun, firstFire, n);
      this.log.push(idx, n);
    }
    this.forced = -1;
    const act = a[idx]!;
    if (actType(act) === ACT_RUN) this.lastRunCpu = actArg(act);
    return act;
  }

  /** Interrupts first (raised ones, then `at any` ones), then CPUs in round-robin order. */
  private defaultChoice(firstRun: number, endRun: number, firstFire: number, n: number): number {
    if (firstRun > 0) return 0;
    if (firstFire < n) return firstFire;
    for (let i = firstRun; i < endRun; i++) if (actArg(this.acts[i]!) > this.lastRunCpu) return i;
    return firstRun;
  }

  /** The first entry of the explicit schedule never used (its index), or -1 when all were. */
  firstUnused(): number {
    return this.schedule && this.si < this.schedule.length ? this.si : -1;
  }

  /** The choices made, in order: passing them back as a schedule replays the run. */
  get taken(): number[] {
    return this.log.choices();
  }

  /** How many actions each choice point offered. */
  get counts(): number[] {
    return this.log.offered();
  }

  allDone(): boolean {
    for (const t of this.m.tasks) {
      if (t.kind === 'idle' || t.state === 'dead') continue;
      if (t.kind === 'worker') {
        if (t.workQueue.length > 0 || execOf(t.ctx).work >= 0) return false;
      } else if (t.state === 'runnable' || t.state === 'blocked') return false;
    }
    if (this.nPending > 0) return false;
    for (let c = 0; c < this.m.cpus.length; c++) if (this.m.cpus[c]!.frames.length > 1) return false;
    return true;
  }

  blockedTasks(): Task[] {
    return this.m.tasks.filter((t) => t.state === 'blocked' && !(t.kind === 'worker' && t.blockedOn === 'work'));
  }
}
