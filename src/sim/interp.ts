// The statement interpreter: executes one scenario statement for the context on top of a CPU.

import type { Instr, ScenarioIR, SrcLoc } from '../scenario/ir.js';
import type { Machine } from '../kernel/machine.js';
import type { Ctx, Task } from '../kernel/context.js';
import { MAP_KMAP } from '../kernel/mappings.js';
import { execOf, type Exec } from './exec.js';
import type { StateVec } from '../kernel/state.js';
import type { Oracle } from './oracle.js';
import type { Metrics } from './metrics.js';
import type { Scheduler } from './sched.js';
import { evalExpr } from './expr.js';
import { hookStep, startSteps } from './steps.js';

/** Channel queues: pointer values with the mapping each was derived from. */
interface Channel {
  addr: number[];
  map: number[];
}

/** What a kmap() sleeps on when the pkmap pool is full, and what a freeing kunmap() wakes. */
const PKMAP_WAIT = 'pkmap pool full';

export class Interp {
  /** Called when an `assert` statement's condition is 0 (the runner reports and counts it). */
  onAssert: ((cpu: number, ctx: Ctx, ins: Instr) => void) | null = null;
  private readonly chans: Channel[];
  private readonly completions: Int32Array;

  constructor(
    private readonly m: Machine,
    private readonly ir: ScenarioIR,
    private readonly sched: Scheduler,
    private readonly oracle: Oracle,
    private readonly metrics: Metrics,
    private readonly setClass: (cls: number) => void,
    /** Called with each interrupt context as it exits (for the per-context windows). */
    private readonly onLeave: (ctx: Ctx) => void,
  ) {
    this.chans = ir.channels.map(() => ({ addr: [], map: [] }));
    this.completions = new Int32Array(ir.completions.length);
  }

  /** Channels and completions: the rest of the run's state is in the machine and its contexts. */
  save(v: StateVec): void {
    for (let i = 0; i < this.chans.length; i++) {
      const ch = this.chans[i]!;
      v.push(ch.addr.length);
      v.pushAll(ch.addr);
      v.pushAll(ch.map);
    }
    v.pushAll(this.completions);
  }

  canonical(v: StateVec, mapId: (id: number) => number): void {
    for (let i = 0; i < this.chans.length; i++) {
      const ch = this.chans[i]!;
      v.push(ch.addr.length);
      v.pushAll(ch.addr);
      for (let j = 0; j < ch.map.length; j++) v.push(mapId(ch.map[j]!));
    }
    v.pushAll(this.completions);
  }

  load(v: StateVec): void {
    for (let i = 0; i < this.chans.length; i++) {
      const ch = this.chans[i]!;
      const n = v.next();
      if (ch.addr.length !== n) {
        ch.addr.length = n;
        ch.map.length = n;
      }
      for (let j = 0; j < n; j++) ch.addr[j] = v.next();
      for (let j = 0; j < n; j++) ch.map[j] = v.next();
    }
    v.nextInto(this.completions, this.completions.length);
  }

  /** Deliver the highest-priority pending interrupt on a CPU: entry, then its program. */
  deliver(cpu: number): void {
    const decl = this.sched.takePending(cpu);
    const d = this.ir.contexts[decl]!;
    this.m.loc = d.loc;
    const ctx = this.m.enter(cpu, d.kind, d.name);
    const ex = execOf(ctx);
    ex.decl = decl;
    ex.load(d.program, d.vars.length, d.loopSlots, decl);
    if (d.program.length === 0) {
      this.m.exit(cpu);
      this.onLeave(ctx);
    }
  }

  /** Execute one statement on a CPU (or the switch that has to come first). */
  run(cpu: number): void {
    const m = this.m;
    const c = m.cpus[cpu]!;
    if (c.frames.length > 1) {
      const ctx = c.frames[c.frames.length - 1]!;
      this.exec(cpu, ctx, null, execOf(ctx));
      if (!m.panicked && c.frames[c.frames.length - 1] === ctx && execOf(ctx).done) {
        m.exit(cpu);
        this.onLeave(ctx);
      }
      return;
    }
    const t = c.curr;
    if (t === c.idle || t.state !== 'runnable') {
      this.sched.switchAway(cpu);
      return;
    }
    const ex = execOf(t.ctx);
    if (t.kind === 'worker' && ex.work < 0) this.startWork(cpu, t);
    if (!ex.done) this.exec(cpu, t.ctx, t, ex);
    if (c.curr === t && t.state === 'runnable' && ex.done) this.finishTask(cpu, t);
    if (c.curr.state !== 'runnable') this.sched.switchAway(cpu);
  }

