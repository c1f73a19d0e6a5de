// Stage 4c: put the stages together for one file: match unmaps to maps, walk the paths,
// follow the addresses, and give every kmap() site a class with reasons.

import type { Node, Tree } from 'web-tree-sitter';
import { buildModel, posOf, type CallInfo, type FileModel, type FnInfo } from './calls.js';
import { traceValue, type EscapeReport } from './escape.js';
import { enclosingLoop, firstError, inErrorRegion, norm, stripWrappers } from './parse.js';
import { analysePaths, type PathEvent, type PathReport } from './paths.js';
import { checkHelperPair } from './helpers.js';
import { planFixes } from './fix.js';
import type { FileResult, Finding, Site, UnmapRef } from './types.js';

export interface SiteWork {
  site: Site;
  call: CallInfo;
  esc: EscapeReport;
  unmapNodes: Node[];
}

function pos(n: Node): { line: number; column: number } {
  return { line: n.startPosition.row + 1, column: n.startPosition.column + 1 };
}

const lines = (xs: number[]) => (xs.length === 1 ? `line ${xs[0]}` : `lines ${xs.join(', ')}`);

/** `virt_to_page(addr)` / `kmap_to_page(addr)` -> addr */
function pageOfAddr(text: string): string | null {
  const m = /^(?:virt_to_page|kmap_to_page|vmalloc_to_page)\((.*)\)$/.exec(norm(text));
  return m ? norm(m[1]!) : null;
}

/** The base variable of an address expression: `(char *)buf + off` -> buf */
function addrBase(n: Node | null, text: string): string {
  if (!n) return norm(text).replace(/[+-].*$/, '');
  let x = stripWrappers(n);
  while (x.type === 'binary_expression') x = stripWrappers(x.childForFieldName('left')!);
  return norm(x.text);
}

/** Other spellings of a page expression: `p` where `struct page *p = sg_page(sg)` also matches `sg_page(sg)`. */
function pageAliases(fn: FnInfo | null, arg: string): Set<string> {
  const out = new Set([norm(arg)]);
  if (!fn || !/^\w+$/.test(norm(arg))) return out;
  for (const decl of fn.body.descendantsOfType(['init_declarator', 'assignment_expression'])) {
    if (!decl) continue;
    const l = decl.type === 'init_declarator' ? decl.childForFieldName('declarator') : decl.childForFieldName('left');
    const r = decl.childForFieldName(decl.type === 'init_declarator' ? 'value' : 'right');
    if (r && l && norm(l.text.replace(/^\*+/, '')) === norm(arg)) out.add(norm(stripWrappers(r).text));
  }
  return out;
}

