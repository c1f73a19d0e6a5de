// Stage 2: tree-sitter parsing. One parser per thread, initialised once.

import { createRequire } from 'node:module';
import type { Node, Parser, Range, Tree } from 'web-tree-sitter';
import { posOf } from './lines.js';

type TreeSitter = typeof import('web-tree-sitter');

let parserPromise: Promise<Parser> | null = null;
/** How many wasm instances this thread has made (each abort costs one). */
let instances = 0;
/** A cap on the parser's wasm memory, in 64 KiB pages (null: tree-sitter's own, 2 GiB). */
let memoryPages: number | null = null;

async function makeParser(): Promise<Parser> {
  const require = createRequire(import.meta.url);
  const k = instances++;
  // An aborted wasm instance stays unusable (every later call aborts too), and the module keeps
  // its instance for good: a fresh copy of the module, under another URL, makes a new one.
  const ts: TreeSitter = k === 0 ? await import('web-tree-sitter') : ((await import(`${import.meta.resolve('web-tree-sitter')}?instance=${k}`)) as TreeSitter);
  const options: Record<string, unknown> = { printErr: () => {} }; // the abort is reported as the file's error
  if (memoryPages !== null) options.wasmMemory = new WebAssembly.Memory({ initial: Math.min(512, memoryPages), maximum: memoryPages });
  await ts.Parser.init(options);
  const lang = await ts.Language.load(require.resolve('tree-sitter-c/tree-sitter-c.wasm'));
  const p = new ts.Parser();
  p.setLanguage(lang);
  return p;
}

export function getParser(): Promise<Parser> {
  parserPromise ??= makeParser();
  return parserPromise;
}

/**
 * Cap the wasm memory of the parsers made from now on (bytes; null for tree-sitter's own
 * 2 GiB). Tests use it to make tree-sitter abort on a file of a few MB, as it does on a
 * 50 MB one; the current parser is dropped.
 */
export function setParserMemory(bytes: number | null): void {
  memoryPages = bytes === null ? null : Math.max(1, Math.ceil(bytes / 65536));
  parserPromise = null;
}

/** The number of parser instances made in this thread so far (a new one after each abort). */
export function parserInstances(): number {
  return instances;
}

/** tree-sitter's wasm instance aborted (out of memory, or worse) on this input. */
export class ParserAborted extends Error {}

/**
 * Kernel annotations that tree-sitter-c does not know (`char __user *p`, `__acquires(x)`)
 * turn whole functions into ERROR nodes. They are blanked with spaces of the same length
 * before parsing, so every offset, line and column stays that of the real file.
 */
const ANNOTATIONS =
  /\b(?:(?:__user|__iomem|__rcu|__percpu|__kernel|__force|__nocast|__safe|__private|__bitwise|__must_check|__init|__exit|__ref|__initdata|__initconst|__exitdata|__read_mostly|__ro_after_init|__always_inline|__maybe_unused|__always_unused|__cold|__weak|__visible|__noreturn|__latent_entropy|__randomize_layout|__packed|noinline|notrace|asmlinkage)\b|(?:__aligned|__printf|__acquires|__releases|__must_hold)\s*\([^()]*\))/g;

export function blankAnnotations(source: string): string {
  return source.replace(ANNOTATIONS, (m) => ' '.repeat(m.length));
}

/** Inputs larger than this are not handed to tree-sitter (its wasm aborts on huge ones). */
let maxParseBytes = 8 * 2 ** 20;

/** --max-file-size, for this thread (each message to a worker carries it). */
export function setParseLimit(bytes: number): void {
  maxParseBytes = bytes;
}

