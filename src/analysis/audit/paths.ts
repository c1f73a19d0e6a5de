// Stage 4a: a small path-sensitive walk over one function body. It follows the structured
// control flow (if/else, loops, switch, goto, return, #if alternatives) and keeps, for each
// path, the stack of live mappings in the order they were made. From that it reports which
// mappings are still live at each return, the nesting depth at each map, and unmaps that
// do not take the top of the stack (a LIFO violation for kmap_local).

import type { Node } from 'web-tree-sitter';

/** An unmap names the sites it may release (several when one page expression is mapped at several sites). */
export type PathEvent = { kind: 'map'; site: number } | { kind: 'unmap'; sites: number[]; all?: boolean };

export interface PathReport {
  /** site -> lines of returns (or the closing brace) reached with the mapping live */
  liveAtReturn: Map<number, number[]>;
  /** site -> greatest stack depth right after the map (1 = nothing else live) */
  depth: Map<number, number>;
  /** unmaps that were not on top: the unmapped site, the sites above it, and the unmap node */
  lifo: { site: number; above: number[]; node: Node }[];
  /** true when the walk dropped states to stay bounded */
  approximate: boolean;
  /** true when the body nests deeper than MAX_NESTING: nothing was walked (the rest is empty) */
  tooDeep?: boolean;
}

/**
 * How deep the walk follows nested statements and expressions. The walk recurses, and a
 * recursion whose depth follows the input would overflow the stack on some threads and not on
 * others (the result would depend on --jobs): deeper bodies are not walked, and say so.
 */
export const MAX_NESTING = 400;
const TOO_DEEP = new Error('nesting deeper than MAX_NESTING');

type Stack = number[];
type States = Map<string, Stack>;

const MAX_STATES = 48;
const MAX_STACK = 20;

function key(s: Stack): string {
  return s.join(',');
}

/**
 * guards: variables that hold a mapping's result, by site. In `if (IS_ERR(v)) ...` or
 * `if (!v) ...` the branch taken on failure has nothing mapped for that site (a get helper
 * that failed maps nothing).
 */
