// Stage 5: --fix. For local kmap() sites whose conversion is mechanical, plan the edits
// (kmap -> kmap_local_page, kunmap(page) -> kunmap_local(addr), adjacent unmaps reordered
// to satisfy the LIFO rule), and render them as a unified diff that `patch -p1` applies.

import type { Node } from 'web-tree-sitter';
import type { FileModel, FnInfo } from './calls.js';
import type { SiteWork } from './work.js';
import type { PathReport } from './paths.js';
import type { Edit } from './types.js';

function isAncestor(a: Node, n: Node): boolean {
  for (let p: Node | null = n; p; p = p.parent) if (p.id === a.id) return true;
  return false;
}

function whyNotMechanical(w: SiteWork, fn: FnInfo): string | { addr: string } {
  const s = w.site;
  if (s.class !== 'local') return `class is ${s.class}`;
  // Classification already said why not (a helper pair, loop-held mappings): keep that.
  if (s.fixable === false && s.fixNote) return s.fixNote;
  if (s.viaMacro) return `the call is inside macro ${s.viaMacro}()`;
  if (s.inErrorRegion && !s.errorLine) return 'the call sits in an unparsed region';
  if (w.esc.discarded || !w.esc.vars.length) return 'the address returned by kmap() is not kept in a variable (kunmap_local() needs it)';
  if (!w.unmapNodes.length) return 'no unmap to rewrite';
  for (const u of w.unmapNodes) {
    if (u.parent?.type !== 'expression_statement') return `the unmap at line ${u.startPosition.row + 1} is not a plain statement`;
    const callee = u.childForFieldName('function')?.text;
    if (callee !== 'kunmap') return `the unmap at line ${u.startPosition.row + 1} is ${callee}(), not kunmap()`;
  }
  const stable = w.esc.vars.filter((v) => !w.esc.unstable.has(v));
  for (const v of stable) {
    const decl = fn.locals.get(v)?.node;
    const scope = decl?.parent;
    if (scope && w.unmapNodes.every((u) => isAncestor(scope, u))) return { addr: v };
  }
  if (!stable.length && w.esc.moved) return `the variable holding the address (${w.esc.vars.join(', ')}) is moved (+=, ++); kunmap_local() needs an address inside the page`;
  if (!stable.length) return `the variable holding the address (${w.esc.vars.join(', ')}) is reassigned`;
  return `no variable holding the address (${stable.join(', ')}) is in scope at every unmap`;
}

function stmtKey(n: Node): number {
  return n.id;
}

