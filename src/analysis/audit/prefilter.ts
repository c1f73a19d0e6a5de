// Stage 1: find the C files under the given paths and cheaply decide which need parsing.

import { accessSync, constants, readdirSync, statSync, type Dirent } from 'node:fs';
import { relative, resolve, dirname, sep } from 'node:path';
import { AuditError } from './errors.js';

export const AUDITED_WORD = /\b(?:kmap|kmap_local_page|kmap_local_folio|kmap_atomic|kunmap|kunmap_local|kunmap_atomic)\b/;

/**
 * Only files that mention one of the audited names as a whole word are worth a parse
 * (ttm_bo_kmap() or kmap_to_page() alone do not count). A byte search first, then a regex
 * on a latin1 view, which is cheap and enough for ASCII identifiers.
 */
export function mayContainCalls(text: string | Buffer): boolean {
  if (!hasMapBytes(text)) return false;
  return hasAuditedWord(text);
}

/** The byte search alone: "kmap" or "kunmap" anywhere, as a word or inside one. */
export function hasMapBytes(text: string | Buffer): boolean {
  if (typeof text === 'string') return text.includes('kmap') || text.includes('kunmap');
  // One pass from each 'k' (memchr), not a search for each word: most files hold neither, and
  // two searches read all of them twice.
  for (let i = text.indexOf(K); i !== -1; i = text.indexOf(K, i + 1)) {
    const c = text[i + 1];
    if (c === M ? text[i + 2] === A && text[i + 3] === P : c === U && text[i + 2] === N && text[i + 3] === M && text[i + 4] === A && text[i + 5] === P) return true;
  }
  return false;
}

// Bytes of 'k', 'm', 'a', 'p', 'u', 'n'.
const K = 0x6b;
const M = 0x6d;
const A = 0x61;
const P = 0x70;
const U = 0x75;
const N = 0x6e;

/** The word search alone (after hasMapBytes). */
export function hasAuditedWord(text: string | Buffer): boolean {
  return AUDITED_WORD.test(typeof text === 'string' ? text : text.toString('latin1'));
}

export interface InputFile {
  abs: string;
  rel: string; // relative to auditBase(): the PATH given, or the common directory of several
}

/** A .c or .h name (char codes: the walk asks this of every entry of the tree). */
export function isCFile(name: string): boolean {
  const n = name.length;
  const c = name.charCodeAt(n - 1);
  return n >= 2 && name.charCodeAt(n - 2) === 46 && (c === 99 || c === 104);
}

export const SKIP_DIRS = new Set(['.git', 'node_modules', '.pc']);

/** Symbolic links to .c/.h files met by the walk: not followed (a tree's links point into itself), but counted. */
let symlinksSeen: string[] = [];

/**
 * The C files under `dir`, depth first in name order, one at a time: a loop over a stack of
 * directories (no recursion), so that the caller can hand files to workers while it walks.
 */
export function* walk(dir: string, root: string, links: string[] = symlinksSeen): Generator<InputFile> {
  // Paths are built by concatenation (relative() only for the first directory): a directory
  // entry's name holds no separator and is never . or ..
  const frame = (d: string, rel: string) => ({ entries: readDir(d), at: 0, dir: d, abs: d.endsWith(sep) ? d : d + sep, rel });
  const r = relative(root, dir);
  const stack = [frame(dir, r ? r + sep : '')];
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    if (top.at >= top.entries.length) {
      stack.pop();
      continue;
    }
    const e = top.entries[top.at++]!;
    const name = e.name;
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(name)) stack.push(frame(top.abs + name, top.rel + name + sep));
    } else if (!isCFile(name)) continue;
    else if (e.isFile()) yield { abs: top.abs + name, rel: top.rel + name };
    else if (e.isSymbolicLink()) links.push(top.rel + name);
  }
}

export function readDir(dir: string): Dirent[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    throw new AuditError('AUD003', `${dir}: cannot read directory (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * The directory reported paths are relative to: the PATH itself (its directory for a file),
 * or, for several PATHs, the deepest directory containing them all, so that files with the
 * same name under different PATHs stay apart (fs/ext2/dir.c vs fs/minix/dir.c).
 */
export function auditBase(paths: string[]): string {
  const roots = paths.map((p) => {
    const abs = resolve(p);
    let dir = false;
    try {
      dir = statSync(abs).isDirectory();
    } catch {
      // reported by collectFiles
    }
    return dir ? abs : dirname(abs);
  });
  let base = roots[0] ?? resolve('.');
  for (const r of roots.slice(1)) {
    while (base !== dirname(base) && relative(base, r).startsWith('..')) base = dirname(base);
  }
  return base;
}

/** Expand PATH arguments into C/H files. A missing path is an AuditError (AUD001) naming it. */
export function collectFiles(paths: string[]): InputFile[] {
  return [...filesOf(paths)];
}

/**
 * The same files one at a time, in the same order. Every PATH is checked before the first file
 * comes (AUD001..AUD003); a directory that cannot be read below them throws when it is reached.
 */
export function* filesOf(paths: string[]): Generator<InputFile> {
  symlinksSeen = [];
  const base = auditBase(paths);
  for (const r of checkRoots(paths)) {
    if (r.dir) yield* walk(r.abs, base);
    else yield { abs: r.abs, rel: relative(base, r.abs) };
  }
}

/** The PATHs, checked (AUD001..AUD003), resolved, and whether each is a directory. */
export function checkRoots(paths: string[]): { abs: string; dir: boolean }[] {
  const roots: { abs: string; dir: boolean }[] = [];
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new AuditError('AUD001', `${p}: ${code === 'ENOENT' ? 'no such file or directory' : `cannot access (${code ?? 'error'})`}`);
    }
    const abs = resolve(p);
    if (st.isDirectory()) roots.push({ abs, dir: true });
    else if (st.isFile()) {
      try {
        accessSync(p, constants.R_OK);
      } catch (e) {
        throw new AuditError('AUD003', `${p}: cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
      }
      roots.push({ abs, dir: false });
    } else throw new AuditError('AUD002', `${p}: not a regular file or directory`);
  }
  return roots;
}

/** The symbolic links to C files the last collectFiles() skipped (relative paths, in walk order). */
export function skippedSymlinks(): string[] {
  return symlinksSeen;
}
