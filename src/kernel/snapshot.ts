// The machine state as data (state.ts): save() writes everything that decides the rest of a
// run, load() reads it back into the same objects, canonical() writes what decides the future
// and nothing of the history, for the explorer's visited set. A layer of the machine of its
// own, between the core's operations (core.ts) and the mappings and access path (machine.ts).

import type { FrameKind } from './events.js';
import { Ctx } from './context.js';
import { MachineCore } from './core.js';
import type { StateVec } from './state.js';

export abstract class MachineState extends MachineCore {
  private saveEpoch = 0;

  // ---- state as data -------------------------------------------------------------------

  /**
   * Write the machine state: scalars, counters, every task and its context, every CPU with its
   * interrupt frames, contexts that are gone but still own a live mapping, the pkmap pool, the
   * fixmap, the mapping records and the design's own state. `exec` writes the runner's state
   * of each context.
   */
  save(v: StateVec, exec: (ctx: Ctx, v: StateVec) => void): void {
    const n = this.names;
    const at = v.reserve(9),
      b = v.buf;
    b[at] = this.globalOpen;
    b[at + 1] = this.abandoned;
    b[at + 2] = this.panicked === null ? -1 : n.id(this.panicked);
    b[at + 3] = this.version;
    b[at + 4] = this.tick;
    b[at + 5] = this.nextCtxId;
    b[at + 6] = this.lastMapping;
    b[at + 7] = this.warnOnceFired ? 1 : 0;
    b[at + 8] = this.lastMightSleep;
    const loc = this.loc;
    if (loc === null) v.push(-1);
    else {
      v.push(n.id(loc.file));
      v.push(loc.line);
      v.push(loc.col);
    }
    this.stats.save(v);
    v.push(this.warnedIds.length);
    v.pushAll(this.warnedIds);
    v.push(this.firedIds.length);
    v.pushAll(this.firedIds);
    this.writeContexts(v, exec, false);
    this.pkmap.save(v);
    this.fixmap.save(v);
    this.maps.save(v);
    this.hooks.save?.(this, v);
  }

  /**
   * Every task and its context, every CPU with its interrupt frames, then the contexts that
   * exited but made a mapping that is still live (a 1 before each, a 0 after the last). The
   * canonical form leaves out context ids (history) and renames mapping ids; either way each
   * context gets its number in order of appearance (`canon`), which the records refer to.
   */
  private writeContexts(v: StateVec, exec: (ctx: Ctx, v: StateVec) => void, canonical: boolean): void {
    const epoch = ++this.saveEpoch;
    let nctx = 0;
    for (let i = 0; i < this.tasks.length; i++) {
      const t = this.tasks[i]!;
      // The PKRS a task's thread state keeps is read only when it is switched in: while it
      // runs (switching it out writes it first) and once it is done or dead it is history.
      const threadPkrs = t.threadPkrs;
      if (canonical && (this.cpus[t.cpu]!.curr === t || t.state === 'done' || t.state === 'dead')) t.threadPkrs = -1;
      t.save(v, this.names, canonical ? this.canonMapId : null);
      t.threadPkrs = threadPkrs;
      // An idle task runs no program, so its context holds nothing, runs no accounted tick (an
      // interrupt on its CPU runs and is accounted in a frame of its own) and its runner state
      // never changes: neither a snapshot nor the canonical state has them (its task state,
      // written above, does change: the PKRS saved at switch-out, the kmap_local stack that
      // interrupts on top of it push onto).
      if (t.kind !== 'idle') {
        t.ctx.save(v, this.keysInUse, !canonical);
        exec(t.ctx, v);
      }
      t.ctx.stamp = epoch;
      t.ctx.canon = nctx++;
    }
    for (let i = 0; i < this.cpus.length; i++) {
      const c = this.cpus[i]!;
      const at = v.reserve(5),
        b = v.buf;
      b[at] = c.curr.index;
      b[at + 1] = c.pkrs;
      b[at + 2] = c.msr;
      b[at + 3] = c.irqsOff ? 1 : 0;
      b[at + 4] = c.frames.length;
      for (let f = 1; f < c.frames.length; f++) this.writeFrame(c.frames[f]!, v, epoch, nctx++, exec, canonical);
    }
    for (let s = 0; s < this.maps.slots; s++) {
      const ctx = this.maps.ctxAt(s);
      if (ctx !== null && ctx.stamp !== epoch) {
        v.push(1);
        this.writeFrame(ctx, v, epoch, nctx++, exec, canonical);
      }
    }
    v.push(0);
  }

  private writeFrame(ctx: Ctx, v: StateVec, epoch: number, canon: number, exec: (ctx: Ctx, v: StateVec) => void, canonical: boolean): void {
    if (!canonical) v.push(ctx.id);
    v.push(this.names.id(ctx.name));
    v.push(this.names.id(ctx.kind));
    v.push(ctx.cpu);
    v.push(ctx.task ? ctx.task.index : -1);
    ctx.save(v, this.keysInUse, !canonical);
    ctx.stamp = epoch;
    ctx.canon = canon;
    exec(ctx, v);
  }

