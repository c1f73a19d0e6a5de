// Writes the seeded handoff bug of issue 10 as scenarios: a task kmap()s a buffer, hands the
// address to a softirq on the other CPU and kunmap()s G statements later without waiting, so a
// late softirq writes through a dead mapping (handoff-gG.pks); the fixed variant waits for the
// softirq first (handoff-fixed.pks). `npx tsx bench/explore/gen-handoff.ts` rewrites them.

import { writeFileSync } from 'node:fs';

export const GAPS = [2, 3, 4, 20, 40];

export function handoff(g: number | 'fixed'): string {
  const middle = g === 'fixed' ? '    wait_for_completion(done)\n' : '    nop()\n'.repeat(g);
  return `// The seeded handoff bug, ${g === 'fixed' ? 'fixed: the task waits for the softirq before kunmap()' : `G = ${g}: kunmap() ${g} statements after the handoff, without waiting`}.
cpus 2
key pmem = 1 default noaccess
page buf key pmem
channel c
completion done
task t cpu 0 {
    p = kmap(buf)
    send(c, p)
${middle}    kunmap(buf)
}
softirq s cpu 1 on c {
    q = recv(c)
    write(q, 0)
    complete(done)
}
`;
}

if (process.argv[1]?.endsWith('gen-handoff.ts')) {
  const dir = new URL('.', import.meta.url);
  for (const g of [...GAPS, 'fixed' as const]) writeFileSync(new URL(`handoff-${g === 'fixed' ? 'fixed' : `g${g}`}.pks`, dir), handoff(g));
}
