// The compiled form of a scenario: plain data only (numbers, strings, arrays, plain objects),
// so that a run state that points into it can be copied and hashed cheaply.
// The compiler (scenario/compile.ts) produces it; the runner (sim/) executes it.

import type { ArchName } from '../arch/arch.js';

import type { ContextKind, KeyDefault, SrcLoc } from '../kernel/types.js';

// The kernel owns its vocabulary; the language re-exports it.
export type { ContextKind, IrqKind, KeyDefault, SrcLoc, TaskKind } from '../kernel/types.js';
export { RIGHT_HELD, RIGHT_READ, RIGHT_WRITE } from '../kernel/types.js';

export interface KeyDecl {
  name: string;
  /** Hardware key number 1..15 (key 0 is the kernel's default, unprotected key). */
  id: number;
  default: KeyDefault;
  loc: SrcLoc;
}

export interface PageDecl {
  name: string;
  /** Hardware key number of the page's PTE (0 when the page has no protection key). */
  key: number;
  highmem: boolean;
  loc: SrcLoc;
}

/** When an interrupt-like context runs. Tasks always have trigger 'start'. */
export type Trigger =
  | { type: 'start' } // tasks: runnable from tick 0
  | { type: 'raise' } // only when raised by raise_softirq()/raise_irq()
  | { type: 'tick'; tick: number } // raised on its CPU at this global tick
  | { type: 'any' } // raised once, at a point the schedule chooses (nondeterministic)
  | { type: 'channel'; channel: number }; // raised each time a message is sent on the channel

export type Opcode =
  | 'kmap' // dst = kmap(page)
  | 'kunmap' // kunmap(page)
  | 'kmap_local' // dst = kmap_local_page(page)
  | 'kunmap_local' // kunmap_local(src)
  | 'kmap_atomic' // dst = kmap_atomic(page): kmap_local + preempt and pagefault disable
  | 'kunmap_atomic' // kunmap_atomic(src)
  | 'page_address' // dst = page_address(page): linear address (lowmem only; 0 for unmapped highmem)
  | 'read' // read(src, off)
  | 'write' // write(src, off)
  | 'grant' // grant_access(key, rights)
  | 'revoke' // revoke_access(key, rights)
  | 'send' // send(channel, src)
  | 'recv' // dst = recv(channel): blocks while the channel is empty
  | 'complete' // complete(completion)
  | 'wait' // wait_for_completion(completion): blocks until completed (consumes one completion)
  | 'queue_work' // queue_work(work): appends a work item to its worker's queue
  | 'raise' // raise_softirq(ctx) / raise_irq(ctx): makes an interrupt context pending on its CPU
  | 'schedule' // schedule(): yield the CPU
  | 'cond_resched' // cond_resched(): yield only if another task is runnable on this CPU
  | 'preempt_disable'
  | 'preempt_enable'
  | 'irq_disable' // local_irq_disable()
  | 'irq_enable' // local_irq_enable()
  | 'pagefault_disable'
  | 'pagefault_enable'
  | 'migrate' // migrate(cpu): try to move the task to another CPU
  | 'return_to_user' // return to user space (user tasks), then re-enter with a new syscall
  | 'stray_read' // stray_read(page, off): forged pointer to the page's current kernel address
  | 'stray_write' // stray_write(page, off)
  | 'loop' // start of repeat N { ... }: sets loop counter `slot` to `count`
  | 'endloop' // end of repeat body: decrement `slot`, jump to `target` (first body instr) if > 0
  | 'assert' // assert EXPR: a kernel-style report and a violation when EXPR is 0
  | 'nop';

/** The counters an `assert` or `invariant` expression may read (EXPR_FNS in scenario/expr.ts). */
export type ExprOp = 'num' | 'fn' | 'not' | '&&' | '||' | CmpOp;

/**
 * A compiled expression, one shape for every node. `fn` indexes EXPR_FNS; `a` and `b` are its
 * operands (a page index, a key id, rights).
 */
export interface Expr {
  op: ExprOp;
  value: number;
  fn: number;
  a: number;
  b: number;
  l: Expr | null;
  r: Expr | null;
}

