// --html / --perfetto / --ftrace output files for run and compare: checked before anything runs (an
// empty name, the same file twice, an existing file without --force, a missing directory),
// written after.

import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { writeHtmlReport, writePerfetto, writeFtrace, ReportExistsError, ReportWriteError } from '../report/index.js';
import type { RunResult } from '../sim/result.js';
import { EXIT_LIMIT, UsageError } from './errors.js';
import type { CliIO } from './io.js';

export interface OutputOptions {
  html?: string;
  perfetto?: string;
  ftrace?: string;
  force?: boolean;
}

/**
 * One output file named by option `opt`, before anything runs: a name, not a directory, no file
 * there unless `force`, a directory that exists.
 */
export function checkOutputPath(opt: string, path: string, force: boolean | undefined): void {
  if (path === '') throw new UsageError(`${opt}: the file name is empty`);
  let st;
  try {
    st = statSync(path);
  } catch {
    st = null;
  }
  if (st?.isDirectory()) throw new UsageError(`${opt}: ${path} is a directory`);
  if (st && !force) throw new UsageError(`${opt}: ${path} already exists (use --force to overwrite it)`);
  if (!st) {
    let dir;
    try {
      dir = statSync(dirname(path));
    } catch {
      dir = null;
    }
    if (!dir?.isDirectory()) throw new UsageError(`${opt}: cannot write ${path}: no such directory ${dirname(path)}`);
  }
}

/**
 * Refuses, before the run, every output the write would refuse after it, an output that is one
 * of the files read (`--html my.pks --force` would replace the user's scenario), and two options
 * naming one file. `named`: [option, path] pairs.
 */
export function checkOutputFiles(named: readonly [string, string][], force: boolean | undefined, inputs: readonly string[] = [], noun = 'scenario'): void {
  for (const [opt, path] of named) checkOutputPath(opt, path, force);
  for (const [opt, path] of named) {
    const input = inputs.find((i) => i !== '-' && sameFile(i, path));
    if (input !== undefined) throw new UsageError(`${opt}: ${path} is the ${noun} ${input}: write the report elsewhere`);
  }
  for (let i = 0; i < named.length; i++)
    for (let j = i + 1; j < named.length; j++)
      if (resolve(named[i]![1]) === resolve(named[j]![1])) {
        throw new UsageError(`${named[i]![0]} and ${named[j]![0]} name the same file ${named[i]![1]}: give each its own`);
      }
}

/** checkOutputFiles() for the report options of run and compare. */
export function checkOutputs(o: OutputOptions, inputs: readonly string[] = []): void {
  const named: [string, string][] = [];
  if (o.html !== undefined) named.push(['--html', o.html]);
  if (o.perfetto !== undefined) named.push(['--perfetto', o.perfetto]);
  if (o.ftrace !== undefined) named.push(['--ftrace', o.ftrace]);
  checkOutputFiles(named, o.force, inputs);
}

export async function writeReports(io: CliIO, results: RunResult[], o: OutputOptions): Promise<void> {
  try {
    if (o.html !== undefined) {
      writeHtmlReport(o.html, results, { force: o.force });
      if (io.isTTY) io.err(`wrote ${o.html}\n`);
    }
    if (o.perfetto !== undefined) {
      writePerfetto(o.perfetto, results[0]!, { force: o.force });
      if (io.isTTY) io.err(`wrote ${o.perfetto}\n`);
    }
    if (o.ftrace !== undefined) {
      writeFtrace(o.ftrace, results[0]!, { force: o.force });
      if (io.isTTY) io.err(`wrote ${o.ftrace}\n`);
    }
  } catch (e) {
    if (e instanceof ReportExistsError || e instanceof ReportWriteError) throw new UsageError(e.message);
    if (e instanceof RangeError) throw new UsageError(`the report is larger than one JavaScript string (${e.message}): lower --max-events`, EXIT_LIMIT);
    throw e;
  }
}

/** Whether two paths name one file (the same path, or a hard link). */
export function sameFile(a: string, b: string): boolean {
  if (resolve(a) === resolve(b)) return true;
  try {
    const x = statSync(a);
    const y = statSync(b);
    return x.ino === y.ino && x.dev === y.dev; // a hard link, or the same file by another path
  } catch {
    return false;
  }
}
