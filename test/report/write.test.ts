// Reports go to a temporary file renamed over the target only once fully written: `--force` over
// a good report on a full disk used to leave a truncated one.

import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReportExistsError, ReportWriteError, writeReportFile, writePerfetto, type WriteFs } from '../../src/report/index.js';
import { findSources } from '../../src/report/write.js';
import { handoffGlobal } from '../fixtures/report/handoff.js';

/** node:fs, except that the n-th writeSync fails with ENOSPC after writing half its bytes. */
function failingFs(n: number): WriteFs {
  let calls = 0;
  return {
    ...fs,
    writeSync: ((fd: number, buf: Buffer, off: number, len: number) => {
      if (++calls === n) {
        fs.writeSync(fd, buf, off, Math.floor(len / 2));
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      }
      return fs.writeSync(fd, buf, off, len);
    }) as WriteFs['writeSync'],
  };
}

describe('writeReportFile', () => {
  it('a write failing midway (ENOSPC) under --force left a truncated report; now the previous one is intact', () => {
    const d = fs.mkdtempSync(join(tmpdir(), 'pksim-write-'));
    const p = join(d, 'report.json');
    writePerfetto(p, handoffGlobal());
    const good = fs.readFileSync(p, 'utf8');
    // Pieces of 1 MiB: the second write fails, after the first went through.
    const big = ['x'.repeat(1 << 20), 'y'.repeat(1 << 20), 'z'.repeat(10)];
    expect(() => writeReportFile(p, big, { force: true, fs: failingFs(2) })).toThrow(ReportWriteError);
    expect(() => writeReportFile(p, big, { force: true, fs: failingFs(2) })).toThrow(`cannot write ${p}: ENOSPC`);
    expect(fs.readFileSync(p, 'utf8')).toBe(good);
    expect(fs.readdirSync(d)).toEqual(['report.json']); // the temporary file is gone
  });

  it('a new report that fails midway leaves no file at all', () => {
    const d = fs.mkdtempSync(join(tmpdir(), 'pksim-write-'));
    expect(() => writeReportFile(join(d, 'new.html'), 'abc', { fs: failingFs(1) })).toThrow(ReportWriteError);
    expect(fs.readdirSync(d)).toEqual([]);
  });

  it('never replaces an existing file without force, even one created after the check', () => {
    const d = fs.mkdtempSync(join(tmpdir(), 'pksim-write-'));
    const p = join(d, 'r.html');
    fs.writeFileSync(p, 'mine');
    expect(() => writeReportFile(p, 'theirs')).toThrow(ReportExistsError);
    // Created between the check and the write: link() refuses it.
    const racing: WriteFs = {
      ...fs,
      statSync: () => {
        throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
      },
    };
    expect(() => writeReportFile(p, 'theirs', { fs: racing })).toThrow(ReportExistsError);
    expect(fs.readFileSync(p, 'utf8')).toBe('mine');
    expect(fs.readdirSync(d)).toEqual(['r.html']);
  });

  it('writes in pieces: a text of several MiB arrives whole', () => {
    const d = fs.mkdtempSync(join(tmpdir(), 'pksim-write-'));
    const p = join(d, 'big.txt');
    const pieces = Array.from({ length: 5000 }, (_, i) => `${i}:${'é'.repeat(1000)}\n`);
    writeReportFile(p, pieces);
    expect(fs.readFileSync(p, 'utf8')).toBe(pieces.join(''));
  });
});

describe('findSources', () => {
  it('a scenario file named __proto__ was a key of a plain object: its source was dropped', () => {
    const d = fs.mkdtempSync(join(tmpdir(), 'pksim-src-'));
    fs.writeFileSync(join(d, '__proto__'), 'task t cpu 0 {\n  nop()\n}\n');
    const home = process.cwd();
    process.chdir(d);
    try {
      const r = { ...handoffGlobal(false), scenario: '__proto__', file: '__proto__' };
      const out = findSources([r]);
      expect(Object.hasOwn(out, '__proto__')).toBe(true);
      expect(out['__proto__']).toBe('task t cpu 0 {\n  nop()\n}\n');
    } finally {
      process.chdir(home);
    }
  });
});
