// The subcommands: one line each, the module loaded only when the command runs. Each module
// exports `command` and `spec` (its options table: options.ts).

import type { CliIO } from './io.js';
import type { CommandSpec } from './options.js';

export type Command = (argv: string[], io: CliIO) => Promise<number>;

export interface CommandModule {
  command: Command;
  spec: CommandSpec;
}

export interface CommandEntry {
  summary: string;
  load: () => Promise<CommandModule>;
}

// A Map: `pksim constructor` is unknown.
export const COMMANDS: ReadonlyMap<string, CommandEntry> = new Map<string, CommandEntry>(
  Object.entries({
    run: { summary: 'run a scenario under one protection design: kernel log and summary', load: () => import('./run.js') },
    compare: { summary: 'run scenarios under every design: one table per scenario', load: () => import('./compare.js') },
    explore: { summary: 'visit every state of a scenario under a design: invariants, replayable violations', load: () => import('./explore.js') },
    fuzz: { summary: 'many random schedules with injected strays: caught/warned/missed and exposure, with intervals', load: () => import('./fuzz.js') },
    merge: { summary: 'merge the --out results of fuzz shards into the unsharded result', load: () => import('./merge.js') },
    study: { summary: 'the reset-point study (pardon windows per context kind) and the WARN_ONCE study', load: () => import('./study.js') },
    pkrs: { summary: 'decode a PKRS value or check one access against it', load: () => import('./pkrs.js') },
    list: { summary: 'name the built-in scenarios, one line each', load: () => import('./list.js') },
    audit: { summary: 'classify kmap() call sites in kernel C code (local/global/unclear)', load: () => import('./audit.js') },
    completion: {
      summary: 'print a bash or zsh completion script: pksim completion bash|zsh',
      load: async () => {
        const m = await import('./completion.js');
        return { spec: m.spec, command: m.completionCommand(allSpecs) };
      },
    },
  } satisfies Record<string, CommandEntry>),
);

/** Every command's spec, in table order (for completion). */
export async function allSpecs(): Promise<{ name: string; summary: string; spec: CommandSpec }[]> {
  const out = [];
  for (const [name, e] of COMMANDS) out.push({ name, summary: e.summary, spec: (await e.load()).spec });
  return out;
}
