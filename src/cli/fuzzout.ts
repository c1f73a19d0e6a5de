// Output files of fuzz, merge and study (--out, --svg, --html): refused before anything runs
// (empty name, a directory, an existing file without --force, a missing directory, one of the
// scenarios read, the same file twice), written after, each atomically.

import { ReportExistsError, ReportWriteError, writeReportFile } from '../report/index.js';
import type { FuzzReport } from '../analysis/fuzz/report.js';
import { UsageError } from './errors.js';
import { checkOutputFiles } from './outputs.js';
import type { CliIO } from './io.js';
import type { OptionTable } from './options.js';
import { fuzzCharts } from '../report/charts.js';

export const FUZZ_OUTPUT_OPTIONS = {
  out: { type: 'string', value: 'FILE', file: true, help: 'write the JSON report (with its sufficient statistics) to FILE' },
  svg: { type: 'string', value: 'FILE', file: true, help: 'write the charts (rates, exposure and ratios with their 95% intervals) as SVG' },
  html: { type: 'string', value: 'FILE', file: true, help: 'write the same charts in an HTML page' },
  force: { type: 'boolean', help: 'overwrite existing output files' },
} as const satisfies OptionTable;

type Values = { out?: string; svg?: string; html?: string; force?: boolean };

function named(v: Values): [string, string][] {
  const out: [string, string][] = [];
  if (v.out !== undefined) out.push(['--out', v.out]);
  if (v.svg !== undefined) out.push(['--svg', v.svg]);
  if (v.html !== undefined) out.push(['--html', v.html]);
  return out;
}

export function checkFiles(v: Values, inputs: readonly string[]): void {
  checkOutputFiles(named(v), v.force, inputs);
}

export async function writeFiles(io: CliIO, v: Values, report: FuzzReport, json: string): Promise<void> {
  try {
    if (v.out !== undefined) writeReportFile(v.out, json, { force: v.force });
    if (v.svg !== undefined || v.html !== undefined) {
      const charts = await fuzzCharts(report);
      if (v.svg !== undefined) writeReportFile(v.svg, charts.svg, { force: v.force });
      if (v.html !== undefined) writeReportFile(v.html, charts.html, { force: v.force });
    }
  } catch (e) {
    if (e instanceof ReportExistsError || e instanceof ReportWriteError) throw new UsageError(e.message);
    throw e;
  }
  if (io.isTTY) for (const [, p] of named(v)) io.err(`wrote ${p}\n`);
}
