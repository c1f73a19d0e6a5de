// kmap_atomic() sites: kmap_atomic() also disables preemption and page faults. Converting
// one to kmap_local_page() is only a rename when nothing between the map and the unmap relies
// on that; otherwise the kernel's conversions added pagefault_disable() (for *_inatomic user
// copies) or preempt_disable() (for per-CPU data), unless a held spinlock already covers it.

import type { Node } from 'web-tree-sitter';
import type { FileModel } from './calls.js';
import type { SiteWork } from './work.js';
import type { AtomicUse, Edit, Finding } from './types.js';

const PAGEFAULT: [RegExp, string][] = [
  [/\b\w*_inatomic\s*\(/, 'a *_inatomic user copy, which expects page faults disabled'],
  [/\b(?:pagefault_disabled|faulthandler_disabled)\s*\(/, 'a pagefault_disabled() check'],
];

const PREEMPT: [RegExp, string][] = [
  [/\b(?:__)?this_cpu_\w+\s*\(|\bper_cpu(?:_ptr)?\s*\(|\bget_cpu_(?:var|ptr)\s*\(|\braw_cpu_\w+\s*\(/, 'per-CPU data'],
  [/\b(?:raw_)?smp_processor_id\s*\(/, 'smp_processor_id()'],
  [/\b(?:preempt_count|in_atomic|preemptible)\s*\(/, 'a preempt_count()/in_atomic() check'],
];

const ACQUIRE =
  /\b(?:raw_)?(?:spin_lock|read_lock|write_lock)(?:_irq|_irqsave|_bh|_nested|_irqsave_nested)?\s*\(|\blocal_irq_(?:save|disable)\s*\(|\bpreempt_disable\s*\(|\blocal_bh_disable\s*\(|\bget_cpu\s*\(/g;
const RELEASE =
  /\b(?:raw_)?(?:spin_unlock|read_unlock|write_unlock)(?:_irq|_irqrestore|_bh)?\s*\(|\blocal_irq_(?:restore|enable)\s*\(|\bpreempt_enable\s*\(|\blocal_bh_enable\s*\(|\bput_cpu\s*\(/g;

function count(re: RegExp, text: string): number {
  return [...text.matchAll(re)].length;
}

/** The statement directly inside a block that holds `n`. */
function stmtOf(n: Node): Node | null {
  let s: Node | null = n;
  while (s && s.parent && s.parent.type !== 'compound_statement') s = s.parent;
  return s?.parent ? s : null;
}

function indentOf(source: string, at: number): string {
  const ls = source.lastIndexOf('\n', at - 1) + 1;
  return /^[ \t]*/.exec(source.slice(ls))![0];
}

/** Decide each kmap_atomic() site; with `fix`, return the conversion edits of the convertible ones. */
export function analyseAtomic(model: FileModel, works: SiteWork[], findings: Finding[], fix: boolean): { site: number; edits: Edit[] }[] {
  const out: { site: number; edits: Edit[] }[] = [];
  const src = model.source;
  works.forEach((w, i) => {
    if (w.site.call !== 'kmap_atomic') return;
    const use: AtomicUse = { relies: [], needs: [], convertible: false, note: '' };
    w.site.atomic = use;
    const fn = w.call.fn;
    const unmaps = w.unmapNodes;
    if (!fn || !unmaps.length) {
      use.note = fn ? 'no matched kunmap_atomic() in this function' : 'not inside a function';
      return;
    }
    const end = unmaps.reduce((m, u) => Math.max(m, u.startIndex), -Infinity);
    const region = src.slice(w.call.node.endIndex, end);
    const pfR = PAGEFAULT.filter(([re]) => re.test(region)).map(([, why]) => why);
    const preR = PREEMPT.filter(([re]) => re.test(region)).map(([, why]) => why);
    use.relies = [...pfR, ...preR];
    const pf = pfR.length > 0;
    const pre = preR.length > 0;
    const before = src.slice(fn.body.startIndex, w.call.node.startIndex);
    // Held here, or asserted of every caller (a held lock alone says nothing: it may be a mutex).
    const byCaller = /\blockdep_assert_(?:irqs_disabled|preemption_disabled|in_softirq)\s*\(/.test(before);
    const held = byCaller || (count(ACQUIRE, before) > count(RELEASE, before) && count(RELEASE, region) <= count(ACQUIRE, region));
    if (pf) use.needs.push('pagefault_disable');
    if (pre && !held) use.needs.push('preempt_disable');
    if (held)
      use.holds = byCaller
        ? 'the function asserts that its callers run with interrupts or preemption disabled'
        : 'a spinlock (or disabled preemption/interrupts) is held across the mapping anyway';
    // Mechanical only for plain statements, in order, and where statements may be inserted.
    const why = ((): string | null => {
      if (w.site.viaMacro) return `the call is inside macro ${w.site.viaMacro}()`;
      if (w.site.inErrorRegion && !w.site.errorLine) return 'the call sits in an unparsed region';
      if (findings.some((f) => f.kind === 'lifo-violation' && f.site === i)) return 'its unmaps are out of LIFO order';
      for (const u of unmaps) {
        if (u.parent?.type !== 'expression_statement' || u.childForFieldName('function')?.text !== 'kunmap_atomic')
          return `the unmap at line ${u.startPosition.row + 1} is not a plain kunmap_atomic() statement`;
      }
      if (use.needs.length) {
        const s = stmtOf(w.call.node);
        if (!s) return 'the map is not a statement of a block';
        if (s.type === 'declaration' && s.nextNamedSibling?.type === 'declaration')
          return 'declarations follow the map: pagefault_disable()/preempt_disable() cannot go right after it';
        if (unmaps.some((u) => u.parent!.parent?.type !== 'compound_statement')) return 'an unmap is not a statement of a block';
      }
      return null;
    })();
    use.convertible = why === null;
    use.note =
      why ??
      (use.needs.length
        ? `convertible, adding ${use.needs.map((n) => n + '()').join(' and ')}`
        : 'convertible by renaming: nothing relies on disabled preemption or page faults');
    if (!fix || why) return;
    const edits: Edit[] = [];
    const callee = w.call.node.childForFieldName('function')!;
    edits.push({ start: callee.startIndex, end: callee.endIndex, text: 'kmap_local_page' });
    const on = use.needs.includes('preempt_disable') ? ['preempt_disable();'] : [];
    if (use.needs.includes('pagefault_disable')) on.push('pagefault_disable();');
    const off = on.map((x) => x.replace('_disable', '_enable')).reverse();
    if (on.length) {
      const s = stmtOf(w.call.node)!;
      const ind = indentOf(src, s.startIndex);
      edits.push({ start: s.endIndex, end: s.endIndex, text: on.map((x) => `\n${ind}${x}`).join('') });
    }
    for (const u of unmaps) {
      // The callee starts the statement: one edit puts the enable calls before it and renames it.
      const uc = u.childForFieldName('function')!;
      const ind = indentOf(src, u.parent!.startIndex);
      edits.push({ start: uc.startIndex, end: uc.endIndex, text: off.map((x) => `${x}\n${ind}`).join('') + 'kunmap_local' });
    }
    out.push({ site: i, edits: edits.sort((a, b) => a.start - b.start) });
  });
  return out;
}
