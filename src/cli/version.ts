// The package version, read at run time from the package.json above this module: the same
// file from src/cli (tsx), dist/cli (the build) and node_modules/<pkg>/dist/cli (installed).

import { existsSync, readFileSync } from 'node:fs';

/** @public The version in pksim's package.json, or 'unknown' if it cannot be found. */
export function packageVersion(): string {
  let dir = new URL('./', import.meta.url);
  for (let i = 0; i < 4; i++) {
    const file = new URL('package.json', dir);
    if (existsSync(file)) {
      try {
        const v = (JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown }).version;
        if (typeof v === 'string') return v;
      } catch {
        // not a readable package.json: keep looking above
      }
    }
    dir = new URL('../', dir);
  }
  return 'unknown';
}
