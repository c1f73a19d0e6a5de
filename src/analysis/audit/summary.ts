// Counts over all files: per class, per subsystem directory, per call name, per finding kind.

import type { AuditSummary, FileResult } from './types.js';

/** The subsystem of a path: its first two directories (fs/ext2, drivers/md), or one (mm). */
export function subsystemOf(rel: string): string {
  const parts = rel.split('/').slice(0, -1);
  if (!parts.length) return '.';
  return parts.slice(0, 2).join('/');
}

export function summarise(scanned: number, results: FileResult[], elapsedMs: number): AuditSummary {
  const s: AuditSummary = {
    filesScanned: scanned,
    filesParsed: 0,
    filesWithErrors: 0,
    // Keys come from the tree (directory names such as __proto__): no prototype to write into.
    calls: Object.create(null) as AuditSummary['calls'],
    kmapSites: 0,
    classes: { local: 0, global: 0, unclear: 0 },
    fixable: 0,
    findings: Object.create(null) as AuditSummary['findings'],
    subsystems: Object.create(null) as AuditSummary['subsystems'],
    sitesPerFunction: Object.create(null) as AuditSummary['sitesPerFunction'],
    atomic: { sites: 0, rename: 0, pagefault: 0, preempt: 0, notMechanical: 0 },
    elapsedMs: Math.round(elapsedMs),
  };
  for (const r of results) {
    if (r.parsed) s.filesParsed++;
    if (r.parsed && r.hasErrors) s.filesWithErrors++;
    for (const [k, v] of Object.entries(r.calls)) s.calls[k] = (s.calls[k] ?? 0) + v;
    for (const f of r.findings) s.findings[f.kind] = (s.findings[f.kind] ?? 0) + 1;
    const perFn = new Map<string, number>();
    for (const site of r.sites) {
      if (site.atomic) {
        const a = s.atomic;
        a.sites++;
        if (!site.atomic.convertible) a.notMechanical++;
        else if (!site.atomic.needs.length) a.rename++;
        if (site.atomic.needs.includes('pagefault_disable')) a.pagefault++;
        if (site.atomic.needs.includes('preempt_disable')) a.preempt++;
      }
      if (site.call !== 'kmap' || site.class === 'already-local') continue;
      s.kmapSites++;
      s.classes[site.class]++;
      if (site.fixable) s.fixable++;
      const sub = subsystemOf(r.file);
      const e = (s.subsystems[sub] ??= { local: 0, global: 0, unclear: 0 });
      e[site.class]++;
      const fk = site.function ?? `(macro ${site.viaMacro ?? '?'})`;
      perFn.set(fk, (perFn.get(fk) ?? 0) + 1);
    }
    for (const n of perFn.values()) s.sitesPerFunction[String(n)] = (s.sitesPerFunction[String(n)] ?? 0) + 1;
  }
  return s;
}
