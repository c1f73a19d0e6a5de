// Per-run metrics: the oracle's class of each access against the design's outcome.

import { ACCESS_NOT_PRESENT, ACCESS_OK, ACCESS_OOPS, ACCESS_PARDONED, ACCESS_PARDONED_SILENT, type Machine } from '../kernel/machine.js';
import { CLASS_STRAY, type Oracle } from './oracle.js';
import type { StateVec } from '../kernel/state.js';
import type { RunSummary } from './result.js';
import type { MetricName } from '../scenario/ir.js';

/** Numbers per CPU in Metrics.shown. */
const SHOWN = 5;

/** The keys of a mask, in increasing order (an idle CPU's -1: none). */
function keyList(mask: number): number[] {
  const out: number[] = [];
  for (let k = 0; mask > 0; k++, mask >>>= 1) if (mask & 1) out.push(k);
  return out;
}

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
  /** Exposure rate per CPU, recomputed only when the machine's version moves. */
  private readonly rate: Float64Array;
  private readonly rateRead: Float64Array;
  private readonly rateWrite: Float64Array;
  private readonly rateVersion: Float64Array;
  private readonly rateMsr: Float64Array;
  private readonly protKeys: Int32Array;
  /**
   * Per CPU, SHOWN numbers: the pages, read, write, open keys mask (-1: idle) and unscoped keys
   * mask last reported in the event stream (only when events are kept).
   */
  private readonly shown: Float64Array;

  constructor(m: Machine, protectedKeys: number[]) {
    const n = m.cpus.length;
    this.rate = new Float64Array(n);
    this.rateRead = new Float64Array(n);
    this.rateWrite = new Float64Array(n);
    this.rateVersion = new Float64Array(n).fill(-1);
    this.rateMsr = new Float64Array(n).fill(-1);
    this.shown = new Float64Array(n * SHOWN);
    for (let c = 0; c < n; c++) this.shown[c * SHOWN + 3] = -1; // nothing shown yet: as idle
    this.protKeys = Int32Array.from(protectedKeys);
  }

  /**
   * End of a tick: for every CPU running a context, add the protected pages it could reach
   * unnoticed (exposure), and the keys open for it, scoped by its own mappings and grants or
   * not (windows). With events recorded, an `exposure` event per change as well.
   */
  sampleTick(m: Machine, oracle: Oracle): void {
    const shown = m.sink !== null;
    const cpus = m.cpus;
    const pks = m.hooks.pks;
    const keys = this.protKeys;
    for (let c = 0; c < cpus.length; c++) {
      const cp = cpus[c]!;
      const frames = cp.frames;
      if (frames.length === 1 && cp.curr === cp.idle) {
        if (shown) this.show(m, c, 0, 0, 0, -1, 0);
        continue;
      }
      const msr = cp.msr;
      if (this.rateVersion[c] !== m.version || this.rateMsr[c] !== msr) this.refresh(m, c, msr);
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
      if (shown) this.show(m, c, this.rate[c]!, this.rateRead[c]!, this.rateWrite[c]!, open, unscoped);
    }
  }

  /**
   * Exposure depends on this CPU's PKRS and on what every CPU shares (mappings, counts,
   * WARN_ONCE, abandoned keys: m.version): another CPU's PKRS write changes neither.
   */
  private refresh(m: Machine, c: number, msr: number): void {
    this.rate[c] = m.exposureOf(c);
    this.rateRead[c] = m.lastExposureRead;
    this.rateWrite[c] = m.lastExposureWrite;
    this.rateVersion[c] = m.version;
    this.rateMsr[c] = msr;
  }

  /**
   * An `exposure` event when this CPU's numbers differ from the last ones shown: the pages its
   * context could reach unnoticed, the protected keys open for it and those open unscoped
   * (open = -1: idle, nothing runs).
   */
  private show(m: Machine, c: number, pages: number, read: number, write: number, open: number, unscoped: number): void {
    const s = this.shown;
    const j = c * SHOWN;
    if (s[j] === pages && s[j + 1] === read && s[j + 2] === write && s[j + 3] === open && s[j + 4] === unscoped) return;
    s[j] = pages;
    s[j + 1] = read;
    s[j + 2] = write;
    s[j + 3] = open;
    s[j + 4] = unscoped;
    m.emit({ ...m.base(c), loc: null, type: 'exposure', pages, read, write, open: keyList(open), unscoped: keyList(unscoped) });
  }

  save(v: StateVec): void {
    const at = v.reserve(13),
      b = v.buf;
    b[at] = this.legitAccesses;
    b[at + 1] = this.legitBroken;
    b[at + 2] = this.legitWarned;
    b[at + 3] = this.legitSilent;
    b[at + 4] = this.strayAccesses;
    b[at + 5] = this.straysCaught;
    b[at + 6] = this.straysWarned;
    b[at + 7] = this.straysMissed;
    b[at + 8] = this.exposure;
    b[at + 9] = this.exposureRead;
    b[at + 10] = this.exposureWrite;
    b[at + 11] = this.keyOpenTicks;
    b[at + 12] = this.unscopedTicks;
    v.pushF64(this.rate);
    v.pushF64(this.rateRead);
    v.pushF64(this.rateWrite);
    v.pushF64(this.rateVersion);
    v.pushF64(this.rateMsr);
    v.pushF64(this.shown);
  }

  load(v: StateVec): void {
    const b = v.buf;
    let p = v.pos;
    this.legitAccesses = b[p++]!;
    this.legitBroken = b[p++]!;
    this.legitWarned = b[p++]!;
    this.legitSilent = b[p++]!;
    this.strayAccesses = b[p++]!;
    this.straysCaught = b[p++]!;
    this.straysWarned = b[p++]!;
    this.straysMissed = b[p++]!;
    this.exposure = b[p++]!;
    this.exposureRead = b[p++]!;
    this.exposureWrite = b[p++]!;
    this.keyOpenTicks = b[p++]!;
    this.unscopedTicks = b[p++]!;
    v.pos = p;
    const n = this.rate.length;
    v.nextF64(this.rate, n);
    v.nextF64(this.rateRead, n);
    v.nextF64(this.rateWrite, n);
    v.nextF64(this.rateVersion, n);
    v.nextF64(this.rateMsr, n);
    v.nextF64(this.shown, this.shown.length);
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
