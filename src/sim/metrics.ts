// Per-run metrics: the oracle's class of each access against the design's outcome.

import { ACCESS_NOT_PRESENT, ACCESS_OK, ACCESS_OOPS, ACCESS_PARDONED, ACCESS_PARDONED_SILENT, type Machine } from '../kernel/machine.js';
import { CLASS_STRAY, type Oracle } from './oracle.js';
import type { StateVec } from '../kernel/state.js';
import type { RunSummary } from './result.js';
import type { MetricName } from '../scenario/ir.js';

/** Numbers per sample in RunResult.samples (Metrics.trace). */
export const TRACE_FIELDS = 5;

export class Metrics {
  legitAccesses = 0;
  legitBroken = 0;
  legitWarned = 0;
  legitSilent = 0;
  strayAccesses = 0;
  straysCaught = 0;
  straysWarned = 0;
  straysMissed = 0;
  exposure = 0;
  exposureRead = 0;
  exposureWrite = 0;
  keyOpenTicks = 0;
  unscopedTicks = 0;
  /**
   * When events are recorded: the per-tick samples as change points, TRACE_FIELDS numbers each
   * (tick, cpu, open keys mask, unscoped keys mask, exposure rate; open = -1: the CPU is idle),
   * written only when a CPU's values differ from its previous sample. Null: not kept.
   */
  trace: number[] | null = null;
  private readonly last: Float64Array;
  /** Exposure rate per CPU, recomputed only when the machine's version moves. */
  private readonly rate: Float64Array;
  private readonly rateRead: Float64Array;
  private readonly rateWrite: Float64Array;
  private readonly rateVersion: Float64Array;
  private readonly rateMsr: Float64Array;
  private readonly protKeys: Int32Array;
  /** The exposure rate last reported per CPU in the event stream (only when events are kept). */
  private readonly shown: Float64Array;

  constructor(m: Machine, protectedKeys: number[]) {
    this.last = new Float64Array(m.cpus.length * 3).fill(-2);
    this.rate = new Float64Array(m.cpus.length);
    this.rateRead = new Float64Array(m.cpus.length);
    this.rateWrite = new Float64Array(m.cpus.length);
    this.rateVersion = new Float64Array(m.cpus.length).fill(-1);
    this.rateMsr = new Float64Array(m.cpus.length).fill(-1);
    this.shown = new Float64Array(m.cpus.length);
    this.protKeys = Int32Array.from(protectedKeys);
  }

  /** An `exposure` event: the pages this CPU's context could reach unnoticed changed. */
  private report(m: Machine, cpu: number, pages: number, read: number, write: number): void {
    this.shown[cpu] = pages;
    m.emit({ ...m.base(cpu), loc: null, type: 'exposure', pages, read, write });
  }

