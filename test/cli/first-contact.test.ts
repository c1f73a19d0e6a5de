// What a kernel developer meets on first contact with the commands: each test pins a defect
// found by using pksim as a reviewer would (a silently wrong result, an option quietly ignored,
// a message that is not one line), through the public CLI.

import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { cli } from '../helpers.js';
import { fileURLToPath } from 'node:url';

const dir = mkdtempSync(join(tmpdir(), 'pksim-first-'));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

// An assert that fails under `none` and holds with PKS on, and an invariant that holds only under scoped.
const CHECKED = fileURLToPath(new URL('../fixtures/explore/checks.pks', import.meta.url));

describe('compare checks the scenario’s assert and invariant lines, as run does', () => {
  it('a failing assert or invariant under one design: marked in the table, exit 1', async () => {
    const run = await cli('run', CHECKED, '--policy', 'none', '--quiet');
    expect(run.code).toBe(1);
    const r = await cli('compare', CHECKED, '--policies', 'none,scoped:relaxed', '--color', 'never');
    expect(r.code).toBe(1);
    const rows = r.out.split('\n').filter((l) => /^(none|scoped:relaxed) /.test(l));
    expect(rows[0]).toMatch(/done\*$/);
    expect(rows[1]).toMatch(/done$/);
    expect(r.out).toMatch(/\* an expect, assert or invariant line failed/);
  });

  it('--json carries the failed checks of each run', async () => {
    const r = await cli('compare', CHECKED, '--policies', 'none', '--json');
    const runs = JSON.parse(r.out).files[0].runs as { expectations: { metric: string; ok: boolean }[] }[];
    expect(runs[0]!.expectations.map((x) => [x.metric, x.ok])).toEqual([
      ['assert', false],
      ['invariant', false],
    ]);
  });

  it('the reports column counts a failed assert in compare as in run', async () => {
    const run = JSON.parse((await cli('run', CHECKED, '--policy', 'none', '--json')).out);
    const cmp = JSON.parse((await cli('compare', CHECKED, '--policies', 'none', '--json')).out);
    expect(cmp.files[0].runs[0].summary.reports).toBe(run.summary.reports);
  });

  it('a failed check keeps the table within 100 columns', async () => {
    // Every run stops at the step limit: scoped:strict's expect line fails (limit:steps*).
    const r = await cli('compare', CHECKED, '--max-steps', '3', '--color', 'never');
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/^scoped:strict .* limit:steps\*$/m);
    expect(Math.max(...r.out.split('\n').map((l) => l.length))).toBeLessThanOrEqual(100);
  });
});

describe('compare --policies', () => {
  it('a design named twice (or by its alias) is refused: its total would count it twice', async () => {
    for (const list of ['global,global', 'scoped,scoped:relaxed']) {
      const r = await cli('compare', CHECKED, '--policies', list);
      expect(r.code, list).toBe(2);
      expect(r.err).toMatch(/^pksim compare: --policies: .* named twice/);
      expect(r.err.trim().split('\n')).toHaveLength(1);
    }
  });
});

describe('pkrs reads VALUE as hex, as the help says and as rdmsr prints it', () => {
  it('decode 55555554 is 0x55555554, not decimal 55555554', async () => {
    const r = await cli('pkrs', 'decode', '55555554', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).value).toBe('0x55555554');
  });

  it('check --pkrs 10 is 0x10 (key 2 access-disabled), not decimal 10 (keys 0 and 1 write-disabled)', async () => {
    const r = await cli('pkrs', 'check', '--pkrs', '10', '--key', '2', '--access', 'write', '--json');
    expect(JSON.parse(r.out).fault).toBe(true);
  });

  it('bare hex digits with letters are read too', async () => {
    const r = await cli('pkrs', 'decode', '5555555c', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).value).toBe('0x5555555c');
  });
});

describe('options that would be ignored are refused, one line, exit 2', () => {
  const cases: [string[], RegExp][] = [
    [['explore', CHECKED, '--max-runs', '3'], /--max-runs.*--bound/],
    [['explore', CHECKED, '--max-total-steps', '3'], /--max-total-steps.*--bound/],
    [['explore', CHECKED, '--bitstate', '--hash-compact'], /--bitstate.*--hash-compact/],
    [['run', CHECKED, '--json', '--log', 'ftrace'], /--log.*--json/],
    [['run', CHECKED, '--json', '--quiet'], /--quiet.*--json/],
    [['fuzz', CHECKED, '--policies', 'global', '--base', 'none', '--runs', '2'], /--base none.*--policies/],
    [['study', 'warnings', CHECKED, '--runs', '2', '--svg', join(dir, 'w.svg')], /--svg.*reset-points/],
    [['study', 'warnings', CHECKED, '--runs', '2', '--time-limit', '5'], /--time-limit.*reset-points/],
    [['study', 'reset-points', CHECKED, '--runs', '2', '--boots', '5'], /--boots.*warnings/],
    [['study', 'warnings', CHECKED, '--runs', '2', '--policies', 'global,scoped:relaxed'], /study warnings.*one design/],
    [['audit', dir, '--json', '--terse'], /--terse.*text output.*--format json/],
    [['audit', dir, '--format', 'sarif', '--summary'], /--summary.*text output.*--format sarif/],
    [['audit', dir, '--fix', '--all'], /--all.*text output.*--fix/],
  ];
  for (const [args, re] of cases) {
    it(args.join(' ').replaceAll(dir, 'DIR'), async () => {
      const r = await cli(...args);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(re);
      expect(r.err.trim().split('\n')).toHaveLength(1);
    });
  }
});

