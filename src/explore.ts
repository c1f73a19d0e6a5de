// The package's ./explore entry: every interleaving of a scenario within a bound, invariants
// checked on each run (`pksim explore`), as a library. Importing this module has no side effect
// beyond the registration of the built-in designs.

/** @public Explore the schedules of a compiled scenario; throws ExploreError on bad options. */
export {
  explore,
  INVARIANTS,
  DEFAULT_BOUND,
  DEFAULT_MAX_RUNS,
  DEFAULT_MAX_TOTAL_STEPS,
  ExploreError,
  type ExploreOptions,
  type ExploreResult,
  type Invariant,
  type Counterexample,
  type Outcome,
} from './analysis/explore.js';
/** @public The stateful search (`pksim explore` without --bound), its invariants, and --workers. */
export { search } from './analysis/search.js';
export { SEARCH_INVARIANTS, SearchError, type SearchOptions, type SearchResult, type SearchViolation } from './analysis/search-result.js';
export type { MaxExposure } from './analysis/exposure.js';
export { BUILTIN_INVARIANTS, InvariantError, type BuiltinInvariant } from './analysis/invariants.js';
export { searchParallel } from './analysis/parallel.js';
/** @public The text `pksim explore` prints for a result (`arg`: the scenario as given). */
export { formatExplore } from './cli/explore.js';
/** @public What explore() takes: a compiled scenario. */
export { compileScenario, loadScenario, libraryNames, ScenarioError, type Diagnostic, type DiagnosticCode } from './scenario/index.js';
export type { ScenarioIR } from './scenario/ir.js';
