// A cold run over one directory with several jobs: the workers walk it too. This thread reads
// only the top two levels and hands out pieces in walk order: each directory two levels down is
// one whole subsystem (fs/qnx6), which its worker walks, audits and, with the whole-tree pass
// on, finishes (that pass needs no file outside the subsystem); the files directly in a top
// directory (fs/*.c) are one piece, whose subsystem (fs) spans the whole top directory: its
// whole-tree pass goes out, ahead of the remaining pieces, as soon as every piece under that
// directory came back. Results are the same as a walk in this thread (same order, same passes).

import { join, sep } from 'node:path';
import type { Dirent } from 'node:fs';
import { AuditError, type AuditErrorCode } from './errors.js';
import { isCFile, readDir, SKIP_DIRS, type InputFile } from './prefilter.js';
import type { Pool } from './pool.js';
import type { WalkReply, WalkTask } from './task.js';
import type { FileOpts } from './run.js';
import type { FileResult } from './types.js';

const isC = (e: Dirent) => isCFile(e.name);

interface Piece {
  task: WalkTask | null; // null: the directory could not be read (error)
  /** The top directory ('' for files directly in the base). */
  top: string;
  error?: AuditError;
  links: number;
  reply?: WalkReply;
}

/** The pieces of the walk, in walk order (depth first, names sorted). */
function pieces(base: string, tree: boolean): Piece[] {
  const out: Piece[] = [];
  let loose: Piece | null = null;
  const file = (top: string, abs: string, rel: string) => {
    if (!loose || loose.top !== top) out.push((loose = { task: { base, files: [], tree: false }, top, links: 0 }));
    loose.task!.files!.push({ abs, rel });
  };
  const link = (top: string) => {
    if (!loose || loose.top !== top) out.push((loose = { task: { base, files: [], tree: false }, top, links: 0 }));
    loose.links++;
  };
  const list = (dir: string, top: string): Dirent[] | null => {
    try {
      return readDir(dir);
    } catch (e) {
      out.push({ task: null, top, error: e as AuditError, links: 0 });
      loose = null;
      return null;
    }
  };
  for (const e of list(base, '') ?? []) {
    if (e.isDirectory()) {
      if (SKIP_DIRS.has(e.name)) continue;
      loose = null;
      for (const s of list(join(base, e.name), e.name) ?? []) {
        const rel = e.name + '/' + s.name;
        if (s.isDirectory()) {
          if (SKIP_DIRS.has(s.name)) continue;
          out.push({ task: { base, dir: join(base, rel), tree }, top: e.name, links: 0 });
          loose = null;
        } else if (s.isFile() && isC(s)) file(e.name, join(base, rel), rel);
        else if (s.isSymbolicLink() && isC(s)) link(e.name);
      }
      loose = null;
    } else if (e.isFile() && isC(e)) file('', join(base, e.name), e.name);
    else if (e.isSymbolicLink() && isC(e)) link('');
  }
  return out.filter((p) => !p.task?.files || p.task.files.length || p.links);
}

type Pending = { input: InputFile; result: FileResult; defs: string[] }[];

/**
 * Audit the directory `base` on the pool. Returns the files in walk order with their results
 * (whole-tree pass done when `tree`), and the count of symbolic links skipped.
 */
