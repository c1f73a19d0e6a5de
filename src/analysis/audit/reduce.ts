// Parse only the functions that matter. A cheap scan finds the top-level function bodies; the
// bodies that neither mention an audited name nor call or are called by (two levels) a body
// that does are blanked with spaces before tree-sitter sees the file. Every offset, line and
// column stays that of the real file; headers stay, so every function is still known by name.

const CALLED = /\b([A-Za-z_]\w*)\s*\(/g;

interface Body {
  name: string | null;
  head: number; // offset where its declaration starts (after the previous top-level statement)
  open: number; // offset of '{'
  close: number; // offset of the matching '}'
}

/** What else the scan saw: top-level statements and preprocessor lines, and comments. */
export interface Layout {
  bodies: Body[];
  /** Top-level declarations and other statements that are not function definitions [start, end). */
  tops: [number, number][];
  /** Preprocessor lines outside function bodies [start, end). */
  pre: [number, number][];
  /** Comments outside preprocessor lines [start, end). */
  comments: [number, number][];
}

/**
 * Top-level brace blocks that look like function bodies (the text before them ends with ')'
 * and has no '='), skipping comments, strings, character literals and preprocessor lines.
 * Null when braces do not balance (an #ifdef around a header, say): then nothing is blanked.
 */
export function functionBodies(src: string): Body[] | null {
  return layoutOf(src)?.bodies ?? null;
}

/** The scan behind functionBodies(), with the other top-level pieces. Null when braces do not balance. */
export function layoutOf(src: string): Layout | null {
  const out: Body[] = [];
  const tops: [number, number][] = [];
  const pre: [number, number][] = [];
  const comments: [number, number][] = [];
  let declStart = 0; // like stmtStart, but not moved by the '}' of a struct or an initialiser
  let depth = 0;
  let open = -1;
  let stmtStart = 0; // start of the current top-level declaration
  let lineStart = true;
  const n = src.length;
  for (let i = 0; i < n; i++) {
    const c = src.charCodeAt(i);
    // Most characters (identifiers, digits, operators) are none of the ones below.
    if (c >= 48 && c !== 59 && c !== 123 && c !== 125) {
      lineStart = false;
      continue;
    }
    if (c === 10) {
      lineStart = true;
      continue;
    }
    if (c === 32 || c === 9 || c === 13) continue;
    if (c === 35 /* # */ && lineStart) {
      // A preprocessor line, with its continuations.
      const from = i;
      while (i < n && !(src.charCodeAt(i) === 10 && src.charCodeAt(i - 1) !== 92)) i++;
      lineStart = true;
      if (depth === 0) {
        pre.push([from, i]);
        stmtStart = i + 1;
        declStart = i + 1;
      }
      continue;
    }
    lineStart = false;
    if (c === 47 /* / */ && src.charCodeAt(i + 1) === 42) {
      const e = src.indexOf('*/', i + 2);
      const from = i;
      i = e < 0 ? n : e + 1;
      comments.push([from, Math.min(n, i + 1)]);
    } else if (c === 47 && src.charCodeAt(i + 1) === 47) {
      const from = i;
      while (i < n && src.charCodeAt(i) !== 10) i++;
      comments.push([from, i]);
      lineStart = true;
    } else if (c === 34 || c === 39) {
      for (i++; i < n && src.charCodeAt(i) !== c; i++) if (src.charCodeAt(i) === 92) i++;
    } else if (c === 123 /* { */) {
      if (depth === 0) open = i;
      depth++;
    } else if (c === 125 /* } */) {
      depth--;
      if (depth < 0) return null;
      if (depth === 0) {
        const head = src
          .slice(stmtStart, open)
          .replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '')
          .trim();
        if (/\)\s*(?:__\w+(?:\([^()]*\))?\s*)*$/.test(head) && !head.includes('=')) {
          out.push({ name: fnName(head), head: stmtStart, open, close: i });
          declStart = i + 1;
        } else tops.push([declStart, i + 1]);
        stmtStart = i + 1;
      }
    } else if (c === 59 /* ; */ && depth === 0) {
      tops.push([declStart, i + 1]);
      stmtStart = i + 1;
      declStart = i + 1;
    }
  }
  if (declStart < n) tops.push([declStart, n]);
  return depth === 0 ? { bodies: out, tops, pre, comments } : null;
}