describe('option parsing errors are one line', () => {
  it('an unknown option names the closest one', async () => {
    const r = await cli('run', CHECKED, '--polcy', 'global');
    expect(r.code).toBe(2);
    expect(r.err).toBe("pksim run: unknown option '--polcy'; did you mean '--policy'? (pksim help run)\n");
  });

  it('a negative number is a bad value, not a multi-line parseArgs message', async () => {
    for (const [cmd, opt] of [
      ['run', '--max-steps'],
      ['explore', '--time-limit'],
    ] as const) {
      const r = await cli(cmd, CHECKED, opt, '-1');
      expect(r.code).toBe(2);
      expect(r.err.trim().split('\n'), r.err).toHaveLength(1);
      expect(r.err).toMatch(new RegExp(`${opt}.*'-1'`));
    }
  });

  it('an option without its value is one line', async () => {
    const r = await cli('run', CHECKED, '--policy');
    expect(r.code).toBe(2);
    expect(r.err).toBe("pksim run: option '--policy P' needs a value\n");
  });

  it('an unknown command names the closest one', async () => {
    const r = await cli('exlpore', CHECKED);
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toBe("pksim: unknown command 'exlpore'; did you mean 'explore'?");
  });

  it('pksim help with an unknown command names the closest one too', async () => {
    const r = await cli('help', 'exlpore');
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toBe("pksim help: unknown command 'exlpore'; did you mean 'explore'?");
  });
});

describe('explore --html with no violation', () => {
  it('says the file was not written (it holds the first violation’s run), exit 0', async () => {
    const out = join(dir, 'none.html');
    const r = await cli('explore', CHECKED, '--policy', 'scoped:relaxed', '--html', out);
    expect(r.code).toBe(0);
    expect(existsSync(out)).toBe(false);
    expect(r.err).toBe(`pksim explore: no violation, so no run to show: ${out} not written\n`);
  });
});

describe('a closed standard error (pksim ... 2>&1 | head)', () => {
  it('keeps the exit status: a limit is still 3, not 1 from an unhandled EPIPE', async () => {
    const c = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'run', 'local_copy', '--max-steps', '3', '--quiet'], { stdio: ['ignore', 'ignore', 'pipe'] });
    c.stderr.destroy();
    const code = await new Promise<number | null>((resolve) => {
      c.on('exit', resolve);
    });
    expect(code).toBe(3);
  });
});

describe('run names the contexts that did not run', () => {
  it('a softirq declared without a trigger (on CHANNEL forgotten) that nothing raises', async () => {
    const f = file(
      'untriggered.pks',
      `cpus 1
key pmem = 1 default noaccess
page buf key pmem
channel c
task t cpu 0 {
    p = kmap(buf)
    send(c, p)
    kunmap(buf)
    return_to_user()
}
softirq done cpu 0 {
    q = recv(c)
    write(q, 0)
}
`,
    );
    const r = await cli('run', f, '--quiet');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^did not run: softirq done$/m);
    const ok = await cli('run', 'async_handoff_softirq', '--quiet');
    expect(ok.out).not.toMatch(/did not run/);
  });
});

describe('run summary: expect lines and assert/invariant checks apart', () => {
  it('the count of expect lines met is not diluted by the failed asserts', async () => {
    const r = await cli('run', CHECKED, '--policy', 'none', '--quiet');
    expect(r.out).not.toMatch(/^expectations:/m); // no expect line applies to none
    expect(r.out).toMatch(/^checks failed: 1 assert, 1 invariant$/m);
    const s = await cli('run', CHECKED, '--policy', 'scoped:strict', '--quiet');
    expect(s.out).toMatch(/^expectations: 1 of 1 met$/m);
    expect(s.out).not.toMatch(/^checks failed/m);
  });
});

describe('the output-limit message names only options the command has', () => {
  for (const cmd of ['run', 'compare', 'explore']) {
    it(cmd, async () => {
      const r = await cli(cmd, 'stray_irq_during_kmap', '--max-output', '100');
      expect(r.code).toBe(3);
      const line = r.err.split('\n').find((l) => l.includes('output stopped'))!;
      expect(line).toMatch(/--max-output/);
      const help = (await cli(cmd, '--help')).out;
      for (const o of line.match(/--[a-z-]+/g)!) expect(help, `${cmd}: ${o}`).toContain(`  ${o} `);
    });
  }
});
