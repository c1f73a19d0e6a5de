// Code shapes the classifier recognises in one function: other spellings of a page, array
// elements unmapped through a temporary, loops over the same range, pages and pointers
// handed back to the caller, calls of put helpers.

import type { Node } from 'web-tree-sitter';
import { nodesOf, type FnInfo } from './calls.js';
import type { SiteWork } from './work.js';
import { putHelpers, putReleases, type HandBack, type PutHelper, type Scope } from './helpers.js';
import { enclosingLoop, isLoop, norm, stripWrappers } from './parse.js';

/** `virt_to_page(addr)` / `kmap_to_page(addr)` -> addr */
export function pageOfAddr(text: string): string | null {
  const m = /^(?:virt_to_page|kmap_to_page|vmalloc_to_page)\((.*)\)$/.exec(norm(text));
  return m ? norm(m[1]!) : null;
}

/** The base variable of an address expression: `(char *)buf + off` -> buf */
export function addrBase(n: Node | null, text: string): string {
  if (!n) return norm(text).replace(/[+-].*$/, '');
  let x = stripWrappers(n);
  while (x.type === 'binary_expression') x = stripWrappers(x.childForFieldName('left')!);
  return norm(x.text);
}

/** Other spellings of a page expression: `p` where `struct page *p = sg_page(sg)` also matches `sg_page(sg)`. */
export function pageAliases(fn: FnInfo | null, arg: string): Set<string> {
  const out = new Set([norm(arg)]);
  if (!fn || !/^\w+$/.test(norm(arg))) return out;
  for (const decl of nodesOf(fn, ['init_declarator', 'assignment_expression'])) {
    if (!decl) continue;
    const l = decl.type === 'init_declarator' ? decl.childForFieldName('declarator') : decl.childForFieldName('left');
    const r = decl.childForFieldName(decl.type === 'init_declarator' ? 'value' : 'right');
    if (r && l && norm(l.text.replace(/^\*+/, '')) === norm(arg)) out.add(norm(stripWrappers(r).text));
  }
  return out;
}

/**
 * `kunmap(A[i])` releasing what `kmap(*A)` or `kmap(A[0])` mapped: the function walks the
 * array with an index that starts at 0 (`for (i = 0, ...)`, `int i = 0`). The index, or null.
 */
export function firstElementUnmap(fn: FnInfo | null, mapArg: string, unmapArg: string): string | null {
  const m = /^(.+)\[(\w+)\]$/.exec(unmapArg);
  if (!fn || !m || m[2] === '0') return null;
  const a = norm(mapArg);
  if (a !== `*${m[1]}` && a !== `*(${m[1]})` && a !== `${m[1]}[0]`) return null;
  return new RegExp(`(?:^|[^\\w.>])${m[2]}\\s*=\\s*0\\b(?!\\s*\\.)`).test(fn.body.text) ? m[2]! : null;
}

/** The innermost loop body (or function body) around a node. */
export function blockOf(n: Node): Node | null {
  let last: Node | null = null;
  for (let p = n.parent; p; p = p.parent) {
    const t = p.type;
    if (t === 'compound_statement') last = p;
    if (isLoop(t) || t === 'function_definition') return p.childForFieldName('body') ?? last;
  }
  return last;
}

export function assignments(block: Node, before: Node): { l: string; r: string }[] {
  const out: { l: string; r: string }[] = [];
  for (const a of block.descendantsOfType('assignment_expression')) {
    if (!a || a.startIndex >= before.startIndex || a.childForFieldName('operator')?.text !== '=') continue;
    out.push({ l: norm(a.childForFieldName('left')!.text), r: norm(stripWrappers(a.childForFieldName('right')!).text) });
  }
  return out;
}