/** `static int foo(struct x *a)` -> foo; `SYSCALL_DEFINE2(swapon, ...)` -> SYSCALL_DEFINE2. */
function fnName(head: string): string | null {
  // The identifier before the parameter list that closes the header.
  let d = 0;
  for (let i = head.length - 1; i >= 0; i--) {
    const ch = head[i];
    if (ch === ')') d++;
    else if (ch === '(' && --d === 0) {
      const m = /(\w+)\s*$/.exec(head.slice(0, i));
      return m ? m[1]! : null;
    }
  }
  return null;
}

/**
 * The source with only what the audit reads left for tree-sitter: function headers, the bodies
 * that matter, and the top-level statements and preprocessor lines that name an audited call.
 * `seeds` says which words make a body relevant (the audited names; in the whole-tree pass
 * also the pending functions' names); with `expand`, so do its callers and callees, two levels
 * each way. Everything else (other bodies, declarations, structs, initialisers, other
 * preprocessor lines, comments) becomes spaces: every offset, line and column stays that of
 * the real file, and the parse costs what the kept code costs.
 *
 * Written as small functions with plain loops: V8 optimises each of them on its own (one big
 * function with closures and array callbacks cost more to optimise, in every worker, than it
 * saved).
 */
export function reduceSource(src: string, seeds: RegExp, expand = true): string {
  const layout = layoutOf(src);
  if (!layout) return src;
  const keep = keptBodies(src, layout, seeds, expand);
  return assemble(src, layout.comments, copyRanges(src, layout, keep));
}

/** Which bodies stay: those naming a seed or a wrapper macro, then (with `expand`) two levels of callers and callees. */
function keptBodies(src: string, layout: Layout, seeds: RegExp, expand: boolean): boolean[] {
  const { bodies } = layout;
  const n = bodies.length;
  const text: string[] = new Array<string>(n);
  for (let i = 0; i < n; i++) text[i] = src.slice(bodies[i]!.open, bodies[i]!.close + 1);
  // Function-like macros that name an audited call (wrappers, put helpers) count as seeds too,
  // and a body is kept when its own name is a seed (a function the whole-tree pass looks for).
  const macroRe = auditedMacros(src, layout.pre);
  const keep: boolean[] = new Array<boolean>(n);
  let any = false;
  for (let i = 0; i < n; i++) {
    const name = bodies[i]!.name;
    keep[i] = seeds.test(text[i]!) || (macroRe !== null && macroRe.test(text[i]!)) || (name !== null && seeds.test(name));
    if (keep[i]) any = true;
  }
  // Two rounds each way: same-file helpers the mapping is passed to, callers of getters.
  // Only kmap() sites need them (escape and helper pairs); other calls need their own body.
  if (expand && any) {
    const calls: Set<string>[] = new Array<Set<string>>(n);
    for (let i = 0; i < n; i++) calls[i] = calledIn(text[i]!);
    const byName = bodiesByName(bodies);
    for (let round = 0; round < 2; round++) expandOnce(bodies, keep, calls, byName);
  }
  return keep;
}

/** A regex for the names of function-like macros whose definition names an audited call. */
function auditedMacros(src: string, pre: [number, number][]): RegExp | null {
  const macros: string[] = [];
  for (const r of pre) {
    const line = src.slice(r[0], r[1]);
    const m = /^#\s*define\s+(\w+)\(/.exec(line);
    if (m && AUDITED.test(line)) macros.push(m[1]!);
  }
  return macros.length ? new RegExp(`\\b(?:${macros.join('|')})\\b`) : null;
}

function bodiesByName(bodies: Body[]): Map<string, number[]> {
  const byName = new Map<string, number[]>();
  for (let i = 0; i < bodies.length; i++) {
    const name = bodies[i]!.name;
    if (!name) continue;
    const l = byName.get(name);
    if (l) l.push(i);
    else byName.set(name, [i]);
  }
  return byName;
}

