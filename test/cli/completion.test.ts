// `pksim completion bash|zsh`: scripts generated from the option tables. The bash script is
// checked with `bash -n` and driven in bash through COMP_WORDS/COMP_CWORD, as readline would.

import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { defaultCompare, designNames } from '../../src/policy/index.js';
import { libraryNames } from '../../src/scenario/index.js';
import { COMMANDS, allSpecs } from '../../src/cli/commands.js';
import { cli } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'pksim-completion-'));
const bashFile = join(dir, 'pksim.bash');
writeFileSync(bashFile, (await cli('completion', 'bash')).out);
writeFileSync(join(dir, 'mine.pks'), 'cpus 1\n');
writeFileSync(join(dir, 'notes.txt'), '');

/** The completions bash offers for the words (the last one is being completed). */
function complete(...words: string[]): string[] {
  const arr = words.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
  const script = `source '${bashFile}'\nCOMP_WORDS=(${arr})\nCOMP_CWORD=${words.length - 1}\nCOMPREPLY=()\n_pksim\nprintf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', cwd: dir });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout.split('\n').filter(Boolean);
}

describe('bash completion', () => {
  it('is a valid bash script (bash -n) that registers _pksim for pksim', () => {
    const r = spawnSync('bash', ['-n', bashFile], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const c = spawnSync('bash', ['-c', `source '${bashFile}' && complete -p pksim`], { encoding: 'utf8' });
    expect(c.stdout.trim()).toBe('complete -F _pksim pksim');
  });

  it('completes commands and top-level options', () => {
    expect(complete('pksim', 'ru')).toEqual(['run']);
    expect(complete('pksim', 'co')).toEqual(['compare', 'completion']);
    expect(complete('pksim', '--v')).toEqual(['--version']);
    expect(complete('pksim', 'help', 'ex')).toEqual(['explore']);
    expect(complete('pksim', 'completion', '')).toEqual(['bash', 'zsh']);
  });

  it("completes a command's options from its table", () => {
    expect(complete('pksim', 'run', '--pol')).toEqual(['--policy']);
    expect(complete('pksim', 'compare', '--pol')).toEqual(['--policies']);
    expect(complete('pksim', 'audit', '--fo')).toEqual(['--format', '--force']);
    expect(complete('pksim', 'explore', 'x.pks', '--max-t')).toEqual(['--max-total-steps']);
  });

  it('offers every option of every command, from its table', async () => {
    for (const { name, spec } of await allSpecs()) {
      expect(complete('pksim', name, '--'), name).toEqual(Object.keys(spec.options).map((o) => `--${o}`));
    }
    expect(complete('pksim', 'help', '')).toEqual([...COMMANDS.keys()]);
  });

  it('completes fixed option values: policies from the design registry, formats, --warn, --reset-at', () => {
    expect(complete('pksim', 'run', '--policy', '')).toEqual(expect.arrayContaining([...designNames(), 'scoped:strict', 'exception:silent']));
    expect(complete('pksim', 'run', '--policy', 'gl')).toEqual(['global']);
    // bash splits scoped:st into scoped, :, st and replaces only st
    expect(complete('pksim', 'run', '--policy', 'scoped', ':', 'st')).toEqual(['strict']);
    expect(complete('pksim', 'run', '--policy', '=', 'glo')).toEqual(['global']);
    expect(complete('pksim', 'run', '--policy', '=', 'scoped', ':', 'o')).toEqual(['off']);
    expect(complete('pksim', 'run', '--policy', 'scoped', ':')).toEqual(['relaxed', 'strict', 'silent', 'off']);
    expect(complete('pksim', 'run', '--policy', 'scoped:st')).toEqual(['scoped:strict']); // COMP_WORDBREAKS without ':'
    expect(complete('pksim', 'compare', '--policies', '')).toEqual(expect.arrayContaining(defaultCompare()));
    expect(complete('pksim', 'compare', '--policies', 'global,no')).toEqual(['global,none']);
    expect(complete('pksim', 'audit', '--format', '')).toEqual(['text', 'json', 'sarif']);
    expect(complete('pksim', 'run', '--warn', '')).toEqual(['once', 'per-site']);
    expect(complete('pksim', 'explore', '--reset-at', 'work-item,s')).toEqual(['work-item,schedule']);
    expect(complete('pksim', 'pkrs', 'check', '--access', 'w')).toEqual(['write']);
    expect(complete('pksim', 'run', '--seed', '')).toEqual([]);
  });

  it('completes built-in scenario names and .pks files', () => {
    expect(complete('pksim', 'run', 'stray_')).toEqual(libraryNames().filter((n) => n.startsWith('stray_')));
    expect(complete('pksim', 'compare', 'local_copy', 'mi')).toEqual(['mine.pks']);
    expect(complete('pksim', 'run', 'no')).toEqual([]);
    expect(complete('pksim', 'audit', 'no')).toEqual(['notes.txt']);
  });
});

describe('zsh completion', () => {
  it('declares every command, option and fixed value', async () => {
    const r = await cli('completion', 'zsh');
    expect(r.code).toBe(0);
    expect(r.out.startsWith('#compdef pksim\n')).toBe(true);
    expect(r.out).toContain("'--policy=[");
    expect(r.out).toContain('scoped\\:strict');
    expect(r.out).toContain("'(-j --jobs)'{-j+,--jobs=}'[worker threads; the result is the same for any N]");
    expect(r.out).toContain('_sequence compadd - work-item schedule');
    for (const n of libraryNames()) expect(r.out).toContain(n);
    const zsh = spawnSync('zsh', ['-n'], { input: r.out, encoding: 'utf8' });
    if (!zsh.error) expect(zsh.status, zsh.stderr).toBe(0); // checked where zsh is installed
  });

  it('an unknown shell is a usage error', async () => {
    const r = await cli('completion', 'fish');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown shell 'fish'/);
  });
});
