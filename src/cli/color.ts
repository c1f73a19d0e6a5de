// Colour on a terminal: the splat lines of the kernel log and the compare table's notable
// cells, through node:util styleText. --color=auto (the default) colours only when standard
// output is a terminal, NO_COLOR is unset and TERM is not dumb; FORCE_COLOR forces it (0 or
// false turns it off); --color=always|never override all of that; --json is never coloured.

import * as util from 'node:util';
import type { CliIO } from './io.js';
import { UsageError } from './errors.js';

export type ColorMode = 'auto' | 'always' | 'never';
export const COLOR_MODES: readonly ColorMode[] = ['auto', 'always', 'never'];

/** The --color option, declared once here and spread into the run and compare option tables. */
export const COLOR_OPTION = {
  color: {
    type: 'string',
    value: 'WHEN',
    values: COLOR_MODES,
    default: 'auto',
    help: 'colour splats and notable table cells: auto (a terminal, unless\nNO_COLOR is set; FORCE_COLOR forces it), always, never',
  },
} as const;

export type Style = Parameters<typeof util.styleText>[0];
/** Paints a text, or returns it as it is when colour is off. */
export type Paint = (style: Style, text: string) => string;

export const plain: Paint = (_style, text) => text;

function styled(style: Style, text: string): string {
  // validateStream: false: the decision is made here, once, for the stream pksim writes to.
  return util.styleText(style, text, { validateStream: false });
}

export function colorMode(v: string | undefined): ColorMode {
  if (v === undefined) return 'auto';
  if (!(COLOR_MODES as readonly string[]).includes(v)) throw new UsageError(`--color: '${v}' is not auto, always or never`);
  return v as ColorMode;
}

/** Whether to colour what goes to standard output. */
export function useColor(mode: ColorMode, io: Pick<CliIO, 'outTTY' | 'env'>, json = false): boolean {
  if (json || mode === 'never' || typeof util.styleText !== 'function') return false;
  if (mode === 'always') return true;
  const env = io.env ?? {};
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  return Boolean(io.outTTY) && env.TERM !== 'dumb';
}

export function painter(on: boolean): Paint {
  return on ? styled : plain;
}

const SPLAT: [RegExp, Style][] = [
  [/^(\[[ 0-9.]+\] )(Kernel panic - not syncing: .*|---\[ end Kernel panic.*)$/, ['bold', 'red']],
  [/^(\[[ 0-9.]+\] )((?:BUG: |Oops: |kernel BUG at |invalid opcode: ).*)$/, ['bold', 'red']],
  [/^(\[[ 0-9.]+\] )((?:WARNING: |------------\[ cut here \]).*)$/, ['bold', 'yellow']],
];

/** The kernel log with its WARNING, BUG, Oops and panic lines painted (the timestamp stays plain). */
export function paintLog(text: string, paint: Paint): string {
  if (paint === plain) return text;
  return text
    .split('\n')
    .map((l) => {
      for (const [re, style] of SPLAT) {
        const m = re.exec(l);
        if (m) return m[1] + paint(style, m[2]!);
      }
      return l;
    })
    .join('\n');
}
