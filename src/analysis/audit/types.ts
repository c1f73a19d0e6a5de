// Data shapes shared by the audit stages. Everything here is plain JSON so that worker
// threads can send results back by structured clone.

/** The calls the audit looks for. */
export const MAP_CALLS = ['kmap', 'kmap_local_page', 'kmap_local_folio', 'kmap_atomic'] as const;
export const UNMAP_CALLS = ['kunmap', 'kunmap_local', 'kunmap_atomic'] as const;
export type MapCall = (typeof MAP_CALLS)[number];
export type UnmapCall = (typeof UNMAP_CALLS)[number];
export type CallName = MapCall | UnmapCall;

export function isMapCall(n: string): n is MapCall {
  return (MAP_CALLS as readonly string[]).includes(n);
}
export function isUnmapCall(n: string): n is UnmapCall {
  return (UNMAP_CALLS as readonly string[]).includes(n);
}
export function isAuditedCall(n: string): n is CallName {
  return isMapCall(n) || isUnmapCall(n);
}

/** Class of a kmap() site. kmap_local_page/kmap_local_folio/kmap_atomic sites are 'already-local'. */
export type SiteClass = 'local' | 'global' | 'unclear' | 'already-local';

export interface Pos {
  line: number; // 1-based
  column: number; // 1-based
}

export interface UnmapRef extends Pos {
  call: UnmapCall;
  arg: string;
}

export type FindingKind =
  | 'missing-unmap' // a path leaves the function with the mapping live, though other paths unmap it
  | 'lifo-after-conversion' // kmap() sites whose unmaps are out of order for kmap_local
  | 'lifo-violation' // kmap_local/kmap_atomic unmapped out of order today
  | 'kunmap-wrong-arg' // kunmap() given something that is not the mapped page
  | 'unmap-wrong-kind' // e.g. kunmap_local() of a kmap() address
  | 'local-handed-off' // a kmap_local_page()/kmap_atomic() address handed to a work item, a callback or a keeper
  | 'error-region'; // the call sits inside a tree-sitter ERROR node (macros, #ifdef)

export interface Finding extends Pos {
  kind: FindingKind;
  message: string;
  /** Index of the site the finding is about, in FileResult.sites, if any. */
  site?: number;
}

/** For a kmap_atomic() site: does the code between map and unmap rely on what it also disables? */
export interface AtomicUse {
  /** What relies on disabled page faults or preemption (empty: nothing seen). */
  relies: string[];
  /** What a conversion to kmap_local_page() must add to keep that. */
  needs: ('pagefault_disable' | 'preempt_disable')[];
  /** Set when a lock or disabled preemption already covers the mapping. */
  holds?: string;
  /** Can --fix --atomic convert it mechanically? */
  convertible: boolean;
  note: string;
}

export interface Site extends Pos {
  /** End of the call expression (1-based, exclusive column), for SARIF regions. */
  endLine: number;
  endColumn: number;
  file: string; // relative to the PATH given on the command line
  call: MapCall;
  class: SiteClass;
  function: string | null; // enclosing function, or null at file scope / in a macro
  reason: string;
  /** Individual facts behind the class, each checkable in the source. */
  reasons: string[];
  /** The page (or folio) expression as written. */
  arg: string;
  /** Where the address goes: a variable name, or null if discarded / used inline. */
  addr: string | null;
  unmaps: UnmapRef[];
  /** Greatest number of kmap-family mappings live at once at this site on any path (1 = not nested). */
  depth: number;
  /** For kmap(): would kunmap_local order satisfy the LIFO rule after conversion? */
  lifoOk: boolean;
  /** True when the call is inside a tree-sitter ERROR region, or its function does not parse cleanly. */
  inErrorRegion: boolean;
  /** When the function does not parse cleanly: the line of its first error. */
  errorLine?: number;
  /** Set when the site was found through a macro: the macro's name. */
  viaMacro?: string;
  /** For local sites: can --fix convert it mechanically? If not, why. */
  fixable?: boolean;
  fixNote?: string;
  /** kmap_atomic() sites only. */
  atomic?: AtomicUse;
  /** For global sites: where the address or the mapping escapes. */
  escapes?: { line: number; text: string }[];
}