  /**
   * End of a tick: for every CPU running a context, add the protected pages it could reach
   * unnoticed (exposure), and the keys open for it, scoped by its own mappings and grants or
   * not (windows).
   */
  sampleTick(m: Machine, oracle: Oracle): void {
    if (this.trace) this.noteIdle(m);
    const cpus = m.cpus;
    const version = m.version;
    const pks = m.hooks.pks;
    const keys = this.protKeys;
    for (let c = 0; c < cpus.length; c++) {
      const cp = cpus[c]!;
      const frames = cp.frames;
      if (frames.length === 1 && cp.curr === cp.idle) {
        if (m.sink && this.shown[c] !== 0) this.report(m, c, 0, 0, 0);
        continue;
      }
      const msr = cp.msr;
      // Exposure depends on this CPU's PKRS and on what every CPU shares (mappings, counts,
      // WARN_ONCE, abandoned keys: m.version): another CPU's PKRS write changes neither.
      if (this.rateVersion[c] !== version || this.rateMsr[c] !== msr) {
        this.rate[c] = m.exposureOf(c);
        this.rateRead[c] = m.lastExposureRead;
        this.rateWrite[c] = m.lastExposureWrite;
        this.rateVersion[c] = version;
        this.rateMsr[c] = msr;
      }
      if (m.sink && this.shown[c] !== this.rate[c]) this.report(m, c, this.rate[c]!, this.rateRead[c]!, this.rateWrite[c]!);
      this.exposure += this.rate[c]!;
      this.exposureRead += this.rateRead[c]!;
      this.exposureWrite += this.rateWrite[c]!;
      const ctx = frames[frames.length - 1]!;
      ctx.ranTicks++;
      let open = 0;
      let unscoped = 0;
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        if (pks && ((msr >>> (k << 1)) & 1) !== 0) continue; // AD set: closed
        ctx.openTicks++;
        this.keyOpenTicks++;
        open |= 1 << k;
        // Unscoped: no live mapping of the key made here and no grant_access() the code asked for.
        if (ctx.localMapped[k] === 0 && ctx.kmapped[k] === 0 && !oracle.asks(ctx, k)) {
          ctx.unscopedTicks++;
          this.unscopedTicks++;
          unscoped |= 1 << k;
        }
      }
      if (this.trace) this.note(m.tick, c, open, unscoped, this.rate[c]!);
    }
  }

  save(v: StateVec): void {
    v.push(this.legitAccesses);
    v.push(this.legitBroken);
    v.push(this.legitWarned);
    v.push(this.legitSilent);
    v.push(this.strayAccesses);
    v.push(this.straysCaught);
    v.push(this.straysWarned);
    v.push(this.straysMissed);
    v.push(this.exposure);
    v.push(this.exposureRead);
    v.push(this.exposureWrite);
    v.push(this.keyOpenTicks);
    v.push(this.unscopedTicks);
    v.pushAll(this.rate);
    v.pushAll(this.rateRead);
    v.pushAll(this.rateWrite);
    v.pushAll(this.rateVersion);
    v.pushAll(this.rateMsr);
    v.pushAll(this.shown);
  }

  load(v: StateVec): void {
    this.legitAccesses = v.next();
    this.legitBroken = v.next();
    this.legitWarned = v.next();
    this.legitSilent = v.next();
    this.strayAccesses = v.next();
    this.straysCaught = v.next();
    this.straysWarned = v.next();
    this.straysMissed = v.next();
    this.exposure = v.next();
    this.exposureRead = v.next();
    this.exposureWrite = v.next();
    this.keyOpenTicks = v.next();
    this.unscopedTicks = v.next();
    const n = this.rate.length;
    v.nextInto(this.rate, n);
    v.nextInto(this.rateRead, n);
    v.nextInto(this.rateWrite, n);
    v.nextInto(this.rateVersion, n);
    v.nextInto(this.rateMsr, n);
    v.nextInto(this.shown, n);
  }

  /** Append a sample to the trace when it differs from the CPU's previous one. */
  private note(tick: number, c: number, open: number, unscoped: number, rate: number): void {
    const l = this.last;
    const j = c * 3;
    if (l[j] === open && l[j + 1] === unscoped && l[j + 2] === rate) return;
    l[j] = open;
    l[j + 1] = unscoped;
    l[j + 2] = rate;
    this.trace!.push(tick, c, open, unscoped, rate);
  }

  /** The idle CPUs' samples of this tick (open = -1). */
  private noteIdle(m: Machine): void {
    for (let c = 0; c < m.cpus.length; c++) {
      const cp = m.cpus[c]!;
      if (cp.frames.length === 1 && cp.curr === cp.idle) this.note(m.tick, c, -1, 0, 0);
    }
  }

  /** After a restore: the trace keeps its first `n` numbers, each CPU's last sample read back from it. */
  truncateTrace(n: number): void {
    const t = this.trace;
    if (!t) return;
    t.length = Math.min(t.length, n);
    const l = this.last;
    l.fill(-2);
    for (let i = t.length - TRACE_FIELDS; i >= 0; i -= TRACE_FIELDS) {
      const j = t[i + 1]! * 3;
      if (l[j] !== -2) continue;
      l[j] = t[i + 2]!;
      l[j + 1] = t[i + 3]!;
      l[j + 2] = t[i + 4]!;
    }
  }

  record(cls: number, outcome: number): void {
    if (cls === CLASS_STRAY) {
      this.strayAccesses++;
      if (outcome === ACCESS_OOPS || outcome === ACCESS_NOT_PRESENT) this.straysCaught++;
      else if (outcome === ACCESS_PARDONED) this.straysWarned++;
      else if (outcome === ACCESS_OK || outcome === ACCESS_PARDONED_SILENT) this.straysMissed++;
    } else {
      this.legitAccesses++;
      if (outcome === ACCESS_OOPS || outcome === ACCESS_NOT_PRESENT) this.legitBroken++;
      else if (outcome === ACCESS_PARDONED) this.legitWarned++;
      else if (outcome === ACCESS_PARDONED_SILENT) this.legitSilent++;
    }
  }

  summary(m: Machine, ticks: number, finished: boolean): RunSummary {
    const s = m.stats;
    return {
      legitAccesses: this.legitAccesses,
      legitBroken: this.legitBroken,
      legitWarned: this.legitWarned,
      legitSilent: this.legitSilent,
      strayAccesses: this.strayAccesses,
      straysCaught: this.straysCaught,
      straysWarned: this.straysWarned,
      straysMissed: this.straysMissed,
      exposure: this.exposure,
      exposureRead: this.exposureRead,
      exposureWrite: this.exposureWrite,
      keyOpenTicks: this.keyOpenTicks,
      unscopedTicks: this.unscopedTicks,
      oopses: s.oopses,
      panics: s.panics,
      warnings: s.warnings,
      warningSites: m.warningSites,
      warningsSuppressed: s.warningsSuppressed,
      faults: s.faults,
      pkrsWrites: s.pkrsWrites,
      pkrsWritesSkipped: s.pkrsWritesSkipped,
      ipis: s.ipis,
      pkmapSleeps: s.pkmapSleeps,
      lifoViolations: s.lifoViolations,
      leaks: s.leaks,
      reports: s.reports,
      ticks,
      finished: finished ? 1 : 0,
    };
  }
}

export { METRIC_NAMES } from '../scenario/ir.js';

// The summary and the metric names `expect` lines accept must be the same set.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameMetrics: Same<keyof RunSummary, MetricName> = true;
void sameMetrics;
