// Writers used by the CLI (`--html OUT`, `--perfetto OUT`): they never clobber an existing
// file unless asked to (`--force`), and never leave a half-written report where a good one was:
// the text goes to a temporary file in the same directory, renamed over the target only once
// every byte is written (a full disk leaves the previous report intact).

import { formatFtrace } from './ftrace.js';
import * as nodeFs from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { RunResult } from '../sim/result.js';
import { renderHtml, type HtmlOptions } from './html.js';
import { toPerfetto } from './perfetto.js';
import { resultSource } from './timeline.js';
import { readScenario } from '../scenario/index.js';

/** The file-system calls the writer makes: a parameter so that tests can fail one midway. */
export type WriteFs = Pick<typeof nodeFs, 'openSync' | 'writeSync' | 'closeSync' | 'renameSync' | 'linkSync' | 'unlinkSync' | 'statSync'>;

export interface WriteOptions {
  /** Overwrite an existing file. */
  force?: boolean;
  fs?: WriteFs;
}

export class ReportExistsError extends Error {
  readonly code = 'EEXIST';
  constructor(readonly path: string) {
    super(`${path} already exists (use --force to overwrite it)`);
    this.name = 'ReportExistsError';
  }
}

/** A write that failed once the target was chosen: the path, and the system's code (ENOSPC). */
export class ReportWriteError extends Error {
  constructor(
    readonly path: string,
    readonly code: string,
  ) {
    super(`cannot write ${path}: ${code}`);
    this.name = 'ReportWriteError';
  }
}

// Write calls get at most this much at once: big reports go out in pieces, never as one string.
const CHUNK = 1 << 20;

function writeAll(fs: WriteFs, fd: number, chunks: Iterable<string>): void {
  let buf = '';
  const flush = () => {
    const b = Buffer.from(buf, 'utf8');
    for (let off = 0; off < b.length;) off += fs.writeSync(fd, b, off, b.length - off);
    buf = '';
  };
  for (const c of chunks) {
    buf += c;
    if (buf.length >= CHUNK) flush();
  }
  if (buf.length > 0) flush();
}

function existingKind(fs: WriteFs, path: string): 'none' | 'file' | 'other' {
  try {
    return fs.statSync(path).isFile() ? 'file' : 'other';
  } catch {
    return 'none';
  }
}

export function writeReportFile(path: string, text: string | Iterable<string>, opts: WriteOptions = {}): void {
  const fs = opts.fs ?? nodeFs;
  const chunks = typeof text === 'string' ? [text] : text;
  const kind = existingKind(fs, path);
  if (kind !== 'none' && !opts.force) throw new ReportExistsError(path);
  const fail = (e: unknown): never => {
    const err = e as NodeJS.ErrnoException;
    if (err instanceof ReportExistsError || err instanceof ReportWriteError) throw err;
    if (err.code === 'EEXIST') throw new ReportExistsError(path);
    throw new ReportWriteError(path, err.code ?? err.message);
  };
  if (kind === 'other') {
    // A device, a FIFO, /dev/stdout: written in place (renaming over /dev/full would replace it).
    let fd = -1;
    try {
      fd = fs.openSync(path, 'w');
      writeAll(fs, fd, chunks);
    } catch (e) {
      fail(e);
    } finally {
      if (fd >= 0) fs.closeSync(fd);
    }
    return;
  }
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now().toString(36)}.tmp`);
  let fd = -1;
  try {
    fd = fs.openSync(tmp, 'wx', 0o666); // the umask applies, as for any new file
    writeAll(fs, fd, chunks);
    fs.closeSync(fd);
    fd = -1;
    // Without --force, link() refuses a target created meanwhile; with it, rename() replaces it.
    if (opts.force) fs.renameSync(tmp, path);
    else {
      fs.linkSync(tmp, path);
      fs.unlinkSync(tmp);
    }
  } catch (e) {
    if (fd >= 0) {
      try {
        fs.closeSync(fd);
      } catch {
        // already failing: the first error is the one to report
      }
    }
    try {
      fs.unlinkSync(tmp);
    } catch {
      // never created, or already renamed
    }
    fail(e);
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

/** The trace as JSON text, one event per piece: a long run's trace is never one string. */
export function* perfettoChunks(result: RunResult): Generator<string> {
  const { traceEvents, ...rest } = toPerfetto(result);
  yield '{"traceEvents":[';
  for (let i = 0; i < traceEvents.length; i++) yield (i ? ',\n' : '\n') + JSON.stringify(traceEvents[i]);
  yield '\n],' + JSON.stringify(rest).slice(1) + '\n';
}

export function writePerfetto(path: string, result: RunResult, opts: WriteOptions = {}): void {
  writeReportFile(path, perfettoChunks(result), opts);
}

/** The run as ftrace text (`trace-cmd report` layout), written atomically. */
export function writeFtrace(path: string, result: RunResult, opts: WriteOptions = {}): void {
  writeReportFile(path, formatFtrace(result), opts);
}
