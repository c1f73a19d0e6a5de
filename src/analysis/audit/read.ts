// Reading files into one buffer per thread, reused for every file: most of the tree's files
// are read only to be rejected by a byte search, and allocating a buffer for each showed in
// profiles (the first pass and the whole-tree pass's scan of a subsystem both read this way).

import { closeSync, openSync, readSync } from 'node:fs';

let shared = Buffer.allocUnsafe(1 << 20);

/** The file's bytes, in the shared buffer (valid until the next call). */
export function readInto(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    let len = 0;
    for (;;) {
      if (len === shared.length) {
        const bigger = Buffer.allocUnsafe(shared.length * 2);
        shared.copy(bigger);
        shared = bigger;
      }
      const want = shared.length - len;
      const r = readSync(fd, shared, len, want, null);
      len += r;
      // A regular file read short only at its end: no second read to see the 0 (one syscall
      // less for each of the tree's 55k files).
      if (r < want) return shared.subarray(0, len);
    }
  } finally {
    closeSync(fd);
  }
}
