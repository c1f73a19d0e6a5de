// Whole-tree pass. A file whose kmap() sites could not all be decided alone (a getter whose
// callers are elsewhere, a put helper in a header, a struct from a caller's stack) is analysed
// again with the other files of its subsystem (first two directories: fs/qnx6, drivers/target)
// in scope: their functions, static inline helpers in headers and call sites. Only files that
// mention a function defined in the pending file, or kunmap, are parsed for it.

import { readFileSync } from 'node:fs';
import { readInto } from './read.js';
import type { Tree } from 'web-tree-sitter';
import { buildModel, type FileModel, type FnInfo } from './calls.js';
import type { Callees } from './callees.js';
import { analyseFile } from './classify.js';
import type { ScopeFile } from './helpers.js';
import { parseC, parserInstances } from './parse.js';
import { AUDITED_WORD, type InputFile } from './prefilter.js';
import { reduceSource } from './reduce.js';
import { subsystemOf } from './summary.js';
import type { FileResult } from './types.js';

/**
 * A pending file's parse from the first pass, made the way this pass makes it (same text, same
 * reduction); usable while the thread's parser instance is the one that made it.
 */
export interface KeptParse {
  text: string;
  tree: Tree;
  instance: number;
}

/** What the whole-tree pass takes from a first-pass result (before the pass replaced it): files that unmap in a helper other files may call, and files whose bytes hold kmap or kunmap. */
export const unmapsForOthers = (r: FileResult): boolean => Boolean((r.calls.kunmap && !r.privateUnmaps) || r.putMacros);
export const holdsMapBytes = (r: FileResult): boolean => Boolean(r.mapBytes || r.parsed || r.error !== undefined);

interface Parsed {
  text: string;
  tree: Tree;
  file: ScopeFile;
}

function words(names: string[]): RegExp | null {
  const n = names.filter((x) => /^\w+$/.test(x));
  return n.length ? new RegExp(`\\b(?:${n.join('|')})\\b`) : null;
}

/**
 * Re-analyse the pending files with their subsystem in scope. Returns the new results in the
 * order given; a file whose re-analysis fails keeps its first result.
 */
