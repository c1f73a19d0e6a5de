// The causal flows of a run, derived from its event list: which event made which other one
// happen. The Perfetto export, the ftrace text and the HTML timeline draw them as arrows.

import type { PksimEvent } from '../kernel/events.js';

export type FlowKind = 'message' | 'ipi' | 'wakeup' | 'work' | 'raise';

export interface Flow {
  /** 1, 2, 3... in the order of (from, to): the same run always gives the same ids. */
  id: number;
  kind: FlowKind;
  /** Index in the event list of the cause (send, IPI, wake-up, queue_work, raise). */
  from: number;
  /** Index of its effect (recv, the target CPU's next event, the woken task switched in, the work item's start, the interrupt's entry). */
  to: number;
  /** What travels: "bio" (the channel), "kmap: global enable of key 1", "completion done", "decrypt", "block_done". */
  label: string;
}

/**
 * - message: a `send()` to the `recv()` that took that pointer (FIFO per channel);
 * - ipi: the IPI to the target CPU's next event (its PKRS reload);
 * - wakeup: a wake-up to the woken task's next switch-in;
 * - work: `queue_work()` to the worker starting that item (FIFO per worker);
 * - raise: the raise that set the interrupt's pending bit to its entry (raises while it is
 *   still pending are merged, as the kernel's one pending bit merges them).
 */
export function flows(events: readonly PksimEvent[]): Flow[] {
  const out: Omit<Flow, 'id'>[] = [];
  const sends = new Map<number, number[]>();
  const queued = new Map<string, number[]>();
  const raised = new Map<string, number>();
  const ipis: number[] = [];
  const wakeups = new Map<string, number[]>();
  /** The statement each context runs, for the channel's name in `send(bio, p)`. */
  const stmt = new Map<number, string>();
  const chanName = new Map<number, string>();
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    // An IPI lands at the target CPU's next event.
    for (let j = 0; j < ipis.length;) {
      const from = events[ipis[j]!]!;
      if (from.type === 'ipi' && e.cpu === from.target) {
        out.push({ kind: 'ipi', from: ipis[j]!, to: i, label: from.reason });
        ipis.splice(j, 1);
      } else j++;
    }
    switch (e.type) {
      case 'stmt':
        stmt.set(e.ctx, e.text);
        break;
      case 'message': {
        const named = /^\s*(?:\w+\s*=\s*)?(?:send|recv)\(\s*(\w+)/.exec(stmt.get(e.ctx) ?? '');
        if (named) chanName.set(e.channel, named[1]!);
        const q = sends.get(e.channel) ?? [];
        sends.set(e.channel, q);
        if (e.dir === 'send') q.push(i);
        else if (q.length) out.push({ kind: 'message', from: q.shift()!, to: i, label: chanName.get(e.channel) ?? `channel ${e.channel}` });
        break;
      }
      case 'ipi':
        ipis.push(i);
        break;
      case 'wakeup': {
        const q = wakeups.get(e.target) ?? [];
        wakeups.set(e.target, q);
        q.push(i);
        break;
      }
      case 'switch': {
        const q = wakeups.get(e.to);
        if (q?.length) {
          const from = q[0]!;
          const w = events[from]!;
          out.push({ kind: 'wakeup', from, to: i, label: w.type === 'wakeup' ? w.reason : '' });
          q.length = 0;
        }
        break;
      }
      case 'work': {
        const k = `${e.worker}\0${e.work}`;
        const q = queued.get(k) ?? [];
        queued.set(k, q);
        if (e.phase === 'queue') q.push(i);
        else if (e.phase === 'start' && q.length) out.push({ kind: 'work', from: q.shift()!, to: i, label: e.work });
        break;
      }
      case 'raise': {
        const k = `${e.kind}\0${e.name}`;
        if (!raised.has(k)) raised.set(k, i);
        break;
      }
      case 'entry': {
        const k = `${e.kind}\0${e.name}`;
        const r = raised.get(k);
        if (r !== undefined) {
          out.push({ kind: 'raise', from: r, to: i, label: e.name });
          raised.delete(k);
        }
        break;
      }
      default:
        break;
    }
  }
  out.sort((a, b) => a.from - b.from || a.to - b.to);
  return out.map((f, k) => ({ id: k + 1, ...f }));
}