export async function parseC(source: string): Promise<Tree> {
  if (source.length > maxParseBytes) throw new Error(`larger than --max-file-size ${maxParseBytes / 2 ** 20} MiB: not parsed`);
  const p = await getParser();
  let t: Tree | null;
  try {
    const text = blankAnnotations(source);
    const ranges = includedRanges(text);
    t = ranges ? p.parse(text, null, { includedRanges: ranges }) : p.parse(text);
  } catch (e) {
    // WebAssembly.RuntimeError "Aborted()": the instance is dead; the next file gets a new one.
    if (e instanceof WebAssembly.RuntimeError || /Aborted\(/.test((e as Error).message)) {
      parserPromise = null;
      throw new ParserAborted(`tree-sitter aborted (${(e as Error).message.replace(/\..*$/s, '')}), out of memory on this file; the parser was restarted for the next files`);
    }
    throw e;
  }
  if (!t) throw new Error('tree-sitter returned no tree');
  return t;
}

/**
 * The parts of a (reduced) source worth lexing: the lines between runs of blank lines. The
 * blanked bodies and declarations are mostly whole blank lines, which tree-sitter's lexer
 * would otherwise walk a character at a time; excluded, they cost nothing and the tree is the
 * same (a run is cut at line breaks, so no preprocessor line loses its end). Null when there is
 * nothing worth excluding.
 */
export function includedRanges(text: string): Range[] | null {
  const out: Range[] = [];
  let at = 0;
  const point = (i: number) => {
    const p = posOf(text, i);
    return { row: p.line - 1, column: p.column - 1 };
  };
  // Each run is tried from its start only (the lookbehind): the same matches as /\s{64,}/g, which
  // tried again from every blank of a shorter run.
  for (const m of text.matchAll(/(?<!\s)\s{64,}/g)) {
    const first = m[0].indexOf('\n');
    const last = m[0].lastIndexOf('\n');
    if (first < 0 || last - first < 32) continue;
    const from = m.index + first + 1;
    const to = m.index + last;
    if (from > at) out.push({ startIndex: at, endIndex: from, startPosition: point(at), endPosition: point(from) });
    at = to;
  }
  if (!out.length) return null;
  out.push({ startIndex: at, endIndex: text.length, startPosition: point(at), endPosition: point(text.length) });
  return out;
}

/** True when the node or one of its ancestors is an ERROR node. */
export function inErrorRegion(node: Node): boolean {
  for (let n: Node | null = node; n; n = n.parent) if (n.type === 'ERROR' || n.isMissing) return true;
  return false;
}

/** Strip parentheses and casts: `((char *)kmap(p))` -> the call. */
export function stripWrappers(node: Node): Node {
  let n = node;
  for (;;) {
    if (n.type === 'parenthesized_expression' && n.namedChildCount === 1) n = n.namedChild(0)!;
    else if (n.type === 'cast_expression' && n.childForFieldName('value')) n = n.childForFieldName('value')!;
    else return n;
  }
}

/** Normalised text of an expression, for comparing `kunmap(x->page)` with `kmap(x->page)`. */
export function norm(text: string): string {
  return text.replace(/\s+/g, '').replace(/^\((.*)\)$/, '$1');
}

/** The first ERROR or MISSING node under `node`, or null when it parsed cleanly. */
export function firstError(node: Node): Node | null {
  // A loop, not recursion: the chain of nodes with errors is as deep as the input nests.
  let n = node;
  for (;;) {
    if (!n.hasError) return null;
    if (n.type === 'ERROR' || n.isMissing) return n;
    let next: Node | null = null;
    for (const c of n.children) {
      if (!c) continue;
      if (c.isMissing) return c;
      if (c.hasError) {
        next = c;
        break;
      }
    }
    if (!next) return null;
    n = next;
  }
}

/** The nearest enclosing loop statement, if any, below `stop`. */
export function enclosingLoop(node: Node, stop: Node | null): Node | null {
  for (let p = node.parent; p && p.id !== stop?.id; p = p.parent) {
    if (isLoop(p.type)) return p;
  }
  return null;
}

/** A loop statement's node type (one .type read, a call into the wasm, per node). */
export function isLoop(type: string): boolean {
  return type === 'for_statement' || type === 'while_statement' || type === 'do_statement';
}
