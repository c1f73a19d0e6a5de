// pksim's public API, the package's main entry (`.`). Everything a program (or a test) needs
// to compile a scenario, run it under a design, read the results, and audit C code. The narrower
// entries `./audit`, `./explore` and `./report` (src/audit.ts, src/explore.ts,
// src/report.ts) each carry one part. Importing any entry has no side effect beyond registering
// the built-in designs: no handler on process.stdout, nothing printed.

/** @public Hardware semantics: PKRS encode/decode, the access check, #PF error codes. */
export * from './arch/x86/pkrs.js';
export { mkPte, pteKey, pteUser } from './arch/x86/pte.js';

/** @public The machine and the designs (registerDesign adds one; PolicyError has code PKS101). */
export {
  Machine,
  MachineCore,
  type MachineConfig,
  type ResetPoint,
  type WarnDedupe,
  ACCESS_OK,
  ACCESS_PARDONED,
  ACCESS_PARDONED_SILENT,
  ACCESS_OOPS,
  ACCESS_NOT_PRESENT,
} from './kernel/machine.js';
export type { PksHooks, Verdict } from './kernel/policy_api.js';
export type { PksimEvent, EventType, EventSink, FrameKind, AccessOutcome } from './kernel/events.js';
export {
  createPolicy,
  parsePolicy,
  policyLabel,
  DEFAULT_COMPARE,
  defaultCompare,
  designs,
  registerDesign,
  PolicyError,
  NoPks,
  ContextLocalPks,
  type DesignEntry,
  type PolicySpec,
  type PksMode,
} from './policy/index.js';

/** @public Scenarios and runs; ScenarioError carries PKS0xx diagnostics (DIAGNOSTIC_CODES, docs/errors.md). */
export { compileScenario, loadScenario, listScenarios, libraryNames, ScenarioError, DIAGNOSTIC_CODES, type Diagnostic, type DiagnosticCode } from './scenario/index.js';
export type { ScenarioIR, Instr, ContextDecl, SrcLoc } from './scenario/ir.js';
export { runScenario, ScheduleError, DEFAULT_MAX_STEPS, DEFAULT_MAX_EVENTS, type RunOptions } from './sim/runner.js';
export type { RunResult, RunSummary, RunConfigInfo, ExpectationResult } from './sim/result.js';
export { METRIC_NAMES } from './sim/metrics.js';

/** @public Interleavings and invariants (pksim explore; also the ./explore entry). */
export {
  explore,
  INVARIANTS,
  DEFAULT_BOUND,
  DEFAULT_MAX_RUNS,
  ExploreError,
  type ExploreOptions,
  type ExploreResult,
  type Invariant,
  type Counterexample,
  type Outcome,
} from './analysis/explore.js';

/** @public Reports (also the ./report entry). */
/** @public Injected strays and fuzz campaigns (pksim run --inject, pksim fuzz, merge, study). */
export { parseInjectSpec, formatInjectSpec, InjectSpecError, INJECT_KINDS, type InjectSpec, type InjectionResult } from './sim/inject.js';
export { runCampaign, shardRange, type CampaignInput } from './analysis/fuzz/campaign.js';
export { buildReport, reportJson, type FuzzReport, type FuzzConfig, type DesignNumbers, type RatioNumbers } from './analysis/fuzz/report.js';
export { wilson, meanT, ratioKatz, ratioMeans, tQuantile, type Interval } from './analysis/fuzz/stats.js';
export { resetPointStudy, warningStudy, type ResetStudy, type WarningStudy } from './analysis/fuzz/study.js';
export { formatDmesg, formatSummary } from './report/dmesg.js';
export { compareTable } from './report/table.js';
export { renderHtml, toPerfetto, writeHtmlReport, writePerfetto, formatFtrace, writeFtrace, flows, type Flow, type FlowKind } from './report/index.js';

/** @public The kmap() audit (also the ./audit entry); AuditError has codes AUD0xx. */
export { runAudit } from './analysis/audit/run.js';
export { AuditError, type AuditErrorCode } from './analysis/audit/errors.js';
export type { AuditOptions, Site, SiteClass, Finding } from './analysis/audit/types.js';

/** @public The command line, for embedding: main(argv, io) resolves to the exit status. */
export { main, type ErrorData } from './cli/main.js';
export { captureIO, type CliIO } from './cli/io.js';
export { UsageError } from './cli/errors.js';
export { packageVersion } from './cli/version.js';
