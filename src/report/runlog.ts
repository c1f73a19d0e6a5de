// The run log as `pksim run` prints it, packed for the report.

import type { RunResult } from '../sim/result.js';
import { gzipSync } from 'node:zlib';
import { formatDmesg } from './dmesg.js';

export { logTicks, stampTick } from './logticks.js';

/** The log's lines, without the final newline. */
export function logLines(r: RunResult, source: string): string[] {
  const text = formatDmesg(r, source);
  return (text.endsWith('\n') ? text.slice(0, -1) : text).split('\n');
}

/**
 * The log for the report: its lines joined by newlines, gzipped and in base64 (a long run's log
 * is most of a report, and compresses tenfold; the viewer inflates it with DecompressionStream).
 */
export function packLog(lines: readonly string[]): string {
  return gzipSync(Buffer.from(lines.join('\n'), 'utf8'), { level: 9 }).toString('base64');
}
