// One piece of a spread run (spread.ts), on a worker: walk a directory (or take the given
// files), audit every file, and run the whole-tree pass of the subsystem when the piece is one
// whole subsystem; the reply holds only what the main thread needs.

import { AuditError } from './errors.js';
import { hasMapBytes, walk, type InputFile } from './prefilter.js';
import { readInto } from './read.js';
import { auditBytes, treePassFor, unreadable, type FileOpts } from './run.js';
import type { FileResult } from './types.js';
import { holdsMapBytes, unmapsForOthers, type KeptParse } from './tree.js';

export interface WalkTask {
  /** The audit's base directory: reported paths are relative to it. */
  base: string;
  /** A directory to walk (a whole subsystem), or */
  dir?: string;
  /** the files to audit (files directly in a top directory, or in the base). */
  files?: InputFile[];
  /** Run the whole-tree pass of the subsystem (only for `dir`). */
  tree: boolean;
}

export interface WalkReply {
  /** The files, in walk order, relative to the base. */
  rels: string;
  /** How many files (the paths above, joined by NUL: one string costs less to send than 27k). */
  count: number;
  /** Symbolic links to C files met by the walk (not followed). */
  links: number;
  /** Results with something to report (parsed, unreadable, or pending the whole-tree pass), by index into rels. */
  results: [number, FileResult][];
  /** Indexes of the files whose first-pass result marks them for a whole-tree pass over their parent directory. */
  kunmap: number[];
  map: number[];
  error?: { code: string; message: string };
}

export async function runTask(t: WalkTask, o: FileOpts): Promise<WalkReply> {
  const links: string[] = [];
  let files: InputFile[];
  try {
    files = t.dir ? [...walk(t.dir, t.base, links)] : t.files!;
  } catch (e) {
    if (e instanceof AuditError) return { rels: '', count: 0, links: 0, results: [], kunmap: [], map: [], error: { code: e.code, message: e.message } };
    throw e;
  }
  // Most files hold neither kmap nor kunmap: nothing is kept for them (the main thread knows
  // their result from the path alone).
  const results: [number, FileResult][] = [];
  // The parses of files that need this piece's whole-tree pass are kept for it.
  const kept = t.tree && t.dir ? new Map<string, KeptParse>() : undefined;
  try {
    return await audit(t, o, files, links, results, kept);
  } finally {
    for (const k of kept?.values() ?? []) {
      try {
        k.tree.delete();
      } catch {
        // a tree of a parser instance that aborted since: its memory went with it
      }
    }
  }
}

async function audit(t: WalkTask, o: FileOpts, files: InputFile[], links: string[], results: [number, FileResult][], kept?: Map<string, KeptParse>): Promise<WalkReply> {
  for (let i = 0; i < files.length; i++) {
    const f = files[i]!;
    let buf: Buffer;
    try {
      buf = readInto(f.abs);
    } catch (e) {
      results.push([i, unreadable(f, e)]);
      continue;
    }
    if (hasMapBytes(buf)) results.push([i, await auditBytes(f, buf, o, kept)]);
  }
  const kunmap: number[] = [];
  const map: number[] = [];
  for (const [i, r] of results) {
    if (unmapsForOthers(r)) kunmap.push(i);
    if (holdsMapBytes(r)) map.push(i);
  }
  if (t.tree && t.dir) {
    // The directory is one whole subsystem: its whole-tree pass needs nothing from elsewhere.
    const pending = results.flatMap(([at, r], k) => (r.defs ? [{ input: files[at]!, result: r, defs: r.defs, k }] : []));
    if (pending.length) {
      const again = await treePassFor(
        pending,
        files,
        o,
        kunmap.map((i) => files[i]!.rel),
        map.map((i) => files[i]!.rel),
        kept,
      );
      pending.forEach((p, n) => (results[p.k]![1] = again[n]!));
    }
  }
  // A file that holds "kmap" only inside other words (ttm_bo_kmap) counts in `map` alone.
  const reported = results.filter(([, r]) => r.parsed || r.error !== undefined || r.defs || r.sites.length || r.findings.length || Object.keys(r.calls).length);
  return { rels: files.map((f) => f.rel).join('\0'), count: files.length, links: links.length, results: reported, kunmap, map };
}
