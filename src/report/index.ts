// Reports of runs: the self-contained HTML timeline and the Chrome/Perfetto trace export.

export { renderHtml, renderHtmlFromModel, escapeHtml, jsonForScript, type HtmlOptions } from './html.js';
export { flows, type Flow, type FlowKind } from './flows.js';
export { toPerfetto, type ChromeTrace, type TraceEvent } from './perfetto.js';
export { buildViewModel, type ViewModel, type RunView, type MarkerView } from './model.js';
export { buildTimeline, keyBands, markerType, runLabel, type Timeline } from './timeline.js';
export { formatFtrace, flagsOf, ftraceTime } from './ftrace.js';
export {
  writeHtmlReport,
  writePerfetto,
  writeFtrace,
  writeReportFile,
  perfettoChunks,
  ReportExistsError,
  ReportWriteError,
  type WriteOptions,
  type WriteFs,
} from './write.js';