export function analyseFile(rel: string, source: string, tree: Tree, opts: { fix?: boolean } = {}): FileResult {
  const model = buildModel(tree, source);
  const res: FileResult = { file: rel, parsed: true, hasErrors: tree.rootNode.hasError, sites: [], findings: [], calls: {}, fixes: [] };
  for (const c of model.calls) res.calls[c.name] = (res.calls[c.name] ?? 0) + 1;
  const works: SiteWork[] = [];
  for (const c of model.calls) {
    if (c.name === 'kunmap' || c.name === 'kunmap_local' || c.name === 'kunmap_atomic') continue;
    const esc = traceValue(model, c.fn, c.node);
    const site: Site = {
      file: rel,
      ...pos(c.node),
      call: c.name,
      class: c.name === 'kmap' ? 'unclear' : 'already-local',
      function: c.fn?.name ?? null,
      reason: '',
      reasons: [],
      arg: c.argText,
      addr: esc.vars[0] ?? null,
      unmaps: [],
      depth: 1,
      lifoOk: true,
      inErrorRegion: inErrorRegion(c.node),
    };
    if (c.viaMacro) site.viaMacro = c.viaMacro;
    works.push({ site, call: c, esc, unmapNodes: [] });
  }
  const finding = (f: Finding) => res.findings.push(f);

  // Match unmaps to sites, function by function, and walk the paths.
  const byFn = new Map<FnInfo, number[]>();
  works.forEach((w, i) => {
    if (!w.call.fn) return;
    const l = byFn.get(w.call.fn) ?? [];
    l.push(i);
    byFn.set(w.call.fn, l);
  });
  const pathReports = new Map<FnInfo, PathReport>();
  const unmatchedKunmaps: CallInfo[] = [];
  for (const u of model.calls) {
    if (u.name !== 'kunmap' && u.name !== 'kunmap_local' && u.name !== 'kunmap_atomic') continue;
    const here = (u.fn && byFn.get(u.fn)) || [];
    const argN = norm(u.argText);
    const base = addrBase(u.arg, u.argText);
    let matched: number[];
    if (u.name === 'kunmap') {
      matched = here.filter((i) => works[i]!.site.call === 'kmap' && pageAliases(u.fn, works[i]!.site.arg).has(argN));
      const viaAddr = pageOfAddr(u.argText);
      if (!matched.length && viaAddr) matched = here.filter((i) => works[i]!.site.call === 'kmap' && works[i]!.esc.vars.includes(viaAddr.replace(/[+-].*$/, '')));
      if (!matched.length) {
        const byAddr = here.filter((i) => works[i]!.esc.vars.includes(base));
        const local = here.filter((i) => works[i]!.site.call !== 'kmap' && norm(works[i]!.site.arg) === argN);
        const v = u.fn?.locals.get(base) ?? u.fn?.params.find((p) => p.name === base);
        if (byAddr.length) {
          finding({ kind: 'kunmap-wrong-arg', ...pos(u.node), site: byAddr[0], message: `kunmap(${u.argText}) is given the address returned by ${works[byAddr[0]!]!.site.call}() at line ${works[byAddr[0]!]!.site.line}; kunmap() takes the struct page (${works[byAddr[0]!]!.site.arg})` });
          matched = byAddr;
        } else if (local.length) {
          finding({ kind: 'unmap-wrong-kind', ...pos(u.node), site: local[0], message: `kunmap(${u.argText}) releases a mapping made by ${works[local[0]!]!.site.call}() at line ${works[local[0]!]!.site.line}; that needs ${works[local[0]!]!.site.call === 'kmap_atomic' ? 'kunmap_atomic' : 'kunmap_local'}(address)` });
          matched = local;
        } else if (v && /^\w+$/.test(argN) && !/\bpage\b|\bfolio\b/.test(v.type)) {
          finding({ kind: 'kunmap-wrong-arg', ...pos(u.node), message: `kunmap(${u.argText}): ${base} is declared '${v.type.trim()}', not a struct page *` });
        } else unmatchedKunmaps.push(u);
      }
    } else {
      matched = here.filter((i) => works[i]!.site.call !== 'kmap' && (works[i]!.esc.vars.includes(base) || norm(works[i]!.call.node.text) === base));
      if (!matched.length) {
        const k = here.filter((i) => works[i]!.site.call === 'kmap' && works[i]!.esc.vars.includes(base));
        if (k.length) {
          finding({ kind: 'unmap-wrong-kind', ...pos(u.node), site: k[0], message: `${u.name}(${u.argText}) releases a mapping made by kmap() at line ${works[k[0]!]!.site.line}; that needs kunmap(${works[k[0]!]!.site.arg})` });
          matched = k;
        }
      }
    }
    for (const i of matched) {
      const ref: UnmapRef = { ...pos(u.node), call: u.name, arg: u.argText };
      works[i]!.site.unmaps.push(ref);
      works[i]!.unmapNodes.push(u.node);
    }
    if (u.fn && matched.length) {
      (u as CallInfo & { matched?: number[] }).matched = matched;
    }
  }
  for (const [fn, idxs] of byFn) {
    const events = new Map<number, PathEvent>();
    for (const i of idxs) events.set(works[i]!.call.node.id, { kind: 'map', site: i });
    for (const u of model.calls) {
      const m = (u as CallInfo & { matched?: number[] }).matched;
      if (u.fn === fn && m) events.set(u.node.id, { kind: 'unmap', sites: m });
    }
    const guards = new Map<string, number[]>();
    for (const i of idxs) {
      const page = norm(works[i]!.site.arg);
      const names = /^\w+$/.test(page) ? [...works[i]!.esc.vars, page] : works[i]!.esc.vars;
      for (const v of names) guards.set(v, [...(guards.get(v) ?? []), i]);
    }
    pathReports.set(fn, analysePaths(fn.body, events, guards));
  }

  // LIFO: today (among kmap_local/kmap_atomic) and after converting kmap() sites.
  for (const [, rep] of pathReports) {
    for (const v of rep.lifo) {
      const w = works[v.site]!;
      const aboveSites = v.above.map((i) => works[i]!);
      const all = [w, ...aboveSites];
      const today = all.every((x) => x.site.call !== 'kmap');
      const names = [...new Set(aboveSites.map((x) => `${x.site.call}() at line ${x.site.line}`))].join(', ');
      if (today) {
        finding({ kind: 'lifo-violation', ...pos(v.node), site: v.site, message: `${w.site.call}() mapping from line ${w.site.line} is released while ${names} is still mapped: kmap_local mappings must be released in reverse order` });
      } else {
        for (const x of all) if (x.site.call === 'kmap') x.site.lifoOk = false;
        finding({ kind: 'lifo-after-conversion', ...pos(v.node), site: v.site, message: `mapping from line ${w.site.line} is released before ${names}: after conversion to kmap_local_page() these unmaps must be reordered (reverse order of mapping)` });
      }
    }
    for (const [i, d] of rep.depth) works[i]!.site.depth = d;
  }

  // Classify kmap() sites.
  for (const w of works) {
    const s = w.site;
    const fnErr = !s.inErrorRegion && w.call.fn ? (w.call.fn.pseudo ? w.call.fn.node : firstError(w.call.fn.node)) : null;
    if (s.inErrorRegion) finding({ kind: 'error-region', line: s.line, column: s.column, site: works.indexOf(w), message: `${s.call}() call sits in a region tree-sitter could not parse (a macro or #ifdef it cannot see through); the result is based on the part of the tree that parsed` });
    else if (fnErr) {
      s.inErrorRegion = true;
      s.errorLine = fnErr.startPosition.row + 1;
      finding({ kind: 'error-region', line: s.line, column: s.column, site: works.indexOf(w), message: `${s.call}() call is in ${w.call.fn!.name}(), which does not parse cleanly (line ${s.errorLine}: a macro or #ifdef tree-sitter cannot see through); the result is based on the part of the tree that parsed` });
    }
    if (s.call !== 'kmap') {
      const live = (w.call.fn && pathReports.get(w.call.fn)?.liveAtReturn.get(works.indexOf(w))) || [];
      s.reason = `${s.call}() is already thread-local`;
      if (s.unmaps.length && live.length) {
        finding({ kind: 'missing-unmap', line: s.line, column: s.column, site: works.indexOf(w), message: `${s.call}() mapping is released on some paths (${lines(s.unmaps.map((u) => u.line))}) but still live at the return on ${lines(live)}` });
      }
      s.reasons = [s.reason];
      continue;
    }
    classifyKmap(model, w, works, pathReports, unmatchedKunmaps, finding);
  }

  // Calls inside macro bodies that are not simple wrappers.
  for (const m of model.macroSites) {
    if (m.name !== 'kmap') continue;
    const p = posOf(source, m.index);
    const uses = model.callsTo(m.macro).length;
    const reason = `inside the body of macro ${m.macro}(), which expands at ${uses} call site(s) in this file; decide at each expansion`;
    res.sites.push({ file: rel, ...p, call: 'kmap', class: 'unclear', function: null, reason, reasons: [reason], arg: '', addr: null, unmaps: [], depth: 1, lifoOk: true, inErrorRegion: false, viaMacro: m.macro });
  }
  res.sites.unshift(...works.map((w) => w.site));
  // Planning is cheap and tells each local site whether --fix can convert it; the edits
  // themselves are only kept when asked for.
  const fixes = planFixes(model, works, pathReports);
  if (opts.fix) res.fixes = fixes;
  res.sites.sort((a, b) => a.line - b.line || a.column - b.column);
  res.findings.sort((a, b) => a.line - b.line || a.column - b.column);
  // Findings refer to sites by index: re-index after sorting.
  const order = new Map(works.map((w, i) => [i, res.sites.indexOf(w.site)]));
  for (const f of res.findings) if (f.site !== undefined) f.site = order.get(f.site);
  for (const fx of res.fixes) fx.site = order.get(fx.site) ?? fx.site;
  return res;
}

