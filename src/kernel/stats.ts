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
    this.faults = v.next();
    this.pkrsWrites = v.next();
    this.pkrsWritesSkipped = v.next();
    this.ipis = v.next();
    this.warnings = v.next();
    this.warningsSuppressed = v.next();
    this.oopses = v.next();
    this.panics = v.next();
    this.pkmapSleeps = v.next();
    this.lifoViolations = v.next();
    this.leaks = v.next();
    this.reports = v.next();
  }
}