  /** Makes an interrupt pending (the scheduler keeps one bit), recording who raised it. */
  private raise(cpu: number, decl: number): void {
    const d = this.ir.contexts[decl]!;
    const m = this.m;
    if (m.sink) m.emit({ ...m.base(cpu), type: 'raise', kind: d.kind as 'softirq', name: d.name, target: d.cpu });
    this.sched.raise(decl);
  }

  private startWork(cpu: number, t: Task): void {
    const w = t.workQueue.shift()!;
    const wd = this.ir.works[w]!;
    if (this.m.sink) this.m.emit({ ...this.m.base(cpu), type: 'work', phase: 'start', work: wd.name, worker: t.name });
    const ex = execOf(t.ctx);
    ex.work = w;
    ex.load(wd.program, wd.vars.length, wd.loopSlots, -2 - w);
  }

  /** End of a task's program, or of a worker's work item. */
  private finishTask(cpu: number, t: Task): void {
    const m = this.m;
    if (t.kind === 'worker') {
      const ex = execOf(t.ctx);
      m.taskBoundary(cpu, `end of work item ${this.ir.works[ex.work]!.name}`);
      this.oracle.leave(t.ctx);
      if (m.sink) m.emit({ ...m.base(cpu), type: 'work', phase: 'end', work: this.ir.works[ex.work]!.name, worker: t.name });
      if (m.cfg.resetPoints.includes('work-item')) m.resetToGrants(cpu);
      ex.work = -1;
      ex.program = [];
      ex.progId = -1;
      if (t.workQueue.length === 0) {
        // An idle worker sleeps until work is queued: it gives up the CPU.
        this.resetAtSchedule(cpu);
        this.block(t, 'work');
      }
      return;
    }
    if (t.kind === 'user') m.returnToUser(cpu);
    else m.taskBoundary(cpu, 'kthread exit');
    this.oracle.leave(t.ctx);
    t.state = 'done';
  }

  private block(t: Task, on: string): void {
    t.state = 'blocked';
    t.blockedOn = on;
    if (this.m.sink) this.m.emit({ ...this.m.base(t.cpu), type: 'sleep', reason: on });
  }

  private wake(on: string, cpu: number): void {
    for (const t of this.m.tasks) {
      if (t.state === 'blocked' && t.blockedOn === on) {
        t.state = 'runnable';
        t.blockedOn = '';
        if (this.m.sink) this.m.emit({ ...this.m.base(cpu), type: 'wakeup', reason: on, target: t.name });
      }
    }
  }

  /**
   * The running context must sleep. In interrupt context that is fatal. A task sleeps; with
   * preemption disabled the kernel first prints "BUG: scheduling while atomic" and schedules
   * all the same (it is not an oops).
   */
  private sleep(cpu: number, t: Task | null, on: string): boolean {
    const m = this.m;
    if (t === null || m.cpus[cpu]!.frames.length > 1) {
      const c = m.cpus[cpu]!;
      m.oops(cpu, `BUG: scheduling while atomic: ${c.curr.name}/${c.curr.id}/0x${m.preemptCount(cpu).toString(16).padStart(8, '0')} (${on} in interrupt context)`);
      return false;
    }
    m.scheduleBug(cpu);
    this.resetAtSchedule(cpu);
    this.block(t, on);
    return true;
  }

  /** Reset point `schedule`: every time a task gives up the CPU, its pardons end. */
  private resetAtSchedule(cpu: number): void {
    if (this.m.cfg.resetPoints.includes('schedule')) this.m.resetToGrants(cpu);
  }

  /** A kmap() pointer to `page` this context holds but did not make (one handed to it), or -1. */
  private heldKmap(ctx: Ctx, page: number): number {
    const maps = this.m.maps;
    const v = execOf(ctx).varMap;
    for (let i = 0; i < v.length; i++) {
      const id = v[i]!;
      if (id >= 0 && maps.isLive(id) && maps.kindOf(id) === MAP_KMAP && maps.pageOf(id) === page && !maps.madeBy(id, ctx)) return id;
    }
    return -1;
  }