export function planFixes(model: FileModel, works: SiteWork[], reports: Map<FnInfo, PathReport>): { site: number; edits: Edit[] }[] {
  const out: { site: number; edits: Edit[] }[] = [];
  const byFn = new Map<FnInfo, number[]>();
  works.forEach((w, i) => {
    if (!w.call.fn) return;
    const l = byFn.get(w.call.fn);
    if (l) l.push(i);
    else byFn.set(w.call.fn, [i]);
  });
  for (const [fn, idxs] of byFn) {
    const conv = new Map<number, string>(); // site -> address variable
    for (const i of idxs) {
      const w = works[i]!;
      if (w.site.call !== 'kmap') continue;
      const r = whyNotMechanical(w, fn);
      if (typeof r === 'string') {
        w.site.fixable = false;
        w.site.fixNote ??= r;
      } else conv.set(i, r.addr);
    }
    // An unmap shared with a kmap() site that stays (`kunmap(in[i])` also releasing `kmap(*in)`)
    // cannot become kunmap_local(): neither can the sites it releases.
    for (let changed = true; changed;) {
      changed = false;
      const kept = new Set<number>();
      for (const i of idxs) if (works[i]!.site.call === 'kmap' && !conv.has(i)) for (const u of works[i]!.unmapNodes) kept.add(u.id);
      for (const i of [...conv.keys()]) {
        const u = works[i]!.unmapNodes.find((x) => kept.has(x.id));
        if (!u) continue;
        conv.delete(i);
        works[i]!.site.fixable = false;
        works[i]!.site.fixNote = `the unmap at line ${u.startPosition.row + 1} also releases a kmap() that is not converted`;
        changed = true;
      }
    }
    if (!conv.size) continue;
    const onStack = (i: number) => conv.has(i) || works[i]!.site.call !== 'kmap';
    // Unmap statements of everything that will live on the kmap_local stack, grouped when adjacent.
    const stmtSite = new Map<number, { stmt: Node; site: number }>();
    for (const i of idxs)
      if (onStack(i)) for (const u of works[i]!.unmapNodes) if (u.parent?.type === 'expression_statement') stmtSite.set(stmtKey(u.parent), { stmt: u.parent, site: i });
    const groupOf = (stmt: Node): Node[] => {
      const g = [stmt];
      for (let p = stmt.previousSibling; p && stmtSite.has(p.id); p = p.previousSibling) g.unshift(p);
      for (let n = stmt.nextSibling; n && stmtSite.has(n.id); n = n.nextSibling) g.push(n);
      return g;
    };
    const reorder = new Map<number, Node[]>(); // first stmt id -> group
    for (const v of reports.get(fn)?.lifo ?? []) {
      const involved = [v.site, ...v.above].filter(onStack);
      if (!onStack(v.site) || involved.length < 2) continue;
      const stmt = v.node.parent;
      const g = stmt && stmtSite.has(stmt.id) ? groupOf(stmt) : [];
      const ok = g.length > 1 && v.above.filter(onStack).every((a) => g.some((x) => stmtSite.get(x.id)!.site === a));
      if (ok) reorder.set(g[0]!.id, g);
      else
        for (const i of involved)
          if (conv.delete(i)) {
            works[i]!.site.fixable = false;
            works[i]!.site.fixNote = `unmaps out of LIFO order across statements (line ${v.node.startPosition.row + 1}): reorder by hand`;
          }
    }
    const newText = (stmt: Node): string => {
      const e = stmtSite.get(stmt.id);
      if (e && conv.has(e.site)) return `kunmap_local(${conv.get(e.site)});`;
      return stmt.text;
    };
    const edits: Edit[] = [];
    const grouped = new Set<number>();
    for (const g of reorder.values()) {
      const seps: string[] = [];
      for (let k = 1; k < g.length; k++) seps.push(model.source.slice(g[k - 1]!.endIndex, g[k]!.startIndex));
      const sorted = [...g].sort((a, b) => works[stmtSite.get(b.id)!.site]!.call.node.startIndex - works[stmtSite.get(a.id)!.site]!.call.node.startIndex);
      let text = newText(sorted[0]!);
      for (let k = 1; k < sorted.length; k++) text += seps[k - 1] + newText(sorted[k]!);
      edits.push({ start: g[0]!.startIndex, end: g[g.length - 1]!.endIndex, text });
      for (const x of g) grouped.add(x.id);
    }
    for (const [i, addr] of conv) {
      const w = works[i]!;
      const callee = w.call.node.childForFieldName('function')!;
      edits.push({ start: callee.startIndex, end: callee.endIndex, text: 'kmap_local_page' });
      for (const u of w.unmapNodes) if (!grouped.has(u.parent!.id)) edits.push({ start: u.startIndex, end: u.endIndex, text: `kunmap_local(${addr})` });
      w.site.fixable = true;
      delete w.site.fixNote;
    }
    // One entry per function: the edits of all converted sites in it must be applied together.
    const first = [...conv.keys()][0]!;
    out.push({ site: first, edits: edits.sort((a, b) => a.start - b.start) });
  }
  return out;
}

/** Apply non-overlapping edits to a text. */
export function applyEdits(text: string, edits: Edit[]): string {
  let out = '';
  let at = 0;
  for (const e of [...edits].sort((a, b) => a.start - b.start)) {
    if (e.start < at) continue; // overlapping edit: skip rather than corrupt
    out += text.slice(at, e.start) + e.text;
    at = e.end;
  }
  return out + text.slice(at);
}

/**
 * The file's new bytes with the edits applied, every byte outside them kept as it was. The
 * edits' offsets are in the UTF-8-decoded text; a file that is not UTF-8 (a Latin-1 comment)
 * decodes each stray byte to one U+FFFD, so when the decoded text has one character per byte
 * the offsets are byte offsets and the edits go onto the bytes. Otherwise null: the file
 * mixes multi-byte UTF-8 with invalid bytes, and is not rewritten rather than corrupted.
 */
export function editBytes(bytes: Buffer, edits: Edit[]): Buffer | null {
  const text = bytes.toString('utf8');
  if (Buffer.from(text, 'utf8').equals(bytes)) return Buffer.from(applyEdits(text, edits), 'utf8');
  if (text.length !== bytes.length) return null;
  return Buffer.from(applyEdits(bytes.toString('latin1'), edits), 'latin1');
}

