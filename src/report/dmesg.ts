// The kernel-log view of a run: one line per statement, with faults, WARNING and Oops blocks
// written the way a kernel developer reads them in dmesg.

import { decodeErrorCode, hex32, rightsOf } from '../arch/x86/pkrs.js';
import { mkPte, pteHex } from '../arch/x86/pte.js';
import type { PksimEvent } from '../kernel/events.js';
import type { RunResult } from '../sim/result.js';
import { METRIC_NAMES } from '../sim/metrics.js';
import { limitHint } from '../sim/runner.js';
import { archLayout } from '../arch/x86/layout.js';

function stamp(e: PksimEvent): string {
  return `[${String(e.tick).padStart(5)}] cpu${e.cpu} ${e.ctxKind === 'idle' ? 'idle' : e.ctxKind} ${e.ctxName}`;
}

function site(e: PksimEvent): string {
  return e.loc ? `${e.loc.file}:${e.loc.line}:${e.loc.col}` : '?';
}

function sourceLine(src: string[], e: PksimEvent): string | null {
  if (!e.loc) return null;
  const line = src[e.loc.line - 1];
  return line === undefined ? null : ` ${String(e.loc.line).padStart(4)} | ${line.trimEnd()}`;
}

/** Rights of the scenario's keys in a PKRS value: "pmem=noaccess". */
function keyRights(r: RunResult, pkrs: number): string {
  return r.config.keys.map((k) => `${k.name}=${rightsOf(pkrs, k.id)}`).join(' ');
}

export function formatDmesg(r: RunResult, source = ''): string {
  const src = source.split('\n');
  const out: string[] = [];
  const push = (s: string) => out.push(s);
  push(`pksim: ${r.scenario} under ${r.policy} (${r.config.arch}, ${r.config.cpus} CPUs, CR4.PKS=${r.config.cr4pks ? 1 : 0}, PKS_INIT_VALUE=${hex32(r.config.defaultPkrs)})`);
  const caveat = archLayout(r.config.arch).caveat;
  if (caveat) push(`pksim: ${caveat}`);
  let pid = 0;
  // A map event's address goes on its statement's line, whatever was printed in between.
  let stmtLine = -1;
  // The warning is printed from the #PF handler; name the context that faulted, as the
  // kernel's WARNING line names the interrupted task.
  let faulting: PksimEvent | null = null;
  for (const e of r.events) {
    switch (e.type) {
      case 'stmt':
        push(`${stamp(e)}: ${e.text}`);
        stmtLine = out.length - 1;
        faulting = null;
        break;
      case 'map':
        if (stmtLine >= 0) out[stmtLine] += ` -> ${e.addr}${e.slot >= 0 ? ` (${e.how === 'kmap' ? 'pkmap slot' : 'kmap_local idx'} ${e.slot})` : ''}`;
        break;
      case 'access':
        if (e.outcome !== 'ok' || (e as { class?: string }).class === 'stray') {
          const cls = (e as { class?: string }).class;
          push(`${stamp(e)}:   ${e.write ? 'write' : 'read'} ${e.addr}: ${e.outcome.replace('_', ' ')}${cls ? ` [oracle: ${cls}]` : ''}`);
        }
        break;
      case 'fault': {
        const f = e;
        const pk = (f.errorCode & 0x20) !== 0;
        faulting = e;
        push(
          `${stamp(e)}: #PF: error_code(0x${f.errorCode.toString(16).padStart(4, '0')}) [${decodeErrorCode(f.errorCode).join(' ')}]` +
            (pk
              ? ` - protection keys violation, key ${f.key}, PKRS ${hex32(f.pkrs)} (${keyRights(r, f.pkrs)}), *pte = ${pteHex(mkPte(f.page + 1, f.key))}`
              : ' - not-present page'),
        );
        break;
      }
      case 'pardon':
        push(`${stamp(e)}: PKS: key ${e.key} opened in the faulting context's saved PKRS -> ${hex32(e.framePkrs)}${e.silent ? ' (silently)' : ''}`);
        break;
      case 'warning': {
        if (!e.printed) {
          push(`${stamp(e)}: (warning at ${e.site} suppressed: WARN_ONCE already fired)`);
          break;
        }
        push('------------[ cut here ]------------');
        push(`WARNING: CPU: ${e.cpu} PID: ${faulting?.ctx ?? e.ctx} at ${e.site} ${faulting ? `${faulting.ctxKind} ${faulting.ctxName}` : e.ctxName}`);
        push(e.message);
        const l = sourceLine(src, e);
        if (l) push(l);
        push('---[ end trace ]---');
        break;
      }
      case 'oops': {
        push(e.message);
        push(`Oops: [#${++pid}] SMP`);
        push(`CPU: ${e.cpu} PID: ${e.ctx} Comm: ${e.ctxName} (${e.ctxKind})`);
        push(`RIP: ${site(e)}`);
        const l = sourceLine(src, e);
        if (l) push(l);
        push(e.killed ? `---[ end trace ]--- (task ${e.ctxName} killed)` : '---[ end trace ]---');
        break;
      }
      case 'panic':
        push(`---[ end ${e.message} ]---`);
        break;
      case 'entry':
        if (e.kind !== 'exception') push(`${stamp(e)}: irq entry (${e.kind}), PKRS ${hex32(e.savedPkrs)} saved in the entry frame`);
        break;
      case 'exit':
        if (e.kind !== 'exception') push(`${stamp(e)}: ${e.kind} exit, PKRS ${hex32(e.restoredPkrs)} restored from the entry frame`);
        break;
      case 'switch':
        push(`${stamp(e)}: context switch ${e.from} -> ${e.to}`);
        break;
      case 'ipi':
        push(`${stamp(e)}: IPI to cpu${e.target}: ${e.reason}`);
        break;
      case 'sleep':
        push(`${stamp(e)}: sleeps on ${e.reason}`);
        break;
      case 'wakeup':
        push(`${stamp(e)}: wakes ${e.target} (${e.reason})`);
        break;
      case 'lifo_violation':
        push(`${stamp(e)}: WARNING: kunmap_local() of idx ${e.got} but the top of the stack is idx ${e.expected}: tearing down the top mapping`);
        break;
      case 'leak':
        push(`${stamp(e)}: LEAK (${e.what}): ${e.detail}`);
        break;
      case 'report':
        // The scheduler's BUG splats are printed as the kernel prints them, line by line.
        if (e.what === 'might_sleep' || e.what === 'scheduling_while_atomic') for (const l of e.detail.split('\n')) push(l);
        else push(`${stamp(e)}: ${e.what}: ${e.detail}`);
        break;
      default:
        break;
    }
  }
  return out.join('\n') + '\n';
}