/** One round: the callees of the kept bodies, and the bodies that call a kept one, are kept too. */
function expandOnce(bodies: Body[], keep: boolean[], calls: Set<string>[], byName: Map<string, number[]>): void {
  const kept: number[] = [];
  const keptNames = new Set<string>();
  for (let i = 0; i < bodies.length; i++) {
    if (!keep[i]) continue;
    kept.push(i);
    const name = bodies[i]!.name;
    if (name) keptNames.add(name);
  }
  for (const i of kept) for (const c of calls[i]!) for (const j of byName.get(c) ?? []) keep[j] = true;
  for (let j = 0; j < bodies.length; j++) {
    if (keep[j]) continue;
    for (const c of calls[j]!)
      if (keptNames.has(c)) {
        keep[j] = true;
        break;
      }
  }
}

/** The names called in a body. */
function calledIn(t: string): Set<string> {
  const s = new Set<string>();
  CALLED.lastIndex = 0;
  for (let m = CALLED.exec(t); m !== null; m = CALLED.exec(t)) s.add(m[1]!);
  return s;
}

/**
 * What stays, as [start, end) ranges in order: the kept bodies with their headers, the other
 * headers (function names used as values, callbacks, stay known), and the top-level pieces
 * naming an audited call.
 */
function copyRanges(src: string, layout: Layout, keep: boolean[]): [number, number][] {
  const copy: [number, number][] = [];
  const { bodies } = layout;
  for (let i = 0; i < bodies.length; i++) {
    const b = bodies[i]!;
    if (keep[i]) copy.push([b.head, b.close + 1]);
    else copy.push([b.head, b.open + 1], [b.close, b.close + 1]);
  }
  // The matches are found once and looked up by offset.
  const hits: number[] = [];
  AUDITED_G.lastIndex = 0;
  for (let m = AUDITED_G.exec(src); m !== null; m = AUDITED_G.exec(src)) hits.push(m.index);
  for (const r of layout.tops) if (namesAudited(hits, r)) copy.push(r);
  for (const r of layout.pre) if (namesAudited(hits, r)) copy.push(r);
  copy.sort(byStart);
  return copy;
}

const byStart = (a: [number, number], b: [number, number]): number => a[0] - b[0];

/** A match offset in [r0, r1) (hits sorted). */
function namesAudited(hits: number[], r: [number, number]): boolean {
  let lo = 0;
  let hi = hits.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (hits[mid]! < r[0]) lo = mid + 1;
    else hi = mid;
  }
  return lo < hits.length && hits[lo]! < r[1];
}

/** The text with the ranges copied (their comments blanked) and everything else blanked. */
function assemble(src: string, comments: [number, number][], copy: [number, number][]): string {
  const parts: string[] = [];
  let at = 0;
  let c = 0; // next comment
  for (const [s0, e0] of copy) {
    const from = Math.max(s0, at);
    if (e0 <= from) continue;
    if (from > at) parts.push(blank(src.slice(at, from)));
    c = emit(src, comments, c, from, e0, parts);
    at = e0;
  }
  if (at < src.length) parts.push(blank(src.slice(at)));
  return parts.join('');
}

/** Copy [from, to) into parts but blank the comments in it; returns the next comment to look at. */
function emit(src: string, comments: [number, number][], c: number, from: number, to: number, parts: string[]): number {
  let k = from;
  while (c < comments.length && comments[c]![1] <= k) c++;
  for (let j = c; j < comments.length && comments[j]![0] < to; j++) {
    const s0 = comments[j]![0];
    const e0 = comments[j]![1];
    if (s0 > k) parts.push(src.slice(k, s0));
    const b0 = Math.max(s0, k);
    const b1 = Math.min(e0, to);
    if (b1 > b0) parts.push(blank(src.slice(b0, b1)));
    k = Math.max(k, b1);
  }
  if (to > k) parts.push(src.slice(k, to));
  return c;
}

let spaces = ' '.repeat(4096);

/** Spaces for every character but the line breaks. */
function blank(t: string): string {
  if (t.length > spaces.length) spaces = ' '.repeat(t.length);
  let out = '';
  let at = 0;
  for (let i = t.indexOf('\n'); i !== -1; i = t.indexOf('\n', i + 1)) {
    out += spaces.slice(0, i - at) + '\n';
    at = i + 1;
  }
  return out + spaces.slice(0, t.length - at);
}

const AUDITED = /\b(?:kmap|kmap_local_page|kmap_local_folio|kmap_atomic|kunmap|kunmap_local|kunmap_atomic)\b/;
const AUDITED_G = new RegExp(AUDITED.source, 'g');