/** A get helper that maps a page and returns the page itself (or stores it through an out-parameter): the line. */
function pageHandedBack(fn: FnInfo, arg: string): number | null {
  const a = norm(arg);
  if (!/^\w+$/.test(a)) return null;
  for (const r of fn.body.descendantsOfType('return_statement')) {
    const v = r?.namedChild(0);
    if (r && v && norm(stripWrappers(v).text) === a) return r.startPosition.row + 1;
  }
  for (const x of fn.body.descendantsOfType('assignment_expression')) {
    const l = x?.childForFieldName('left');
    const r = x?.childForFieldName('right');
    if (!x || !l || !r || l.type !== 'pointer_expression' || norm(stripWrappers(r).text) !== a) continue;
    const base = l.namedChild(0)?.text ?? '';
    if (fn.params.some((p) => p.name === base)) return x.startPosition.row + 1;
  }
  return null;
}

/** Mapped inside a loop and unmapped inside a different loop (page arrays). */
function loopPaired(w: SiteWork): boolean {
  const body = w.call.fn?.body ?? null;
  const l = enclosingLoop(w.call.node, body);
  return !!l && w.unmapNodes.some((u) => {
    const m = enclosingLoop(u, body);
    return !!m && m.id !== l.id && !isInside(m, l) && !isInside(l, m);
  });
}

