// The result of one run: what `pksim run --json` prints and what every report consumes.

import type { PksimEvent } from '../kernel/events.js';
import type { ArchName } from '../arch/arch.js';
import type { InjectionResult } from './inject.js';
import type { ContextKind, KeyDefault } from '../scenario/ir.js';

export interface RunSummary {
  /** Accesses the oracle judged legitimate (local or handoff). */
  legitAccesses: number;
  /** Legit accesses that oopsed (or faulted not-present): the design broke working code. */
  legitBroken: number;
  /** Legit accesses pardoned with a printed warning. */
  legitWarned: number;
  /** Legit accesses pardoned silently (SILENT mode, or WARN_ONCE already spent). */
  legitSilent: number;
  /** Stray accesses (dead mapping, forged pointer, kmap_local used from another context). */
  strayAccesses: number;
  /** Strays stopped by an oops. */
  straysCaught: number;
  /** Strays pardoned but with a printed warning. */
  straysWarned: number;
  /** Strays that went through unnoticed (allowed, or pardoned without a new warning). */
  straysMissed: number;
  /**
   * Sum over ticks and running contexts of protected pages a stray access (read or write)
   * could reach unnoticed: allowed, or let through without a new warning (page x tick).
   */
  exposure: number;
  /** The same for stray reads only. */
  exposureRead: number;
  /** The same for stray writes only. */
  exposureWrite: number;
  /** Sum over ticks and running contexts of the protected keys open (AD clear) for them. */
  keyOpenTicks: number;
  /**
   * The part of keyOpenTicks the context's own code does not explain: the key is open although
   * the context holds no live kmap()/kmap_local of a page with that key and no grant_access()
   * of it (a pardon still in force, a global enable, an abandoned key, a READ grant opened
   * read/write, a leaked grant).
   */
  unscopedTicks: number;
  oopses: number;
  panics: number;
  /** Warnings printed (after dedupe). */
  warnings: number;
  /** Distinct call sites that faulted into a warning path (printed or suppressed). */
  warningSites: number;
  /** Warnings suppressed by WARN_ONCE. */
  warningsSuppressed: number;
  faults: number;
  pkrsWrites: number;
  pkrsWritesSkipped: number;
  ipis: number;
  pkmapSleeps: number;
  lifoViolations: number;
  leaks: number;
  /** Other reportable events: foreign kunmap, unbalanced revoke, grant held at exit. */
  reports: number;
  ticks: number;
  /** 1 when every task ran to the end of its program, 0 otherwise (oops, panic, deadlock, limit). */
  finished: number;
}

export interface RunConfigInfo {
  cpus: number;
  /** x86_64 (the default) or x86_32 (highmem; PKS on it is hypothetical). */
  arch: ArchName;
  lastPkmap: number;
  wp: boolean;
  cr4pks: boolean;
  defaultPkrs: number;
  keys: { name: string; id: number; default: KeyDefault }[];
  pages: { name: string; key: number; highmem: boolean }[];
  contexts: { name: string; kind: ContextKind; cpu: number }[];
}

/** How long one context (all invocations of one scenario context) ran with keys open. */
export interface ContextWindow {
  context: string;
  kind: string;
  /** Ticks it was the running context on some CPU. */
  ticks: number;
  keyOpenTicks: number;
  unscopedTicks: number;
}

export interface ExpectationResult {
  text: string;
  metric: string;
  expected: string;
  actual: number;
  ok: boolean;
  line: number;
}

export interface RunResult {
  scenario: string;
  file: string;
  policy: string;
  mode: string | null;
  seed: number | null;
  /** The choices the scheduler made: passing them back as --schedule replays the run. */
  schedule: number[];
  /**
   * Why the run stopped: 'done' (every context finished), 'killed' (finished, but an oops killed
   * a task), 'panic', 'deadlock' (contexts blocked forever), 'limit:steps'.
   */
  stop: string;
  config: RunConfigInfo;
  events: PksimEvent[];
  summary: RunSummary;
  /** Per context: how long it ran with protected keys open, and how much of that was unscoped. */
  windows: ContextWindow[];
  expectations: ExpectationResult[];
  /** With an injected stray (--inject): what became of it. Expectations are not checked then. */
  injection?: InjectionResult;
}
