// The one event stream: the machine, the policies and the runner emit these; the log, the
// oracle, the metrics, the HTML timeline and the Perfetto export all consume them.

import type { SrcLoc, ContextKind } from './types.js';

/** Kinds of frames on a CPU: a task, or an interrupt/exception nested on top of it. */
export type FrameKind = ContextKind | 'exception';

export type AccessOutcome =
  | 'ok' // hardware allowed it
  | 'pardoned' // faulted, the handler pardoned it with a warning printed now
  | 'pardoned_silent' // faulted, pardoned without a new warning (SILENT, or WARN_ONCE spent)
  | 'oops' // faulted and the handler oopsed
  | 'not_present'; // no mapping at that address: oops (unable to handle page request)

interface Base {
  /** Global logical tick: one scheduler step executes one statement on one CPU. */
  tick: number;
  cpu: number;
  /** Context instance id (stable for a task; new for each interrupt invocation); -1 if none. */
  ctx: number;
  ctxName: string;
  ctxKind: FrameKind | 'idle';
  /** Scenario statement that caused the event, or null for machine-internal events. */
  loc: SrcLoc | null;
}

export type PksimEvent =
  | (Base & { type: 'stmt'; text: string })
  | (Base & {
      type: 'access';
      write: boolean;
      /** The address as the kernel prints it (0x%016lx on x86_64, 0x%08lx on x86_32). */
      addr: string;
      /** Page index reached, or -1 when not present. */
      page: number;
      key: number;
      /** Pointer provenance: mapping id it was derived from, -1 for forged pointers. */
      mapping: number;
      outcome: AccessOutcome;
      pkrs: number;
    })
  | (Base & { type: 'fault'; addr: string; errorCode: number; key: number; page: number; pkrs: number })
  | (Base & { type: 'pardon'; key: number; page: number; silent: boolean; framePkrs: number })
  | (Base & { type: 'warning'; site: string; message: string; printed: boolean })
  | (Base & { type: 'oops'; message: string; killed: boolean })
  | (Base & { type: 'panic'; message: string })
  | (Base & {
      type: 'map';
      how: 'kmap' | 'kmap_local' | 'kmap_atomic' | 'linear';
      page: number;
      addr: string;
      mapping: number;
      /** pkmap slot or kmap_local index, -1 for lowmem. */
      slot: number;
    })
  | (Base & { type: 'unmap'; how: 'kunmap' | 'kunmap_local' | 'kunmap_atomic'; page: number; addr: string; mapping: number })
  | (Base & { type: 'entry'; kind: FrameKind; name: string; savedPkrs: number; depth: number })
  | (Base & { type: 'exit'; kind: FrameKind; name: string; restoredPkrs: number; depth: number })
  | (Base & { type: 'switch'; from: string; to: string; fromCtx: number; toCtx: number })
  | (Base & { type: 'pkrs_write'; value: number; old: number; skipped: boolean })
  | (Base & { type: 'ipi'; target: number; reason: string })
  | (Base & { type: 'grant'; key: number; rights: number; count: number })
  | (Base & { type: 'revoke'; key: number; rights: number; count: number })
  | (Base & { type: 'sleep'; reason: string })
  | (Base & { type: 'wakeup'; reason: string; target: string })
  | (Base & { type: 'lifo_violation'; expected: number; got: number })
  | (Base & { type: 'leak'; what: string; detail: string })
  | (Base & { type: 'report'; what: string; detail: string })
  | (Base & { type: 'message'; channel: number; dir: 'send' | 'recv'; mapping: number })
  /** An interrupt made pending by this context (`raise_softirq()`, `raise_irq()`, a `send()` to its channel). */
  | (Base & { type: 'raise'; kind: 'softirq' | 'hardirq' | 'nmi'; name: string; target: number })
  /**
   * End of a tick, when any of these changed for this CPU since its last one (a change point:
   * the values hold until the CPU's next `exposure` event): the protected pages a stray access
   * from its context could reach unnoticed (exposure rate: all, by a read, by a write), and the
   * protected keys open for that context (`open`, key ids in increasing order) with those of
   * them open unscoped (`unscoped`: no mapping or grant of the context explains them). Their
   * sums over the ticks are the run's `exposure`, `keyOpenTicks` and `unscopedTicks`. An idle
   * CPU (`ctxKind` 'idle') has all zero and no keys.
   */
  | (Base & { type: 'exposure'; pages: number; read: number; write: number; open: number[]; unscoped: number[] })
  /** A work item queued on a worker, and the worker starting and finishing it. */
  | (Base & { type: 'work'; phase: 'queue' | 'start' | 'end'; work: string; worker: string });

export type EventType = PksimEvent['type'];

export type EventSink = (e: PksimEvent) => void;
