// The audit driver: collect files, prefilter, parse and analyse them in this thread or in a
// pool of worker threads (--jobs N), and summarise.

import { readFileSync } from 'node:fs';
import { readInto } from './read.js';
import { availableParallelism } from 'node:os';
import { analyseFile } from './classify.js';
import { parseC, ParserAborted, parserInstances, setParseLimit } from './parse.js';
import { AUDITED_WORD, checkRoots, collectFiles, filesOf, hasAuditedWord, hasMapBytes, skippedSymlinks, type InputFile } from './prefilter.js';
import { spreadAudit } from './spread.js';
import { reduceSource } from './reduce.js';
import { subsystemOf, summarise } from './summary.js';
import { makeCallees, type Callees } from './callees.js';
import { AuditError } from './errors.js';
import { AuditCache } from './cache.js';
import { Pool } from './pool.js';
export { AuditError } from './errors.js';
import type { AuditOptions, AuditResult, FileResult } from './types.js';
import { holdsMapBytes, treePass, unmapsForOthers, type KeptParse } from './tree.js';

function empty(file: string, parsed: boolean): FileResult {
  return { file, parsed, hasErrors: false, sites: [], findings: [], calls: {}, fixes: [] };
}

/** What every file's analysis needs besides the file: sent to the workers as plain JSON. */
export interface FileOpts {
  fix: boolean;
  /** A file that would be parsed and is larger than this is skipped, named in its error. */
  maxFileSize?: number;
  /** A file with more audited calls than this is skipped, named in its error. */
  maxSites?: number;
  atomic?: boolean;
  callees?: { file: string; text: string };
}

let calleesCache: { key: string; c: Callees } | null = null;
function calleesFor(o: FileOpts): Callees {
  const key = o.callees ? o.callees.file + '\0' + o.callees.text : '';
  if (calleesCache?.key !== key) calleesCache = { key, c: makeCallees(o.callees) };
  return calleesCache.c;
}

/**
 * Files larger than this that would be parsed are skipped (--max-file-size). The largest .c
 * file of Linux 6.1 is 1.7 MB (a register table), the largest with a kmap() 0.45 MB.
 */
export const DEFAULT_MAX_FILE_SIZE = 2 * 2 ** 20;

/**
 * Files with more kmap()-family calls than this are skipped (--max-sites): the analysis costs
 * about 0.5 GB per MB of such calls. No file of Linux 6.1 has more than a few dozen.
 */
export const DEFAULT_MAX_SITES = 1000;

/** Audited calls in the text, counted up to limit + 1. */
function countAudited(text: string, limit: number): number {
  const re = new RegExp(AUDITED_WORD.source, 'g');
  let n = 0;
  while (n <= limit && re.exec(text) !== null) n++;
  return n;
}

/** Analyse one file; never throws (a file that cannot be read or parsed gets `error`). */
export async function auditFile(f: InputFile, o: FileOpts): Promise<FileResult> {
  let buf: Buffer;
  try {
    buf = readInto(f.abs);
  } catch (e) {
    return unreadable(f, e);
  }
  // The prefilter works on the raw bytes: most files are never decoded.
  if (!hasMapBytes(buf)) return empty(f.rel, false);
  return auditBytes(f, buf, o);
}

/** The result for a file that could not be read. */
export function unreadable(f: InputFile, e: unknown): FileResult {
  return { ...empty(f.rel, false), error: `cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` };
}

/**
 * auditFile() after the read and the byte search for kmap/kunmap (which found one). With
 * `keep`, a file that needs the whole-tree pass keeps its parse there (see KeptParse).
 */