  private exec(cpu: number, ctx: Ctx, t: Task | null, ex: Exec): void {
    const m = this.m;
    const ins: Instr = ex.program[ex.pc]!;
    m.loc = ins.loc;
    if (m.sink) m.emit({ ...m.base(cpu), type: 'stmt', text: ex.sub > 0 ? `${ins.text} [step ${ex.sub}]` : ins.text });
    let next = ex.pc + 1;
    switch (ins.op) {
      case 'kmap': {
        if (ex.sub > 0) {
          next = hookStep(m, ex, cpu, ins.page, true);
          break;
        }
        const addr = m.kmap(cpu, ins.page, ex.resumePc !== ex.pc);
        if (addr < 0) {
          if (this.sleep(cpu, t, PKMAP_WAIT)) next = ex.pc; // retried when a slot frees up
        } else {
          this.setVar(ex, ins.dst, addr, m.lastMapping);
          if (m.hooks.kmapSteps) next = startSteps(ex);
        }
        break;
      }
      case 'kunmap':
        if (ex.sub > 0) {
          next = hookStep(m, ex, cpu, ins.page, false);
          break;
        }
        if (m.hooks.kunmapSteps) next = startSteps(ex);
        m.kunmap(cpu, ins.page, this.heldKmap(ctx, ins.page));
        if (m.pkmapFreed) {
          m.pkmapFreed = false;
          this.wake(PKMAP_WAIT, cpu);
        }
        break;
      case 'kmap_local':
      case 'kmap_atomic': {
        const addr = m.kmapLocal(cpu, ins.page, ins.op === 'kmap_atomic');
        this.setVar(ex, ins.dst, addr, m.lastMapping);
        break;
      }
      case 'kunmap_local':
      case 'kunmap_atomic':
        m.kunmapLocal(cpu, ex.varAddr[ins.src]!, ex.varMap[ins.src]!, ins.op === 'kunmap_atomic');
        break;
      case 'page_address': {
        const addr = m.linear(cpu, ins.page);
        this.setVar(ex, ins.dst, addr, m.lastMapping);
        break;
      }
      case 'read':
      case 'write':
        this.access(cpu, ctx, ex.varAddr[ins.src]! + ins.arg, ex.varMap[ins.src]!, ins.op === 'write');
        break;
      case 'stray_read':
      case 'stray_write': {
        const base = m.strayAddr(ins.page);
        this.access(cpu, ctx, base === 0 ? 0 : base + ins.arg, -1, ins.op === 'stray_write');
        break;
      }
      case 'grant': {
        const key = this.ir.keys[ins.ref]!.id;
        this.oracle.grant(ctx, key, ins.arg);
        m.grant(cpu, key, ins.arg);
        break;
      }
      case 'revoke': {
        const key = this.ir.keys[ins.ref]!.id;
        this.oracle.revoke(ctx, key, ins.arg);
        m.revoke(cpu, key, ins.arg);
        break;
      }
      case 'send': {
        const ch = this.chans[ins.ref]!;
        ch.addr.push(ex.varAddr[ins.src]!);
        ch.map.push(ex.varMap[ins.src]!);
        if (m.sink) m.emit({ ...m.base(cpu), type: 'message', channel: ins.ref, dir: 'send', mapping: ex.varMap[ins.src]! });
        const cs = this.ir.contexts;
        for (let i = 0; i < cs.length; i++) {
          const tr = cs[i]!.trigger;
          if (tr.type === 'channel' && tr.channel === ins.ref) this.raise(cpu, i);
        }
        this.wake(`recv ${this.ir.channels[ins.ref]}`, cpu);
        break;
      }
      case 'recv': {
        const ch = this.chans[ins.ref]!;
        // A task's recv() is a blocking receive (might_sleep()); an interrupt's takes what was
        // handed to it, and finding nothing there means it would have to sleep.
        if (t !== null && ex.resumePc !== ex.pc) m.mightSleep(cpu, 'recv()');
        if (ch.addr.length === 0) {
          if (this.sleep(cpu, t, `recv ${this.ir.channels[ins.ref]}`)) next = ex.pc;
          break;
        }
        const mapping = ch.map.shift()!;
        this.setVar(ex, ins.dst, ch.addr.shift()!, mapping);
        if (m.sink) m.emit({ ...m.base(cpu), type: 'message', channel: ins.ref, dir: 'recv', mapping });
        break;
      }
      case 'complete':
        this.completions[ins.ref]!++;
        this.wake(`completion ${this.ir.completions[ins.ref]}`, cpu);
        break;
      case 'wait':
        if (ex.resumePc !== ex.pc) m.mightSleep(cpu, 'wait_for_completion()');
        if (this.completions[ins.ref]! > 0) this.completions[ins.ref]!--;
        else if (this.sleep(cpu, t, `completion ${this.ir.completions[ins.ref]}`)) next = ex.pc;
        break;
      case 'queue_work': {
        const worker = this.sched.taskOf[this.ir.works[ins.ref]!.worker]!;
        worker.workQueue.push(ins.ref);
        if (m.sink) m.emit({ ...m.base(cpu), type: 'work', phase: 'queue', work: this.ir.works[ins.ref]!.name, worker: worker.name });
        if (worker.state === 'blocked' && worker.blockedOn === 'work') {
          worker.state = 'runnable';
          worker.blockedOn = '';
        }
        break;
      }
      case 'raise':
        this.raise(cpu, ins.ref);
        break;
      case 'schedule':
        // schedule() in interrupt context is fatal; with preemption disabled the kernel prints
        // "scheduling while atomic" and schedules all the same.
        if (t === null || m.cpus[cpu]!.frames.length > 1) {
          this.sleep(cpu, null, 'schedule()');
          break;
        }
        m.scheduleBug(cpu);
        this.resetAtSchedule(cpu);
        ex.pc = next;
        if (this.sched.nextRunnable(cpu)) this.sched.switchAway(cpu);
        return;
      case 'cond_resched':
        // cond_resched() checks might_sleep(); in atomic context it does not reschedule.
        if (t === null || m.mightSleep(cpu, 'cond_resched()') || m.atomic(cpu)) break;
        this.resetAtSchedule(cpu);
        ex.pc = next;
        if (this.sched.nextRunnable(cpu)) this.sched.switchAway(cpu);
        return;
      // preempt_count is the task's (in an interrupt: the interrupted task's).
      case 'preempt_disable':
        m.cpus[cpu]!.curr.preemptCount++;
        break;
      case 'preempt_enable': {
        const task = m.cpus[cpu]!.curr;
        if (task.preemptCount > 0) task.preemptCount--;
        else m.report(cpu, 'preempt_underflow', 'preempt_enable() without preempt_disable()');
        break;
      }
      case 'irq_disable':
        m.cpus[cpu]!.irqsOff = true;
        break;
      case 'irq_enable':
        m.cpus[cpu]!.irqsOff = false;
        break;
      case 'pagefault_disable':
        m.cpus[cpu]!.curr.pagefaultDisabled++;
        break;
      case 'pagefault_enable': {
        const task = m.cpus[cpu]!.curr;
        if (task.pagefaultDisabled > 0) task.pagefaultDisabled--;
        break;
      }
      case 'migrate':
        ex.pc = next;
        this.migrate(cpu, t, ins.arg);
        return;
      case 'return_to_user':
        m.returnToUser(cpu);
        this.oracle.leave(ctx);
        break;
      case 'loop':
        ex.loops[ins.ref] = ins.arg;
        break;
      case 'endloop':
        if (--ex.loops[ins.ref]! > 0) next = ins.target;
        break;
      case 'assert':
        if (evalExpr(ins.expr!, m, this.ir, cpu) === 0 && this.onAssert) this.onAssert(cpu, ctx, ins);
        break;
      case 'nop':
        break;
    }
    // A statement that slept is executed again when woken: its might_sleep() already ran.
    if (next === ex.pc) ex.resumePc = next;
    else if (ex.resumePc !== -1) ex.resumePc = -1;
    ex.pc = next;
  }

