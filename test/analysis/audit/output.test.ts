// Output kernel tools already speak: compiler-style text (terse/verbose), SARIF validated
// against the SARIF 2.1.0 schema (vendored: test/fixtures/audit/sarif-2.1.0-rtm.5.json, from
// the @microsoft/jest-sarif package), --patch, and --fix --mbox applied with git am.

import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { captureIO } from '../../../src/cli/io.js';
import { FIXTURES } from './util.js';

// ajv-draft-04 is CommonJS: require() gives the class under any module setting.
const Ajv = createRequire(import.meta.url)('ajv-draft-04') as typeof import('ajv-draft-04').default;

async function run(args: string[]) {
  const io = captureIO();
  const code = await main(['audit', ...args], io);
  return { code, out: io.stdout, err: io.stderr };
}

function tree(files: Record<string, string>, git = false): string {
  const dir = mkdtempSync(join(tmpdir(), 'pksim-audit-out-'));
  for (const [to, from] of Object.entries(files)) {
    mkdirSync(join(dir, to, '..'), { recursive: true });
    copyFileSync(FIXTURES + from, join(dir, to));
  }
  if (git) {
    const g = (...a: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...a], { cwd: dir, stdio: 'pipe' });
    g('init', '-q');
    g('add', '.');
    g('commit', '-qm', 'base');
  }
  return dir;
}

describe('text', () => {
  it('--terse gives one short line per site; --verbose every reason under it', async () => {
    const f = FIXTURES + 'put_helper_outparam.c';
    const t = (await run([f, '--terse'])).out.split('\n').filter((l) => l.includes('[kmap-'));
    expect(t).toHaveLength(1);
    expect(t[0]).toMatch(/:18:10: warning: kmap\(\) can be kmap_local_page\(\) \(not mechanical: get\/put helper pair[^)]*\) \[kmap-local\]$/);
    const v = (await run([f, '--verbose'])).out;
    expect(v).toContain("[kmap-local]\n    the page 'bh->b_page' is handed back to the caller still mapped");
    expect(v).toContain('\n    get/put helper pair demo_get_checkpoint()/demo_put_checkpoint()');
    const d = (await run([f])).out;
    expect(d).toMatch(/\(\+\d+ more, --verbose\)/);
    expect((await run([f, '--terse', '--verbose'])).code).toBe(2);
  });
});

describe('sarif', () => {
  const schema = JSON.parse(readFileSync(FIXTURES + 'sarif-2.1.0-rtm.5.json', 'utf8'));
  const validate = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false }).compile(schema);

  it('validates against the SARIF 2.1.0 schema, with rule help, fingerprints, end positions, related locations and fixes', async () => {
    const dir = tree({ 'fs/demo/a.c': 'store_struct_field.c', 'fs/demo/b.c': 'fix_many.c', 'fs/demo/c.c': 'atomic_uses.c' });
    const r = await run([dir, '--format', 'sarif', '--jobs', '1']);
    const s = JSON.parse(r.out);
    expect(validate(s), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
    expect(validate({ version: '2.1.0', runs: [{ tool: {} }] })).toBe(false); // the schema does check
    const run0 = s.runs[0];
    for (const rule of run0.tool.driver.rules) {
      expect(rule.fullDescription.text.length).toBeGreaterThan(20);
      expect(rule.help.text.length).toBeGreaterThan(10);
    }
    const local = run0.results.find((x: { ruleId: string }) => x.ruleId === 'kmap/local');
    expect(local.partialFingerprints['pksimAuditSite/v1']).toMatch(/^[0-9a-f]{32}$/);
    expect(local.locations[0].physicalLocation.region.endLine).toBeGreaterThanOrEqual(local.locations[0].physicalLocation.region.startLine);
    expect(local.relatedLocations[0].message.text).toMatch(/^kunmap\(.*\) releases this mapping$/);
    expect(local.fixes[0].artifactChanges[0].replacements.some((x: { insertedContent: { text: string } }) => x.insertedContent.text === 'kmap_local_page')).toBe(true);
    const global = run0.results.find((x: { ruleId: string }) => x.ruleId === 'kmap/global');
    expect(global.relatedLocations.some((x: { message: { text: string } }) => /stored in struct field/.test(x.message.text))).toBe(true);
    const fps = run0.results
      .filter((x: { partialFingerprints?: object }) => x.partialFingerprints)
      .map((x: { partialFingerprints: Record<string, string> }) => x.partialFingerprints['pksimAuditSite/v1']);
    expect(new Set(fps).size).toBe(fps.length);
  });

  it('URIs are relative to the git work tree root when PATH is inside one', async () => {
    const dir = tree({ 'fs/demo/a.c': 'map_copy_unmap.c' }, true);
    const s = JSON.parse((await run([join(dir, 'fs/demo'), '--format', 'sarif'])).out);
    expect(validate(s)).toBe(true);
    expect(s.runs[0].originalUriBaseIds.SRCROOT.uri).toBe(`file://${dir}/`);
    expect(s.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri).toBe('fs/demo/a.c');
  });
});

describe('--patch', () => {
  it('reports only the sites on lines the patch adds or touches', async () => {
    const dir = tree({ 'fs/demo/a.c': 'fix_many.c', 'fs/demo/b.c': 'store_global.c' });
    const all = JSON.parse((await run([dir, '--format', 'json'])).out);
    const target = all.sites.find((x: { file: string; call: string }) => x.file === 'fs/demo/a.c' && x.call === 'kmap');
    const diff = `--- a/fs/demo/a.c\n+++ b/fs/demo/a.c\n@@ -${target.line},1 +${target.line},1 @@\n-old\n+${'new'}\n`;
    writeFileSync(join(dir, 'x.patch'), diff);
    const r = JSON.parse((await run([dir, '--patch', join(dir, 'x.patch'), '--format', 'json'])).out);
    expect(r.sites.map((x: { file: string; line: number }) => `${x.file}:${x.line}`)).toEqual([`fs/demo/a.c:${target.line}`]);
    expect(r.summary.kmapSites).toBe(1);
    const bad = await run([dir, '--patch', join(dir, 'fs/demo/b.c')]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/^pksim audit: .*b\.c: not a unified diff/);
  });
});

describe('--fix --mbox', () => {
  it('prints one mail per subsystem that git am applies, saying why each conversion is safe', async () => {
    const dir = tree({ 'fs/demo/a.c': 'map_copy_unmap.c', 'drivers/demo/b.c': 'fix_many.c', 'drivers/demo/c.c': 'store_global.c' }, true);
    const r = await run([dir, '--fix', '--mbox']);
    expect(r.code).toBe(0);
    expect(r.out.match(/^Subject: \[PATCH \d\/2\] /gm)).toHaveLength(2);
    expect(r.out).toContain('Subject: [PATCH 2/2] fs/demo: convert kmap() to kmap_local_page()');
    expect(r.out).toContain('- demo_read_block() (fs/demo/a.c:9): the address (vaddr) stays in');
    expect(r.out).not.toContain('c.c');
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', 'am', '-q'], { cwd: dir, input: r.out, stdio: ['pipe', 'pipe', 'pipe'] });
    const log = execFileSync('git', ['log', '--format=%s'], { cwd: dir, encoding: 'utf8' });
    expect(log.split('\n').slice(0, 2)).toEqual(['fs/demo: convert kmap() to kmap_local_page()', 'drivers/demo: convert kmap() to kmap_local_page()']);
    expect(readFileSync(join(dir, 'fs/demo/a.c'), 'utf8')).toContain('kmap_local_page(page)');
  });
});
