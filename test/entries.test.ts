// The package's entries (package.json `exports`): each is a curated file under src/, compiled
// to dist/ by the build, with its types; importing one has no side effect.

import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
  main: string;
  types: string;
  exports: Record<string, string | { types: string; import: string; default: string }>;
};
const entries = Object.entries(pkg.exports).filter(([k]) => k !== './package.json') as [string, { types: string; import: string; default: string }][];
const BUILTIN = ['none', 'global', 'abandon', 'exception', 'scoped'];

/** Imports the modules in a fresh Node and reports what importing them changed. */
function importIn(child: string[], modules: string[], registry: string): { stdout: string; stderr: string; report: Record<string, unknown> } {
  const code = `const before = { err: process.stdout.listenerCount('error'), exit: process.listenerCount('exit'), unc: process.listenerCount('uncaughtException'), globals: Object.keys(globalThis).length };
    const exported = [];
    for (const m of ${JSON.stringify(modules)}) exported.push(Object.keys(await import(m)).length);
    const reg = await import(${JSON.stringify(registry)});
    process.stdout.write('@@' + JSON.stringify({ before, after: { err: process.stdout.listenerCount('error'), exit: process.listenerCount('exit'), unc: process.listenerCount('uncaughtException'), globals: Object.keys(globalThis).length }, exported, designs: reg.designNames() }));`;
  const r = spawnSync(process.execPath, [...child, '--input-type=module', '-e', code], { encoding: 'utf8', cwd: ROOT });
  const at = r.stdout.lastIndexOf('@@');
  return { stdout: at < 0 ? r.stdout : r.stdout.slice(0, at), stderr: r.stderr, report: at < 0 ? {} : (JSON.parse(r.stdout.slice(at + 2)) as Record<string, unknown>) };
}

function expectNoSideEffect(r: ReturnType<typeof importIn>, n: number): void {
  expect(r.stderr).toBe('');
  expect(r.stdout).toBe(''); // nothing printed
  const { before, after, exported, designs } = r.report as { before: object; after: object; exported: number[]; designs: string[] };
  expect(after).toEqual(before); // no stdout 'error' handler, no exit hook, no global
  expect(exported).toHaveLength(n);
  for (const k of exported) expect(k).toBeGreaterThan(0);
  // The registry holds at most the built-in designs.
  if (designs.length) expect(designs).toEqual(BUILTIN);
}

describe('package entries', () => {
  it('exports ., ./audit, ./explore, ./report with types, import and default conditions; main and types stay', () => {
    expect(entries.map(([k]) => k)).toEqual(['.', './audit', './explore', './report']);
    for (const [, e] of entries) {
      expect(Object.keys(e)[0]).toBe('types'); // first, as TypeScript requires
      expect(e.types).toMatch(/^\.\/dist\/[a-z]+\.d\.ts$/);
      expect(e.import).toBe(e.types.replace(/\.d\.ts$/, '.js'));
      expect(e.default).toBe(e.import);
      expect(existsSync(new URL(`../${e.import.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts')}`, import.meta.url))).toBe(true);
    }
    expect(pkg.main).toBe('dist/index.js');
    expect(pkg.types).toBe('dist/index.d.ts');
  });

  for (const [name, e] of entries) {
    it(`importing ${name} from the sources has no side effect`, () => {
      const src = `./${e.import.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts')}`;
      expectNoSideEffect(importIn(['--import', 'tsx'], [src], './src/policy/registry.ts'), 1);
    });
  }

  it('the build (tsconfig.build.json) compiles every entry with its .d.ts; the compiled entries import in plain Node without side effect; --version works from the build', () => {
    const out = 'test-artifacts/build-entries';
    const outDir = new URL(`../${out}/`, import.meta.url);
    rmSync(outDir, { recursive: true, force: true });
    const tsc = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json', '--outDir', out, '--sourceMap', 'false'], {
      encoding: 'utf8',
      cwd: ROOT,
    });
    expect(tsc.stdout + tsc.stderr).toBe('');
    for (const [, e] of entries) {
      expect(existsSync(new URL(e.import.replace(/^\.\/dist\//, ''), outDir)), e.import).toBe(true);
      expect(existsSync(new URL(e.types.replace(/^\.\/dist\//, ''), outDir)), e.types).toBe(true);
    }
    const built = entries.map(([, e]) => `./${out}/${e.import.replace(/^\.\/dist\//, '')}`);
    expectNoSideEffect(importIn([], built, `./${out}/policy/registry.js`), built.length);
    const v = spawnSync(process.execPath, [`${out}/cli/main.js`, '--version'], { encoding: 'utf8', cwd: ROOT });
    expect(v.stdout).toBe(`${pkg.version}\n`);
    rmSync(outDir, { recursive: true, force: true });
  }, 120_000);
});
