// The package's ./report entry: the outputs of runs (kernel log, tables, HTML timeline, Perfetto
// trace), as a library. Importing this module has no side effect: the viewer bundle is read or
// built only when an HTML report is rendered.

/** @public The kernel log of a run and its summary block, as `pksim run` prints them. */
export { formatDmesg, formatSummary } from './report/dmesg.js';
/** @public The `pksim compare` tables. */
export { compareTable, totalsTable, totalsByPolicy, formatTable, LEGEND, COMPARE_COLUMNS } from './report/table.js';
/** @public The causal flows of a run (send to recv, IPIs, wake-ups, queue_work to the work item, raise to the interrupt's entry). */
export { flows, type Flow, type FlowKind } from './report/flows.js';
/** @public The HTML timeline and the Chrome/Perfetto trace, as strings or written atomically to a file. */
export {
  renderHtml,
  toPerfetto,
  writeHtmlReport,
  writePerfetto,
  writeFtrace,
  formatFtrace,
  writeReportFile,
  ReportExistsError,
  ReportWriteError,
  type HtmlOptions,
  type ChromeTrace,
  type TraceEvent,
  type WriteOptions,
} from './report/index.js';
export type { RunResult, RunSummary, RunConfigInfo, ExpectationResult } from './sim/result.js';
