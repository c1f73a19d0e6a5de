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
      const r = readSync(fd, shared, len, shared.length - len, null);
      if (!r) return shared.subarray(0, len);
      len += r;
    }
  } finally {
    closeSync(fd);
  }
}