/** A textual replacement in one file, as byte offsets into the original source. */
export interface Edit {
  start: number; // UTF-16 code unit offsets into the JS string of the file
  end: number;
  text: string;
}

export interface FileResult {
  file: string; // relative path
  parsed: boolean; // false when the prefilter skipped it
  hasErrors: boolean; // the tree contains ERROR/MISSING nodes
  sites: Site[];
  findings: Finding[];
  /** Count of every audited call name found in the file (map and unmap calls). */
  calls: Record<string, number>;
  /** Edits for --fix, grouped per converted kmap() site. */
  fixes: { site: number; edits: Edit[] }[];
  /** Set when the file could not be read or parsed at all. */
  error?: string;
  /** The resource limit that skipped the file (with `error`): the audit is incomplete. */
  limit?: 'max-file-size' | 'max-sites' | 'wasm-memory';
  /** Functions defined in the file, when a site needs the whole-tree pass (not in the output). */
  defs?: string[];
  /** The file defines put helpers as macros (for the whole-tree pass; not in the output). */
  putMacros?: boolean;
  /**
   * A .c file whose put helpers (functions that kunmap() a parameter, or pass one on to such a
   * function) are all static: no other file can call them, so the whole-tree pass need not
   * load it for them (not in the output).
   */
  privateUnmaps?: boolean;
  /**
   * The file's bytes contain "kmap" or "kunmap" though not as an audited word (ttm_bo_kmap):
   * files without either cannot name a function whose name holds one, so the whole-tree pass
   * need not read them again for such names (not in the output).
   */
  mapBytes?: boolean;
}

export interface AuditOptions {
  jobs: number;
  /** Called after each file (or piece of a spread run), for progress output; total is -1 while unknown. */
  onProgress?: (done: number, total: number) => void;
  /** Collect fix edits (costs a little more work). */
  fix?: boolean;
  /** A callee data file adding to or overriding the built-in list (see callees.ts). */
  calleesFile?: string;
  /** With fix: also convert the kmap_atomic() sites that can be (see atomic.ts). */
  atomic?: boolean;
  /** Keep per-file results here, keyed by size and mtime (--cache DIR). */
  cacheDir?: string;
  /** Analyse only these files (relative paths); the others are still walked for the tree pass. */
  only?: string[];
  /** Whole-tree pass over each undecided file's subsystem (default true; --no-tree turns it off). */
  tree?: boolean;
  /** Files larger than this many bytes that the prefilter would parse are skipped with an error (default 2 MiB). */
  maxFileSize?: number;
  /** Skip (and name) a file with more audited calls than this (default DEFAULT_MAX_SITES). */
  maxSites?: number;
}

export interface AuditSummary {
  filesScanned: number; // C files found under the paths
  filesParsed: number; // files that passed the text prefilter and were parsed
  filesWithErrors: number; // parsed files containing ERROR nodes
  calls: Record<string, number>;
  kmapSites: number;
  classes: Record<'local' | 'global' | 'unclear', number>;
  fixable: number;
  findings: Record<string, number>;
  subsystems: Record<string, { local: number; global: number; unclear: number }>;
  sitesPerFunction: Record<string, number>; // histogram: "1": n functions with 1 kmap site, ...
  /** kmap_atomic() sites: convertible by a rename, needing pagefault_disable()/preempt_disable(), not mechanical. */
  atomic: { sites: number; rename: number; pagefault: number; preempt: number; notMechanical: number };
  elapsedMs: number;
  /** Symbolic links to .c/.h files under the paths: not followed, counted here. */
  symlinksSkipped?: number;
}

export interface AuditResult {
  files: FileResult[]; // only files with at least one call, sorted by path
  summary: AuditSummary;
}

/** How a getter hands a mapping back to its caller: its return value, an out-parameter, or a struct the caller passed. */
export type HandBack = { kind: 'return' } | { kind: 'out'; param: number } | { kind: 'struct'; param: number };
