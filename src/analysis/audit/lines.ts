// Line and column of a character offset in a C file, from a table of line starts kept for
// the last file asked about (many lookups in one file, one table).

/** 1-based line and column of a character offset. */
export function posOf(source: string, index: number): { line: number; column: number } {
  const starts = lineStarts(source);
  // The last line starting at or before index (binary search: many lookups in a big file stay cheap).
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= index) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: index - starts[lo]! + 1 };
}

let startsOf: { source: string; starts: number[] } | null = null;
function lineStarts(source: string): number[] {
  if (startsOf?.source !== source) {
    const starts = [0];
    for (let i = source.indexOf('\n'); i !== -1; i = source.indexOf('\n', i + 1)) starts.push(i + 1);
    startsOf = { source, starts };
  }
  return startsOf.starts;
}
