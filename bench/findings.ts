// `npm run findings`: the fuzz campaign, the reset-point study and the WARN_ONCE study over the
// whole library, written to docs/findings-data/*.json and docs/img/findings-*.svg, and their
// tables into docs/findings.md between the GENERATED markers (the reading around them is prose).
// Deterministic: the same seed gives the same files. FINDINGS_RUNS overrides the runs.

import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { libraryNames, loadScenario } from '../src/scenario/index.js';
import { defaultCompare } from '../src/policy/index.js';
import { runCampaign } from '../src/analysis/fuzz/campaign.js';
import { reportJson, type DesignNumbers, type FuzzReport, type Mean, type Rate } from '../src/analysis/fuzz/report.js';
import { resetPointStudy, warningStudy, type ResetStudy } from '../src/analysis/fuzz/study.js';
import { fuzzCharts, resetCharts } from '../src/report/charts.js';
import type { Interval } from '../src/analysis/fuzz/stats.js';

const RUNS = Number(process.env.FINDINGS_RUNS ?? 5000);
const SEED = 1;
const WORKERS = 2;
const root = (p: string) => fileURLToPath(new URL(`../${p}`, import.meta.url));

const pct = (x: number | null) => (x === null ? '–' : `${(100 * x).toFixed(1)}%`);
const num = (x: number | null) => (x === null ? '–' : x >= 100 ? x.toFixed(0) : x.toFixed(2));
const rate = (r: Rate) => (r.value === null ? '–' : `${pct(r.value)} [${pct(r.lo)}, ${pct(r.hi)}]`);
const mean = (m: Mean | Interval) => (m.value === null ? '–' : `${num(m.value)} [${num(m.lo)}, ${num(m.hi)}]`);

function md(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n') + '\n';
}

function designRows(ds: DesignNumbers[]): string[][] {
  return ds.map((d) => [
    `\`${d.policy}\``,
    String(d.injected),
    rate(d.caught),
    rate(d.warned),
    rate(d.missed),
    rate(d.bystanderMissed),
    rate(d.legitBroken),
    rate(d.legitWarned),
    mean(d.exposureRead),
    mean(d.exposureWrite),
    mean(d.warningSites),
  ]);
}

const DESIGN_HEAD = [
  'design',
  'strays injected',
  'caught',
  'warned',
  'missed',
  'missed, bystanders',
  'runs with legit broken',
  'runs with legit warned',
  'exposure read / run',
  'exposure write / run',
  'warning sites / run',
];

function fuzzTables(r: FuzzReport): string {
  let out = `### Every design over the library\n\n${r.config.scenarios.length} scenarios x ${r.config.runs} runs per design (seed ${r.config.seed}); one injected stray per run (kinds drawn alike: ${r.config.kinds.join(', ')}), at a uniform tick of the scenario's default run; a run whose stray never found a context or a mapping to use counts in the runs, not in the strays. *Holders*: strays made by a context that held a mapping or grant of the page's key at that moment (its own code had the key open); *bystanders*: by a context that held none (unrelated code).\n\n`;
  out += md(DESIGN_HEAD, designRows(r.designs));
  out += `\n### Ratios over \`${r.config.base}\`\n\n`;
  out += md(
    ['design / base', 'missed strays', 'missed strays of bystanders', 'exposure read', 'exposure write'],
    r.ratios.map((x) => [
      `\`${x.numerator}\``,
      mean(x.missed) + (x.missed.corrected ? ' (0.5 added)' : ''),
      mean(x.bystanderMissed) + (x.bystanderMissed.corrected ? ' (0.5 added)' : ''),
      mean(x.exposureRead),
      mean(x.exposureWrite),
    ]),
  );
  out += `\n### Per scenario: missed strays and write exposure, \`global\` against \`scoped:relaxed\`\n\n`;
  const g = (s: { designs: DesignNumbers[] }, p: string) => s.designs.find((d) => d.policy === p)!;
  out += md(
    [
      'scenario',
      'missed, global',
      'missed, scoped:relaxed',
      'bystanders missed, global',
      'bystanders missed, scoped:relaxed',
      'exposure write, global',
      'exposure write, scoped:relaxed',
    ],
    r.scenarios.map((s) => [
      s.scenario,
      rate(g(s, 'global').missed),
      rate(g(s, 'scoped:relaxed').missed),
      rate(g(s, 'global').bystanderMissed),
      rate(g(s, 'scoped:relaxed').bystanderMissed),
      mean(g(s, 'global').exposureWrite),
      mean(g(s, 'scoped:relaxed').exposureWrite),
    ]),
  );
  out += `\n### Missed strays by kind of injected stray\n\n`;
  const kinds = ['forged', 'uaf', 'foreign-local'] as const;
  const tot = (p: string, k: (typeof kinds)[number]) => {
    let f = 0;
    let m = 0;
    for (const sc of Object.values(r.stats)) {
      f += sc[p]!.kinds[k].fired;
      m += sc[p]!.kinds[k].missed;
    }
    return f === 0 ? '–' : `${pct(m / f)} of ${f}`;
  };
  out += md(
    ['design', ...kinds],
    r.config.policies.map((p) => [`\`${p}\``, ...kinds.map((k) => tot(p, k))]),
  );
  return out;
}

const KIND = { hardirq: 'hardirq', softirq: 'softirq', nmi: 'NMI', user: 'syscall task', kthread: 'kernel thread', worker: 'workqueue worker' } as Record<string, string>;