export async function spreadAudit(
  pool: Pool,
  base: string,
  fo: FileOpts,
  tree: boolean,
  onProgress?: (d: number, t: number) => void,
): Promise<{ inputs: () => InputFile[]; results: FileResult[]; count: number; links: number }> {
  const ps = pieces(base, tree);
  // Per top directory: its pieces still out; when none is, its own whole-tree pass can start.
  const left = new Map<string, number>();
  for (const p of ps) if (p.task) left.set(p.top, (left.get(p.top) ?? 0) + 1);
  const dir = base.endsWith(sep) ? base : base + sep;
  const files = (p: Piece): InputFile[] => (p.reply?.count ? p.reply.rels.split('\0').map((rel) => ({ abs: dir + rel, rel })) : []);
  const again = new Map<string, FileResult>(); // rel -> whole-tree result of a top directory's own files
  const treeMsgs: string[][] = []; // per whole-tree message: the pending files, in order
  let done = 0;
  // Everything under a top directory (or, for '', the whole base) with its first-pass facts.
  const scope = (top: string) => {
    const inputs: InputFile[] = [];
    const kunmap: string[] = [];
    const map: string[] = [];
    const pending: Pending = [];
    for (const p of ps) {
      if (!p.reply || (top && p.top !== top)) continue;
      const fs = files(p);
      const byIdx = new Map(p.reply.results);
      for (const i of p.reply.kunmap) kunmap.push(fs[i]!.rel);
      for (const i of p.reply.map) map.push(fs[i]!.rel);
      if (p.top === top && p.task?.files) {
        fs.forEach((f, i) => {
          const r = byIdx.get(i);
          if (r?.defs) pending.push({ input: f, result: r, defs: r.defs });
        });
      }
      inputs.push(...fs);
    }
    return { inputs, kunmap, map, pending };
  };
  const q = pool.queue<WalkReply | { results: FileResult[] }>((i, m) => {
    if (i >= sent.length) {
      const rels = treeMsgs[i - sent.length]!;
      (m as { results: FileResult[] }).results.forEach((r, k) => again.set(rels[k]!, r));
      return;
    }
    const p = ps[sent[i]!]!;
    p.reply = m as WalkReply;
    done += p.reply.count;
    onProgress?.(done, -1); // the total is known when every piece is back
    const n = left.get(p.top)! - 1;
    left.set(p.top, n);
    // A top directory's own files (fs/*.c) need the whole directory for their whole-tree pass.
    if (n === 0 && tree && p.top && !ps.some((x) => x.top === p.top && (x.error || x.reply?.error))) sendTree(p.top);
    // Up to eight pieces per worker: most pieces take less time than a reply takes to reach this
    // thread and the next piece to come back (with two, each worker waited 60 to 100 ms in all).
  }, 8);
  const sendTree = (top: string) => {
    const s = scope(top);
    if (!s.pending.length) return;
    treeMsgs.push(s.pending.map((p) => p.input.rel));
    q.push({ tree: s, opts: fo }, true);
  };
  // Messages are numbered in push order: the pieces first (all pushed now), then whole-tree passes.
  const sent: number[] = [];
  ps.forEach((p, k) => {
    if (p.task) {
      sent.push(k);
      q.push({ walk: p.task, opts: fo });
    }
  });
  q.end();
  await q.finished;
  // The first error in walk order, as a walk in this thread would have met it.
  for (const p of ps) {
    if (p.error) throw p.error;
    if (p.reply?.error) throw new AuditError(p.reply.error.code as AuditErrorCode, p.reply.error.message);
  }
  if (tree && left.has('')) {
    // Files directly in the base: their subsystem is the whole base, known only now.
    const s = scope('');
    if (s.pending.length) {
      let r: FileResult[] = [];
      await pool.run<{ results: FileResult[] }>([{ tree: s, opts: fo }], (_i, m) => (r = m.results));
      s.pending.forEach((p, k) => again.set(p.input.rel, r[k]!));
    }
  }
  onProgress?.(filesBack(ps), filesBack(ps));
  // Files whose bytes hold neither kmap nor kunmap have nothing to report: left out.
  const results: FileResult[] = [];
  let links = 0;
  let count = 0;
  for (const p of ps) {
    links += p.links + (p.reply?.links ?? 0);
    count += p.reply?.count ?? 0;
    for (const [, r] of p.reply?.results ?? []) results.push(again.get(r.file) ?? r);
  }
  return { inputs: () => ps.flatMap(files), results, count, links };
}

/** Files in the pieces that came back. */
function filesBack(ps: Piece[]): number {
  let n = 0;
  for (const p of ps) n += p.reply?.count ?? 0;
  return n;
}
