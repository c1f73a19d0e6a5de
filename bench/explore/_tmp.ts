import { libraryNames, loadScenario } from '../../src/scenario/index.js';
import { search } from '../../src/analysis/search.js';
import { defaultCompare } from '../../src/policy/index.js';
for (const name of libraryNames()) {
  const ir = loadScenario(name);
  const cells = defaultCompare().map((p) => {
    const a = search(ir, { policy: p });
    const b = search(ir, { policy: p, por: false });
    const va = a.violations
      .map((v) => v.invariant)
      .sort()
      .join(',');
    const vb = b.violations
      .map((v) => v.invariant)
      .sort()
      .join(',');
    return `${p}:${va || 'ok'}${va !== vb ? ' MISMATCH(' + vb + ')' : ''} ${a.states}/${b.states}`;
  });
  console.log(name, cells.join(' | '));
}