  private setVar(ex: Exec, v: number, addr: number, mapping: number): void {
    ex.varAddr[v] = addr;
    ex.varMap[v] = mapping;
  }

  /**
   * An access no statement makes (an injected stray, inject.ts), by the context running on the
   * CPU, at `loc`: judged and counted like any other. Returns the ACCESS_* outcome.
   */
  injectAccess(cpu: number, addr: number, mapping: number, write: boolean, loc: SrcLoc): number {
    this.m.loc = loc;
    return this.access(cpu, this.m.top(cpu), addr, mapping, write);
  }

  private access(cpu: number, ctx: Ctx, addr: number, mapping: number, write: boolean): number {
    const cls = this.oracle.classify(ctx, mapping, this.m.as.translate(addr), write);
    this.setClass(cls);
    const outcome = this.m.access(cpu, addr, write, mapping);
    this.metrics.record(cls, outcome);
    return outcome;
  }

  /** migrate(cpu): refused while kmap_local mappings or preempt_disable pin the task. */
  private migrate(cpu: number, t: Task | null, target: number): void {
    const m = this.m;
    if (t === null || target === cpu) return;
    if (t.local.depth > 0 || t.preemptCount > 0) {
      m.report(cpu, 'migrate_disabled', `migration of ${t.name} to cpu${target} refused: ${t.local.depth > 0 ? 'kmap_local holds migrate_disable()' : 'preemption disabled'}`);
      return;
    }
    this.sched.switchAway(cpu);
    t.cpu = target;
  }
}
