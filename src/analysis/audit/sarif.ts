// SARIF 2.1.0 output: one rule per class and per warning (with full descriptions and help),
// results with end positions, related locations (the matched unmaps, where the address
// escapes), stable partial fingerprints, and the --fix edits as fixes[].

import { createHash } from 'node:crypto';
import type { AuditResult, Edit, Site } from './types.js';

const VERSION = '0.1.0';

interface Rule {
  id: string;
  name: string;
  text: string;
  full: string;
  help: string;
  level: 'note' | 'warning';
}

const RULES: Rule[] = [
  {
    id: 'kmap/local',
    name: 'KmapThreadLocal',
    text: 'kmap() whose mapping stays in one context: convertible to kmap_local_page()',
    full: 'The address returned by kmap() is used only by the thread that mapped it (in the function, or in a get/put helper pair whose callers release it on every path) and is unmapped on every path.',
    help: 'Replace kmap(page) with kmap_local_page(page) and kunmap(page) with kunmap_local(address), releasing nested mappings in reverse order. pksim audit --fix does it where the change is mechanical.',
    level: 'warning',
  },
  {
    id: 'kmap/global',
    name: 'KmapGlobal',
    text: 'kmap() whose address or mapping escapes to another context or function',
    full: 'The address is stored where it outlives the call, handed to code that runs in another context, or unmapped in a different function: a kmap_local_page() mapping would not be valid there.',
    help: 'Keep kmap(), or restructure so that the mapping is made and released by the thread that uses it.',
    level: 'note',
  },
  {
    id: 'kmap/unclear',
    name: 'KmapUnclear',
    text: 'kmap() whose use could not be decided',
    full: 'The audit could not decide whether the mapping stays in one context; the message says what is missing (a caller, a put helper, an indirect call target).',
    help: 'Read the reasons; callee knowledge can be added with --callees FILE.',
    level: 'note',
  },
  {
    id: 'kmap/atomic',
    name: 'KmapAtomic',
    text: 'kmap_atomic() and what a conversion to kmap_local_page() must keep',
    full: 'kmap_atomic() also disables preemption and page faults. The result says whether the code between map and unmap relies on that and whether --fix --atomic converts the site.',
    help: 'Convert to kmap_local_page(), adding pagefault_disable()/preempt_disable() where the code relies on them.',
    level: 'note',
  },
  {
    id: 'missing-unmap',
    name: 'MissingUnmap',
    text: 'mapping released on some paths but not on others',
    full: 'A path returns with the mapping live while other paths unmap it.',
    help: 'Unmap on every path, or check that the path is impossible.',
    level: 'warning',
  },
  {
    id: 'lifo-after-conversion',
    name: 'LifoAfterConversion',
    text: 'unmaps out of order for kmap_local after conversion',
    full: 'kmap_local_page() mappings must be released in reverse order of mapping; these kmap() sites release them in another order.',
    help: 'Reorder the unmaps when converting (pksim audit --fix does it for adjacent unmaps).',
    level: 'warning',
  },
  {
    id: 'lifo-violation',
    name: 'LifoViolation',
    text: 'kmap_local/kmap_atomic mappings released out of order',
    full: 'kmap_local_page()/kmap_atomic() mappings are released in an order other than the reverse of mapping.',
    help: 'Release nested mappings in reverse order.',
    level: 'warning',
  },
  {
    id: 'kunmap-wrong-arg',
    name: 'KunmapWrongArgument',
    text: 'kunmap() given something other than the mapped page',
    full: 'kunmap() takes the struct page, not the address kmap() returned.',
    help: 'Pass the page to kunmap(), or the address to kunmap_local().',
    level: 'warning',
  },
  {
    id: 'unmap-wrong-kind',
    name: 'UnmapWrongKind',
    text: 'mapping released with the unmap of another kind',
    full: 'A mapping is released with the unmap call of a different mapping kind.',
    help: 'Pair kmap() with kunmap(), kmap_local_page() with kunmap_local(), kmap_atomic() with kunmap_atomic().',
    level: 'warning',
  },
  {
    id: 'local-handed-off',
    name: 'LocalMappingHandedOff',
    text: 'kmap_local/kmap_atomic address handed to another context',
    full: 'The address of a kmap_local_page()/kmap_atomic() mapping is passed to a work item, a callback or a function that keeps it; the mapping is valid only in the thread that made it.',
    help: 'Keep kmap() for a mapping another context uses, or hand over the page and map it in that context.',
    level: 'warning',
  },
  {
    id: 'error-region',
    name: 'ErrorRegion',
    text: 'call inside a region the parser could not parse',
    full: 'The call is in code tree-sitter could not parse (a macro or #ifdef it cannot see through); the result rests on the part that parsed.',
    help: 'Check the result by reading the code.',
    level: 'note',
  },
];

