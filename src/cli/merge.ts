// `pksim merge RESULT.json...`: the shards of one fuzz campaign (--shard K/N --out FILE) added
// up into exactly the report the unsharded campaign gives (its --json bytes).

import { readFileSync } from 'node:fs';
import { emptyStats, mergeStats, statsShapeError, type FuzzStats } from '../analysis/fuzz/acc.js';
import { buildReport, MERGE_ERROR_CODE, reportJson, type FuzzConfig, type FuzzReport } from '../analysis/fuzz/report.js';
import { formatFuzzText } from '../report/fuzz.js';
import { EXIT_USAGE, UsageError } from './errors.js';
import type { CliIO } from './io.js';
import { HELP_OPTION, defineCommand, parseCommand } from './options.js';
import { checkFiles, writeFiles, FUZZ_OUTPUT_OPTIONS } from './fuzzout.js';

export const spec = defineCommand({
  name: 'merge',
  usage: 'pksim merge RESULT.json... [--json] [--out FILE]',
  about: `Adds up the results of the shards of one fuzz campaign ('pksim fuzz ... --shard K/N --out
FILE', K = 0..N-1) into the report the unsharded campaign gives: its --json output, byte for
byte. Every shard of the campaign must be given once, all with the same configuration.`,
  positionals: 'path',
  options: {
    json: { type: 'boolean', help: 'print the merged report as JSON' },
    ...FUZZ_OUTPUT_OPTIONS,
    ...HELP_OPTION,
  },
  notes: 'Exit status: 0 ok, 2 bad input (a file that is not a fuzz result, shards missing, twice or of another campaign).',
});

/** A result merge refuses: exit 2, code PKS103. */
class MergeError extends UsageError {
  constructor(message: string) {
    super(message, EXIT_USAGE, MERGE_ERROR_CODE);
  }
}

function readResult(file: string): FuzzReport {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new MergeError(`${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw new MergeError(`${file}: not JSON: ${(e as Error).message}`);
  }
  const r = j as Partial<FuzzReport>;
  if (r === null || typeof r !== 'object' || r.tool !== 'pksim fuzz' || r.format !== 1 || typeof r.config !== 'object' || typeof r.stats !== 'object')
    throw new MergeError(`${file}: not a pksim fuzz result (format 1)`);
  return r as FuzzReport;
}

/** The configuration without the shard: what every shard of one campaign shares. */
function campaignKey(c: FuzzConfig): string {
  return JSON.stringify({ ...c, shard: null });
}

/** The shards merged: checks they are one campaign's, each once, all of them. */
export function mergeResults(files: string[], results: FuzzReport[]): FuzzReport {
  const first = results[0]!;
  const key = campaignKey(first.config);
  const n = first.config.shard?.n ?? 1;
  const seen = new Map<number, string>();
  for (let i = 0; i < results.length; i++) {
    const c = results[i]!.config;
    if (campaignKey(c) !== key) throw new MergeError(`${files[i]}: another campaign than ${files[0]} (seed, runs, scenarios, designs or options differ)`);
    const k = c.shard?.k ?? 0;
    if ((c.shard?.n ?? 1) !== n) throw new MergeError(`${files[i]}: shard of ${c.shard?.n ?? 1}, but ${files[0]} is a shard of ${n}`);
    if (seen.has(k)) throw new MergeError(`${files[i]}: shard ${k}/${n} already given by ${seen.get(k)}`);
    seen.set(k, files[i]!);
  }
  const missing = [];
  for (let k = 0; k < n; k++) if (!seen.has(k)) missing.push(`${k}/${n}`);
  if (missing.length) throw new MergeError(`shards missing: ${missing.join(', ')}`);
  const config: FuzzConfig = { ...first.config, shard: null };
  const stats: FuzzReport['stats'] = {};
  for (const sc of config.scenarios) {
    stats[sc.name] = {};
    for (const p of config.policies) {
      const t: FuzzStats = emptyStats();
      for (let i = 0; i < results.length; i++) {
        const s = results[i]!.stats[sc.name]?.[p];
        if (!s) throw new MergeError(`${files[i]}: no statistics for ${sc.name} under ${p}`);
        const bad = statsShapeError(s);
        if (bad !== null) throw new MergeError(`${files[i]}: ${bad.replace(/^stats/, `stats.${sc.name}.${p}`)} is not what pksim fuzz writes`);
        mergeStats(t, s, config.examples);
      }
      stats[sc.name]![p] = t;
    }
  }
  return buildReport(config, stats);
}

export async function command(argv: string[], io: CliIO): Promise<number> {
  const parsed = parseCommand(spec, argv, io);
  if (parsed === null) return 0;
  const { values, positionals } = parsed;
  if (positionals.length === 0) throw new UsageError('expected the result files of the shards (pksim fuzz ... --shard K/N --out FILE)');
  checkFiles(values, positionals);
  const report = mergeResults(positionals, positionals.map(readResult));
  const json = reportJson(report);
  await writeFiles(io, values, report, json);
  if (values.json) io.out(json);
  else if (values.out === undefined) io.out(formatFuzzText(report));
  return 0;
}
