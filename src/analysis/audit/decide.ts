// Stage 4c (part): the class of one kmap() site, with its reasons, from what the other stages
// found: the escapes of its address, the paths that leave it mapped, the helper pairs around
// it, and the loops that map and unmap it.

import type { CallInfo, FnInfo } from './calls.js';
import { norm } from './parse.js';
import { analysePaths, liveAt, MAX_NESTING, type PathEvent, type PathReport } from './paths.js';
import { checkHelperPair, type HandBack, type Scope } from './helpers.js';
import { clip, derivedReturn, loopPaired, pageHandedBack, putCallsFor, sameRangeUnmapLoops } from './shapes.js';
import type { Finding } from './types.js';
import type { SiteWork } from './work.js';

const lines = (xs: number[]) => (xs.length === 1 ? `line ${xs[0]}` : `lines ${xs.join(', ')}`);

/** `to.push(...xs)` without the spread, whose size is bounded by the stack. */
function pushAll<T>(to: T[], xs: readonly T[]): void {
  for (const x of xs) to.push(x);
}

export function classifyKmap(
  scope: Scope,
  w: SiteWork,
  idx: number,
  pathReports: Map<FnInfo, PathReport>,
  byLeaf: Map<string, CallInfo[]>,
  finding: (f: Finding) => void,
): void {
  const s = w.site;
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
    return (byLeaf.get(leaf) ?? []).filter((u) => u.fn !== fn);
  };
  if (s.viaMacro) R.push(`kmap() is reached through macro ${s.viaMacro}()`);
  if (s.inErrorRegion) R.push(s.errorLine ? `${fn?.name ?? 'the function'}() does not parse cleanly at line ${s.errorLine}` : 'the call sits in an unparsed (ERROR) region');
  const pair = (hand: HandBack) => {
    w.crossFile = true;
    const h = checkHelperPair(scope, fn!, hand);
    s.fixable = false;
    s.fixNote = 'get/put helper pair: convert the helpers and their callers by hand';
    return h;
  };
  const handedPage = fn && (!s.unmaps.length || partial) ? pageHandedBack(fn, s.arg) : null;
  const structHand = glob.length && glob.every((f) => f.hand?.kind === 'struct' && f.hand.param === (glob[0]!.hand as { param: number }).param) ? glob[0]!.hand! : null;
  const stackPair = fn && structHand && !s.unmaps.length ? pair(structHand) : null;
  if (fn && pathReports.get(fn)?.tooDeep) {
    s.class = 'unclear';
    R.push(`${fn.name}() nests statements or expressions more than ${MAX_NESTING} levels deep: its paths are not walked`);
  } else if (!fn) {
    s.class = 'global';
    pushAll(
      R,
      facts.map((f) => f.text),
    );
  } else if (stackPair?.class === 'local') {
    // The struct is the caller's local: its storage dies with the caller's frame.
    s.class = 'local';
    pushAll(
      R,
      glob.map((f) => `${f.text.replace(/, which outlives the call$/, '')}, a struct its callers pass in and release before they return (line ${f.line})`),
    );
    pushAll(R, stackPair.reasons);
  } else if (glob.length) {
    s.class = 'global';
    pushAll(
      R,
      glob.map((f) => `${f.text} (line ${f.line})`),
    );
    // The first caller that breaks the pair, shortened: the full chain is for --verbose readers of the JSON.
    if (stackPair?.reasons[0]) R.push(`not shown to be released by every caller: ${clip(stackPair.reasons[0], 200)}`);
    if (partial) R.push(`kunmap() only on some paths (${lines(unmapLines)}); on the path returning at ${lines(live)} the mapping stays live after ${fn.name}() returns`);
    else if (!s.unmaps.length) {
      const e = elsewhere();
      if (e.length) R.push(`unmapped in ${[...new Set(e.map((u) => u.fn!.name + '()'))].join(', ')} (${lines(e.map((u) => u.node.startPosition.row + 1))})`);
    }
  } else if (ret.length && (!s.unmaps.length || partial)) {
    const h = pair(ret[0]!.hand ?? { kind: 'return' });
    s.class = h.class;
    pushAll(
      R,
      ret.map((f) => f.text),
    );
    if (partial) R.push(`kunmap() only on the paths at ${lines(unmapLines)}, e.g. error paths; other paths hand the mapping back`);
    pushAll(R, h.reasons);
  } else if (handedPage) {
    const h = pair(handedPage.hand);
    s.class = h.class;
    R.push(`the page '${s.arg}' is handed back to the caller still mapped (${handedPage.what}, line ${handedPage.line || s.line})`);
    if (partial) R.push(`kunmap() only on the paths at ${lines(unmapLines)}, e.g. error paths`);
    pushAll(R, h.reasons);
  } else if (!s.unmaps.length && putCallsFor(scope, fn, s.arg).length) {
    // Released by a put helper (kunmap() + put_page()) called here, maybe defined in a header.
    const pc = putCallsFor(scope, fn, s.arg);
    const events = new Map<number, PathEvent>([
      [w.call.node.id, { kind: 'map', site: 0 }],
      ...pc.map((x) => [x.node.id, { kind: 'unmap', sites: [0] }] as [number, PathEvent]),
    ]);
    const page = norm(s.arg);
    const nodes = [w.call.node, ...pc.map((x) => x.node)];
    const still = liveAt(analysePaths(fn.body, events, /^\w+$/.test(page) ? new Map([[page, [0]]]) : new Map<string, number[]>(), undefined, nodes), 0, fn.body);
    const who = [...new Set(pc.map((x) => `${x.put.where} ${x.put.name}()`))].join(', ');
    s.fixable = false;
    s.fixNote = `released by put helper ${pc[0]!.put.name}(): convert the helper and its callers together`;
    if (!still.length) {
      s.class = 'local';
      R.push(`the mapping stays in ${fn.name}() and is released on every path by put helper ${who} unmaps it (${lines(pc.map((x) => x.node.startPosition.row + 1))})`);
    } else {
      s.class = 'unclear';
      R.push(
        `released by put helper ${who} unmaps it (${lines(pc.map((x) => x.node.startPosition.row + 1))}), but the walk sees the mapping live at the return on ${lines(still)}`,
      );
    }
  } else if (!s.unmaps.length && derivedReturn(fn, w.esc.vars)) {
    // `return get_entry(..., kaddr)`: a pointer into the mapping goes back to the caller.
    const h = pair({ kind: 'return' });
    s.class = h.class;
    R.push(`a pointer derived from the address is returned to the caller (line ${derivedReturn(fn, w.esc.vars)})`);
    pushAll(R, h.reasons);
  } else if (!s.unmaps.length) {
    const e = elsewhere();
    if (e.length) {
      s.class = 'global';
      R.push(
        `not unmapped in ${fn.name}(): kunmap(${e[0]!.argText}) is in ${[...new Set(e.map((u) => u.fn!.name + '()'))].join(', ')} (${lines(e.map((u) => u.node.startPosition.row + 1))}), a different function reached from elsewhere`,
      );
    } else {
      s.class = 'unclear';
      w.crossFile = true;
      R.push(`no kunmap() of ${s.arg || 'the page'} in ${fn.name}() or elsewhere in this file (missing, or done by another file)`);
    }
  } else if (unc.length) {
    s.class = 'unclear';
    // An indirect call's targets may be assigned in other files of the subsystem.
    if (unc.some((f) => /indirect call .*target unknown/.test(f.text))) w.crossFile = true;
    pushAll(
      R,
      unc.map((f) => `${f.text} (line ${f.line})`),
    );
    if (partial) R.push(`kunmap() at ${lines(unmapLines)}; the walk sees the mapping live at the return on ${lines(live)}`);
  } else if (partial && loopPaired(w)) {
    const same = sameRangeUnmapLoops(w);
    const events = new Map<number, PathEvent>([
      [w.call.node.id, { kind: 'map', site: 0 }],
      ...same.map((l) => [l.id, { kind: 'unmap', sites: [0], all: true }] as [number, PathEvent]),
    ]);
    const still = same.length ? liveAt(analysePaths(fn.body, events, undefined, undefined, [w.call.node, ...same]), 0, fn.body) : [0];
    if (!still.length) {
      s.class = 'local';
      R.push(
        `mapped in a loop and unmapped in a loop over the same range (${lines(same.map((l) => l.startPosition.row + 1))}) that every path reaches: the mappings stay in ${fn.name}()`,
      );
      s.fixable = false;
      s.fixNote = `one mapping per loop iteration is held at once: kmap_local_page() allows a bounded number (KM_MAX_IDX) and needs the unmap loop reversed`;
    } else {
      s.class = 'unclear';
      R.push(`mapped in one loop and unmapped in another (${lines(unmapLines)}): the number of maps and unmaps cannot be matched statically`);
    }
  } else if (partial) {
    s.class = 'unclear';
    R.push(`not unmapped on every path: kunmap() at ${lines(unmapLines)}, but the mapping is still live at the return on ${lines(live)}`);
    finding({
      kind: 'missing-unmap',
      line: s.line,
      column: s.column,
      site: idx,
      message: `kmap(${s.arg}) is unmapped on some paths (${lines(unmapLines)}) but still mapped at the return on ${lines(live)}`,
    });
  } else {
    s.class = 'local';
    const where = w.esc.discarded ? 'the mapping is used only' : s.addr ? `the address (${w.esc.vars.join(', ')}) stays` : 'the address is used only';
    R.push(`${where} in ${fn.name}() and is unmapped on every path (${lines(unmapLines)})`);
  }
  if (s.class === 'local') for (const n of notes) R.push(`${n.text} (line ${n.line})`);
  if (s.class === 'global' && glob.length) s.escapes = glob.map((f) => ({ line: f.line, text: f.text }));
  if (s.class !== 'local' && unc.length && s.class !== 'unclear')
    pushAll(
      R,
      unc.map((f) => `also: ${f.text} (line ${f.line})`),
    );
  if (s.depth > 1) R.push(`nested: ${s.depth} mappings live at once here`);
  if (!s.lifoOk) R.push('unmaps would need reordering for kmap_local (LIFO)');
  s.reasons = R;
  s.reason = R.join('; ');
}