export async function treePass(
  pending: { input: InputFile; result: FileResult; defs: string[] }[],
  inputs: InputFile[],
  opts: { fix: boolean; atomic: boolean; callees: Callees },
  /** Files the first pass saw kunmap() in; null when it did not see them all (then they are searched for). */
  kunmapFiles: Set<string> | null = null,
  /** Files whose bytes hold "kmap" or "kunmap" (null: unknown, every file is read). */
  mapFiles: Set<string> | null = null,
  /** Parses of pending files kept from the first pass (the caller deletes them). */
  kept?: Map<string, KeptParse>,
): Promise<FileResult[]> {
  const cache = new Map<string, Parsed | null>();
  // Bodies worth parsing in other files: the mapping calls, the pending functions, and (set
  // after the scan below) the functions assigned to members called indirectly.
  let seeds = new RegExp(`${AUDITED_WORD.source}|\\b(?:${[...new Set(pending.flatMap((p) => p.defs))].filter((d) => /^\w+$/.test(d)).join('|') || '$^'})\\b`);
  const load = async (f: InputFile): Promise<Parsed | null> => {
    if (cache.has(f.rel)) return cache.get(f.rel)!;
    let p: Parsed | null;
    try {
      const text = readFileSync(f.abs, 'utf8');
      const tree = await parseC(reduceSource(text, seeds));
      const model = buildModel(tree, text);
      model.callees = opts.callees;
      p = { text, tree, file: { rel: f.rel, model } };
    } catch {
      p = null; // unreadable files were reported by the first pass
    }
    cache.set(f.rel, p);
    return p;
  };
  // One scan per subsystem: each file is read once, for the names of every pending file there.
  const byDir = new Map<string, number[]>();
  pending.forEach((p, i) => {
    const d = subsystemOf(p.input.rel);
    const l = byDir.get(d);
    if (l) l.push(i);
    else byDir.set(d, [i]);
  });
  const mentions = new Map<number, InputFile[]>();
  const mention = (i: number, f: InputFile) => {
    const l = mentions.get(i);
    if (l) l.push(f);
    else mentions.set(i, [f]);
  };
  // Members called indirectly with the mapping, per pending file, and where they are assigned.
  const membersOf = pending.map((p) => [
    ...new Set(p.result.sites.flatMap((s) => s.reasons.flatMap((r) => [...r.matchAll(/indirect call \S*?(?:->|\.)(\w+)\(\): target unknown/g)].map((m) => m[1]!)))),
  ]);
  const assigned = pending.map(() => new Map<string, { f: InputFile; fn: string }[]>());
  for (const [dir, idxs] of byDir) {
    const prefix = dir === '.' ? '' : dir + '/';
    // Files that kunmap() are known from the first pass (put helpers live there); the others
    // are searched only for the pending files' exported functions and indirectly called members.
    const extra = kunmapFiles ? [] : ['kunmap'];
    const names = [...new Set(idxs.flatMap((i) => [...pending[i]!.defs, ...membersOf[i]!]).concat(extra))].filter((x) => /^\w+$/.test(x));
    const res = idxs.map((i) => words([...pending[i]!.defs, ...extra]));
    // Names that all hold "kmap" or "kunmap" (ttm_bo_kmap) can only be in files that do.
    const mapOnly = mapFiles !== null && names.every((n) => n.includes('kmap') || n.includes('kunmap'));
    for (const f of inputs) {
      if (!f.rel.startsWith(prefix)) continue;
      if (kunmapFiles?.has(f.rel)) for (const i of idxs) if (f.rel !== pending[i]!.input.rel) mention(i, f);
      if (!names.length || (mapOnly && !mapFiles.has(f.rel))) continue;
      let buf: Buffer;
      try {
        buf = readInto(f.abs);
      } catch {
        continue;
      }
      // Bytes first: most files of a subsystem never name the pending files' functions.
      if (!names.some((d) => buf.includes(d))) continue;
      const text = buf.toString('latin1');
      idxs.forEach((i, k) => {
        if (f.rel !== pending[i]!.input.rel && !kunmapFiles?.has(f.rel) && res[k]?.test(text)) mention(i, f);
        for (const m of membersOf[i]!) {
          // `.m = fn` in an initialiser or `x->m = fn`; anything else (NULL, a ?:) leaves m unresolved.
          for (const a of text.matchAll(new RegExp(`(?:\\.|->)\\s*${m}\\s*=\\s*&?\\s*(\\w+)\\s*([,;}]|\\?)?`, 'g'))) {
            const l = assigned[i]!.get(m) ?? [];
            l.push({ f, fn: a[2] === '?' || !a[2] ? '' : a[1]! });
            assigned[i]!.set(m, l);
          }
        }
      });
    }
  }
  const targets = [...new Set(assigned.flatMap((m) => [...m.values()].flatMap((l) => l.map((a) => a.fn))))].filter((x) => /^\w+$/.test(x));
  if (targets.length) seeds = new RegExp(`${seeds.source}|\\b(?:${targets.join('|')})\\b`);
  const out: FileResult[] = [];
  try {
    for (const [i, { input, result }] of pending.entries()) {
      const dir = subsystemOf(input.rel);
      const others: ScopeFile[] = [];
      for (const f of mentions.get(i) ?? []) {
        const p = await load(f);
        if (p) others.push(p.file);
      }
      const members: NonNullable<FileModel['members']> = new Map();
      for (const [m, list] of assigned[i]!) {
        const targets: { fn: FnInfo; model: FileModel; where: string }[] = [];
        for (const a of list) {
          const p = a.fn && a.fn !== 'NULL' ? await load(a.f) : null;
          const fn = p?.file.model.fnByName.get(a.fn);
          if (!p || !fn) {
            targets.length = 0;
            break;
          }
          if (!targets.some((t) => t.fn === fn)) targets.push({ fn, model: p.file.model, where: `${a.f.rel}:${fn.node.startPosition.row + 1}` });
        }
        if (targets.length) members.set(m, targets);
      }
      // With no other file in scope, a file whose subsystem has others is analysed again: its
      // reasons then say what the whole subsystem holds ("none is in fs/x/"); a file audited
      // alone keeps its per-file reasons.
      if (!others.length && !members.size && !inputs.some((f) => f !== input && f.rel.startsWith(dir === '.' ? '' : dir + '/'))) {
        out.push(result);
        continue;
      }
      try {
        const k = kept?.get(input.rel);
        const own = k?.instance === parserInstances() ? null : { text: readFileSync(input.abs, 'utf8') };
        const text = own ? own.text : k!.text;
        const tree = own ? await parseC(reduceSource(text, AUDITED_WORD)) : k!.tree;
        try {
          out.push(analyseFile(input.rel, text, tree, { fix: opts.fix, atomic: opts.atomic, callees: opts.callees, others, dir, ...(members.size ? { members } : {}) }));
        } finally {
          if (own) tree.delete();
        }
      } catch {
        out.push(result);
      }
    }
  } finally {
    for (const p of cache.values()) {
      try {
        p?.tree.delete();
      } catch {
        // a tree of a parser instance that aborted since: its memory went with it
      }
    }
  }
  return out;
}
