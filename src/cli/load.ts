// Loading the scenario a command names, within --max-source: compiling takes about 50 bytes of
// memory per byte of scenario text, so the text is bounded before it is read.

import { readSync, statSync } from 'node:fs';
import { compileScenario, loadScenario, type ScenarioIR } from '../scenario/index.js';
import { EXIT_LIMIT, UsageError } from './errors.js';

/** Default --max-source: 4 MiB of scenario text (about 220k statements): compiled and run in under 0.5 GB. */
export const DEFAULT_MAX_SOURCE = 4 * 1024 * 1024;

function tooLarge(file: string, size: string, max: number): never {
  throw new UsageError(`${file}: ${size} bytes, over the scenario size limit of ${max} bytes; raise it with --max-source`, EXIT_LIMIT);
}

/** Standard input, up to max bytes (reading stops at max + 1: enough to know it is too large). */
function readStdin(max: number): string {
  const parts: Buffer[] = [];
  let total = 0;
  for (;;) {
    const buf = Buffer.alloc(65536);
    let got: number;
    try {
      got = readSync(0, buf, 0, buf.length, null);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') continue; // a non-blocking pipe with nothing yet
      if (code === 'EOF') break;
      throw e;
    }
    if (got === 0) break;
    parts.push(buf.subarray(0, got));
    total += got;
    if (total > max) tooLarge('<stdin>', `more than ${max}`, max);
  }
  return Buffer.concat(parts).toString('utf8');
}

export function loadBounded(nameOrPath: string, max: number): ScenarioIR {
  if (nameOrPath === '-') return compileScenario(readStdin(max), '<stdin>');
  try {
    const st = statSync(nameOrPath);
    if (st.isFile() && st.size > max) tooLarge(nameOrPath, String(st.size), max);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    // a built-in name, or no such file: loadScenario says which
  }
  return loadScenario(nameOrPath);
}
