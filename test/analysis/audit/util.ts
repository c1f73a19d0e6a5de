// Shared helpers for the audit tests: run the analyser on one fixture in-process.

import { fileURLToPath } from 'node:url';
import { runAudit } from '../../../src/analysis/audit/run.js';
import type { FileResult, Site } from '../../../src/analysis/audit/types.js';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/audit/', import.meta.url));

export async function auditFixture(name: string): Promise<FileResult> {
  const res = await runAudit([FIXTURES + name], { jobs: 1 });
  const f = res.files.find((x) => x.file === name);
  if (!f) throw new Error(`no result for ${name}`);
  return f;
}

/** The kmap() sites of a fixture, in source order. */
export async function kmapSites(name: string): Promise<Site[]> {
  return (await auditFixture(name)).sites.filter((s) => s.call === 'kmap');
}