export async function auditBytes(f: InputFile, buf: Buffer, o: FileOpts, keep?: Map<string, KeptParse>): Promise<FileResult> {
  if (!hasAuditedWord(buf)) return { ...empty(f.rel, false), mapBytes: true };
  const max = o.maxFileSize ?? DEFAULT_MAX_FILE_SIZE;
  setParseLimit(max);
  if (buf.length > max) {
    // tree-sitter's wasm parser aborts on huge inputs (a 50 MB file did), taking the thread's
    // parser with it: such a file is named and skipped, the limit says how to raise it.
    return {
      ...empty(f.rel, false),
      limit: 'max-file-size',
      error: `${(buf.length / 2 ** 20).toFixed(1)} MiB, larger than --max-file-size ${max / 2 ** 20} MiB: not parsed (raise --max-file-size)`,
    };
  }
  const text = buf.toString('utf8');
  const maxSites = o.maxSites ?? DEFAULT_MAX_SITES;
  if (countAudited(text, maxSites) > maxSites) {
    return { ...empty(f.rel, false), limit: 'max-sites', error: `more than --max-sites ${maxSites} kmap()/kunmap()-family calls: not analysed (raise --max-sites)` };
  }
  try {
    // Only the functions that matter are parsed; the others keep their headers.
    const expand = /\bkmap\s*\(/.test(text);
    const tree = await parseC(reduceSource(text, AUDITED_WORD, expand));
    let kept = false;
    try {
      const r = analyseFile(f.rel, text, tree, { fix: o.fix, atomic: Boolean(o.atomic), callees: calleesFor(o) });
      // The whole-tree pass parses the file the same way (reduceSource with expand): it takes this parse.
      if (keep && r.defs && expand) {
        keep.set(f.rel, { text, tree, instance: parserInstances() });
        kept = true;
      }
      return r;
    } finally {
      if (!kept) tree.delete();
    }
  } catch (e) {
    // An abort is this file's alone: parseC() dropped the dead instance, the next file gets a new one.
    if (e instanceof ParserAborted) return { ...empty(f.rel, false), limit: 'wasm-memory', error: e.message };
    return { ...empty(f.rel, true), error: `analysis failed: ${(e as Error).message}` };
  }
}

/** Audit the given paths. Paths that do not exist or cannot be read raise an AuditError (AUD001..AUD003). */
export async function runAudit(paths: string[], opts: AuditOptions): Promise<AuditResult & { inputs: InputFile[] }> {
  // Workers start (and load the grammar) while this thread walks the tree; with a cache most
  // runs need none, so they are started only when needed.
  let pool: Pool | null = opts.jobs > 1 && !opts.cacheDir ? new Pool(Math.min(opts.jobs, 8)) : null;
  try {
    return await audit(paths, opts, () => (pool ??= new Pool(Math.min(opts.jobs, 8))));
  } finally {
    await pool?.close();
  }
}

async function audit(paths: string[], opts: AuditOptions, workers: () => Pool): Promise<AuditResult & { inputs: InputFile[] }> {
  const t0 = performance.now();
  // With workers and nothing to look up first (no cache, no --only), the first batches go out
  // while the tree is still being walked.
  const stream = opts.jobs > 1 && !opts.cacheDir && !opts.only;
  let inputs = stream ? [] : collectFiles(paths);
  const fo: FileOpts = {
    fix: Boolean(opts.fix),
    atomic: Boolean(opts.atomic),
    ...(opts.maxFileSize !== undefined ? { maxFileSize: opts.maxFileSize } : {}),
    ...(opts.maxSites !== undefined ? { maxSites: opts.maxSites } : {}),
  };
  if (opts.calleesFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(opts.calleesFile, 'utf8');
    } catch (e) {
      throw new AuditError('AUD004', `${opts.calleesFile}: cannot read callee data (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    fo.callees = { file: opts.calleesFile, text };
    calleesFor(fo); // malformed data is reported here, once, not by every worker
  }
  let streamed: FileResult[] | null = null;
  // One directory: the workers walk it too, and finish each subsystem's whole-tree pass as
  // soon as its files are done (spread.ts); the same results as the walk below.
  const roots = stream && paths.length === 1 ? checkRoots(paths) : [];
  if (roots.length === 1 && roots[0]!.dir) {
    // The whole-tree pass is done too; only the results that hold something come back.
    const s = await spreadAudit(workers(), roots[0]!.abs, fo, opts.tree !== false, opts.onProgress);
    return finish(s.results, s.count, s.links, t0, s.inputs);
  }
  if (stream) streamed = await walkOnPool(workers(), filesOf(paths), inputs, fo, opts.onProgress);
  const all = inputs;
  if (opts.only) {
    const only = new Set(opts.only);
    inputs = inputs.filter((f) => only.has(f.rel));
  }
  const cache = opts.cacheDir ? new AuditCache(opts.cacheDir, JSON.stringify([fo.fix, fo.atomic, fo.callees?.text ?? '', opts.tree !== false])) : null;
  // Files whose size and mtime match the cache are not read again.
  const results = new Array<FileResult>(inputs.length);
  const todo: number[] = [];
  inputs.forEach((f, i) => {
    const c = streamed ? streamed[i] : cache?.get(f);
    if (c) results[i] = c;
    else todo.push(i);
  });
  const miss = todo.map((i) => inputs[i]!);
  const jobs = Math.max(1, Math.min(opts.jobs, miss.length || 1));
  let fresh: FileResult[];
  if (jobs === 1) {
    fresh = [];
    for (const f of miss) {
      fresh.push(await auditFile(f, fo));
      opts.onProgress?.(fresh.length, miss.length);
    }
  } else {
    fresh = await filesOnPool(workers(), miss, fo, opts.onProgress);
  }
  todo.forEach((i, k) => {
    results[i] = fresh[k]!;
    cache?.put(inputs[i]!, fresh[k]!);
  });
  if (opts.tree !== false) {
    if (cache) for (const f of all) if (!cache.stamps.has(f.rel)) cache.stamp(f);
    let pending = results.map((r, i) => ({ input: inputs[i]!, result: r, defs: r.defs ?? [], at: i })).filter((p) => p.result.defs);
    // A whole-tree result stays valid while no file of its subsystem changed.
    const keys = new Map(pending.map((p) => [p.at, cache?.subsystemKey(p.input.rel, all) ?? '']));
    pending = pending.filter((p) => {
      const c = cache?.getTree(p.input.rel, keys.get(p.at)!);
      if (c) results[p.at] = c;
      return !c;
    });
    // Files that kunmap() in a helper other files may call (static ones cannot be called from elsewhere).
    const kunmapFiles = opts.only ? null : results.filter(unmapsForOthers).map((r) => r.file);
    // Subsystems are independent: with several jobs, each worker takes whole subsystems.
    const task = pending.map((p) => ({ input: p.input, result: p.result, defs: p.defs }));
    // Files whose bytes hold "kmap" or "kunmap", known when the first pass read every file now.
    const mapFiles = opts.only || cache ? null : results.filter(holdsMapBytes).map((r) => r.file);
    const again =
      opts.jobs > 1 && new Set(pending.map((p) => subsystemOf(p.input.rel))).size > 1
        ? await treeOnPool(workers(), task, all, fo, kunmapFiles, mapFiles)
        : await treePassFor(task, all, fo, kunmapFiles, mapFiles);
    pending.forEach((p, k) => {
      results[p.at] = again[k]!;
      cache?.putTree(p.input.rel, keys.get(p.at)!, again[k]!);
    });
  }
  cache?.save(all);
  return finish(results, all.length, skippedSymlinks().length, t0, () => all);
}

/** The report from every file's result (files with nothing to report may be left out). */
function finish(results: FileResult[], scanned: number, links: number, t0: number, inputs: () => InputFile[]): AuditResult & { inputs: InputFile[] } {
  for (const r of results) {
    delete r.defs;
    delete r.putMacros;
    delete r.privateUnmaps;
    delete r.mapBytes;
  }
  const parsed = results.filter((r) => r.parsed || r.error);
  const files = parsed
    .filter((r) => r.sites.length || r.findings.length || Object.keys(r.calls).length || r.error)
    .sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  const summary = summarise(scanned, results, performance.now() - t0);
  if (links) summary.symlinksSkipped = links;
  // The inputs are built when asked for (--fix, --scenario): 55k objects for a kernel tree.
  let all: InputFile[] | null = null;
  return {
    files,
    summary,
    get inputs() {
      return (all ??= inputs());
    },
  };
}

type Pending = { input: InputFile; result: FileResult; defs: string[] }[];

/** The whole-tree pass with this run's options (also what a worker runs for its subsystems). */
export function treePassFor(
  pending: Pending,
  inputs: InputFile[],
  fo: FileOpts,
  kunmapFiles: string[] | null,
  mapFiles: string[] | null = null,
  kept?: Map<string, KeptParse>,
): Promise<FileResult[]> {
  const opts = { fix: fo.fix, atomic: Boolean(fo.atomic), callees: calleesFor(fo) };
  return treePass(pending, inputs, opts, kunmapFiles ? new Set(kunmapFiles) : null, mapFiles ? new Set(mapFiles) : null, kept);
}

/** Hand whole subsystems to the workers, the biggest first; results come back in the order given. */
async function treeOnPool(pool: Pool, pending: Pending, inputs: InputFile[], fo: FileOpts, kunmapFiles: string[] | null, mapFiles: string[] | null): Promise<FileResult[]> {
  const groups = new Map<string, number[]>();
  pending.forEach((p, i) => {
    const d = subsystemOf(p.input.rel);
    const l = groups.get(d);
    if (l) l.push(i);
    else groups.set(d, [i]);
  });
  const tasks = [...groups].map(([dir, idx]) => {
    const prefix = dir === '.' ? '' : dir + '/';
    const files = inputs.filter((f) => f.rel.startsWith(prefix));
    return { idx, files, kunmap: kunmapFiles?.filter((r) => r.startsWith(prefix)) ?? null, map: mapFiles?.filter((r) => r.startsWith(prefix)) ?? null };
  });
  tasks.sort((a, b) => b.files.length - a.files.length || (a.files[0]?.rel ?? '').localeCompare(b.files[0]?.rel ?? ''));
  const out = new Array<FileResult>(pending.length);
  await pool.run<{ results: FileResult[] }>(
    tasks.map((t) => ({ tree: { pending: t.idx.map((i) => pending[i]!), inputs: t.files, kunmap: t.kunmap, map: t.map }, opts: fo })),
    (i, m) => m.results.forEach((r, k) => (out[tasks[i]!.idx[k]!] = r)),
  );
  return out;
}

/**
 * The first pass while walking: files go to the workers in batches as the walk finds them
 * (appended to `inputs`, in walk order); results come back in that order.
 */
async function walkOnPool(pool: Pool, files: Iterable<InputFile>, inputs: InputFile[], fo: FileOpts, onProgress?: (d: number, t: number) => void): Promise<FileResult[]> {
  const BATCH = 24;
  const results: FileResult[] = [];
  let done = 0;
  const q = pool.queue<{ results: FileResult[] }>((i, m) => {
    m.results.forEach((r, k) => (results[i * BATCH + k] = r));
    done += m.results.length;
    onProgress?.(done, inputs.length);
  });
  let batch: InputFile[] = [];
  try {
    for (const f of files) {
      inputs.push(f);
      batch.push(f);
      if (batch.length === BATCH) {
        q.push({ files: batch, opts: fo });
        batch = [];
      }
      // Let the replies in, so that a worker that is done gets the next batch.
      if (inputs.length % 512 === 0)
        await new Promise<void>((r) => {
          setImmediate(r);
        });
    }
  } catch (e) {
    // A path that cannot be read: the pool is closed by the caller, nothing waits for the replies.
    q.end();
    q.finished.catch(() => {});
    throw e;
  }
  if (batch.length) q.push({ files: batch, opts: fo });
  q.end();
  await q.finished;
  return results;
}

/** Batches of files on the workers; results in input order. */
async function filesOnPool(pool: Pool, inputs: InputFile[], fo: FileOpts, onProgress?: (d: number, t: number) => void): Promise<FileResult[]> {
  const BATCH = 24;
  const results = new Array<FileResult>(inputs.length);
  const batches: InputFile[][] = [];
  for (let i = 0; i < inputs.length; i += BATCH) batches.push(inputs.slice(i, i + BATCH));
  let done = 0;
  await pool.run<{ results: FileResult[] }>(
    batches.map((files) => ({ files, opts: fo })),
    (i, m) => {
      m.results.forEach((r, k) => (results[i * BATCH + k] = r));
      done += m.results.length;
      onProgress?.(done, inputs.length);
    },
  );
  return results;
}

export function defaultJobs(): number {
  return Math.max(1, availableParallelism());
}
