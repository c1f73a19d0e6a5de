// `npm run explore:exposure`: for every library scenario under every design, the largest
// exposure (page x tick) over every path of its state graph (`pksim explore --exposure`), next
// to the default schedule's: how much a scheduler can make each design give up, as the Markdown
// table the README shows.

import { performance } from 'node:perf_hooks';
import { libraryNames, loadScenario } from '../../src/scenario/index.js';
import { search } from '../../src/analysis/search.js';
import { runScenario } from '../../src/sim/runner.js';
import { defaultCompare } from '../../src/policy/index.js';

const designs = defaultCompare();
const lines = [`| scenario | ${designs.join(' | ')} |`, `|---|${designs.map(() => '---:').join('|')}|`];
let states = 0;
const t0 = performance.now();
for (const name of libraryNames()) {
  const ir = loadScenario(name);
  const cells = designs.map((policy) => {
    const r = search(ir, { policy, exposure: true, maxStates: 2_000_000 });
    states += r.states;
    const dflt = runScenario(ir, { policy }).summary.exposure;
    const x = r.maxExposure;
    const worst = x === undefined ? 'incomplete' : x.unbounded ? '**unbounded**' : x.exposure === dflt ? String(x.exposure) : `**${x.exposure}**`;
    return `${worst} <sub>default ${dflt}</sub>`;
  });
  lines.push(`| ${name} | ${cells.join(' | ')} |`);
}
lines.push('');
lines.push(
  `Largest exposure over every path (bold where a schedule exposes more than the default one; unbounded: a cycle of states adds exposure each time round), with the default schedule's below it. ${states} states without reduction in ${((performance.now() - t0) / 1000).toFixed(1)} s.`,
);
process.stdout.write(lines.join('\n') + '\n');