/** `v = E` last assigned before `at` in the same loop body: E, when it is an array element. */
export function loopAlias(at: Node, v: string): string | null {
  const b = blockOf(at);
  const last = b
    ? assignments(b, at)
        .filter((x) => x.l === v)
        .pop()
    : undefined;
  return last && /\[/.test(last.r) ? last.r : null;
}

/** `E = v` before `kmap(v)` in the same loop body: the array elements that hold the page. */
export function loopStores(at: Node, v: string): string[] {
  const b = blockOf(at);
  return b
    ? assignments(b, at)
        .filter((x) => x.r === v && /\[/.test(x.l))
        .map((x) => x.l)
    : [];
}

/**
 * A get helper that maps a page and hands back the page itself, or the object holding it
 * (`kmap(bh->b_page); ... *bhp = bh;`): through its return value or an out-parameter.
 */
export function pageHandedBack(fn: FnInfo, arg: string): { line: number; hand: HandBack; what: string } | null {
  const a = norm(arg);
  // kmap(*p = page): mapped and handed back through out-parameter p in one expression.
  const inline = /^\*(\w+)=(\w+)$/.exec(a);
  const ip = inline ? fn.params.findIndex((q) => q.name === inline[1]) : -1;
  if (ip >= 0) return { line: 0, hand: { kind: 'out', param: ip }, what: `*${inline![1]}` };
  const base = /^(\w+)(?:->\w+)*$/.exec(a)?.[1];
  if (!base) return null;
  for (const x of [a, base]) {
    for (const r of nodesOf(fn, 'return_statement')) {
      const v = r?.namedChild(0);
      if (r && v && norm(stripWrappers(v).text) === x) return { line: r.startPosition.row + 1, hand: { kind: 'return' }, what: x };
    }
    for (const e of nodesOf(fn, 'assignment_expression')) {
      const l = e?.childForFieldName('left');
      const r = e?.childForFieldName('right');
      if (!e || !l || !r || l.type !== 'pointer_expression' || norm(stripWrappers(r).text) !== x) continue;
      const p = fn.params.findIndex((q) => q.name === l.namedChild(0)?.text);
      if (p >= 0) return { line: e.startPosition.row + 1, hand: { kind: 'out', param: p }, what: x };
    }
  }
  return null;
}

/** Calls in fn of a put helper in scope that releases the page mapped as `arg`. */
export function putCallsFor(scope: Scope, fn: FnInfo, arg: string): { node: Node; put: PutHelper }[] {
  const want = norm(arg);
  const out: { node: Node; put: PutHelper }[] = [];
  const model = scope.files[0]!.model;
  for (const p of putHelpers(scope, fn.name)) {
    for (const n of model.callsTo(p.name)) if (model.fnOf(n)?.node.id === fn.node.id && putReleases(p, n) === want) out.push({ node: n, put: p });
  }
  return out;
}

export function clip(t: string, n: number): string {
  const cut = t.indexOf('; ', 40);
  const one = cut > 0 ? t.slice(0, cut) : t;
  return one.length > n ? one.slice(0, n - 1) + '…' : one;
}

/** The line of a `return f(..., v, ...)` whose expression mentions a variable holding the address. */
export function derivedReturn(fn: FnInfo, vars: string[]): number | null {
  if (!vars.length) return null;
  const re = new RegExp(`\\b(?:${vars.join('|')})\\b`);
  for (const r of nodesOf(fn, 'return_statement')) {
    const v = r?.namedChild(0);
    if (r && v && v.type === 'call_expression' && re.test(v.text)) return r.startPosition.row + 1;
  }
  return null;
}

/** Mapped inside a loop and unmapped inside a different loop (page arrays). */
export function loopPaired(w: SiteWork): boolean {
  const body = w.call.fn?.body ?? null;
  const l = enclosingLoop(w.call.node, body);
  return (
    !!l &&
    w.unmapNodes.some((u) => {
      const m = enclosingLoop(u, body);
      return !!m && m.id !== l.id && !isInside(m, l) && !isInside(l, m);
    })
  );
}

/** The loops holding matched unmaps whose header (init; cond; update) is that of the map's loop. */
export function sameRangeUnmapLoops(w: SiteWork): Node[] {
  const body = w.call.fn?.body ?? null;
  const l = enclosingLoop(w.call.node, body);
  const head = (x: Node) => (x.type === 'for_statement' ? norm(['initializer', 'condition', 'update'].map((f) => x.childForFieldName(f)?.text ?? '').join(';')) : null);
  if (!l || !head(l)) return [];
  const out: Node[] = [];
  for (const u of w.unmapNodes) {
    const m = enclosingLoop(u, body);
    if (m && m.id !== l.id && head(m) === head(l) && !out.some((x) => x.id === m.id)) out.push(m);
  }
  return out;
}

export function isInside(inner: Node, outer: Node): boolean {
  return inner.startIndex >= outer.startIndex && inner.endIndex <= outer.endIndex;
}