function isInside(inner: Node, outer: Node): boolean {
  return inner.startIndex >= outer.startIndex && inner.endIndex <= outer.endIndex;
}

function classifyKmap(
  model: FileModel,
  w: SiteWork,
  works: SiteWork[],
  pathReports: Map<FnInfo, PathReport>,
  unmatchedKunmaps: CallInfo[],
  finding: (f: Finding) => void,
): void {
  const s = w.site;
  const idx = works.indexOf(w);
  const fn = w.call.fn;
  const facts = w.esc.facts;
  const glob = facts.filter((f) => f.verdict === 'global');
  const unc = facts.filter((f) => f.verdict === 'unclear');
  const ret = facts.filter((f) => f.verdict === 'returned');
  const notes = facts.filter((f) => f.verdict === 'note');
  const live = (fn && pathReports.get(fn)?.liveAtReturn.get(idx)) || [];
  const R: string[] = [];
  const unmapLines = s.unmaps.map((u) => u.line);
  const partial = s.unmaps.length > 0 && live.length > 0;
  const elsewhere = () => {
    const leaf = norm(s.arg).replace(/^.*(->|\.)/, '');
    return unmatchedKunmaps.filter((u) => u.fn && u.fn !== fn && norm(u.argText).replace(/^.*(->|\.)/, '') === leaf);
  };
  if (s.viaMacro) R.push(`kmap() is reached through macro ${s.viaMacro}()`);
  if (s.inErrorRegion) R.push(s.errorLine ? `${fn?.name ?? 'the function'}() does not parse cleanly at line ${s.errorLine}` : 'the call sits in an unparsed (ERROR) region');
  if (!fn) {
    s.class = 'global';
    R.push(...facts.map((f) => f.text));
  } else if (glob.length) {
    s.class = 'global';
    R.push(...glob.map((f) => `${f.text} (line ${f.line})`));
    if (partial) R.push(`kunmap() only on some paths (${lines(unmapLines)}); on the path returning at ${lines(live)} the mapping stays live after ${fn.name}() returns`);
    else if (!s.unmaps.length) {
      const e = elsewhere();
      if (e.length) R.push(`unmapped in ${[...new Set(e.map((u) => u.fn!.name + '()'))].join(', ')} (${lines(e.map((u) => u.node.startPosition.row + 1))})`);
    }
  } else if (ret.length && (!s.unmaps.length || partial)) {
    const h = checkHelperPair(model, fn, w);
    s.class = h.class;
    R.push(...ret.map((f) => f.text));
    if (partial) R.push(`kunmap() only on the paths at ${lines(unmapLines)}, e.g. error paths; other paths return with the mapping live`);
    R.push(...h.reasons);
    s.fixable = false;
    s.fixNote = 'get/put helper pair: convert the helpers and their callers by hand';
  } else if (!s.unmaps.length && fn && pageHandedBack(fn, s.arg)) {
    const h = checkHelperPair(model, fn, w);
    s.class = h.class;
    R.push(`the page '${s.arg}' is handed back to the caller still mapped (line ${pageHandedBack(fn, s.arg)})`);
    R.push(...h.reasons);
    s.fixable = false;
    s.fixNote = 'get/put helper pair: convert the helpers and their callers by hand';
  } else if (!s.unmaps.length) {
    const e = elsewhere();
    if (e.length) {
      s.class = 'global';
      R.push(`not unmapped in ${fn.name}(): kunmap(${e[0]!.argText}) is in ${[...new Set(e.map((u) => u.fn!.name + '()'))].join(', ')} (${lines(e.map((u) => u.node.startPosition.row + 1))}), a different function reached from elsewhere`);
    } else {
      s.class = 'unclear';
      R.push(`no kunmap() of ${s.arg || 'the page'} in ${fn.name}() or elsewhere in this file (missing, or done by another file)`);
    }
  } else if (unc.length) {
    s.class = 'unclear';
    R.push(...unc.map((f) => `${f.text} (line ${f.line})`));
    if (partial) R.push(`kunmap() at ${lines(unmapLines)}; the walk sees the mapping live at the return on ${lines(live)}`);
  } else if (partial && loopPaired(w)) {
    s.class = 'unclear';
    R.push(`mapped in one loop and unmapped in another (${lines(unmapLines)}): the number of maps and unmaps cannot be matched statically`);
  } else if (partial) {
    s.class = 'unclear';
    R.push(`not unmapped on every path: kunmap() at ${lines(unmapLines)}, but the mapping is still live at the return on ${lines(live)}`);
    finding({ kind: 'missing-unmap', line: s.line, column: s.column, site: idx, message: `kmap(${s.arg}) is unmapped on some paths (${lines(unmapLines)}) but still mapped at the return on ${lines(live)}` });
  } else {
    s.class = 'local';
    const where = w.esc.discarded ? 'the mapping is used only' : s.addr ? `the address (${w.esc.vars.join(', ')}) stays` : 'the address is used only';
    R.push(`${where} in ${fn.name}() and is unmapped on every path (${lines(unmapLines)})`);
  }
  if (s.class === 'local') for (const n of notes) R.push(`${n.text} (line ${n.line})`);
  if (s.class !== 'local' && unc.length && s.class !== 'unclear') R.push(...unc.map((f) => `also: ${f.text} (line ${f.line})`));
  if (s.depth > 1) R.push(`nested: ${s.depth} mappings live at once here`);
  if (!s.lifoOk) R.push('unmaps would need reordering for kmap_local (LIFO)');
  s.reasons = R;
  s.reason = R.join('; ');
}
