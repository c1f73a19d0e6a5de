// pksim's public API: the one entry file. Everything a program (or a test) needs to compile a
// scenario, run it under a design, read the results, and audit C code.

// Hardware semantics.
export * from './arch/x86/pkrs.js';
export { mkPte, pteKey, pteUser } from './arch/x86/pte.js';

// The machine and the designs.
export { Machine, MachineCore, type MachineConfig, type ResetPoint, type WarnDedupe, ACCESS_OK, ACCESS_PARDONED, ACCESS_PARDONED_SILENT, ACCESS_OOPS, ACCESS_NOT_PRESENT } from './kernel/machine.js';
export type { PksHooks, Verdict } from './kernel/policy_api.js';
export type { PksimEvent, EventType, EventSink, FrameKind, AccessOutcome } from './kernel/events.js';
export { createPolicy, parsePolicy, policyLabel, DEFAULT_COMPARE, defaultCompare, designs, registerDesign, PolicyError, NoPks, ContextLocalPks, type DesignEntry, type PolicySpec, type PksMode } from './policy/index.js';

// Scenarios and runs.
export { compileScenario, loadScenario, listScenarios, libraryNames, ScenarioError } from './scenario/index.js';
export type { ScenarioIR, Instr, ContextDecl, SrcLoc } from './scenario/ir.js';
export { runScenario, ScheduleError, DEFAULT_MAX_STEPS, DEFAULT_MAX_EVENTS, type RunOptions } from './sim/runner.js';
export type { RunResult, RunSummary, RunConfigInfo, ExpectationResult } from './sim/result.js';
export { METRIC_NAMES } from './sim/metrics.js';

// Interleavings and invariants (pksim explore).
export { explore, INVARIANTS, DEFAULT_BOUND, DEFAULT_MAX_RUNS, ExploreError, type ExploreOptions, type ExploreResult, type Invariant, type Counterexample, type Outcome } from './analysis/explore.js';

// Reports.
export { formatDmesg, formatSummary } from './report/dmesg.js';
export { compareTable } from './report/table.js';
export { renderHtml, toPerfetto, writeHtmlReport, writePerfetto } from './report/index.js';

// The kmap() audit.
export { runAudit } from './analysis/audit/run.js';
export { AuditError, type AuditErrorCode } from './analysis/audit/errors.js';
export type { AuditOptions, Site, SiteClass, Finding } from './analysis/audit/types.js';

// The command line, for embedding.
export { main } from './cli/main.js';