/** A unified diff (3 lines of context) between two versions of one file, for `patch -p1`. */
export function unifiedDiff(rel: string, oldText: string, newText: string): string {
  if (oldText === newText) return '';
  const a = splitLines(oldText);
  const b = splitLines(newText);
  // Edits are local: trim the common prefix and suffix, then diff the middle line by line.
  const ops = diffLines(a.lines, b.lines);
  const hunks: string[] = [];
  const C = 3;
  let i = 0;
  while (i < ops.length) {
    if (ops[i]!.t === ' ') {
      i++;
      continue;
    }
    let start = i;
    let ctx = 0;
    while (start > 0 && ops[start - 1]!.t === ' ' && ctx < C) {
      start--;
      ctx++;
    }
    let end = i;
    for (;;) {
      while (end < ops.length && ops[end]!.t !== ' ') end++;
      let run = 0;
      while (end + run < ops.length && ops[end + run]!.t === ' ') run++;
      if (end + run < ops.length && run <= 2 * C) end += run;
      else {
        end += Math.min(run, C);
        break;
      }
    }
    const slice = ops.slice(start, end);
    const oa = slice.filter((o) => o.t !== '+').length;
    const nb = slice.filter((o) => o.t !== '-').length;
    const oStart = slice.find((o) => o.t !== '+')?.ai ?? ops[start]?.ai ?? 0;
    const nStart = slice.find((o) => o.t !== '-')?.bi ?? ops[start]?.bi ?? 0;
    let h = `@@ -${oa ? oStart + 1 : oStart},${oa} +${nb ? nStart + 1 : nStart},${nb} @@\n`;
    for (const o of slice) {
      const last = o.t === '+' ? o.bi === b.lines.length - 1 && !b.eol : o.ai === a.lines.length - 1 && !a.eol;
      h += o.t + o.s + '\n' + (last ? '\\ No newline at end of file\n' : '');
    }
    hunks.push(h);
    i = end;
  }
  return `--- a/${rel}\n+++ b/${rel}\n` + hunks.join('');
}

function splitLines(t: string): { lines: string[]; eol: boolean } {
  const eol = t.endsWith('\n');
  const lines = t.split('\n');
  if (eol) lines.pop();
  return { lines, eol };
}

interface Op {
  t: ' ' | '-' | '+';
  s: string;
  ai: number;
  bi: number;
}

function diffLines(a: string[], b: string[]): Op[] {
  if (a.length === b.length) {
    // The usual case for our edits (in-line renames, reordered one-line statements):
    // pair lines by position, each run of changed lines becomes its removals then additions.
    const ops: Op[] = [];
    for (let k = 0; k < a.length;) {
      if (a[k] === b[k]) {
        ops.push({ t: ' ', s: a[k]!, ai: k, bi: k });
        k++;
        continue;
      }
      let e = k;
      while (e < a.length && a[e] !== b[e]) e++;
      for (let j = k; j < e; j++) ops.push({ t: '-', s: a[j]!, ai: j, bi: k });
      for (let j = k; j < e; j++) ops.push({ t: '+', s: b[j]!, ai: e, bi: j });
      k = e;
    }
    return ops;
  }
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  const ops: Op[] = [];
  for (let k = 0; k < pre; k++) ops.push({ t: ' ', s: a[k]!, ai: k, bi: k });
  // LCS on the (small) middle.
  const A = a.slice(pre, a.length - suf);
  const B = b.slice(pre, b.length - suf);
  const L: number[][] = Array.from({ length: A.length + 1 }, () => new Array<number>(B.length + 1).fill(0));
  for (let x = A.length - 1; x >= 0; x--) for (let y = B.length - 1; y >= 0; y--) L[x]![y] = A[x] === B[y] ? L[x + 1]![y + 1]! + 1 : Math.max(L[x + 1]![y]!, L[x]![y + 1]!);
  let x = 0;
  let y = 0;
  while (x < A.length || y < B.length) {
    if (x < A.length && y < B.length && A[x] === B[y]) ops.push({ t: ' ', s: A[x]!, ai: pre + x++, bi: pre + y++ });
    // Removals before additions when both keep the common subsequence as long, as diff(1) does.
    else if (x < A.length && (y >= B.length || L[x + 1]![y]! >= L[x]![y + 1]!)) ops.push({ t: '-', s: A[x]!, ai: pre + x++, bi: pre + y });
    else ops.push({ t: '+', s: B[y]!, ai: pre + x, bi: pre + y++ });
  }
  for (let k = 0; k < suf; k++) ops.push({ t: ' ', s: a[a.length - suf + k]!, ai: a.length - suf + k, bi: b.length - suf + k });
  return ops;
}
