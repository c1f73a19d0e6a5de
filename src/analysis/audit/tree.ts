// Whole-tree pass. A file whose kmap() sites could not all be decided alone (a getter whose
// callers are elsewhere, a put helper in a header, a struct from a caller's stack) is analysed
// again with the other files of its subsystem (first two directories: fs/qnx6, drivers/target)
// in scope: their functions, static inline helpers in headers and call sites. Only files that
// mention a function defined in the pending file, or kunmap, are parsed for it.

import { readFileSync } from 'node:fs';
import type { Tree } from 'web-tree-sitter';
import { buildModel } from './calls.js';
import type { Callees } from './callees.js';
import { analyseFile } from './classify.js';
import type { ScopeFile } from './helpers.js';
import { parseC } from './parse.js';
import type { InputFile } from './prefilter.js';
import { subsystemOf } from './summary.js';
import type { FileResult } from './types.js';

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
export async function treePass(pending: { input: InputFile; result: FileResult; defs: string[] }[], inputs: InputFile[], opts: { fix: boolean; atomic: boolean; callees: Callees }): Promise<FileResult[]> {
  const cache = new Map<string, Parsed | null>();
  const load = async (f: InputFile): Promise<Parsed | null> => {
    if (cache.has(f.rel)) return cache.get(f.rel)!;
    let p: Parsed | null = null;
    try {
      const text = readFileSync(f.abs, 'utf8');
      const tree = await parseC(text);
      const model = buildModel(tree, text);
      model.callees = opts.callees;
      p = { text, tree, file: { rel: f.rel, model } };
    } catch {
      p = null; // unreadable files were reported by the first pass
    }
    cache.set(f.rel, p);
    return p;
  };
  const out: FileResult[] = [];
  try {
    for (const { input, result, defs } of pending) {
      const dir = subsystemOf(input.rel);
      const prefix = dir === '.' ? '' : dir + '/';
      const re = words([...defs, 'kunmap']);
      const others: ScopeFile[] = [];
      for (const f of inputs) {
        if (f.rel === input.rel || !f.rel.startsWith(prefix)) continue;
        let buf: Buffer;
        try {
          buf = readFileSync(f.abs);
        } catch {
          continue;
        }
        // Bytes first: most files of a subsystem never name the pending file's functions.
        if (!re || !defs.concat('kunmap').some((d) => buf.includes(d))) continue;
        if (!re.test(buf.toString('latin1'))) continue;
        const p = await load(f);
        if (p) others.push(p.file);
      }
      if (!others.length) {
        out.push(result);
        continue;
      }
      try {
        const text = readFileSync(input.abs, 'utf8');
        const tree = await parseC(text);
        try {
          out.push(analyseFile(input.rel, text, tree, { fix: opts.fix, atomic: opts.atomic, callees: opts.callees, others, dir: dir === '.' ? '.' : dir }));
        } finally {
          tree.delete();
        }
      } catch {
        out.push(result);
      }
    }
  } finally {
    for (const p of cache.values()) p?.tree.delete();
  }
  return out;
}