export function analysePaths(
  body: Node,
  events: Map<number, PathEvent>,
  guards: Map<string, number[]> = new Map(),
  errVars: Set<string> = new Set(),
  /** The nodes the events are keyed by, when the caller has them (saves a walk over the body). */
  nodes?: Node[],
): PathReport {
  const rep: PathReport = { liveAtReturn: new Map(), depth: new Map(), lifo: [], approximate: false };
  // Only expressions on the way to an event need to be walked.
  const hot = new Set<number>();
  for (const id of events.keys()) hot.add(id);
  // A node of the body's tree within its range is in the body (sibling ranges do not overlap).
  const eventNodes = nodes
    ? nodes.filter((x) => events.has(x.id) && x.tree === body.tree && body.startIndex <= x.startIndex && x.endIndex <= body.endIndex)
    : nodesWithIds(body, events);
  for (const n of eventNodes) for (let p: Node | null = n.parent; p && p.id !== body.id; p = p.parent) hot.add(p.id);

  const labels = new Map<string, States>();
  let final = false;
  const lifoSeen = new Set<string>();
  const breaks: States[] = [];
  const condMaps = new Map<string, { t: number[]; f: number[] }>();
  const within = (e: Node, outer: Node) => e.startIndex >= outer.startIndex && e.endIndex <= outer.endIndex;
  const conts: States[] = [];

  const join = (a: States, b: States): States => {
    if (a.size === 0) return new Map(b);
    const out = new Map(a);
    for (const [k, v] of b) {
      if (out.size >= MAX_STATES && !out.has(k)) {
        rep.approximate = true;
        continue;
      }
      out.set(k, v);
    }
    return out;
  };
  const recordReturn = (line: number, st: States) => {
    if (!final) return;
    for (const s of st.values())
      for (const site of s) {
        let l = rep.liveAtReturn.get(site);
        if (!l) rep.liveAtReturn.set(site, (l = []));
        if (!l.includes(line)) l.push(line);
      }
  };
  const apply = (n: Node, st: States): States => {
    const ev = events.get(n.id);
    if (!ev) return st;
    const out: States = new Map();
    for (const s of st.values()) {
      let t: Stack;
      if (ev.kind === 'map') {
        t = s.length >= MAX_STACK ? s : [...s, ev.site];
        if (final) rep.depth.set(ev.site, Math.max(rep.depth.get(ev.site) ?? 0, t.length));
      } else if (ev.all) {
        // An unmap loop releases every mapping its map loop made, however many iterations.
        t = s.filter((x) => !ev.sites.includes(x));
      } else {
        let i = -1;
        for (let j = s.length - 1; j >= 0 && i === -1; j--) if (ev.sites.includes(s[j]!)) i = j;
        if (i === -1) t = s;
        else {
          if (i !== s.length - 1 && final) {
            const above = s.slice(i + 1);
            const k = `${n.id}:${s[i]}`;
            if (!lifoSeen.has(k)) {
              lifoSeen.add(k);
              rep.lifo.push({ site: s[i]!, above, node: n });
            }
          }
          t = [...s.slice(0, i), ...s.slice(i + 1)];
        }
      }
      out.set(key(t), t);
    }
    return out;
  };
  let level = 0;
  /** `inner` one level deeper: past MAX_NESTING the site is unclear (no recursion follows the input unbounded). */
  const nested = (inner: (n: Node, st: States) => States, n: Node, st: States): States => {
    if (++level > MAX_NESTING) throw TOO_DEEP;
    try {
      return inner(n, st);
    } finally {
      level--;
    }
  };
  const expr = (n: Node, st: States): States => (hot.has(n.id) ? nested(exprIn, n, st) : st);
  const exprIn = (n: Node, st: States): States => {
    if (n.type === 'compound_statement') return exec(n, st);
    for (const c of n.namedChildren) if (c) st = expr(c, st);
    return apply(n, st);
  };
  const seq = (nodes: (Node | null)[], st: States): States => {
    for (const c of nodes) if (c) st = exec(c, st);
    return st;
  };
  const loop = (body: Node | null, cond: Node | null, update: Node | null, st: States, atLeastOnce: boolean, isMacroLoop = false): States => {
    const c = cond?.text.replace(/[\s()]/g, '');
    // for (;;), while (1): left only by break, return or goto. do { } while (0): runs once.
    const forever = !isMacroLoop && (!cond || c === '1' || c === 'true');
    const once = atLeastOnce && (c === '0' || c === 'false');
    breaks.push(new Map());
    conts.push(new Map());
    let entry = cond && !atLeastOnce ? expr(cond, st) : st;
    let exit: States = atLeastOnce || forever ? new Map<string, Stack>() : entry;
    if (once) {
      const s = join(body ? exec(body, entry) : entry, conts.pop()!);
      return join(s, breaks.pop()!);
    }
    for (let i = 0; i < 3; i++) {
      let s = body ? exec(body, entry) : entry;
      s = join(s, conts[conts.length - 1]!);
      if (update) s = expr(update, s);
      if (cond) s = expr(cond, s);
      if (!forever) exit = join(exit, s);
      const next = join(entry, s);
      if (next.size === entry.size) break;
      entry = next;
    }
    conts.pop();
    return join(exit, breaks.pop()!);
  };
  const exec = (n: Node, st: States): States => nested(execIn, n, st);
  const execIn = (n: Node, st: States): States => {
    // A whole loop can stand for one unmap event (`for (i = 0; i < n; i++) kunmap(pages[i]);`).
    if (events.has(n.id) && n.type.endsWith('_statement') && n.type !== 'expression_statement') return apply(n, st);
    switch (n.type) {
      case 'compound_statement':
      case 'translation_unit':
      case 'ERROR':
        return seq(n.namedChildren, st);
      case 'labeled_statement': {
        const name = n.childForFieldName('label')?.text ?? '';
        st = join(st, labels.get(name) ?? new Map<string, Stack>());
        return seq(
          n.namedChildren.filter((c) => c?.type !== 'statement_identifier'),
          st,
        );
      }
      case 'if_statement': {
        const cond = n.childForFieldName('condition')!;
        const s = expr(cond, st);
        const g = guards.size ? failureTest(cond.text, errVars) : null;
        const drop = (x: States, sites: number[]): States => {
          const out: States = new Map();
          for (const v of x.values()) {
            const t = v.filter((i) => !sites.includes(i));
            out.set(key(t), t);
          }
          return out;
        };
        const sites = g ? guards.get(g.name) : undefined;
        const cons = n.childForFieldName('consequence')!;
        const alt = n.childForFieldName('alternative');
        // `if (C) p = kmap_atomic(page); ... if (C) kunmap_atomic(p);`: a later test of the
        // same condition is taken the same way, so its false branch has nothing mapped by the
        // first one (the condition is assumed not to change in between).
        const ck = cond.text.replace(/\s+/g, '');
        const mapsIn = (b: Node | null) =>
          b ? eventNodes.filter((e) => within(e, b) && events.get(e.id)!.kind === 'map').map((e) => (events.get(e.id) as { site: number }).site) : [];
        const t = mapsIn(cons);
        const f = mapsIn(alt);
        const same = condMaps.get(ck);
        if (t.length || f.length) condMaps.set(ck, { t, f });
        let sa = sites && g!.failWhenTrue ? drop(s, sites) : s;
        let sb = sites && !g!.failWhenTrue ? drop(s, sites) : s;
        if (same && !t.length && !f.length) {
          sa = drop(sa, same.f);
          sb = drop(sb, same.t);
        }
        const a = exec(cons, sa);
        const b = alt ? seq(alt.namedChildren, sb) : sb;
        return join(a, b);
      }
      case 'function_definition':
        // A loop macro (`page_chain_for_each(page) { ... }`) misparsed as a nested definition.
        return loop(n.childForFieldName('body'), null, null, st, false, true);
      case 'while_statement':
        return loop(n.childForFieldName('body'), n.childForFieldName('condition'), null, st, false);
      case 'do_statement':
        return loop(n.childForFieldName('body'), n.childForFieldName('condition'), null, st, true);
      case 'for_statement': {
        const init = n.childForFieldName('initializer');
        if (init) st = init.type === 'declaration' ? exec(init, st) : expr(init, st);
        return loop(n.childForFieldName('body'), n.childForFieldName('condition'), n.childForFieldName('update'), st, false);
      }
      case 'switch_statement': {
        const s = expr(n.childForFieldName('condition')!, st);
        breaks.push(new Map());
        let fall: States = new Map();
        let hasDefault = false;
        for (const c of n.childForFieldName('body')?.namedChildren ?? []) {
          if (!c) continue;
          if (c.type === 'case_statement') {
            if (!c.childForFieldName('value')) hasDefault = true;
            fall = seq(
              c.namedChildren.filter((x) => x && x.id !== c.childForFieldName('value')?.id),
              join(fall, s),
            );
          } else fall = exec(c, fall);
        }
        let out = join(fall, breaks.pop()!);
        if (!hasDefault) out = join(out, s);
        return out;
      }
      case 'return_statement': {
        const v = n.namedChild(0);
        recordReturn(n.startPosition.row + 1, v ? expr(v, st) : st);
        return new Map();
      }
      case 'goto_statement': {
        const name = n.childForFieldName('label')?.text ?? '';
        labels.set(name, join(labels.get(name) ?? new Map<string, Stack>(), st));
        return new Map();
      }
      case 'break_statement':
        if (breaks.length) breaks[breaks.length - 1] = join(breaks[breaks.length - 1]!, st);
        return new Map();
      case 'continue_statement':
        if (conts.length) conts[conts.length - 1] = join(conts[conts.length - 1]!, st);
        return new Map();
      case 'preproc_else':
        return seq(n.namedChildren, st);
      case 'preproc_if':
      case 'preproc_ifdef':
      case 'preproc_elif':
      case 'preproc_elifdef': {
        // Either branch of a conditional compilation block may be the one compiled.
        const alt = n.childForFieldName('alternative');
        const skip = new Set([alt?.id, n.childForFieldName('condition')?.id, n.childForFieldName('name')?.id]);
        const a = seq(
          n.namedChildren.filter((c) => c && !skip.has(c.id)),
          st,
        );
        return join(a, alt ? exec(alt, st) : st);
      }
      case 'expression_statement':
      case 'declaration':
      default:
        return expr(n, st);
    }
  };

  // Iterate until the states reaching each label are stable (backward gotos), then one
  // final pass that records what it sees.
  const start: States = new Map([['', []]]);
  try {
    for (let i = 0; i < 4; i++) {
      const before = snapshot(labels);
      exec(body, start);
      if (snapshot(labels) === before) break;
    }
    final = true;
    const fallOff = exec(body, start);
    recordReturn(body.endPosition.row + 1, fallOff);
  } catch (e) {
    if (e !== TOO_DEEP) throw e;
    return { liveAtReturn: new Map(), depth: new Map(), lifo: [], approximate: true, tooDeep: true };
  }
  return rep;

  function snapshot(m: Map<string, States>): string {
    return [...m].map(([k, v]) => k + ':' + [...v.keys()].sort().join('|')).join(';');
  }
}

