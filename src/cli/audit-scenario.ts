// `pksim audit PATH --scenario FILE:LINE [--out FILE [--force]]`: the .pks skeleton of one
// kmap() site, from the audit's result (src/analysis/audit/scenario.ts).

import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { siteScenario } from '../analysis/audit/scenario.js';
import type { Site } from '../analysis/audit/types.js';
import { ReportExistsError, ReportWriteError, writeReportFile } from '../report/write.js';
import { UsageError } from './errors.js';
import type { CliIO } from './io.js';
import { checkOutputPath, sameFile } from './outputs.js';

/** FILE:LINE (or FILE:LINE:COL) as given to --scenario. */
export function parseSiteRef(ref: string): { file: string; line: number; col: number | null } {
  const m = /^(.+?):([1-9][0-9]*)(?::([1-9][0-9]*))?$/.exec(ref);
  if (!m) throw new UsageError(`--scenario: '${ref}' is not FILE:LINE (a kmap() site the audit lists)`);
  return { file: m[1]!, line: Number(m[2]), col: m[3] ? Number(m[3]) : null };
}

/** Checks --out before the audit runs, as --html is checked (outputs.ts). */
export function checkOut(out: string | undefined, force: boolean): void {
  if (out !== undefined) checkOutputPath('--out', out, force);
}

export interface AuditedFile {
  /** As the audit names it (relative to PATH). */
  file: string;
  abs: string;
  sites: Site[];
}

/** Finds the site, writes its scenario to standard output or --out (never over one of the audited files, `inputs`). */
export function writeSiteScenario(io: CliIO, files: AuditedFile[], inputs: readonly string[], ref: string, out: string | undefined, force: boolean): number {
  const want = parseSiteRef(ref);
  const target = resolve(want.file);
  const file = files.find((f) => resolve(f.abs) === target) ?? files.find((f) => f.file === want.file || f.abs.endsWith(`/${want.file}`));
  if (!file) throw new UsageError(`--scenario: ${want.file}: no kmap() site in the audited files has that file name`);
  const here = file.sites.filter((s) => s.line === want.line && (want.col === null || s.column === want.col));
  const site = here.find((s) => s.call === 'kmap') ?? here[0];
  if (!site) {
    const lines = [...new Set(file.sites.map((s) => s.line))].join(', ');
    throw new UsageError(`--scenario: ${ref}: no kmap() site on that line${lines ? ` (sites in ${want.file}: line ${lines})` : ''}`);
  }
  const audited = out === undefined ? undefined : inputs.find((f) => sameFile(f, out));
  if (audited) throw new UsageError(`--out: ${out} is one of the audited files: write the scenario elsewhere`);
  const lines = readFileSync(file.abs, 'utf8').split(/\r?\n/);
  const where = relative(process.cwd(), file.abs) || file.file;
  const text = siteScenario(site, lines, where);
  if (out === undefined) {
    io.out(text);
    return 0;
  }
  try {
    writeReportFile(out, text, { force });
  } catch (e) {
    if (e instanceof ReportExistsError || e instanceof ReportWriteError) throw new UsageError(`--out: ${e.message}`);
    throw e;
  }
  if (io.isTTY) io.err(`wrote ${out}\n`);
  return 0;
}
