// Costs and incidents the machine counts as it runs: what a real kernel would pay or print.

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
}
