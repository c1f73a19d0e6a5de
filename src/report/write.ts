// Writers used by the CLI (`--html OUT`, `--perfetto OUT`): they never clobber an existing
// file unless asked to (`--force`).

import { writeFileSync } from 'node:fs';
import type { RunResult } from '../sim/result.js';
import { renderHtml, type HtmlOptions } from './html.js';
import { toPerfetto } from './perfetto.js';
import { resultSource } from './timeline.js';
import { readScenario } from '../scenario/index.js';

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

/**
 * Scenario source text for results that carry none, so the report can quote each event's line:
 * a built-in scenario by name, else the file the result names (relative to the working
 * directory, as given on the command line). Unreadable files are left out.
 */
export function findSources(results: readonly RunResult[]): Record<string, string> {
  // No prototype: a scenario file named `__proto__` is a key like any other.
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const r of results) {
    if (resultSource(r) !== undefined || Object.hasOwn(out, r.file)) continue;
    for (const candidate of [r.scenario, r.file]) {
      try {
        const found = readScenario(candidate);
        if (found.file === r.file) {
          out[r.file] = found.text;
          break;
        }
      } catch {
        // not a built-in name or not readable from here: the report says the source is absent
      }
    }
  }
  return out;
}

export function writeHtmlReport(path: string, results: RunResult[], opts: WriteOptions & HtmlOptions = {}): void {
  const sources = { ...findSources(results), ...opts.sources };
  writeReportFile(path, renderHtml(results, { ...opts, sources }), opts);
}

export function writePerfetto(path: string, result: RunResult, opts: WriteOptions = {}): void {
  writeReportFile(path, JSON.stringify(toPerfetto(result)) + '\n', opts);
}
