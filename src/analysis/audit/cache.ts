// --cache DIR: per-file results keyed by size and modification time, so that a second run
// over a tree that changed in a few files reads and parses only those. A whole-tree result is
// reused only while no file of its subsystem changed (checked by size and mtime, no reads).

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AuditError } from './errors.js';
import type { InputFile } from './prefilter.js';
import { subsystemOf } from './summary.js';
import type { FileResult } from './types.js';

// Bump when the analysis changes what it reports: old caches are then ignored, not trusted.
const CACHE_VERSION = 'audit-cache-4';

interface Stamp {
  s: number; // size
  m: number; // mtime, ms
}

interface CacheData {
  key: string;
  /** Pass-1 result per file; 0 when the prefilter skipped it. */
  files: Record<string, Stamp & { r: FileResult | 0 }>;
  /** Whole-tree results of undecided files, with the stamp of their subsystem. */
  tree: Record<string, { k: string; r: FileResult }>;
}

export class AuditCache {
  private data: CacheData;
  private readonly file: string;
  readonly stamps = new Map<string, Stamp>();
  hits = 0;

  constructor(dir: string, optionsKey: string) {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw new AuditError('AUD003', `${dir}: cannot create the cache directory (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    this.file = join(dir, 'pksim-audit-cache.json');
    const key = createHash('sha256').update(`${CACHE_VERSION}\0${optionsKey}`).digest('hex');
    let data: CacheData | null = null;
    try {
      data = JSON.parse(readFileSync(this.file, 'utf8')) as CacheData;
    } catch {
      // no cache yet, or an unreadable one: start afresh
    }
    this.data = data && data.key === key ? data : { key, files: {}, tree: {} };
  }

  stamp(f: InputFile): Stamp | null {
    try {
      const st = statSync(f.abs);
      const s = { s: st.size, m: Math.round(st.mtimeMs) };
      this.stamps.set(f.rel, s);
      return s;
    } catch {
      return null;
    }
  }

  /** The cached pass-1 result of a file whose size and mtime have not changed. */
  get(f: InputFile): FileResult | null {
    const st = this.stamp(f);
    const e = this.data.files[f.rel];
    if (!st || !e || e.s !== st.s || e.m !== st.m) return null;
    this.hits++;
    return e.r === 0 ? { file: f.rel, parsed: false, hasErrors: false, sites: [], findings: [], calls: {}, fixes: [] } : structuredClone(e.r);
  }

  put(f: InputFile, r: FileResult): void {
    const st = this.stamps.get(f.rel);
    if (!st || r.error) return;
    this.data.files[f.rel] = { ...st, r: r.parsed ? structuredClone(r) : 0 };
  }

  /** Stamp of a file's subsystem: every file under it, by size and mtime. */
  subsystemKey(rel: string, inputs: InputFile[]): string {
    const dir = subsystemOf(rel);
    const prefix = dir === '.' ? '' : dir + '/';
    const h = createHash('sha256');
    for (const f of inputs) {
      if (!f.rel.startsWith(prefix)) continue;
      const st = this.stamps.get(f.rel);
      h.update(`${f.rel}\0${st ? `${st.s}:${st.m}` : '?'}\n`);
    }
    return h.digest('hex');
  }

  getTree(rel: string, key: string): FileResult | null {
    const e = this.data.tree[rel];
    return e && e.k === key ? structuredClone(e.r) : null;
  }

  putTree(rel: string, key: string, r: FileResult): void {
    this.data.tree[rel] = { k: key, r: structuredClone(r) };
  }

  /** Forget files no longer in the tree, and write atomically (a crash leaves the old cache). */
  save(inputs: InputFile[]): void {
    const live = new Set(inputs.map((f) => f.rel));
    for (const k of Object.keys(this.data.files)) if (!live.has(k)) delete this.data.files[k];
    for (const k of Object.keys(this.data.tree)) if (!live.has(k)) delete this.data.tree[k];
    const tmp = `${this.file}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, JSON.stringify(this.data));
      renameSync(tmp, this.file);
    } catch (e) {
      throw new AuditError('AUD003', `${this.file}: cannot write the cache (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
}
