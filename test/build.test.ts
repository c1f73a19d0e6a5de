// What users get: `npm run build` (tsc -p tsconfig.build.json, then the viewer bundle), then the
// launcher bin/pksim.js run by node against the fresh dist/, in child processes, and the file list
// `npm pack` would publish. One build for the whole file (it takes 10-20 s); nothing is skipped: when
// the build fails, every test below fails with its output.

import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { libraryNames, main } from '../src/index.js';
import { captureIO } from '../src/cli/io.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const NPX = process.platform === 'win32' ? 'npx.cmd' : 'npx';

let build: SpawnSyncReturns<string>;

function built(): void {
  expect(build.error, String(build.error)).toBeUndefined();
  expect(build.status, `npm run build failed:\n${build.stdout}\n${build.stderr}`).toBe(0);
}

/** bin/pksim.js, as `npx pksim` runs it after `npm ci`. */
function pksim(...args: string[]): SpawnSyncReturns<string> {
  built();
  return spawnSync(process.execPath, [join(ROOT, 'bin', 'pksim.js'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
}

/** The same command run in this process from the sources. */
async function fromSources(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIO();
  const code = await main(args, io);
  return { code, out: io.stdout, err: io.stderr };
}

beforeAll(() => {
  // A clean dist/, so that a file the build no longer writes cannot hide behind an old copy.
  rmSync(join(ROOT, 'dist'), { recursive: true, force: true });
  build = spawnSync(NPM, ['run', 'build'], { cwd: ROOT, encoding: 'utf8', timeout: 170_000 });
}, 180_000);

describe('npm run build, then bin/pksim.js', () => {
  it('builds dist/ with the CLI, the API entry and the viewer bundle', () => {
    built();
    for (const f of ['dist/cli/main.js', 'dist/index.js', 'dist/index.d.ts', 'dist/report/viewer.bundle.js']) expect(existsSync(join(ROOT, f)), f).toBe(true);
  });

  it('pksim --help lists the commands', () => {
    const r = pksim('--help');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    for (const c of ['run', 'compare', 'explore', 'audit', 'list', 'pkrs']) expect(r.stdout).toMatch(new RegExp(`^\\s+${c}\\b`, 'm'));
  });

  it('pksim list names every built-in scenario', () => {
    const r = pksim('list');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const names = r.stdout
      .trim()
      .split('\n')
      .map((l) => l.split(/\s+/)[0]);
    expect(names).toEqual(libraryNames());
  });

  it("README's `npx pksim` runs this package's bin (never the unrelated npm package named pksim)", () => {
    built();
    // --no: fail rather than download anything when the local bin is not found.
    const r = spawnSync(NPX, ['--no', 'pksim', 'list'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(pksim('list').stdout);
  });

  it('pksim run prints what the sources print, with the same exit status', async () => {
    const args = ['run', 'async_handoff_softirq', '--policy', 'scoped:relaxed'];
    const r = pksim(...args);
    const s = await fromSources(...args);
    expect(r.stderr).toBe(s.err);
    expect(r.stdout).toBe(s.out);
    expect(r.status).toBe(s.code);
    expect(r.stdout).toContain('async_handoff_softirq under scoped:relaxed');
  });

  it('pksim audit with worker threads (dist/analysis/audit/worker.js) agrees with the sources', async () => {
    const args = ['audit', join(ROOT, 'test', 'fixtures', 'audit'), '--jobs', '2'];
    const r = pksim(...args);
    const s = await fromSources(...args);
    const stable = (t: string) => t.replace(/; [0-9.]+ s$/gm, '; <elapsed> s');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(stable(r.stdout)).toBe(stable(s.out));
    expect(r.stdout).toMatch(/^summary: \d+ kmap\(\) sites/m);
  });

  it('pksim run --help and a usage error exit as documented (0 and 2)', () => {
    const help = pksim('run', '--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: pksim run/);
    const bad = pksim('run', 'no_such_scenario_anywhere');
    expect(bad.status).toBe(2);
    expect(bad.stderr).not.toBe('');
  });

  it('npm pack would publish the launcher, dist/ and the scenarios', () => {
    built();
    const r = spawnSync(NPM, ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const [pack] = JSON.parse(r.stdout) as { name: string; files: { path: string }[] }[];
    const files = new Set(pack!.files.map((f) => f.path));
    expect(pack!.name).toBe('@pksim/pksim');
    for (const f of ['bin/pksim.js', 'dist/cli/main.js', 'dist/index.js', 'dist/report/viewer.bundle.js', 'scenarios/async_handoff_softirq.pks', 'package.json', 'README.md'])
      expect(files.has(f), f).toBe(true);
    expect([...files].filter((f) => f.startsWith('test/') || f.startsWith('src/'))).toEqual([]);
  });
});