/** `invariant EXPR`: checked in every state. */
export interface InvariantDecl {
  expr: Expr;
  /** `invariant@file:line`, the name a search reports it under. */
  name: string;
  text: string;
  loc: SrcLoc;
}

/**
 * One statement. Operands are indices into the scenario's tables (pages, keys, channels,
 * completions, works, contexts) or into the context's variable slots; unused operands are -1.
 */
export interface Instr {
  op: Opcode;
  /** Destination variable slot (kmap, kmap_local, kmap_atomic, page_address, recv). */
  dst: number;
  /** Source variable slot (kunmap_local, kunmap_atomic, read, write, send). */
  src: number;
  /** Page index (kmap, kunmap, kmap_local, kmap_atomic, page_address, stray_*). */
  page: number;
  /** Byte offset for read/write/stray_*; CPU number for migrate; rights for grant/revoke;
   *  loop count for loop. */
  arg: number;
  /** Table index: key index (grant/revoke, into ScenarioIR.keys), channel (send/recv),
   *  completion (complete/wait), work (queue_work), context (raise), loop slot (loop/endloop). */
  ref: number;
  /** Jump target for endloop (index of the first body instruction). */
  target: number;
  loc: SrcLoc;
  /** The statement as written, for logs ("kmap(buf)"). */
  text: string;
  /** assert: the condition (null for every other statement). */
  expr: Expr | null;
}

export interface ContextDecl {
  name: string;
  kind: ContextKind;
  /** CPU the context is bound to (tasks start there; interrupts fire there). */
  cpu: number;
  trigger: Trigger;
  /** Names of the context's pointer variables; instructions refer to them by index. */
  vars: string[];
  /** Number of loop counter slots used by repeat blocks. */
  loopSlots: number;
  program: Instr[];
  loc: SrcLoc;
}

/** A work item: a program that a worker kthread runs each time the item is queued. */
export interface WorkDecl {
  name: string;
  /** Index of the worker context (kind 'worker') that runs it. */
  worker: number;
  vars: string[];
  loopSlots: number;
  program: Instr[];
  loc: SrcLoc;
}

export type CmpOp = '==' | '!=' | '>=' | '<=' | '>' | '<';

/** The metrics of a run summary, in reading order: what `expect` lines may name. */
export const METRIC_NAMES = [
  'legitAccesses',
  'legitBroken',
  'legitWarned',
  'legitSilent',
  'strayAccesses',
  'straysCaught',
  'straysWarned',
  'straysMissed',
  'exposure',
  'exposureRead',
  'exposureWrite',
  'keyOpenTicks',
  'unscopedTicks',
  'oopses',
  'panics',
  'warnings',
  'warningSites',
  'warningsSuppressed',
  'faults',
  'pkrsWrites',
  'pkrsWritesSkipped',
  'ipis',
  'pkmapSleeps',
  'lifoViolations',
  'leaks',
  'reports',
  'ticks',
  'finished',
] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

/**
 * `expect [POLICY] METRIC OP VALUE`: checked against the run summary.
 * `policy` is null (all policies), a policy name ('global') or 'scoped:strict'.
 * Shorthands compile to metrics: `expect oops` -> oopses >= 1, `expect warning` ->
 * warnings >= 1, `expect no_fault` -> faults == 0, `expect no_oops` -> oopses == 0,
 * `expect panic` -> panics >= 1, `expect completes` -> finished == 1.
 */
export interface Expectation {
  policy: string | null;
  metric: string;
  op: CmpOp;
  value: number;
  loc: SrcLoc;
  text: string;
}

export interface MachineDecl {
  /** `arch x86_64` (the default) or `arch x86_32`. */
  arch: ArchName;
  cpus: number;
  lastPkmap: number;
  /** CR0.WP */
  wp: boolean;
}

export interface ScenarioIR {
  name: string;
  /** First comment block of the file, without comment markers. */
  description: string;
  file: string;
  /** The source text, so logs and reports can quote the line of each statement. */
  source: string;
  machine: MachineDecl;
  keys: KeyDecl[];
  pages: PageDecl[];
  channels: string[];
  completions: string[];
  contexts: ContextDecl[];
  works: WorkDecl[];
  expects: Expectation[];
  invariants: InvariantDecl[];
}
