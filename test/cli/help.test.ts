// --version, `pksim help CMD`, and the option tables: each command's options are declared once,
// and its parseArgs config and --help text come from the table.

import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { COMMANDS, allSpecs } from '../../src/cli/commands.js';
import { lazy, optionLabel, parseConfig } from '../../src/cli/options.js';
import { designNames } from '../../src/policy/index.js';
import { cli } from '../helpers.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

// Every option each command took before the tables: none may be lost (new ones may come).
const OPTIONS_BEFORE: Record<string, string[]> = {
  run: [
    'seed',
    'schedule',
    'store',
    'warn',
    'reset-at',
    'max-steps',
    'max-events',
    'max-output',
    'max-source',
    'json',
    'html',
    'force',
    'help',
    'policy',
    'mode',
    'perfetto',
    'quiet',
  ],
  compare: ['seed', 'schedule', 'store', 'warn', 'reset-at', 'max-steps', 'max-events', 'max-output', 'max-source', 'json', 'html', 'force', 'help', 'policies'],
  explore: ['policy', 'mode', 'bound', 'max-runs', 'max-total-steps', 'check', 'store', 'warn', 'reset-at', 'max-steps', 'max-output', 'max-source', 'json', 'help'],
  pkrs: ['json', 'help', 'pkrs', 'pkru', 'key', 'access', 'wp', 'page', 'pks'],
  list: ['json', 'help'],
  audit: ['format', 'json', 'jobs', 'fix', 'write', 'all', 'summary', 'callees', 'no-tree', 'atomic', 'help'],
};

describe('pksim --version', () => {
  it('--version and -V print the version in package.json', async () => {
    for (const flag of ['--version', '-V']) {
      const r = await cli(flag);
      expect(r.code).toBe(0);
      expect(r.out).toBe(`${VERSION}\n`);
    }
  });
  it('from the sources through tsx, as a process', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--version'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${VERSION}\n`);
  });
});

describe('pksim help', () => {
  it('pksim help prints the overview, exit 0; no command is a usage error, exit 2', async () => {
    const h = await cli('help');
    expect(h.code).toBe(0);
    for (const name of COMMANDS.keys()) expect(h.out).toContain(`  ${name} `);
    expect(h.out).toContain('--version');
    expect((await cli()).code).toBe(2);
  });
  it('pksim help CMD prints the same as pksim CMD --help', async () => {
    for (const name of COMMANDS.keys()) {
      const a = await cli('help', name);
      const b = await cli(name, '--help');
      const c = await cli(name, '-h');
      expect(a.code, name).toBe(0);
      expect(a.out, name).toMatch(/^usage:/);
      expect(a.out).toBe(b.out);
      expect(a.out).toBe(c.out);
    }
  });
  it('pksim help help is the overview', async () => {
    expect(await cli('help', 'help')).toEqual(await cli('help'));
  });
  it('pksim help of an unknown command exits 2 and names it', async () => {
    const r = await cli('help', 'frob');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown command 'frob'/);
  });
});

describe('option tables', () => {
  it('every command keeps every option it had', async () => {
    const specs = await allSpecs();
    for (const [name, before] of Object.entries(OPTIONS_BEFORE)) {
      const s = specs.find((x) => x.name === name)!.spec;
      expect(Object.keys(s.options), name).toEqual(expect.arrayContaining(before));
    }
    expect((parseConfig(specs.find((x) => x.name === 'audit')!.spec.options) as Record<string, unknown>).jobs).toEqual({ type: 'string', short: 'j' });
  });

  it('the parseArgs config and the --help text come from the table: every option with its meaning', async () => {
    for (const { name, spec } of await allSpecs()) {
      const cfg = parseConfig(spec.options) as Record<string, { type: string; short?: string }>;
      const help = (await cli(name, '--help')).out;
      for (const [opt, o] of Object.entries(spec.options)) {
        expect(cfg[opt], `${name} --${opt}`).toEqual(o.short ? { type: o.type, short: o.short } : { type: o.type });
        expect(help, `${name} --${opt}`).toContain(optionLabel(opt, o));
        expect(help, `${name} --${opt}`).toContain(lazy(o.help).split('\n')[0]!);
        if (o.default !== undefined) expect(help, `${name} --${opt}`).toContain(`(default ${lazy(o.default)})`);
      }
    }
  });

  it('the policy option lists the designs of the registry', async () => {
    const help = (await cli('run', '--help')).out;
    for (const d of designNames()) expect(help).toContain(d);
  });

  it('an unknown option is still refused, exit 2', async () => {
    const r = await cli('list', '--frob');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/pksim list: unknown option '--frob'/);
  });
});
