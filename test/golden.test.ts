// Golden files: what users read, byte for byte, through the public API (src/index.ts) or the CLI.
//
// The files live in test/__golden__/. The semantics of the model are still changing on other branches,
// so these files are expected to change: after a merge (or any change to an output), regenerate them with
//
//   npx vitest run -u test/golden.test.ts
//
// and read the diff of test/__golden__/ before committing it: that diff is the change users will see.
// Anything that depends on the machine (absolute paths, elapsed time) is replaced before comparing.

import { describe, expect, it } from 'vitest';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DEFAULT_COMPARE, compareTable, formatDmesg, formatFtrace, formatSummary, loadScenario, main, runScenario, toPerfetto } from '../src/index.js';
import { captureIO } from '../src/cli/io.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const golden = (name: string) => join(ROOT, 'test', '__golden__', name);

/** Replaces what differs between machines and runs: the checkout's path and the audit's elapsed time. */
function stable(text: string): string {
  return text
    .replaceAll(pathToFileURL(ROOT).href, 'file:///ROOT')
    .replaceAll(ROOT, '/ROOT')
    .replace(/; [0-9.]+ s$/gm, '; <elapsed> s');
}

describe('golden: pksim run async_handoff_softirq --policy scoped:relaxed', () => {
  const ir = loadScenario('async_handoff_softirq');
  const result = runScenario(ir, { policy: 'scoped:relaxed' });

  it('kernel log and summary', async () => {
    await expect(stable(formatDmesg(result, ir.source) + formatSummary(result))).toMatchFileSnapshot(golden('run-async_handoff_softirq-scoped-relaxed.dmesg.txt'));
  });

  it('ftrace text (--ftrace, --log ftrace)', async () => {
    await expect(formatFtrace(result)).toMatchFileSnapshot(golden('run-async_handoff_softirq-scoped-relaxed.ftrace.txt'));
  });

  it('Perfetto trace (indented for readable diffs; --perfetto writes it on one line)', async () => {
    await expect(stable(JSON.stringify(toPerfetto(result), null, 2) + '\n')).toMatchFileSnapshot(golden('perfetto-async_handoff_softirq-scoped-relaxed.json'));
  });
});

describe('golden: compare stray_irq_during_kmap over every design', () => {
  it('table', async () => {
    const ir = loadScenario('stray_irq_during_kmap');
    const runs = DEFAULT_COMPARE.map((policy) => runScenario(ir, { policy }));
    await expect(stable(compareTable(runs))).toMatchFileSnapshot(golden('compare-stray_irq_during_kmap.txt'));
  });
});

describe('golden: pksim audit on two fixtures', () => {
  const fixtures = ['missing_unmap_path.c', 'store_global.c'].map((f) => join(ROOT, 'test', 'fixtures', 'audit', f));

  async function audit(...args: string[]): Promise<string> {
    const io = captureIO();
    const code = await main(['audit', ...fixtures, '--jobs', '1', ...args], io);
    expect(io.stderr).toBe('');
    expect(code).toBe(0);
    return stable(io.stdout);
  }

  it('text', async () => {
    await expect(await audit()).toMatchFileSnapshot(golden('audit-two-fixtures.txt'));
  });

  it('SARIF', async () => {
    await expect(await audit('--format', 'sarif')).toMatchFileSnapshot(golden('audit-two-fixtures.sarif'));
  });
});
