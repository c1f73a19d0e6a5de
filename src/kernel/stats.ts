// Costs and incidents the machine counts as it runs: what a real kernel would pay or print.

import type { StateVec } from './state.js';

export class Stats {
  faults = 0;
  pkrsWrites = 0;
  pkrsWritesSkipped = 0;
  ipis = 0;
  warnings = 0;
  warningsSuppressed = 0;
  oopses = 0;
  panics = 0;
  pkmapSleeps = 0;
  lifoViolations = 0;
  leaks = 0;
  reports = 0;

  save(v: StateVec): void {
    const at = v.reserve(12),
      b = v.buf;
    b[at] = this.faults;
    b[at + 1] = this.pkrsWrites;
    b[at + 2] = this.pkrsWritesSkipped;
    b[at + 3] = this.ipis;
    b[at + 4] = this.warnings;
    b[at + 5] = this.warningsSuppressed;
    b[at + 6] = this.oopses;
    b[at + 7] = this.panics;
    b[at + 8] = this.pkmapSleeps;
    b[at + 9] = this.lifoViolations;
    b[at + 10] = this.leaks;
    b[at + 11] = this.reports;
  }

  load(v: StateVec): void {
    const b = v.buf;
    let p = v.pos;
    this.faults = b[p++]!;
    this.pkrsWrites = b[p++]!;
    this.pkrsWritesSkipped = b[p++]!;
    this.ipis = b[p++]!;
    this.warnings = b[p++]!;
    this.warningsSuppressed = b[p++]!;
    this.oopses = b[p++]!;
    this.panics = b[p++]!;
    this.pkmapSleeps = b[p++]!;
    this.lifoViolations = b[p++]!;
    this.leaks = b[p++]!;
    this.reports = b[p++]!;
    v.pos = p;
  }
}
