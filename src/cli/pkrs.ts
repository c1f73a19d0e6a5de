// `pksim pkrs decode VALUE` and `pksim pkrs check ...`: the register semantics on their own,
// for people reading register dumps.

import { ACC_FETCH, ACC_READ, ACC_WRITE, decodeErrorCode, decodePkrs, describeKeyBits, hex, hex32, pkeyCheck, PKS_NUM_KEYS } from '../arch/x86/pkrs.js';
import { UsageError } from './errors.js';
import type { CliIO } from './io.js';
import { HELP_OPTION, defineCommand, helpText, parseCommand } from './options.js';

/** `pksim pkrs`: its options, declared once (parseArgs config, --help, completion). */
export const spec = defineCommand({
  name: 'pkrs',
  usage: `pksim pkrs decode VALUE [--json]
pksim pkrs check --pkrs VALUE --key K --access read|write|fetch [--wp 0|1]
                 [--page supervisor|user] [--pks 0|1] [--pkru VALUE] [--json]`,
  about: `decode prints what each key of a register value allows; check says whether one access
faults, with the #PF error code. VALUE is a 32-bit register value in hex, with or without 0x
(0x55555554, or 55555554 as rdmsr prints it; never decimal). Bits 63:32 of IA32_PKRS are
reserved: a value with any of them set is refused, as WRMSR would raise #GP.`,
  positionals: { words: ['decode', 'check'] },
  options: {
    pkrs: { type: 'string', value: 'VALUE', help: 'check: the IA32_PKRS value (required)' },
    key: { type: 'string', value: 'K', help: "check: the page's protection key, 0..15 (required)" },
    access: { type: 'string', value: 'read|write|fetch', values: ['read', 'write', 'fetch'], default: 'read', help: 'check: the kind of access' },
    wp: { type: 'string', value: '0|1', values: ['0', '1'], default: 1, help: 'check: CR0.WP (write-disable applies to supervisor writes)' },
    page: { type: 'string', value: 'supervisor|user', values: ['supervisor', 'user'], default: 'supervisor', help: 'check: a supervisor page (PKRS) or a user page (PKRU)' },
    pks: { type: 'string', value: '0|1', values: ['0', '1'], default: 1, help: 'check: CR4.PKS (0: PKRS is not checked)' },
    pkru: { type: 'string', value: 'VALUE', default: 0, help: 'check: the PKRU value, for a user page' },
    json: { type: 'boolean', help: 'machine-readable output' },
    ...HELP_OPTION,
  },
});

/**
 * Parse a register value: hex, with or without 0x (rdmsr prints it without: a bare 55555554 is
 * 0x55555554, never decimal); reject anything else or anything past 32 bits.
 */
export function parseRegister(name: string, text: string): number {
  const t = text.trim().replace(/^0[xX]/, '');
  if (!/^[0-9a-fA-F]+$/.test(t)) throw new UsageError(`${name}: '${text}' is not a number (expected hex such as 0x55555554)`);
  const v = BigInt(`0x${t}`);
  if (v >> 32n !== 0n) throw new UsageError(`${name}: ${text} sets bits 63:32, which are reserved: WRMSR(IA32_PKRS) would raise #GP`);
  return Number(v);
}

function parseKey(text: string | undefined): number {
  if (text === undefined) throw new UsageError('--key is required');
  if (!/^[0-9]+$/.test(text) || Number(text) >= PKS_NUM_KEYS) throw new UsageError(`--key: '${text}' is not a key (0..15)`);
  return Number(text);
}

function parseBool(name: string, text: string | undefined, dflt: boolean): boolean {
  if (text === undefined) return dflt;
  if (text === '1' || text === 'true') return true;
  if (text === '0' || text === 'false') return false;
  throw new UsageError(`${name}: '${text}' is not 0 or 1`);
}

export async function command(argv: string[], io: CliIO): Promise<number> {
  const parsed = parseCommand(spec, argv, io);
  if (parsed === null) return 0;
  const { values, positionals } = parsed;
  const [sub, arg] = positionals;
  if (sub === 'decode') {
    if (arg === undefined) throw new UsageError('decode needs a VALUE, e.g. pksim pkrs decode 0x55555554');
    const v = parseRegister('VALUE', arg);
    const keys = decodePkrs(v);
    if (values.json) {
      io.out(JSON.stringify({ value: hex32(v), keys }) + '\n');
      return 0;
    }
    io.out(`IA32_PKRS = ${hex32(v)}\n key  AD  WD  meaning\n`);
    for (const k of keys) io.out(` ${String(k.key).padStart(3)}   ${k.ad ? 1 : 0}   ${k.wd ? 1 : 0}  ${describeKeyBits(k.ad, k.wd)}\n`);
    return 0;
  }
  if (sub === 'check') {
    if (values.pkrs === undefined) throw new UsageError('--pkrs is required');
    const pkrs = parseRegister('--pkrs', values.pkrs);
    const pkru = values.pkru === undefined ? 0 : parseRegister('--pkru', values.pkru);
    const key = parseKey(values.key);
    const accessName = values.access ?? 'read';
    const access = new Map([
      ['read', ACC_READ],
      ['write', ACC_WRITE],
      ['fetch', ACC_FETCH],
    ]).get(accessName);
    if (access === undefined) throw new UsageError(`--access: '${accessName}' is not read, write or fetch`);
    const wp = parseBool('--wp', values.wp, true);
    const pks = parseBool('--pks', values.pks, true);
    const page = values.page ?? 'supervisor';
    if (page !== 'supervisor' && page !== 'user') throw new UsageError(`--page: '${page}' is not supervisor or user`);
    const user = page === 'user';
    const code = pkeyCheck(pkrs, pkru, key, access, user, wp, pks, true);
    const reg = user ? 'PKRU' : 'PKRS';
    const bits = decodePkrs(user ? pkru : pkrs)[key]!;
    const why = code
      ? bits.ad
        ? `key ${key} is access-disabled in ${reg}`
        : `key ${key} is write-disabled in ${reg} and CR0.WP=1`
      : access === ACC_FETCH
        ? 'instruction fetches are never checked against protection keys'
        : !user && !pks
          ? 'CR4.PKS is clear: PKRS is not checked'
          : `key ${key} allows this ${accessName} (${describeKeyBits(bits.ad, bits.wd)}${bits.wd && !wp ? ', but CR0.WP=0' : ''})`;
    if (values.json) {
      io.out(
        JSON.stringify({
          fault: code !== 0,
          errorCode: code ? hex(code) : null,
          errorBits: decodeErrorCode(code),
          register: reg,
          pkrs: hex32(pkrs),
          key,
          access: accessName,
          wp,
          page,
          reason: why,
        }) + '\n',
      );
    } else if (code) {
      io.out(`#PF error_code=${hex(code)} [${decodeErrorCode(code).join(' ')}]: ${why}\n`);
    } else {
      io.out(`no fault: ${why}\n`);
    }
    return 0;
  }
  throw new UsageError(sub === undefined ? 'expected decode or check\n' + helpText(spec) : `unknown subcommand '${sub}' (expected decode or check)`);
}
