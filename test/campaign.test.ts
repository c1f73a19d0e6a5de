// docs/campaign: the Kubernetes Indexed Job is valid YAML with what Kubernetes requires, its
// shard count matches its completions, and the local script (the same shards as processes,
// then the merge) prints the bytes of the unsharded run.

import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { main } from '../src/cli/main.js';
import { captureIO } from '../src/cli/io.js';

const DIR = new URL('../docs/campaign/', import.meta.url).pathname;
const ROOT = new URL('..', import.meta.url).pathname;

interface Container {
  name: string;
  image: string;
  command: string[];
  args: string[];
}

function jobs() {
  const docs = parseAllDocuments(readFileSync(join(DIR, 'job.yaml'), 'utf8'));
  for (const d of docs) expect(d.errors).toEqual([]);
  return docs.map((d) => d.toJS() as { apiVersion: string; kind: string; metadata: { name: string }; spec: Record<string, unknown> });
}

describe('campaign manifest', () => {
  it('campaign job: an Indexed batch/v1 Job whose containers run the shards of N = completions', () => {
    const fuzz = jobs().find((j) => j.kind === 'Job' && j.metadata.name === 'pksim-fuzz')!;
    expect(fuzz.apiVersion).toBe('batch/v1');
    const spec = fuzz.spec as { completionMode: string; completions: number; parallelism: number; template: { spec: { restartPolicy: string; containers: Container[] } } };
    expect(spec.completionMode).toBe('Indexed');
    expect(Number.isInteger(spec.completions) && spec.completions > 0).toBe(true);
    expect(Number.isInteger(spec.parallelism) && spec.parallelism > 0).toBe(true);
    expect(['Never', 'OnFailure']).toContain(spec.template.spec.restartPolicy);
    const [c] = spec.template.spec.containers;
    expect(c!.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(c!.image).toMatch(/\S/);
    const cmd = [...c!.command, ...c!.args].join(' ');
    expect(cmd).toContain('pksim fuzz');
    expect(cmd).toContain(`--shard $JOB_COMPLETION_INDEX/${spec.completions}`);
    expect(cmd).toMatch(/--out \/results\/\S*\$JOB_COMPLETION_INDEX/);
  });

  it('campaign merge job: pksim merge of the shard files, after all N of them exist', () => {
    const all = jobs();
    const n = (all.find((j) => j.metadata.name === 'pksim-fuzz')!.spec as { completions: number }).completions;
    const merge = all.find((j) => j.kind === 'Job' && j.metadata.name === 'pksim-merge')!;
    expect(merge.apiVersion).toBe('batch/v1');
    const spec = merge.spec as { template: { spec: { restartPolicy: string; containers: Container[] } } };
    expect(['Never', 'OnFailure']).toContain(spec.template.spec.restartPolicy);
    const cmd = spec.template.spec.containers[0]!.args.join(' ');
    expect(cmd).toContain('pksim merge /results/shard-*.json');
    expect(cmd).toContain(`-ge ${n} ]`);
    expect(all.find((j) => j.kind === 'PersistentVolumeClaim')!.apiVersion).toBe('v1');
  });

  it('campaign Dockerfile: builds the CLI and puts pksim on the PATH', () => {
    const d = readFileSync(join(DIR, 'Dockerfile'), 'utf8');
    expect(d).toMatch(/^FROM node:20/m);
    expect(d).toContain('npm run build');
    expect(d).toContain('/usr/local/bin/pksim');
    expect(d).toContain('COPY --from=build /src/scenarios');
  });

  it('campaign local script: N shards as processes, merged, equal the unsharded run', async () => {
    const out = mkdtempSync(join(tmpdir(), 'pksim-campaign-'));
    const args = ['local_copy', 'stray_irq_during_kmap', '--runs', '40', '--seed', '3', '--policies', 'global,scoped:relaxed'];
    execFileSync('sh', [join(DIR, 'run-local.sh'), '3', out, ...args], {
      cwd: ROOT,
      env: { ...process.env, PKSIM: `${process.execPath} --import tsx src/cli/main.ts` },
      stdio: 'pipe',
    });
    const io = captureIO();
    expect(await main(['fuzz', ...args, '--json'], io)).toBe(0);
    expect(readFileSync(join(out, 'merged.json'), 'utf8')).toBe(io.stdout);
  }, 120_000);

  it('campaign local script: a shard stopped at a limit fails the script with its exit status', () => {
    const out = mkdtempSync(join(tmpdir(), 'pksim-campaign-'));
    let status = 0;
    try {
      execFileSync('sh', [join(DIR, 'run-local.sh'), '2', out, 'local_copy', '--runs', '4', '--max-steps', '2'], {
        cwd: ROOT,
        env: { ...process.env, PKSIM: `${process.execPath} --import tsx src/cli/main.ts` },
        stdio: 'pipe',
      });
    } catch (e) {
      status = (e as { status: number }).status;
    }
    expect(status).toBe(3);
  }, 120_000);
});
