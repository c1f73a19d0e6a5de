// Errors are data with stable codes: the compiler-style message carries the code, and with
// --json every command also prints the error as JSON on standard output. Tests match on codes.

import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'pksim-errors-'));
const bad = join(dir, 'bad.pks');
writeFileSync(bad, 'cpus 1\ntask t cpu 0 {\n  p = kmap(bfu)\n  kmpa(p)\n}\n');

describe('error codes on the command line', () => {
  it('a scenario error: error[PKS0xx] in the message, exit 2, nothing on stdout without --json', async () => {
    const r = await cli('run', bad);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(
      r.err
        .split('\n')
        .filter((l) => /error\[/.test(l))
        .map((l) => l.replace(/^.*?:(\d+:\d+): error\[(PKS\d+)\].*$/, '$1 $2')),
    ).toEqual(['3:12 PKS002', '4:3 PKS011']);
  });

  for (const cmd of [['run'], ['compare'], ['explore']]) {
    it(`${cmd[0]} --json: the diagnostics as JSON on stdout, the message on stderr`, async () => {
      const r = await cli(...cmd, bad, '--json');
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/error\[PKS002\]/);
      const j = JSON.parse(r.out) as { error: { kind: string; code: string; diagnostics: { code: string; line: number; col: number }[] } };
      expect(j.error.kind).toBe('scenario');
      expect(j.error.code).toBe('PKS002');
      expect(j.error.diagnostics.map((d) => [d.code, d.line, d.col])).toEqual([
        ['PKS002', 3, 12],
        ['PKS011', 4, 3],
      ]);
    });
  }

  it('a missing scenario file is PKS022', async () => {
    const r = await cli('run', join(dir, 'nope.pks'), '--json');
    expect(r.code).toBe(2);
    expect(JSON.parse(r.out).error.code).toBe('PKS022');
  });

  it('a bad policy is PKS101 (PolicyError), for run, explore and compare', async () => {
    for (const args of [
      ['run', 'local_copy', '--policy', 'nope'],
      ['explore', 'local_copy', '--policy', 'scoped:lax'],
      ['compare', 'local_copy', '--policies', 'global,nope'],
    ]) {
      const r = await cli(...args, '--json');
      expect(r.code, args.join(' ')).toBe(2);
      expect(JSON.parse(r.out).error).toMatchObject({ kind: 'usage', code: 'PKS101' });
    }
  });

  it('an audit input error is AUD0xx (AuditError), with --json or --format json', async () => {
    const r = await cli('audit', join(dir, 'missing-dir'), '--format', 'json');
    expect(r.code).toBe(2);
    expect(JSON.parse(r.out).error).toMatchObject({ kind: 'usage', code: 'AUD001' });
  });

  it('other usage errors have code null; a limit is kind limit, exit 3', async () => {
    const u = await cli('run', 'local_copy', '--bogus', '--json');
    expect(u.code).toBe(2);
    expect(JSON.parse(u.out).error).toMatchObject({ kind: 'usage', code: null });
    const big = join(dir, 'big.pks');
    writeFileSync(big, 'cpus 1\n'.repeat(100));
    const l = await cli('run', big, '--max-source', '10', '--json');
    expect(l.code).toBe(3);
    expect(JSON.parse(l.out).error).toMatchObject({ kind: 'limit', code: null });
  });
});