  /** Read back what save() wrote, into this machine (made for the same scenario and design). */
  load(v: StateVec, exec: (ctx: Ctx, v: StateVec) => void): void {
    const n = this.names;
    const b = v.buf;
    let at = v.pos;
    this.globalOpen = b[at++]!;
    this.abandoned = b[at++]!;
    const p = b[at++]!;
    this.version = b[at++]!;
    this.tick = b[at++]!;
    this.nextCtxId = b[at++]!;
    this.lastMapping = b[at++]!;
    this.warnOnceFired = b[at++] === 1;
    this.lastMightSleep = b[at++]!;
    v.pos = at;
    this.panicked = p < 0 ? null : n.str(p);
    const file = v.next();
    if (file < 0) this.loc = null;
    else {
      const line = v.next(),
        col = v.next(),
        loc = this.loc;
      // Events keep the object they were given: a different place is a new object.
      if (loc === null || loc.line !== line || loc.col !== col || n.id(loc.file) !== file) this.loc = { file: n.str(file), line, col };
    }
    this.stats.load(v);
    this.loadSites(v, this.warnedIds, this.warnedSites);
    this.loadSites(v, this.firedIds, this.firedOnce);
    const byId = this.byId;
    if (byId.size > 0) byId.clear();
    if (this.frameCache.size > 4096) this.frameCache.clear();
    for (let i = 0; i < this.tasks.length; i++) {
      const t = this.tasks[i]!;
      t.load(v, n);
      if (t.kind !== 'idle') {
        t.ctx.load(v, this.keysInUse);
        exec(t.ctx, v);
      }
    }
    this.nrRunnable.fill(0);
    for (const t of this.tasks) if (t.kind !== 'idle' && t.state === 'runnable') this.nrRunnable[t.cpu]!++;
    for (let i = 0; i < this.cpus.length; i++) {
      const c = this.cpus[i]!;
      let at = v.pos;
      const b = v.buf;
      c.curr = this.tasks[b[at++]!]!;
      c.pkrs = b[at++]!;
      c.msr = b[at++]!;
      c.irqsOff = b[at++] === 1;
      const depth = b[at++]!;
      v.pos = at;
      if (c.frames.length !== 1) c.frames.length = 1;
      c.frames[0] = c.curr.ctx;
      for (let f = 1; f < depth; f++) c.frames.push(this.loadFrame(v, byId, exec));
    }
    while (v.next() === 1) this.loadFrame(v, byId, exec);
    this.pkmap.load(v);
    this.fixmap.load(v);
    this.maps.load(v, this.ctxById);
    this.hooks.load?.(this, v);
  }

  // ---- the canonical state: what decides the future, and nothing else ------------------

  private canonEpoch = 0;
  private canonStamp = new Int32Array(64);
  private canonNum = new Int32Array(64);
  private canonSlot = new Int32Array(64);
  private canonCount = 0;
  private readonly sortScratch: number[] = [];
  /** A live mapping id's number in order of first appearance; -2 for a dead one. */
  readonly canonMapId = (id: number): number => {
    if (id < 0) return id;
    if (id >= 2 ** 50) return this.canonLinear(id);
    const s = this.maps.liveSlot(id);
    if (s < 0) return -2;
    if (s >= this.canonStamp.length) this.growCanon(s + 1);
    if (this.canonStamp[s] !== this.canonEpoch) {
      this.canonStamp[s] = this.canonEpoch;
      this.canonSlot[this.canonCount] = s;
      this.canonNum[s] = this.canonCount++;
    }
    return this.canonNum[s]!;
  };

  /**
   * A linear-map pointer's id names its page and the context that derived it. Task contexts
   * keep their ids on every path; an interrupt invocation's id is history, so it is written as
   * the frame's position if that frame is still running, else as "an exited context".
   */
  private canonLinear(id: number): number {
    const cid = (id - 2 ** 50) % 2 ** 24;
    if (cid < this.tasks.length) return id;
    const page = Math.floor((id - 2 ** 50) / 2 ** 24);
    for (let c = 0; c < this.cpus.length; c++) {
      const f = this.cpus[c]!.frames;
      for (let i = 1; i < f.length; i++) if (f[i]!.id % 2 ** 24 === cid) return -1000 - page * 4096 - c * 64 - i;
    }
    return -1000 - page * 4096 - 4095;
  }

  private growCanon(n: number): void {
    let size = this.canonStamp.length;
    while (size < n) size *= 2;
    const st = new Int32Array(size),
      nu = new Int32Array(size),
      sl = new Int32Array(size);
    st.set(this.canonStamp);
    nu.set(this.canonNum);
    sl.set(this.canonSlot);
    this.canonStamp = st;
    this.canonNum = nu;
    this.canonSlot = sl;
  }

