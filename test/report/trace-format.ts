// A checker for the Chrome trace-event format, as far as pksim uses it: required fields on every
// event, B/E properly nested per track, timestamps monotonic per track, numeric counters,
// metadata naming the process and threads, flows (s/t/f) whose ids pair one start with one finish. Returns the list of problems (empty when valid).

const PHASES = new Set(['B', 'E', 'X', 'i', 'I', 'C', 'M', 's', 't', 'f']);

export function traceProblems(trace: unknown): string[] {
  const out: string[] = [];
  if (typeof trace !== 'object' || trace === null) return ['trace is not an object'];
  const t = trace as { traceEvents?: unknown; displayTimeUnit?: unknown };
  if (!Array.isArray(t.traceEvents)) return ['traceEvents is not an array'];
  if (t.displayTimeUnit !== undefined && t.displayTimeUnit !== 'ns' && t.displayTimeUnit !== 'ms') {
    out.push(`bad displayTimeUnit ${String(t.displayTimeUnit)}`);
  }
  const stacks = new Map<string, string[]>();
  /** Flow events by id: one start (s), steps (t), one finish (f), in time order. */
  const flowsById = new Map<string, { ph: string; ts: number }[]>();
  const lastTs = new Map<string, number>();
  t.traceEvents.forEach((raw, i) => {
    const e = raw as Record<string, unknown>;
    const where = `event ${i} (${JSON.stringify(e).slice(0, 120)})`;
    if (typeof e.name !== 'string' || e.name === '') out.push(`${where}: name missing`);
    if (typeof e.ph !== 'string' || !PHASES.has(e.ph)) out.push(`${where}: bad ph`);
    if (typeof e.ts !== 'number' || !Number.isFinite(e.ts) || e.ts < 0) out.push(`${where}: bad ts`);
    else if (!Number.isInteger(e.ts)) out.push(`${where}: ts ${e.ts} is not a whole microsecond (one tick)`);
    if (!Number.isInteger(e.pid)) out.push(`${where}: bad pid`);
    if (!Number.isInteger(e.tid)) out.push(`${where}: bad tid`);
    const track = `${String(e.pid)}:${String(e.tid)}`;
    if (e.ph === 'M') {
      const args = e.args as Record<string, unknown> | undefined;
      if ((e.name === 'process_name' || e.name === 'thread_name') && typeof args?.name !== 'string') {
        out.push(`${where}: metadata without args.name`);
      }
      return;
    }
    if (e.ph === 'C') {
      const args = e.args as Record<string, unknown> | undefined;
      if (!args || Object.keys(args).length === 0) out.push(`${where}: counter without args`);
      for (const [k, v] of Object.entries(args ?? {})) {
        if (typeof v !== 'number' || !Number.isFinite(v)) out.push(`${where}: counter ${k} not numeric`);
      }
      const ct = `C:${String(e.pid)}:${String(e.name)}`;
      if ((lastTs.get(ct) ?? -Infinity) > (e.ts as number)) out.push(`${where}: counter ts goes back`);
      lastTs.set(ct, e.ts as number);
      return;
    }
    if ((lastTs.get(track) ?? -Infinity) > (e.ts as number)) out.push(`${where}: ts goes back on track ${track}`);
    lastTs.set(track, e.ts as number);
    if (e.ph === 's' || e.ph === 't' || e.ph === 'f') {
      if (typeof e.id !== 'number' && typeof e.id !== 'string') out.push(`${where}: flow event without id`);
      if (typeof e.cat !== 'string' || e.cat === '') out.push(`${where}: flow event without cat`);
      if (e.ph === 'f' && e.bp !== undefined && e.bp !== 'e') out.push(`${where}: bad flow binding point`);
      const list = flowsById.get(`${String(e.cat)}:${String(e.id)}`) ?? [];
      list.push({ ph: e.ph, ts: e.ts as number });
      flowsById.set(`${String(e.cat)}:${String(e.id)}`, list);
      return;
    }
    if (e.ph === 'i' || e.ph === 'I') {
      if (e.s !== undefined && e.s !== 't' && e.s !== 'p' && e.s !== 'g') out.push(`${where}: bad instant scope`);
    }
    if (e.ph === 'X' && (typeof e.dur !== 'number' || e.dur < 0)) out.push(`${where}: X without dur`);
    const st = stacks.get(track) ?? [];
    stacks.set(track, st);
    if (e.ph === 'B') st.push(e.name as string);
    if (e.ph === 'E') {
      const top = st.pop();
      if (top === undefined) out.push(`${where}: E without B on track ${track}`);
      else if (top !== e.name) out.push(`${where}: E ${String(e.name)} closes B ${top}`);
    }
  });
  for (const [track, st] of stacks) if (st.length) out.push(`track ${track}: ${st.length} slice(s) never closed`);
  for (const [id, evs] of flowsById) {
    const starts = evs.filter((x) => x.ph === 's');
    const ends = evs.filter((x) => x.ph === 'f');
    if (starts.length !== 1 || ends.length !== 1) out.push(`flow ${id}: ${starts.length} start(s) and ${ends.length} finish(es), not one of each`);
    else if (ends[0]!.ts < starts[0]!.ts) out.push(`flow ${id}: finishes at ${ends[0]!.ts} before it starts at ${starts[0]!.ts}`);
  }
  return out;
}
