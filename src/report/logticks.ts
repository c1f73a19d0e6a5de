// The tick each line of a run log belongs to, read from the line's timestamp (`[    7]` or
// dmesg's `[    0.000007]`, one tick one microsecond); a line without one (a WARNING block)
// belongs to the tick of the line above. No Node imports: the viewer bundle includes this file.

const STAMP = /^\[\s*(\d+)(?:\.(\d{1,9}))?\]/;

/** The tick of a log line's timestamp, or null when it has none. */
export function stampTick(line: string): number | null {
  const m = STAMP.exec(line);
  if (!m) return null;
  if (m[2] === undefined) return Number(m[1]);
  // Seconds.fraction, one tick one microsecond.
  return Number(m[1]) * 1e6 + Math.round(Number(`0.${m[2]}`) * 1e6);
}

/** The tick each log line belongs to (-1: none): its stamp's, or the line above's. */
export function logTicks(lines: readonly string[]): number[] {
  const ticks: number[] = [];
  let last = -1;
  let seen = false;
  for (const l of lines) {
    const t = stampTick(l);
    if (t !== null) {
      last = t;
      seen = true;
    } else if (/^--- /.test(l)) seen = false; // the summary after the log belongs to no tick
    ticks.push(seen ? last : -1);
  }
  return ticks;
}
