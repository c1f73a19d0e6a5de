// Issue 8: command names and option values are looked up in Maps: `pksim constructor` gave
// `TypeError: entry.load is not a function`, `--access constructor` was taken as an access.

import { describe, expect, it } from 'vitest';
import { cli } from '../helpers.js';

describe('object property names on the command line', () => {
  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'])('pksim %s is an unknown command, exit 2', async (n) => {
    const r = await cli(n);
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toBe(`pksim: unknown command '${n}'`);
  });

  it.each(['constructor', '__proto__', 'toString'])('pkrs check --access %s is refused, exit 2', async (n) => {
    const r = await cli('pkrs', 'check', '--pkrs', '0', '--key', '1', '--access', n);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`pksim pkrs: --access: '${n}' is not read, write or fetch\n`);
  });
});
