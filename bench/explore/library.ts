// `npm run explore:library`: the built-in library explored to completion under every design,
// as the Markdown table the README shows: which invariants each design violates on which
// scenario, and the states and time of each search.

import { performance } from 'node:perf_hooks';
import { libraryNames, loadScenario } from '../../src/scenario/index.js';
import { search } from '../../src/analysis/search.js';
import { SEARCH_INVARIANTS } from '../../src/analysis/search-result.js';
import { defaultCompare } from '../../src/policy/index.js';

const designs = defaultCompare();
const short: Record<string, string> = {
  'no-broken-legit': 'broken',
  'no-missed-stray': 'missed',
  'no-panic': 'panic',
  'no-leak': 'leak',
  'pkrs-restored': 'restore',
  'pkrs-own-cpu': 'own-cpu',
  'counts-agree': 'counts',
  'irq-own-rights': 'irq-rights',
  'local-survives-preemption': 'local',
  'no-stale-unprotect': 'stale',
  'no-deadlock': 'deadlock',
  expectations: 'expect',
};
const lines = [`| scenario | ${designs.join(' | ')} |`, `|---|${designs.map(() => '---').join('|')}|`];
let totalStates = 0;
const t0 = performance.now();
for (const name of libraryNames()) {
  const ir = loadScenario(name);
  const cells = designs.map((policy) => {
    const s0 = performance.now();
    const r = search(ir, { policy, maxStates: 2_000_000 });
    const ms = performance.now() - s0;
    totalStates += r.states;
    const v = r.violations.map((x) => short[x.invariant] ?? x.invariant).join(', ') || 'ok';
    return `${v}${r.complete ? '' : ' (incomplete)'} <sub>${r.states} st, ${ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`}</sub>`;
  });
  lines.push(`| ${name} | ${cells.join(' | ')} |`);
}
lines.push('');
lines.push(
  `Built-in invariants (each checked where it applies: irq-rights and own-cpu only under the designs that promise them, deadlock unless an expect line says finished == 0): ${SEARCH_INVARIANTS.map((i) => `${short[i.name]} = ${i.name}`).join(', ')}; ok = none violated, search complete. ${totalStates} states in ${((performance.now() - t0) / 1000).toFixed(1)} s.`,
);
process.stdout.write(lines.join('\n') + '\n');