  /**
   * Write the canonical state: what decides the future and nothing of the history (tick,
   * counters, the version, context ids, mapping generations and slots, the pkmap flush count,
   * the thread PKRS of a task that runs or is done, the order of different contexts' kmap()
   * records where only their makers end them: `kmapOrderFree`), so that two paths that reach
   * the same situation write the same vector. Not restorable: restore from save().
   * The clock is kept only while an `at tick N` interrupt is still to come (`clockUntil`).
   */
  canonical(v: StateVec, exec: (ctx: Ctx, v: StateVec) => void, clockUntil: number, beforeRecords: (v: StateVec) => void): void {
    this.canonEpoch++;
    this.canonCount = 0;
    const n = this.names;
    v.push(this.globalOpen);
    v.push(this.abandoned);
    v.push(this.panicked === null ? -1 : n.id(this.panicked));
    v.push(Math.min(this.tick, clockUntil));
    v.push(this.warnOnceFired ? 1 : 0);
    // might_sleep() is rate-limited to once per HZ: whether one was printed that recently.
    v.push(this.lastMightSleep >= 0 && this.tick < this.lastMightSleep + 1_000_000 ? 1 : 0);
    this.pushSorted(v, this.warnedIds);
    this.pushSorted(v, this.firedIds);
    this.writeContexts(v, exec, true);
    this.pkmap.canonical(v);
    this.fixmap.save(v);
    // The runner's pointers in flight name mappings too: numbered before the records are written.
    beforeRecords(v);
    this.canonTail(v);
    this.hooks.save?.(this, v);
  }

  /** Subclasses write their own mapping references here, before the records are numbered out. */
  protected canonTail(v: StateVec): void {
    // Records no pointer names (a leaked lowmem kmap_local), numbered after the named ones.
    for (let s = 0; s < this.maps.slots; s++)
      if (this.maps.ctxAt(s) !== null && (s >= this.canonStamp.length || this.canonStamp[s] !== this.canonEpoch)) this.canonMapId(this.maps.idAt(s));
    v.push(this.canonCount);
    for (let k = 0; k < this.canonCount; k++) {
      const s = this.canonSlot[k]!;
      v.push(this.maps.kindAt(s));
      v.push(this.maps.pageAt(s));
      v.push(this.maps.ctxAt(s)!.canon);
    }
  }

  private pushSorted(v: StateVec, ids: number[]): void {
    // Mostly none or one (a warning site, once): nothing to sort.
    if (ids.length <= 1) {
      v.push(ids.length);
      if (ids.length === 1) v.push(ids[0]!);
      return;
    }
    const s = this.sortScratch;
    s.length = 0;
    for (let i = 0; i < ids.length; i++) s.push(ids[i]!);
    s.sort((a, b) => a - b);
    v.push(s.length);
    v.pushAll(s);
  }

  /** Contexts by id while a state is read back; interrupt frames made by restores, for reuse. */
  private readonly byId = new Map<number, Ctx>();
  /** A context of the state being read back by id: a task's (ids fixed for the run), or a frame read back. */
  private readonly ctxById = (id: number): Ctx => {
    const t = this.tasks[this.taskIndexOfId(id)];
    return t !== undefined && t.ctx.id === id ? t.ctx : this.byId.get(id)!;
  };
  /** Tasks are made first, in order, so a task's context id is usually its index plus a fixed offset. */
  private taskIndexOfId(id: number): number {
    return id - (this.tasks.length > 0 ? this.tasks[0]!.ctx.id : 0);
  }
  private readonly frameCache = new Map<number, Ctx>();

  private loadSites(v: StateVec, ids: number[], set: Set<string>): void {
    const len = v.next();
    // The same sites as now (the usual case when a search restores sibling states): keep them.
    let same = len === ids.length;
    for (let i = 0; same && i < len; i++) same = v.buf[v.pos + i] === ids[i];
    if (same) {
      v.pos += len;
      return;
    }
    ids.length = 0;
    set.clear();
    for (let i = 0; i < len; i++) {
      const id = v.next();
      ids.push(id);
      set.add(this.names.str(id));
    }
  }

  private loadFrame(v: StateVec, byId: Map<number, Ctx>, exec: (ctx: Ctx, v: StateVec) => void): Ctx {
    const id = v.next(),
      name = this.names.str(v.next()),
      kind = this.names.str(v.next()) as FrameKind,
      cpu = v.next(),
      ti = v.next();
    const task = ti < 0 ? null : this.tasks[ti]!;
    // A context id names one invocation: a frame read back before is the same frame.
    let ctx = this.frameCache.get(id);
    if (ctx === undefined || ctx.name !== name || ctx.kind !== kind || ctx.task !== task) {
      ctx = new Ctx(id, name, kind, cpu, task);
      this.frameCache.set(id, ctx);
    }
    ctx.cpu = cpu;
    ctx.load(v, this.keysInUse);
    exec(ctx, v);
    byId.set(id, ctx);
    return ctx;
  }
}
