import { registerRacyScoped } from '../../src/policy/scoped_racy.js';
import { compileScenario } from '../../src/scenario/index.js';
import { search } from '../../src/analysis/search.js';
import { readFileSync } from 'node:fs';
registerRacyScoped();
const ir = compileScenario(readFileSync('bench/explore/four.pks', 'utf8'), 'four.pks');
const two = compileScenario(
  `cpus 2
key pmem = 1 default noaccess
page pg key pmem
task a cpu 0 {
    p = kmap(pg)
    write(p, 0)
    kunmap(pg)
}
task b cpu 1 {
    q = kmap(pg)
    write(q, 0)
    kunmap(pg)
}
`,
  'two.pks',
);
for (const p of ['scoped-racy:relaxed', 'scoped:relaxed']) {
  const t = performance.now();
  const r = search(two, { policy: p, bfs: true });
  console.log(
    p,
    r.states,
    r.complete,
    r.violations.map((v) => `${v.invariant} depth ${v.depth} sched ${v.schedule}`),
    (performance.now() - t).toFixed(0),
    'ms',
  );
}