/** A fingerprint that survives unrelated edits above the site: file, function, call, argument and occurrence. */
function fingerprint(s: Site, nth: number): string {
  return createHash('sha256')
    .update(`${s.file}\0${s.function ?? ''}\0${s.call}\0${s.arg}\0${nth}`)
    .digest('hex')
    .slice(0, 32);
}

export function formatSarif(res: AuditResult, srcRoot: string | null, uriOf: (file: string) => string = (f) => f): string {
  const ruleIndex = new Map(RULES.map((r, i) => [r.id, i]));
  // URIs are percent-encoded per path segment (a newline or '#' in a file name stays a name).
  const art = (file: string) => ({ uri: uriOf(file).split('/').map(encodeURIComponent).join('/'), ...(srcRoot ? { uriBaseId: 'SRCROOT' } : {}) });
  const loc = (file: string, line: number, column?: number, endLine?: number, endColumn?: number) => ({
    physicalLocation: { artifactLocation: art(file), region: { startLine: line, ...(column ? { startColumn: column } : {}), ...(endLine ? { endLine, endColumn } : {}) } },
  });
  const fix = (file: string, edits: Edit[], text: string) => ({
    description: { text },
    artifactChanges: [
      {
        artifactLocation: art(file),
        replacements: edits.map((e) => ({ deletedRegion: { charOffset: e.start, charLength: e.end - e.start }, insertedContent: { text: e.text } })),
      },
    ],
  });
  const results: unknown[] = [];
  for (const f of res.files) {
    const seen = new Map<string, number>();
    const fixes = new Map(f.fixes.map((x) => [x.site, x.edits]));
    f.sites.forEach((s, i) => {
      if (s.call !== 'kmap' && !s.atomic) return;
      const id = s.atomic ? 'kmap/atomic' : `kmap/${s.class}`;
      const key = `${s.function}\0${s.call}\0${s.arg}`;
      const nth = seen.get(key) ?? 0;
      seen.set(key, nth + 1);
      const related = [
        ...s.unmaps.map((u) => ({ ...loc(f.file, u.line, u.column), message: { text: `${u.call}(${u.arg}) releases this mapping` } })),
        ...(s.escapes ?? []).map((e) => ({ ...loc(f.file, e.line), message: { text: e.text } })),
      ].map((r, k) => ({ id: k + 1, ...r }));
      const text = s.atomic
        ? `${s.call}(${s.arg}): ${s.atomic.relies.length ? `relies on ${s.atomic.relies.join(', ')}; ` : ''}${s.atomic.note}`
        : `kmap(${s.arg}) is ${s.class}: ${s.reason}`;
      const edits = fixes.get(i);
      results.push({
        ruleId: id,
        ruleIndex: ruleIndex.get(id),
        level: RULES[ruleIndex.get(id)!]!.level,
        message: { text },
        locations: [loc(f.file, s.line, s.column, s.endLine, s.endColumn)],
        partialFingerprints: { 'pksimAuditSite/v1': fingerprint(s, nth) },
        ...(related.length ? { relatedLocations: related } : {}),
        ...(edits ? { fixes: [fix(f.file, edits, s.atomic ? 'convert kmap_atomic() to kmap_local_page()' : 'convert kmap() to kmap_local_page()')] } : {}),
        properties: { class: s.class, function: s.function, depth: s.depth, lifoOk: s.lifoOk, fixable: Boolean(s.fixable), inErrorRegion: s.inErrorRegion },
      });
    });
    for (const x of f.findings) {
      results.push({
        ruleId: x.kind,
        ruleIndex: ruleIndex.get(x.kind),
        level: RULES[ruleIndex.get(x.kind)!]!.level,
        message: { text: x.message },
        locations: [loc(f.file, x.line, x.column)],
      });
    }
  }
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'pksim-audit',
            version: VERSION,
            rules: RULES.map((r) => ({
              id: r.id,
              name: r.name,
              shortDescription: { text: r.text },
              fullDescription: { text: r.full },
              help: { text: r.help },
              defaultConfiguration: { level: r.level },
            })),
          },
        },
        ...(srcRoot ? { originalUriBaseIds: { SRCROOT: { uri: srcRoot.endsWith('/') ? srcRoot : srcRoot + '/' } } } : {}),
        results,
      },
    ],
  };
  return JSON.stringify(sarif, null, 2) + '\n';
}
