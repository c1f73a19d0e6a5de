// Writers used by the CLI (`--html OUT`, `--perfetto OUT`): they never clobber an existing
// file unless asked to (`--force`).

import { writeFileSync } from 'node:fs';
import type { RunResult } from '../sim/result.js';
import { renderHtml, type HtmlOptions } from './html.js';
import { toPerfetto } from './perfetto.js';

export interface WriteOptions {
  /** Overwrite an existing file. */
  force?: boolean;
}

export class ReportExistsError extends Error {
  readonly code = 'EEXIST';
  constructor(readonly path: string) {
    super(`${path} already exists (use --force to overwrite it)`);
    this.name = 'ReportExistsError';
  }
}

export function writeReportFile(path: string, text: string, opts: WriteOptions = {}): void {
  try {
    writeFileSync(path, text, { encoding: 'utf8', flag: opts.force ? 'w' : 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new ReportExistsError(path);
    throw err;
  }
}

export function writeHtmlReport(path: string, results: RunResult[], opts: WriteOptions & HtmlOptions = {}): void {
  writeReportFile(path, renderHtml(results, opts), opts);
}

export function writePerfetto(path: string, result: RunResult, opts: WriteOptions = {}): void {
  writeReportFile(path, JSON.stringify(toPerfetto(result)) + '\n', opts);
}
