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
    v.push(this.faults);
    v.push(this.pkrsWrites);
    v.push(this.pkrsWritesSkipped);
    v.push(this.ipis);
    v.push(this.warnings);
    v.push(this.warningsSuppressed);
    v.push(this.oopses);
    v.push(this.panics);
    v.push(this.pkmapSleeps);
    v.push(this.lifoViolations);
    v.push(this.leaks);
    v.push(this.reports);
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
