// Parse only the functions that matter. A cheap scan finds the top-level function bodies; the
// bodies that neither mention an audited name nor call or are called by (two levels) a body
// that does are blanked with spaces before tree-sitter sees the file. Every offset, line and
// column stays that of the real file; headers stay, so every function is still known by name.

const CALLED = /\b([A-Za-z_]\w*)\s*\(/g;

interface Body {
  name: string | null;
  open: number; // offset of '{'
  close: number; // offset of the matching '}'
}

/**
 * Top-level brace blocks that look like function bodies (the text before them ends with ')'
 * and has no '='), skipping comments, strings, character literals and preprocessor lines.
 * Null when braces do not balance (an #ifdef around a header, say): then nothing is blanked.
 */
export function functionBodies(src: string): Body[] | null {
  const out: Body[] = [];
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
      while (i < n && !(src.charCodeAt(i) === 10 && src.charCodeAt(i - 1) !== 92)) i++;
      lineStart = true;
      if (depth === 0) stmtStart = i + 1;
      continue;
    }
    lineStart = false;
    if (c === 47 /* / */ && src.charCodeAt(i + 1) === 42) {
      const e = src.indexOf('*/', i + 2);
      i = e < 0 ? n : e + 1;
    } else if (c === 47 && src.charCodeAt(i + 1) === 47) {
      while (i < n && src.charCodeAt(i) !== 10) i++;
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
          out.push({ name: fnName(head), open, close: i });
        }
        stmtStart = i + 1;
      }
    } else if (c === 59 /* ; */ && depth === 0) stmtStart = i + 1;
  }
  return depth === 0 ? out : null;
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
 * The source with irrelevant function bodies blanked. `seeds` says which words make a body
 * relevant (the audited names; in the whole-tree pass also the pending functions' names);
 * with `expand`, so do its callers and callees, two levels each way.
 */
export function reduceSource(src: string, seeds: RegExp, expand = true): string {
  const bodies = functionBodies(src);
  if (!bodies || bodies.length < 2) return src;
  const text = bodies.map((b) => src.slice(b.open, b.close + 1));
  const keep = bodies.map((_, i) => seeds.test(text[i]!));
  if (!keep.some(Boolean)) return src;
  const byName = new Map<string, number[]>();
  bodies.forEach((b, i) => b.name && byName.set(b.name, [...(byName.get(b.name) ?? []), i]));
  const calls = expand ? text.map((t) => new Set([...t.matchAll(CALLED)].map((m) => m[1]!))) : [];
  // Two rounds each way: same-file helpers the mapping is passed to, callers of getters.
  // Only kmap() sites need them (escape and helper pairs); other calls need their own body.
  for (let round = 0; round < (expand ? 2 : 0); round++) {
    const kept = bodies.map((_, i) => i).filter((i) => keep[i]);
    const keptNames = new Set(kept.map((i) => bodies[i]!.name).filter((x): x is string => !!x));
    for (const i of kept) for (const c of calls[i]!) for (const j of byName.get(c) ?? []) keep[j] = true;
    bodies.forEach((_, j) => {
      if (!keep[j] && [...calls[j]!].some((c) => keptNames.has(c))) keep[j] = true;
    });
  }
  // Function names used as values (callbacks) stay known through the kept headers.
  let out = '';
  let at = 0;
  bodies.forEach((b, i) => {
    if (keep[i]) return;
    out +=
      src.slice(at, b.open + 1) +
      src
        .slice(b.open + 1, b.close)
        .split('\n')
        .map((l) => ' '.repeat(l.length))
        .join('\n');
    at = b.close;
  });
  return out + src.slice(at);
}
