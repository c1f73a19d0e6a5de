// The package's ./audit entry: the kmap() call-site audit of kernel C code (`pksim audit`), as
// a library. Importing this module does nothing: the C parser is loaded by the first runAudit().

/** @public Audit C files or trees; rejects with AuditError (code AUD0xx) on bad input. */
export { runAudit, defaultJobs } from './analysis/audit/run.js';
/** @public Bad input to the audit, with a stable code (AUD001..). */
export { AuditError, type AuditErrorCode } from './analysis/audit/errors.js';
/** @public The result as text, JSON or SARIF 2.1.0, as `pksim audit --format` prints it. */
export { formatText, formatJson, formatSummary as formatAuditSummary } from './analysis/audit/format.js';
export { formatSarif } from './analysis/audit/sarif.js';
/** @public Audit only what a patch touches, and `--fix --mbox` mails. */
export { touchedLines, formatMbox } from './analysis/audit/patch.js';
/** @public Apply the edits of a FileResult's fixes and show them as a unified diff (`--fix`). */
export { applyEdits, unifiedDiff } from './analysis/audit/fix.js';
export {
  MAP_CALLS,
  UNMAP_CALLS,
  type AuditOptions,
  type AuditResult,
  type AuditSummary,
  type FileResult,
  type Site,
  type SiteClass,
  type Finding,
  type FindingKind,
  type Edit,
  type Pos,
  type UnmapRef,
  type AtomicUse,
  type MapCall,
  type UnmapCall,
  type CallName,
} from './analysis/audit/types.js';
