// The built-in scenario library: the .pks files in the package's top-level scenarios/ folder,
// found relative to this module so that it works from src/ (tsx) and from dist/ alike.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileScenario } from './compile.js';
import { ScenarioError } from './errors.js';
import type { ScenarioIR } from './ir.js';

/** Absolute path of the library folder (src/scenario/../../scenarios or dist/scenario/../../scenarios). */
export const LIBRARY_DIR = fileURLToPath(new URL('../../scenarios/', import.meta.url));

const NAME_RE = /^[A-Za-z0-9_-]+$/;

/** Names of the built-in scenarios, sorted. */
export function libraryNames(): string[] {
  if (!existsSync(LIBRARY_DIR)) return [];
  return readdirSync(LIBRARY_DIR)
    .filter((f) => f.endsWith('.pks'))
    .map((f) => f.slice(0, -4))
    .sort();
}

export interface LibraryEntry {
  name: string;
  description: string;
}

/** Each built-in scenario with its description (the first comment block of its file). */
export function listScenarios(): LibraryEntry[] {
  return libraryNames().map((name) => {
    const ir = loadScenario(name);
    return { name, description: ir.description };
  });
}

/**
 * Source text and display file name of a built-in name or a path. A bare name (no '/', no
 * .pks) is looked up in the library first; a path is read as given; '-' is standard input.
 */
export function readScenario(nameOrPath: string): { file: string; text: string } {
  // '-' is standard input, as for any Unix tool: `cat my.pks | pksim run -`.
  if (nameOrPath === '-') return { file: '<stdin>', text: readFileSync(0, 'utf8') };
  if (NAME_RE.test(nameOrPath)) {
    const lib = `${LIBRARY_DIR}${nameOrPath}.pks`;
    if (existsSync(lib)) return { file: `scenarios/${nameOrPath}.pks`, text: readFileSync(lib, 'utf8') };
  }
  const fail = (why: string): never => {
    throw new ScenarioError([{ code: 'PKS022', file: nameOrPath, line: 0, col: 0, len: 1, message: why }]);
  };
  if (!existsSync(nameOrPath)) {
    return fail(NAME_RE.test(nameOrPath) ? "no such file or built-in scenario (see 'pksim list')" : 'no such file');
  }
  if (statSync(nameOrPath).isDirectory()) return fail('is a directory, not a scenario file');
  try {
    return { file: nameOrPath, text: readFileSync(nameOrPath, 'utf8') };
  } catch (e) {
    return fail(`cannot read: ${(e as Error).message}`);
  }
}

/** Compile a built-in scenario by name, or a .pks file by path. Throws ScenarioError. */
export function loadScenario(nameOrPath: string): ScenarioIR {
  const { file, text } = readScenario(nameOrPath);
  return compileScenario(text, file);
}
