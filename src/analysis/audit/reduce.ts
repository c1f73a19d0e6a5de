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
 */
export function reduceSource(src: string, seeds: RegExp, expand = true): string {
  const layout = layoutOf(src);
  if (!layout) return src;
  const { bodies } = layout;
  const text = bodies.map((b) => src.slice(b.open, b.close + 1));
  // Function-like macros that name an audited call (wrappers, put helpers) count as seeds too,
  // and a body is kept when its own name is a seed (a function the whole-tree pass looks for).
  const macros = layout.pre
    .map((r) => /^#\s*define\s+(\w+)\(/.exec(src.slice(r[0], r[1]))?.[1])
    .filter((m, k): m is string => !!m && AUDITED.test(src.slice(layout.pre[k]![0], layout.pre[k]![1])));
  const macroRe = macros.length ? new RegExp(`\\b(?:${macros.join('|')})\\b`) : null;
  const keep = bodies.map((b, i) => seeds.test(text[i]!) || Boolean(macroRe?.test(text[i]!)) || (b.name !== null && seeds.test(b.name)));
  const byName = new Map<string, number[]>();
  bodies.forEach((b, i) => {
    if (!b.name) return;
    const l = byName.get(b.name);
    if (l) l.push(i);
    else byName.set(b.name, [i]);
  });
  const calledIn = (t: string) => {
    const s = new Set<string>();
    for (const m of t.matchAll(CALLED)) s.add(m[1]!);
    return s;
  };
  const calls = expand && keep.some(Boolean) ? text.map(calledIn) : [];
  // Two rounds each way: same-file helpers the mapping is passed to, callers of getters.
  // Only kmap() sites need them (escape and helper pairs); other calls need their own body.
  for (let round = 0; round < (calls.length ? 2 : 0); round++) {
    const kept = bodies.map((_, i) => i).filter((i) => keep[i]);
    const keptNames = new Set(kept.map((i) => bodies[i]!.name).filter((x): x is string => !!x));
    for (const i of kept) for (const c of calls[i]!) for (const j of byName.get(c) ?? []) keep[j] = true;
    bodies.forEach((_, j) => {
      if (keep[j]) return;
      for (const c of calls[j]!)
        if (keptNames.has(c)) {
          keep[j] = true;
          break;
        }
    });
  }
  // What stays, as [start, end) ranges; function names used as values (callbacks) stay known
  // through the kept headers.
  const copy: [number, number][] = [];
  bodies.forEach((b, i) => {
    if (keep[i]) copy.push([b.head, b.close + 1]);
    else copy.push([b.head, b.open + 1], [b.close, b.close + 1]);
  });
  // Top-level pieces naming an audited call: the matches are found once and looked up by offset.
  const hits: number[] = [];
  for (const m of src.matchAll(AUDITED_G)) hits.push(m.index);
  const named = (r: [number, number]) => {
    let lo = 0;
    let hi = hits.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (hits[mid]! < r[0]) lo = mid + 1;
      else hi = mid;
    }
    return lo < hits.length && hits[lo]! < r[1];
  };
  for (const r of layout.tops) if (named(r)) copy.push(r);
  for (const r of layout.pre) if (named(r)) copy.push(r);
  copy.sort((a, b) => a[0] - b[0]);
  const parts: string[] = [];
  let at = 0;
  let c = 0; // next comment
  const { comments } = layout;
  const emit = (from: number, to: number) => {
    // Copy [from, to) but blank the comments in it.
    let k = from;
    while (c < comments.length && comments[c]![1] <= k) c++;
    for (let j = c; j < comments.length && comments[j]![0] < to; j++) {
      const [s0, e0] = comments[j]!;
      if (s0 > k) parts.push(src.slice(k, s0));
      const b0 = Math.max(s0, k);
      const b1 = Math.min(e0, to);
      if (b1 > b0) parts.push(blank(src.slice(b0, b1)));
      k = Math.max(k, b1);
    }
    if (to > k) parts.push(src.slice(k, to));
  };
  for (const [s0, e0] of copy) {
    const from = Math.max(s0, at);
    if (e0 <= from) continue;
    if (from > at) parts.push(blank(src.slice(at, from)));
    emit(from, e0);
    at = e0;
  }
  if (at < src.length) parts.push(blank(src.slice(at)));
  return parts.join('');
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