/** The returns where `site` is still mapped; a body too deep to walk counts as live at its end. */
export function liveAt(rep: PathReport, site: number, body: Node): number[] {
  return rep.tooDeep ? [body.endPosition.row + 1] : (rep.liveAtReturn.get(site) ?? []);
}

/**
 * `IS_ERR(v)`, `!v`, `v == NULL`, `unlikely(...)` -> v, failing when the condition is true;
 * their negations -> failing when false. For an error code in errVars (`err = get(..., &out)`)
 * `if (err)` and `if (err < 0)` are the failure tests. Takes the text (not a node and, for the
 * operands of && and ||, a stand-in: V8 optimised it again and again for the two shapes).
 */
function failureTest(text: string, errVars: Set<string>): { name: string; failWhenTrue: boolean } | null {
  let t = text.replace(/\s+/g, '');
  let neg = false;
  for (;;) {
    const m = /^\((.*)\)$/.exec(t) ?? /^(?:unlikely|likely)\((.*)\)$/.exec(t);
    if (m && balancedParens(m[1]!)) t = m[1]!;
    // `!` binds tighter than `&&` and `||`: in `!v || IS_ERR(v)` it negates `v` alone.
    else if (t.startsWith('!') && !t.startsWith('!=') && topLevel(t, '&&').length === 1 && topLevel(t, '||').length === 1) {
      neg = !neg;
      t = t.slice(1);
    } else break;
  }
  // `v && !IS_ERR(v)` (valid: fails when false) and `!v || IS_ERR(v)` (fails when true).
  for (const [op, failWhenTrue] of [
    ['&&', false],
    ['||', true],
  ] as const) {
    const operands = neg ? [] : topLevel(t, op);
    if (operands.length > 1) {
      const parts = operands.map((x) => failureTest(x, errVars));
      const n0 = parts[0]?.name;
      if (n0 && parts.every((x) => x && x.name === n0 && x.failWhenTrue === failWhenTrue)) return { name: n0, failWhenTrue };
      // `len && !buf` true implies !buf; `buf || x` false implies !buf: one conjunct decides.
      const one = parts.find((x) => x && x.failWhenTrue === !failWhenTrue);
      if (one) return one;
      return null;
    }
  }
  // An index bound (`i < n`, `i >= n`): out of range, no element at i was mapped.
  let m = /^(\w+)(<|>=)(?!0$)[\w>.()-]+$/.exec(t);
  if (m && !/^\d/.test(m[1]!)) return { name: m[1]!, failWhenTrue: m[2] === '>=' ? !neg : neg };
  m = /^(?:IS_ERR|IS_ERR_OR_NULL)\((\w+)\)$/.exec(t);
  if (m) return { name: m[1]!, failWhenTrue: !neg };
  m = /^(\w+)==NULL$/.exec(t) ?? /^NULL==(\w+)$/.exec(t);
  if (m) return { name: m[1]!, failWhenTrue: !neg };
  // An error code, or the getter call itself as the condition (`if (get(..., &out)) return;`).
  const ev = t.replace(/(?:<0|!=0)$/, '');
  if (errVars.has(ev)) return { name: ev, failWhenTrue: !neg };
  m = /^(\w+)(?:<0|!=0)?$/.exec(t);
  if (m && t !== m[1]) return null;
  m = /^(\w+)$/.exec(t);
  if (m) return { name: m[1]!, failWhenTrue: neg };
  return null;
}