export function formatSummary(r: RunResult): string {
  const s = r.summary as unknown as Record<string, number>;
  const limit = limitHint(r.stop);
  const lines = [`--- ${r.scenario} under ${r.policy}: ${r.stop}${limit ? ` (stopped at ${limit})` : ''}`];
  const row: string[] = [];
  for (const k of METRIC_NAMES) row.push(`${k}=${s[k]}`);
  for (let i = 0; i < row.length; i += 6) lines.push('    ' + row.slice(i, i + 6).join(' '));
  if (r.windows.length) {
    lines.push('windows (ticks running; key x ticks open; of which unscoped: open without a mapping or grant of the key):');
    for (const w of r.windows)
      lines.push(
        `    ${`${w.kind} ${w.context}`.padEnd(28)} ran ${String(w.ticks).padStart(5)}  open ${String(w.keyOpenTicks).padStart(5)}  unscoped ${String(w.unscopedTicks).padStart(5)}`,
      );
  }
  lines.push(`schedule: ${r.schedule.length ? r.schedule.join(',') : '(no choices)'}`);
  const inj = r.injection;
  if (inj)
    lines.push(
      inj.fired
        ? `injected stray: ${inj.spec} from ${inj.contextKind} ${inj.context}: ${inj.fate} (expectations not checked)`
        : `injected stray: ${inj.requested}: never fired (no context could make it from that tick on; expectations not checked)`,
    );
  const failed = r.expectations.filter((x) => !x.ok);
  if (r.expectations.length) lines.push(`expectations: ${r.expectations.length - failed.length} of ${r.expectations.length} met`);
  for (const x of failed) lines.push(`expect FAIL line ${x.line}: ${x.text} (actual ${x.actual})`);
  return lines.join('\n') + '\n';
}
