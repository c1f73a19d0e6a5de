// Stage 2: tree-sitter parsing. One parser per thread, initialised once.

import { createRequire } from 'node:module';
import { Language, Parser, type Node, type Tree } from 'web-tree-sitter';

let parserPromise: Promise<Parser> | null = null;

async function makeParser(): Promise<Parser> {
  const require = createRequire(import.meta.url);
  await Parser.init();
  const lang = await Language.load(require.resolve('tree-sitter-c/tree-sitter-c.wasm'));
  const p = new Parser();
  p.setLanguage(lang);
  return p;
}

export function getParser(): Promise<Parser> {
  parserPromise ??= makeParser();
  return parserPromise;
}

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
  const t = p.parse(blankAnnotations(source));
  if (!t) throw new Error('tree-sitter returned no tree');
  return t;
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
  if (!node.hasError) return null;
  if (node.type === 'ERROR' || node.isMissing) return node;
  for (const c of node.children) {
    if (!c) continue;
    if (c.isMissing) return c;
    if (c.hasError) return firstError(c);
  }
  return node.type === 'ERROR' ? node : null;
}

/** The nearest enclosing loop statement, if any, below `stop`. */
export function enclosingLoop(node: Node, stop: Node | null): Node | null {
  for (let p = node.parent; p && p.id !== stop?.id; p = p.parent) {
    if (p.type === 'for_statement' || p.type === 'while_statement' || p.type === 'do_statement') return p;
  }
  return null;
}
