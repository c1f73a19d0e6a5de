// One piece of a spread run (spread.ts), on a worker: walk a directory (or take the given
// files), audit every file, and run the whole-tree pass of the subsystem when the piece is one
// whole subsystem; the reply holds only what the main thread needs.

import { AuditError } from './errors.js';
import { walk, type InputFile } from './prefilter.js';
import { auditFile, treePassFor, type FileOpts } from './run.js';
import type { FileResult } from './types.js';

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
  rels: string[];
  /** Symbolic links to C files met by the walk (not followed). */
  links: number;
  /** Results that differ from "nothing here" (no audited word), by index into rels. */
  results: [number, FileResult][];
  /** Indexes of the files whose first-pass result marks them for a whole-tree pass over their parent directory. */
  kunmap: number[];
  map: number[];
  error?: { code: string; message: string };
}

/** A result that only says "no kmap or kunmap bytes": the main thread rebuilds it from the path. */
export function isEmpty(r: FileResult): boolean {
  return (
    !r.parsed &&
    !r.hasErrors &&
    r.error === undefined &&
    r.limit === undefined &&
    r.defs === undefined &&
    !r.mapBytes &&
    !r.putMacros &&
    !r.privateUnmaps &&
    !r.sites.length &&
    !r.findings.length &&
    !r.fixes.length &&
    !Object.keys(r.calls).length
  );
}

/** What run.ts's whole-tree pass takes from a first-pass result (before the pass replaced it). */
export const unmapsForOthers = (r: FileResult): boolean => Boolean((r.calls.kunmap && !r.privateUnmaps) || r.putMacros);
export const holdsMapBytes = (r: FileResult): boolean => Boolean(r.mapBytes || r.parsed || r.error !== undefined);

export async function runTask(t: WalkTask, o: FileOpts): Promise<WalkReply> {
  const links: string[] = [];
  let files: InputFile[];
  try {
    files = t.dir ? [...walk(t.dir, t.base, links)] : t.files!;
  } catch (e) {
    if (e instanceof AuditError) return { rels: [], links: 0, results: [], kunmap: [], map: [], error: { code: e.code, message: e.message } };
    throw e;
  }
  const results: FileResult[] = [];
  for (const f of files) results.push(await auditFile(f, o));
  const kunmap: number[] = [];
  const map: number[] = [];
  results.forEach((r, i) => {
    if (unmapsForOthers(r)) kunmap.push(i);
    if (holdsMapBytes(r)) map.push(i);
  });
  if (t.tree && t.dir) {
    // The directory is one whole subsystem: its whole-tree pass needs nothing from elsewhere.
    const pending = results.flatMap((r, at) => (r.defs ? [{ input: files[at]!, result: r, defs: r.defs, at }] : []));
    if (pending.length) {
      const again = await treePassFor(
        pending,
        files,
        o,
        kunmap.map((i) => files[i]!.rel),
        map.map((i) => files[i]!.rel),
      );
      pending.forEach((p, k) => (results[p.at] = again[k]!));
    }
  }
  const out: [number, FileResult][] = [];
  results.forEach((r, i) => {
    if (!isEmpty(r)) out.push([i, r]);
  });
  return { rels: files.map((f) => f.rel), links: links.length, results: out, kunmap, map };
}
