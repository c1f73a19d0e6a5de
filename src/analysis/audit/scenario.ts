// `pksim audit PATH --scenario FILE:LINE`: a .pks skeleton for one kmap() site, built from what
// the audit found there (its class and reasons, the unmaps, where the address goes) and from
// the calls in the site's function that say which context the mapping reaches: a work item for
// queue_work(), a softirq for a completion callback or an engine that completes the request, a
// task for a synchronous path. Every statement that stands for kernel code names its file:line.

import type { Site } from './types.js';
import { DECL_KEYWORDS } from '../../scenario/parse.js';

/** Which context the mapping reaches, and how. */
export type Reach =
  | { kind: 'sync' }
  | { kind: 'work'; fn: string; line: number | null; unmapsThere: boolean }
  | { kind: 'callback'; fn: string; line: number | null; unmapsThere: boolean }
  | { kind: 'completion'; line: number | null }
  | { kind: 'stored'; fn: string | null; line: number | null; unmapsThere: boolean };

/** Names a generated scenario must not use: the language's keywords (a statement may begin with the last two). */
const DECL_WORDS = new Set([...DECL_KEYWORDS, 'repeat', 'assert']);

/** A .pks name from a C name: identifier characters only, not a keyword. */
function pksName(c: string, fallback: string): string {
  let n = c.replace(/[^A-Za-z0-9_]/g, '_').replace(/^([0-9])/, '_$1');
  if (!n || /^_+$/.test(n)) n = fallback;
  return DECL_WORDS.has(n) ? `${n}_ctx` : n;
}

/** The lines of the site's function from the site to its closing brace (kernel style: `}` in column 1). */
function bodyAfter(lines: readonly string[], site: Site): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  for (let i = site.line - 1; i < lines.length; i++) {
    out.push({ text: lines[i]!, line: i + 1 });
    if (i > site.line - 1 && /^}/.test(lines[i]!)) break;
  }
  return out;
}

function findLine(body: { text: string; line: number }[], re: RegExp): { line: number; m: RegExpExecArray } | null {
  for (const b of body) {
    const m = re.exec(b.text);
    if (m) return { line: b.line, m };
  }
  return null;
}

/** Comment text on one line: a C expression or a file name may hold newlines and control characters. */
function oneLine(s: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what it removes
  return s.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ');
}