function resetTables(s: ResetStudy): string {
  let out = '';
  for (const p of s.policies) {
    out += `\n### Reset points under \`${p}\`: pardon windows and strays let through, per context kind\n\n`;
    const rows: string[][] = [];
    const kinds = [...new Set(s.levels.flatMap((l) => l.designs.find((d) => d.policy === p)!.contexts.map((c) => c.kind)))];
    for (const k of kinds)
      for (const l of s.levels) {
        const c = l.designs.find((d) => d.policy === p)!.contexts.find((x) => x.kind === k);
        if (c) rows.push([KIND[k] ?? k, l.level, mean(c.unscoped), String(c.injected), rate(c.missed)]);
      }
    out += md(['context', 'reset points', 'window / run (key x ticks)', 'strays injected', 'missed'], rows);
  }
  return out;
}

async function main(): Promise<void> {
  const names = libraryNames();
  const scenarios = names.map((n) => ({ ir: loadScenario(n), arg: n }));
  const opts = { seed: SEED, runs: RUNS, warn: 'once' as const, resetPoints: [], maxSteps: 100_000, examples: 3, kinds: [0, 1, 2] };
  const report = await runCampaign({ scenarios, policies: defaultCompare(), base: 'scoped:relaxed', shard: null, workers: WORKERS, timeLimit: Infinity, opts });
  const reset = await resetPointStudy(scenarios, ['scoped:relaxed', 'exception'], { ...opts, examples: 0 }, WORKERS, Infinity);
  // Where the proposal is not better: a pardon that outlives its work item and opens the whole
  // key (kthread_pardon_outlives), and a foreign kunmap() (docs/findings-scenarios).
  const weak = [
    { ir: loadScenario('kthread_pardon_outlives'), arg: 'kthread_pardon_outlives' },
    { ir: loadScenario(root('docs/findings-scenarios/foreign_kunmap.pks')), arg: 'docs/findings-scenarios/foreign_kunmap.pks' },
  ];
  const weakRuns = [];
  for (const resetPoints of [[], ['work-item' as const]])
    weakRuns.push({
      resetAt: resetPoints.join(',') || 'default',
      r: await runCampaign({
        scenarios: weak,
        policies: ['global', 'scoped:relaxed'],
        base: 'scoped:relaxed',
        shard: null,
        workers: WORKERS,
        timeLimit: Infinity,
        opts: { ...opts, resetPoints },
      }),
    });
  const warn = warningStudy(
    scenarios.map((s) => s.ir),
    'scoped:relaxed',
    SEED,
    200,
    2000,
    100_000,
  );
  mkdirSync(root('docs/findings-data'), { recursive: true });
  writeFileSync(root('docs/findings-data/fuzz.json'), reportJson(report));
  writeFileSync(root('docs/findings-data/reset-points.json'), JSON.stringify(reset, null, 2) + '\n');
  writeFileSync(root('docs/findings-data/warnings.json'), JSON.stringify(warn, null, 2) + '\n');
  writeFileSync(root('docs/img/findings-fuzz.svg'), (await fuzzCharts(report)).svg);
  writeFileSync(root('docs/img/findings-reset.svg'), (await resetCharts(reset)).svg);
  let gen = fuzzTables(report);
  gen += `\n### Where scoped is not better: a pardon that outlives its work item, a foreign kunmap()\n\n`;
  gen += `The same fuzzing (${RUNS} runs per scenario and design) of \`kthread_pardon_outlives\` and \`docs/findings-scenarios/foreign_kunmap.pks\`, with the default reset points and with \`--reset-at work-item\`.\n\n`;
  gen += md(
    ['scenario', 'reset points', 'design', 'missed', 'missed, bystanders', 'exposure write / run'],
    weakRuns.flatMap(({ resetAt, r }) =>
      r.scenarios.flatMap((s) => s.designs.map((d) => [s.scenario, resetAt, `\`${d.policy}\``, rate(d.missed), rate(d.bystanderMissed), mean(d.exposureWrite)])),
    ),
  );
  gen += resetTables(reset);
  gen += `\n### WARN_ONCE under \`scoped:relaxed\`\n\n`;
  gen += md(
    ['offending sites (per-site dedupe)', 'printed by one boot', 'sites one boot reaches (mean)', 'boots until every site printed', 'printed after k boots'],
    [
      [
        String(warn.sites.length),
        String(warn.firstBoot.length),
        String(warn.reachedPerBoot),
        warn.allRevealedAfter === null ? `not within ${warn.boots}` : String(warn.allRevealedAfter),
        warn.curve.map((c) => `${c.boots}: ${c.revealed}`).join(', '),
      ],
    ],
  );
  gen += `\nSites: ${warn.sites.map((s) => `\`${s}\``).join(', ')}.\n`;
  gen += `\nReplay of a few missed strays under \`scoped:relaxed\` (from \`docs/findings-data/fuzz.json\`):\n\n`;
  for (const e of report.examples.filter((x) => x.policy === 'scoped:relaxed').slice(0, 4)) gen += `    ${e.replay}\n`;
  const file = root('docs/findings.md');
  const text = readFileSync(file, 'utf8');
  const a = text.indexOf('<!-- BEGIN GENERATED');
  const b = text.indexOf('<!-- END GENERATED -->');
  if (a < 0 || b < a) throw new Error('docs/findings.md: the GENERATED markers are missing');
  const head = text.slice(0, text.indexOf('\n', a) + 1);
  writeFileSync(file, `${head}\n${gen}\n${text.slice(b)}`);
  process.stdout.write(`docs/findings.md: ${report.designs[0]!.runs} runs per design, ${RUNS} per scenario\n`);
}

await main();
