import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { cli } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'pksim-cli-'));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const OK = `cpus 1\nkey k = 1 default noaccess\npage p key k highmem\ntask t cpu 0 {\n a = kmap_local_page(p)\n write(a, 0)\n kunmap_local(a)\n}\nexpect no_fault\narch x86_32\n`;

describe('pksim pkrs', () => {
  it('decode --json prints the value and a per-key table', async () => {
    const r = await cli('pkrs', 'decode', '0x55555554', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.value).toBe('0x55555554');
    expect(j.keys[0]).toEqual({ key: 0, ad: false, wd: false });
    expect(j.keys[1]).toEqual({ key: 1, ad: true, wd: false });
    expect(j.keys).toHaveLength(16);
  });

  it('decode prints a table a person reads', async () => {
    const r = await cli('pkrs', 'decode', '0x55555554');
    expect(r.out).toMatch(/key\s+AD\s+WD\s+meaning/);
    expect(r.out).toMatch(/\n\s+1\s+1\s+0\s+no access/);
  });

  it('check --json gives the fault and its error code', async () => {
    const r = await cli('pkrs', 'check', '--pkrs', '0x20', '--key', '2', '--access', 'write', '--wp', '1', '--page', 'supervisor', '--json');
    const j = JSON.parse(r.out);
    expect(j.fault).toBe(true);
    expect(j.errorCode).toBe('0x23');
    const ok = JSON.parse((await cli('pkrs', 'check', '--pkrs', '0x20', '--key', '2', '--access', 'write', '--wp', '0', '--json')).out);
    expect(ok.fault).toBe(false);
  });

  it.each([
    [['pkrs', 'decode', 'zzz'], /not a number/],
    [['pkrs', 'decode', '0x100000000'], /bits 63:32.*#GP/],
    [['pkrs', 'check', '--pkrs', '0x20', '--key', '16'], /not a key/],
    [['pkrs', 'check', '--pkrs', '0x20', '--key', '2', '--access', 'exec'], /not read, write or fetch/],
    [['pkrs', 'frobnicate'], /unknown subcommand/],
  ])('bad values get a one-line error and exit 2: %j', async (args, msg) => {
    const r = await cli(...args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(msg);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).not.toMatch(/\bat .*\.ts:\d+/);
  });
});

describe('pksim run', () => {
  it('prints the kernel log (dmesg splats) and a summary with the schedule', async () => {
    const r = await cli('run', 'async_handoff_softirq', '--policy', 'scoped:relaxed');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^\[ {4}0\.000007\] ------------\[ cut here \]------------\n.*\n\[ {4}0\.000007\] WARNING: CPU: 1 PID: 0 at /m);
    expect(r.out).not.toMatch(/kmap\(buf\)/);
    expect(r.out).toMatch(/schedule: /);
  });

  it('--log ftrace prints every statement as ftrace text instead', async () => {
    const r = await cli('run', 'async_handoff_softirq', '--policy', 'scoped:relaxed', '--log', 'ftrace');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^cpus=2\n# tracer: nop\n/);
    expect(r.out).toMatch(/ {10}writer-2 {7}\[000\] \.{5} {5}0\.000001: print: tracing_mark_write: line 13: p = kmap\(buf\)\n/);
    expect(r.out).toMatch(/schedule: /);
  });

  it('--log takes dmesg or ftrace: anything else is a one-line usage error, exit 2', async () => {
    const r = await cli('run', 'async_handoff_softirq', '--log', 'syslog');
    expect(r.code).toBe(2);
    expect(r.err.trim()).toBe("pksim run: --log: 'syslog' is not dmesg or ftrace");
  });

  it('--ftrace FILE writes the ftrace text; an existing file is refused before the run', async () => {
    const out = join(dir, 'run.ftrace.txt');
    const r = await cli('run', 'async_handoff_softirq', '--ftrace', out);
    expect(r.code).toBe(0);
    expect(readFileSync(out, 'utf8')).toMatch(/softirq_entry: vec=0 \[action=block_done\]/);
    const again = await cli('run', 'async_handoff_softirq', '--ftrace', out);
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/--ftrace: .* already exists \(use --force to overwrite it\)/);
    const same = await cli('run', 'async_handoff_softirq', '--ftrace', join(dir, 'x.json'), '--perfetto', join(dir, 'x.json'));
    expect(same.code).toBe(2);
    expect(same.err).toMatch(/--perfetto and --ftrace name the same file/);
  });

  it('--json prints scenario, policy, mode, schedule, events and summary', async () => {
    const r = await cli('run', 'async_handoff_softirq', '--policy', 'scoped', '--mode', 'strict', '--json');
    const j = JSON.parse(r.out);
    for (const k of ['scenario', 'policy', 'mode', 'schedule', 'events', 'summary']) expect(j).toHaveProperty(k);
    expect(j.policy).toBe('scoped:strict');
    for (const k of ['legitBroken', 'legitWarned', 'straysCaught', 'straysWarned', 'straysMissed', 'exposure', 'oopses', 'warnings', 'faults', 'pkrsWrites', 'ipis']) {
      expect(typeof j.summary[k]).toBe('number');
    }
  });

  it('exit status 1 when an expectation of the scenario fails', async () => {
    const p = file('fail.pks', OK.replace('expect no_fault', 'expect faults == 3'));
    const r = await cli('run', p, '--policy', 'scoped');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/expect FAIL/);
    expect((await cli('run', file('ok.pks', OK), '--policy', 'scoped')).code).toBe(0);
  });

  it('a parse error names file:line:column with a caret and exits 2', async () => {
    const p = file('bad.pks', 'cpus 1\npage p highmem\ntask t cpu 0 {\n a = kmap(nosuch)\n}\n');
    const r = await cli('run', p);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${p}:4:11:`);
    expect(r.err).toMatch(/\n\s*\^/);
  });

  it('a missing file, an unknown policy or a bad seed is a one-line error, exit 2', async () => {
    expect((await cli('run', join(dir, 'nope.pks'))).code).toBe(2);
    const pol = await cli('run', file('ok2.pks', OK), '--policy', 'bogus');
    expect(pol.code).toBe(2);
    expect(pol.err).toMatch(/unknown policy 'bogus'/);
    expect((await cli('run', file('ok3.pks', OK), '--seed', '-1')).code).toBe(2);
    expect((await cli('run', file('ok4.pks', OK), '--schedule', '0,x')).code).toBe(2);
  });

  it('the step limit stops the run with exit 3 and says how to raise it', async () => {
    const r = await cli('run', 'async_handoff_softirq', '--max-steps', '3');
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/--max-steps/);
  });

  it('--schedule replays the run a --seed produced', async () => {
    const a = JSON.parse((await cli('run', 'async_handoff_workqueue', '--seed', '7', '--json')).out);
    const b = JSON.parse((await cli('run', 'async_handoff_workqueue', '--schedule', a.schedule.join(','), '--json')).out);
    expect(b.events).toEqual(a.events);
  });

  it('--html never overwrites an existing file without --force', async () => {
    const out = file('report.html', 'precious');
    const r = await cli('run', 'async_handoff_softirq', '--html', out, '--quiet');
    expect(r.code).toBe(2);
    expect(readFileSync(out, 'utf8')).toBe('precious');
    expect((await cli('run', 'async_handoff_softirq', '--html', out, '--quiet', '--force')).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toMatch(/<html/i);
    const pf = join(dir, 'trace.json');
    expect((await cli('run', 'async_handoff_softirq', '--perfetto', pf, '--quiet')).code).toBe(0);
    expect(existsSync(pf)).toBe(true);
  });
});

describe('pksim compare', () => {
  it('one table per file, a row per policy and mode, and a total for several files', async () => {
    const r = await cli('compare', 'async_handoff_softirq', 'stray_irq_during_kmap');
    expect(r.code).toBe(0);
    for (const p of ['none', 'global', 'abandon', 'exception', 'scoped:strict', 'scoped:relaxed', 'scoped:silent', 'scoped:off']) {
      expect(r.out.match(new RegExp(`^${p}\\s`, 'gm'))).toHaveLength(3);
    }
    expect(r.out).toMatch(/== total over 2 scenarios/);
  });

  it('--json has one entry per file with a run per policy', async () => {
    const r = await cli('compare', 'async_handoff_softirq', '--policies', 'global,scoped:relaxed', '--json');
    const j = JSON.parse(r.out);
    expect(j.files).toHaveLength(1);
    expect(j.files[0].runs.map((x: { policy: string }) => x.policy)).toEqual(['global', 'scoped:relaxed']);
  });

  it('rejects an unknown policy in --policies', async () => {
    const r = await cli('compare', 'async_handoff_softirq', '--policies', 'global,nope');
    expect(r.code).toBe(2);
  });
});

describe('the pksim executable', () => {
  it('bad input never prints a stack trace', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'run', join(dir, 'missing.pks')], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
  it('an unknown command prints the usage and exits 2', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'frob'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/usage: pksim/);
  });
});

describe('resource limits', () => {
  it('the event limit stops the run with exit 3 and names the option', async () => {
    const r = await cli('run', 'local_copy', '--max-events', '5', '--quiet');
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/event limit.*--max-events/);
  });
});

describe('standard input', () => {
  it("'-' reads the scenario from standard input, and errors name <stdin>", () => {
    const ok = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'run', '-', '--quiet'], { input: OK, encoding: 'utf8' });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/under scoped:relaxed: done/);
    const bad = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'run', '-'], { input: 'cpus 1\ntask t cpu 0 {\n a = kmap(q)\n}\n', encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^<stdin>:3:11: error\[PKS002\]: unknown page 'q'/);
  });
});