/** What the audit's reasons and the function's calls say about where the mapping goes. */
export function siteReach(site: Site, lines: readonly string[]): Reach {
  const reasons = site.reasons.join('\n');
  const unmapped = /unmapped in (\w+)\(\) \(line (\d+)\)/.exec(reasons);
  const unmapFn = unmapped?.[1] ?? null;
  const body = bodyAfter(lines, site);
  if (site.class === 'local' || site.class === 'already-local') return { kind: 'sync' };
  const work = findLine(body, /\b(?:queue_work|queue_delayed_work|queue_work_on|schedule_work|schedule_delayed_work)\s*\(/);
  if (work) {
    const init = /INIT_(?:DELAYED_)?WORK\s*\([^,]+,\s*(\w+)\s*\)/.exec(lines.join('\n'));
    const fn = init?.[1] ?? unmapFn ?? 'work_fn';
    return { kind: 'work', fn, line: work.line, unmapsThere: unmapFn !== null && unmapFn === fn };
  }
  const cb = /together with callback (\w+)[^\n]*\(line (\d+)\)/.exec(reasons);
  if (cb) return { kind: 'callback', fn: cb[1]!, line: Number(cb[2]), unmapsThere: unmapFn === cb[1] };
  if (/completes in another context/.test(reasons) || findLine(body, /\bwait_for_completion\w*\s*\(/)) {
    const at = /completes in another context \(line (\d+)\)/.exec(reasons);
    return { kind: 'completion', line: at ? Number(at[1]) : null };
  }
  return { kind: 'stored', fn: unmapFn, line: site.escapes?.[0]?.line ?? null, unmapsThere: unmapFn !== null };
}

/** The .pks text for a site of `file` (as the audit names it, `where` as the user wrote it). */
export function siteScenario(site: Site, lines: readonly string[], where: string): string {
  const reach = siteReach(site, lines);
  const at = (line: number | null): string => (line === null ? '' : `${where}:${line}`);
  /** A line of code with its comment from column 37, as the library's scenarios are written. */
  const ln = (code: string, comment = ''): string => (comment ? `${code.padEnd(35)} // ${oneLine(comment)}` : code);
  const fn = site.function ?? 'caller';
  const task = pksName(fn, 'caller');
  const other =
    reach.kind === 'work' || reach.kind === 'callback' ? pksName(reach.fn, 'handler') : reach.kind === 'stored' ? pksName(reach.fn ?? 'consumer', 'consumer') : 'endio';
  const ctx = other === task ? `${other}_2` : other;
  const local = site.call !== 'kmap';
  const mapStmt = local ? `p = ${site.call === 'kmap_atomic' ? 'kmap_atomic' : 'kmap_local_page'}(buf)` : 'p = kmap(buf)';
  const unmapStmt = local ? (site.call === 'kmap_atomic' ? 'kunmap_atomic(p)' : 'kunmap_local(p)') : 'kunmap(buf)';
  const ownUnmap = site.unmaps[0] ?? null;
  const out: string[] = [];
  out.push(oneLine(`// ${where}:${site.line}: ${site.call}(${site.arg}) in ${fn}(), audited ${site.class}: ${reachText(reach)}.`));
  for (const r of site.reasons) out.push(oneLine(`//   ${r}`));
  out.push(oneLine(`// A skeleton generated by pksim audit --scenario: one page for the mapped ${site.arg}, one access`));
  out.push(`// where the kernel code uses the address; run it under every design with pksim compare.`);
  out.push('');
  out.push(`cpus ${reach.kind === 'sync' ? 1 : 2}`);
  out.push('key pmem = 1 default noaccess');
  out.push(ln('page buf key pmem', `the page mapped: ${site.arg}`));
  if (reach.kind !== 'sync') out.push(ln('channel handoff', 'carries the address to the other context'));
  const waits = reach.kind === 'completion' || ((reach.kind === 'work' || reach.kind === 'callback') && !reach.unmapsThere);
  if (waits) out.push('completion done');
  out.push('');
  out.push(ln(`task ${task} cpu 0 {`, `${fn}(), ${where}`));
  out.push(ln(`    ${mapStmt}`, at(site.line)));
  out.push(`    write(p, 0)`);
  const unmapsElsewhere = reach.kind !== 'sync' && reach.kind !== 'completion' && reach.unmapsThere;
  if (reach.kind !== 'sync') {
    out.push(ln('    send(handoff, p)', at(reach.kind === 'completion' || reach.kind === 'stored' ? reach.line : (site.escapes?.[0]?.line ?? null))));
    if (reach.kind === 'work') out.push(ln(`    queue_work(${ctx}_item)`, at(reach.line)));
    if (reach.kind === 'stored') out.push(ln(`    raise_softirq(${ctx})`, 'the audit does not say which context finds the address: a softirq here'));
    if (waits) out.push(`    wait_for_completion(done)`);
  }
  if (!unmapsElsewhere) {
    if (ownUnmap) out.push(ln(`    ${unmapStmt}`, at(ownUnmap.line)));
    else out.push(`    // no unmap of this mapping found in ${fn}(): none here either`);
  }
  out.push('    return_to_user()');
  out.push('}');
  if (reach.kind !== 'sync') {
    out.push('');
    const body = ['    p = recv(handoff)', ln('    write(p, 0x10)', 'the other context uses the address')];
    if (unmapsElsewhere) {
      const m = /unmapped in (\w+)\(\) \(line (\d+)\)/.exec(site.reasons.join('\n'));
      body.push(ln('    kunmap(buf)', m ? `${at(Number(m[2]))} in ${m[1]}()` : 'the audit saw the unmap in another function'));
    }
    if (waits) body.push('    complete(done)');
    if (reach.kind === 'work') {
      out.push(`worker kworker cpu 1`);
      out.push(ln(`work ${ctx}_item on kworker {`, `${reach.fn}(), queued by ${fn}()`));
    } else if (reach.kind === 'callback') out.push(ln(`softirq ${ctx} cpu 1 on handoff {`, `${reach.fn}(), the completion callback`));
    else if (reach.kind === 'completion') out.push(ln(`softirq ${ctx} cpu 1 on handoff {`, "the engine's completion, in softirq context"));
    else out.push(ln(`softirq ${ctx} cpu 1 {`, reach.fn ? `${reach.fn}()` : 'whoever reads the stored address'));
    out.push(...body, '}');
  }
  out.push('');
  return out.join('\n');
}

function reachText(r: Reach): string {
  switch (r.kind) {
    case 'sync':
      return 'mapped, used and unmapped by one task';
    case 'work':
      return `handed to a work item (${r.fn}) on a worker thread`;
    case 'callback':
      return `handed to a completion callback (${r.fn}), modelled as a softirq`;
    case 'completion':
      return 'handed to an engine that completes the request in softirq context while the task waits';
    case 'stored':
      return `stored where another context finds it${r.fn ? ` (${r.fn}() unmaps it)` : ''}`;
  }
}
