// What a command prints on standard output goes through here: JSON is streamed piece by piece
// (a long run's JSON is never one string: that was `RangeError: Invalid string length`), and
// the bytes written are bounded by --max-output, a named limit (exit 3) like --max-steps.

import type { PksimEvent } from '../kernel/events.js';
import type { RunResult } from '../sim/result.js';
import type { CliIO } from './io.js';

/** Default --max-output: bytes a command may print (log or JSON) before it stops, exit 3. */
export const DEFAULT_MAX_OUTPUT = 64 * 1024 * 1024;

export const OUTPUT_LIMIT_HINT = 'the output limit (bytes printed); raise it with --max-output, or use --quiet or --html';
/** The same for compare and explore, which have no --quiet (each names only its own options). */
export const COMPARE_OUTPUT_LIMIT_HINT = 'the output limit (bytes printed); raise it with --max-output, or compare fewer scenarios';
export const EXPLORE_OUTPUT_LIMIT_HINT = 'the output limit (bytes printed); raise it with --max-output, or use --json or --check fewer invariants';

// Pieces go out in writes of about this many characters.
const FLUSH_AT = 1 << 20;

export class BoundedOut {
  private buf = '';
  /** Characters accepted so far (UTF-16 units: a bound, not an exact byte count). */
  written = 0;
  /** Set once something was refused: the output stops there. */
  over = false;
  constructor(
    private readonly io: CliIO,
    readonly max: number = DEFAULT_MAX_OUTPUT,
  ) {}

  /** Queues s; false (and nothing queued) once the limit would be passed. */
  write(s: string): boolean {
    if (this.over) return false;
    if (this.written + s.length > this.max) {
      this.over = true;
      return false;
    }
    this.written += s.length;
    this.buf += s;
    if (this.buf.length >= FLUSH_AT) this.flush();
    return true;
  }

  flush(): void {
    if (this.buf) this.io.out(this.buf);
    this.buf = '';
  }
}

/**
 * JSON.stringify(value) + '\n', written in pieces: arrays element by element, objects member by
 * member, everything else (and every small array) through JSON.stringify. Same text as
 * JSON.stringify for the plain data results are made of. Stops at the output limit.
 */
export function writeJson(out: BoundedOut, value: unknown): boolean {
  const ok = piece(out, value, false) && out.write('\n');
  out.flush();
  return ok;
}

function piece(out: BoundedOut, v: unknown, inArray: boolean): boolean {
  if (Array.isArray(v)) {
    if (v.length < 64) return out.write(JSON.stringify(v));
    if (!out.write('[')) return false;
    for (let i = 0; i < v.length; i++) {
      if (i > 0 && !out.write(',')) return false;
      if (!piece(out, v[i], true)) return false;
    }
    return out.write(']');
  }
  if (v !== null && typeof v === 'object' && !('toJSON' in v)) {
    // An element of an array with no big array inside (an event): one JSON.stringify is faster.
    if (inArray && !hasBigArray(v, 2)) return out.write(JSON.stringify(v));
    if (!out.write('{')) return false;
    let first = true;
    for (const [k, x] of Object.entries(v)) {
      if (x === undefined || typeof x === 'function' || typeof x === 'symbol') continue;
      if (!out.write(`${first ? '' : ','}${JSON.stringify(k)}:`)) return false;
      first = false;
      if (!piece(out, x, false)) return false;
    }
    return out.write('}');
  }
  const s = JSON.stringify(v);
  return out.write(s === undefined ? (inArray ? 'null' : '') : s);
}

function hasBigArray(v: object, depth: number): boolean {
  for (const x of Object.values(v)) {
    if (Array.isArray(x)) {
      if (x.length >= 64 || depth === 0 || x.some((y) => y !== null && typeof y === 'object')) return true;
    } else if (x !== null && typeof x === 'object' && (depth === 0 || hasBigArray(x as object, depth - 1))) return true;
  }
  return false;
}

/**
 * How many of a run's events the text log can show within `max` characters: an upper bound on
 * each event's lines (stamp, statement text, messages, the quoted source line). The log of a
 * prefix of the events is the start of the whole log, so a log cut here is exact up to the cut.
 */
export function logPrefix(r: RunResult, source: string, max: number): number {
  const lineLen = lineLengths(source);
  // A #PF line spells out the rights of every key of the scenario.
  let keysLen = 0;
  for (const k of r.config.keys) keysLen += k.name.length + 16;
  // The header: dmesg's two lines, or ftrace's comment block.
  let total = 1024 + r.scenario.length + r.policy.length;
  for (let i = 0; i < r.events.length; i++) {
    total += eventBound(r.events[i]!, lineLen, keysLen);
    if (total > max) return i;
  }
  return r.events.length;
}

function lineLengths(source: string): number[] {
  const out: number[] = [];
  let start = 0;
  for (;;) {
    const nl = source.indexOf('\n', start);
    if (nl < 0) break;
    out.push(nl - start);
    start = nl + 1;
  }
  out.push(source.length - start);
  return out;
}

const STRING_FIELDS = ['text', 'message', 'detail', 'reason', 'site', 'from', 'to', 'target', 'name', 'what'] as const;

// Generous: the stamp and fixed words of the longest line of each kind, plus every string field
// and, for the WARNING and Oops blocks, the scenario line they quote.
function eventBound(e: PksimEvent, lineLen: number[], keysLen: number): number {
  // Its line as dmesg or ftrace prints it (the ftrace prefix, a sched_switch's fields, two
  // lines for a fault or a wake-up), plus its strings.
  let n = 320 + 2 * e.ctxName.length;
  for (const k of STRING_FIELDS) {
    const v = (e as unknown as Record<string, unknown>)[k];
    if (typeof v === 'string') n += v.length;
  }
  if (e.type === 'fault') n += 256 + keysLen;
  else if (e.type === 'warning' || e.type === 'oops' || e.type === 'report' || e.type === 'panic') {
    // A splat: up to 40 lines of Call Trace, stamps and symbols, and the scenario's file:line
    // on each of its frames (at most four: NMI, hardirq, softirq, task).
    n += 4096 + 8 * (e.ctxName.length + (e.loc ? e.loc.file.length : 0));
    if (e.loc) n += lineLen[e.loc.line - 1] ?? 0;
  }
  return n;
}
