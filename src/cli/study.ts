// `pksim study reset-points|warnings [FILE|NAME...]`: the context-exit study and the WARN_ONCE study.

import { libraryNames } from '../scenario/index.js';
import { loadBounded } from './load.js';
import { FuzzLimitError } from '../analysis/fuzz/engine.js';
import { resetPointStudy, warningStudy, RESET_LEVELS, type ResetStudy } from '../analysis/fuzz/study.js';
import { fmtMean, fmtRate } from '../report/fuzz.js';
import { EXIT_LIMIT, UsageError } from './errors.js';
import type { CliIO } from './io.js';
import { RUN_OPTIONS, designList, int, maxSourceFrom, policyValues } from './runopts.js';
import { HELP_OPTION, defineCommand, parseCommand } from './options.js';
import { kindsFrom, DEFAULT_FUZZ_MAX_STEPS } from './fuzz.js';
import { checkFiles } from './fuzzout.js';
import { ReportExistsError, ReportWriteError, writeReportFile } from '../report/index.js';
import { INJECT_KINDS } from '../sim/inject.js';

export const spec = defineCommand({
  name: 'study',
  usage: 'pksim study reset-points|warnings [FILE|NAME...] [options]',
  about: `reset-points: fuzzes the scenarios (default: the library) under each reset-point choice,
cumulative: irq-exit (interrupt exit only), return-to-user (the default), work-item, schedule;
and reports per context kind (hardirq, softirq, user = syscall task, kthread, worker) the
pardon windows (unscoped key x ticks per run) and the injected strays let through, with 95%
intervals.
warnings: with WARN_ONCE one boot prints one warning. Counts the distinct offending sites
(per-site dedupe over --runs runs of each scenario), the sites one boot prints, and after how
many boots (each the scenarios in a random order, each with a random schedule) every site has
been printed once.`,
  positionals: { words: ['reset-points', 'warnings'] },
  options: {
    runs: { type: 'string', value: 'N', default: 1000, help: 'runs per scenario, design and reset point (warnings: per scenario)' },
    seed: { type: 'string', value: 'S', default: 1, help: 'the study seed' },
    policies: { type: 'string', value: 'LIST', values: policyValues, list: true, default: 'scoped:relaxed', help: 'the designs (warnings: one design)' },
    boots: { type: 'string', value: 'N', default: 1000, help: 'warnings: boots to simulate' },
    workers: { type: 'string', value: 'N', default: 1, help: 'reset-points: worker threads (same result for any N)' },
    'max-steps': { type: 'string', value: 'N', default: DEFAULT_FUZZ_MAX_STEPS, help: 'stop (exit 3) when a run reaches N steps' },
    'time-limit': { type: 'string', value: 'S', help: 'reset-points: stop (exit 3) after S seconds' },
    'max-source': RUN_OPTIONS['max-source'],
    json: { type: 'boolean', help: 'machine-readable output' },
    out: { type: 'string', value: 'FILE', file: true, help: 'write the JSON to FILE' },
    svg: { type: 'string', value: 'FILE', file: true, help: 'reset-points: write its chart as SVG' },
    html: { type: 'string', value: 'FILE', file: true, help: 'reset-points: write its chart in an HTML page' },
    force: { type: 'boolean', help: 'overwrite existing output files' },
    ...HELP_OPTION,
  },
  notes: 'Exit status: 0 ok, 2 bad input, 3 a limit stopped the study.',
});

const KIND_NAMES: Record<string, string> = { hardirq: 'hardirq', softirq: 'softirq', nmi: 'nmi', user: 'syscall task', kthread: 'kernel thread', worker: 'workqueue worker' };