/** `s` split at each `op` outside parentheses (one part when there is none). */
function topLevel(s: string, op: string): string[] {
  const parts: string[] = [];
  let d = 0,
    from = 0;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === '(') d++;
    else if (ch === ')') d--;
    else if (d === 0 && s.startsWith(op, i)) {
      parts.push(s.slice(from, i));
      from = i + op.length;
      i += op.length - 1;
    }
  }
  parts.push(s.slice(from));
  return parts;
}

function balancedParens(s: string): boolean {
  let d = 0;
  for (const ch of s) {
    if (ch === '(') d++;
    else if (ch === ')' && --d < 0) return false;
  }
  return d === 0;
}

/**
 * The nodes under `n` (itself included) whose id is a key of `ids`, in tree order. The cursor
 * reads each node's id without making a Node object for it (most bodies have thousands).
 */
function nodesWithIds(n: Node, ids: Map<number, unknown>): Node[] {
  const out: Node[] = [];
  const cur = n.walk();
  const top = cur.nodeId;
  let done = false;
  while (!done) {
    if (ids.has(cur.nodeId)) out.push(cur.currentNode);
    if (cur.gotoFirstChild()) continue;
    while (!cur.gotoNextSibling()) {
      if (!cur.gotoParent() || cur.nodeId === top) {
        done = true;
        break;
      }
    }
  }
  cur.delete();
  return out;
}
