// The protection designs, registered by name. Policy names as the command line spells them:
// NAME or NAME:MODE (see registry.ts).

import { NoPks } from './base.js';
import { GlobalPks } from './global.js';
import { AbandonPks } from './abandon.js';
import { ExceptionPks } from './exception.js';
import { HashStore, PageStore, ScopedPks } from './scoped.js';
import { registerDesign, defaultCompare, type DesignEntry } from './registry.js';

export type { PksMode } from './base.js';
export { ScopedPks, PageStore, HashStore } from './scoped.js';
export { NoPks, ContextLocalPks, pkMessage } from './base.js';
export * from './registry.js';

type Pks = 'strict' | 'relaxed' | 'silent';

/**
 * The design writes only the PKRS of the CPU a step runs on (`global` opens a key on the other
 * CPUs through the MSR, with IPIs, not through their PKRS) and never the abandoned-key mask that
 * every CPU's PKRS write applies (`abandon` does: a CPU switching to a task picks it up, so that
 * switch depends on the order). Partial-order reduction may then take an access that the CPU's
 * own PKRS allows, and a switch from the idle task, as independent of the other CPUs.
 */
const OWN_CPU = 'pkrs-own-cpu';

const BUILTIN: DesignEntry[] = [
  {
    name: 'none',
    modes: [],
    compareModes: [],
    labelWithMode: false,
    summary: 'no PKS (CR4.PKS clear): every access goes through',
    promises: () => [OWN_CPU],
    create: () => new NoPks('none'),
  },
  {
    name: 'global',
    modes: [],
    compareModes: [],
    labelWithMode: false,
    summary: 'the original series: kmap() opens the key on every CPU (IPIs) until the last kunmap()',
    // Entry loads the default plus the globally opened keys: an interrupt inherits nothing.
    promises: () => ['irq-own-rights', OWN_CPU],
    create: () => new GlobalPks(),
  },
  {
    name: 'abandon',
    modes: ['relaxed', 'strict', 'silent'],
    compareModes: ['relaxed'],
    labelWithMode: false,
    summary: 'V7: kmap() of a protected page is flagged invalid and the key abandoned for everyone',
    // An abandoned key is open for everyone by design; nothing else opens in an interrupt.
    promises: () => ['irq-own-rights'],
    create: (m) => new AbandonPks(m as Pks),
  },
  {
    name: 'exception',
    modes: ['relaxed', 'strict', 'silent'],
    compareModes: ['relaxed'],
    labelWithMode: false,
    summary: 'the last revision: kmap() opens nothing; a fault opens the key in the faulting frame',
    promises: (m) => (m === 'strict' ? ['irq-own-rights', OWN_CPU] : [OWN_CPU]),
    create: (m) => new ExceptionPks(m as Pks),
  },
  {
    name: 'scoped',
    modes: ['relaxed', 'strict', 'silent', 'off'],
    compareModes: ['strict', 'relaxed', 'silent', 'off'],
    labelWithMode: true,
    // RELAXED and SILENT pardon a faulting interrupt on purpose: only STRICT promises it.
    promises: (m) => (m === 'strict' ? ['irq-own-rights', OWN_CPU] : [OWN_CPU]),
    summary: 'the proposal: kmap() opens the key for its caller and unprotects the page; only another context faults',
    // OFF is no PKS at all: exactly `none`, without the bookkeeping.
    create: (m, o) => (m === 'off' ? new NoPks('scoped:off') : new ScopedPks(m as Pks, o.store === 'hash' ? new HashStore() : new PageStore(o.pages))),
  },
];
for (const d of BUILTIN) registerDesign(d);

/** The default of `pksim compare`, as the registry had it when the library was loaded. */
export const DEFAULT_COMPARE = defaultCompare();
/** Names of the registered designs. */
export const POLICY_NAMES = BUILTIN.map((d) => d.name);