export function resetStudyText(r: ResetStudy): string {
  let out = `pksim study reset-points: ${r.scenarios.length} scenario(s), ${r.runs} runs each per design and reset point (seed ${r.seed})\n`;
  out += 'reset points (cumulative): ' + RESET_LEVELS.map((l) => `${l.level} = ${l.about}`).join('; ') + '\n';
  for (const p of r.policies) {
    out += `\n== ${p}: per context kind, pardon windows (unscoped key x ticks per run) and injected strays missed\n`;
    const rows: string[][] = [];
    const kinds = [...new Set(r.levels.flatMap((l) => l.designs.find((d) => d.policy === p)!.contexts.map((c) => c.kind)))];
    for (const k of kinds)
      for (const l of r.levels) {
        const c = l.designs.find((d) => d.policy === p)!.contexts.find((x) => x.kind === k);
        if (!c) continue;
        rows.push([KIND_NAMES[k] ?? k, l.level, String(c.runs), fmtMean(c.unscoped), String(c.injected), fmtRate(c.missed)]);
      }
    const head = ['context', 'reset points', 'runs', 'window/run', 'injected', 'missed'];
    const w = head.map((h, i) => Math.max(h.length, ...rows.map((x) => x[i]!.length)));
    const line = (x: string[]) => x.map((c, i) => (i < 2 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
    out += [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)].join('\n') + '\n';
  }
  return out + '\nintervals 95%: windows Student t; missed Wilson.\n';
}

export async function command(argv: string[], io: CliIO): Promise<number> {
  const parsed = parseCommand(spec, argv, io);
  if (parsed === null) return 0;
  const { values, positionals } = parsed;
  const which = positionals[0];
  if (which !== 'reset-points' && which !== 'warnings') throw new UsageError(`expected reset-points or warnings, not '${which ?? ''}'`);
  // An option the other study reads would be ignored here: refused instead.
  const others = which === 'warnings' ? (['svg', 'html', 'workers', 'time-limit'] as const) : (['boots'] as const);
  for (const o of others)
    if (values[o] !== undefined) throw new UsageError(`--${o} is an option of 'study ${which === 'warnings' ? 'reset-points' : 'warnings'}', not of 'study ${which}'`);
  const policies = designList(values.policies ?? 'scoped:relaxed').labels;
  if (which === 'warnings' && policies.length > 1) throw new UsageError(`--policies: study warnings takes one design (it got ${policies.join(',')})`);
  const runs = int('--runs', values.runs ?? '1000', 1, 1e9);
  const seed = int('--seed', values.seed ?? '1', 0, 0xffffffff);
  const workers = int('--workers', values.workers ?? '1', 1, 256);
  const boots = int('--boots', values.boots ?? '1000', 1, 1e9);
  const maxSteps = int('--max-steps', values['max-steps'] ?? String(DEFAULT_FUZZ_MAX_STEPS), 1, 1e9);
  const timeLimit = values['time-limit'] === undefined ? Infinity : int('--time-limit', values['time-limit'], 1, 1e7);
  const names = positionals.length > 1 ? positionals.slice(1) : libraryNames();
  checkFiles(values, names);
  const maxSource = maxSourceFrom(values);
  const scenarios = names.map((n) => ({ ir: loadBounded(n, maxSource), arg: n }));
  let data: object;
  let text: string;
  try {
    if (which === 'reset-points') {
      const r = await resetPointStudy(scenarios, policies, { seed, runs, warn: 'once', maxSteps, examples: 0, kinds: kindsFrom(INJECT_KINDS.join(',')) }, workers, timeLimit);
      data = r;
      text = resetStudyText(r);
      if (values.svg !== undefined || values.html !== undefined) {
        const { resetCharts } = await import('../report/charts.js');
        const ch = await resetCharts(r);
        if (values.svg !== undefined) writeReportFile(values.svg, ch.svg, { force: values.force });
        if (values.html !== undefined) writeReportFile(values.html, ch.html, { force: values.force });
      }
    } else {
      const w = warningStudy(
        scenarios.map((s) => s.ir),
        policies[0]!,
        seed,
        runs,
        boots,
        maxSteps,
      );
      data = w;
      text =
        `pksim study warnings: ${scenarios.length} scenario(s) under ${w.policy}, WARN_ONCE\n` +
        `offending sites that exist (per-site dedupe, ${runs} runs of each scenario and every boot): ${w.sites.length}\n` +
        `printed by one boot: ${w.firstBoot.length} (${w.firstBoot.join(', ') || 'none'}); sites one boot reaches: ${w.reachedPerBoot} on average\n` +
        `every site printed once after: ${w.allRevealedAfter === null ? `not within ${boots} boots (never printed: ${w.neverPrinted.join(', ')})` : `${w.allRevealedAfter} boots`}\n` +
        `revealed after k boots: ${w.curve.map((c) => `${c.boots}:${c.revealed}`).join(' ')}\n`;
    }
  } catch (e) {
    if (e instanceof FuzzLimitError) throw new UsageError(`stopped at ${e.message}`, EXIT_LIMIT);
    if (e instanceof ReportExistsError || e instanceof ReportWriteError) throw new UsageError(e.message);
    throw e;
  }
  const json = JSON.stringify(data, null, 2) + '\n';
  if (values.out !== undefined) writeReportFile(values.out, json, { force: values.force });
  io.out(values.json ? json : text);
  return 0;
}
