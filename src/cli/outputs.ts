// --html / --perfetto output files for run and compare.

import { writeHtmlReport, writePerfetto, ReportExistsError } from '../report/index.js';
import type { RunResult } from '../sim/result.js';
import { UsageError } from './errors.js';
import type { CliIO } from './io.js';

export async function writeReports(io: CliIO, results: RunResult[], o: { html?: string; perfetto?: string; force?: boolean }): Promise<void> {
  try {
    if (o.html) {
      writeHtmlReport(o.html, results, { force: o.force });
      if (io.isTTY) io.err(`wrote ${o.html}\n`);
    }
    if (o.perfetto) {
      writePerfetto(o.perfetto, results[0]!, { force: o.force });
      if (io.isTTY) io.err(`wrote ${o.perfetto}\n`);
    }
  } catch (e) {
    if (e instanceof ReportExistsError) throw new UsageError(e.message);
    const err = e as NodeJS.ErrnoException;
    if (typeof err.code === 'string' && err.path) throw new UsageError(`cannot write ${err.path}: ${err.code}`);
    throw e;
  }
}
