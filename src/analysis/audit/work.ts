// The classifier's working record of one kmap() site. The passes that refine it (fix planning,
// kmap_atomic() analysis, code shapes) take it from here, so none imports the classifier back.

import type { Node } from 'web-tree-sitter';
import type { CallInfo } from './calls.js';
import type { EscapeReport } from './escape.js';
import type { Site } from './types.js';

export interface SiteWork {
  site: Site;
  call: CallInfo;
  esc: EscapeReport;
  unmapNodes: Node[];
  /** The class rests on callers or put helpers that other files may hold. */
  crossFile?: boolean;
}
