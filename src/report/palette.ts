// Every colour the timeline's legend shows, in one place: the stylesheet's variables and the
// viewer's legend are generated from here, and test/report/palette.test.ts keeps any two of them
// apart (CIEDE2000). No Node imports: the viewer bundle includes this file.

/** Frames of the CPU lanes, by kind. */
export const FRAME_COLORS = {
  user: '#4e79a7',
  kthread: '#59a14f',
  worker: '#86bcb6',
  softirq: '#d8b365',
  hardirq: '#8e6bbf',
  nmi: '#4b2a5c',
  exception: '#a88a6e',
} as const;

/**
 * Key bands: closed, and open by whose key it is. The context's own mapping or grant is calm
 * (muted blue-grey); every unscoped open is a red shade.
 */
export const SCOPE_COLORS = {
  closed: '#e7eaee',
  own: '#9fb3c8',
  pardon: '#e5322d',
  global: '#8c0a1e',
  abandoned: '#f28c7a',
  'leaked-grant': '#c02a78',
  unscoped: '#f7b9c4',
} as const;

export const SCOPE_LABELS: Record<keyof typeof SCOPE_COLORS, string> = {
  closed: 'key closed',
  own: 'open: own mapping or grant',
  pardon: 'open: pardon in force',
  global: 'open: global enable',
  abandoned: 'open: abandoned key',
  'leaked-grant': 'open: leaked grant',
  unscoped: 'open: unscoped, other',
};

/** Markers, by type (and for strays, by outcome). Unmap and revoke are the hollow map and grant. */
export const MARKER_COLORS = {
  map: '#00a1ff',
  fault: '#f26b1d',
  warning: '#fff000',
  pardon: '#7ee0ff',
  oops: '#111111',
  'stray:caught': '#7fd321',
  'stray:warned': '#b8860b',
  'stray:missed': '#ff00aa',
  grant: '#6d28d9',
  ipi: '#5f6b7a',
  sleep: '#f3e3b5',
  report: '#8a7f00',
  flow: '#0e7c86',
} as const;

export const MARKER_LABELS: Record<keyof typeof MARKER_COLORS, string> = {
  map: 'map / unmap (hollow)',
  fault: '#PF',
  warning: 'warning',
  pardon: 'pardon',
  oops: 'oops / panic',
  'stray:caught': 'stray caught',
  'stray:warned': 'stray warned',
  'stray:missed': 'stray missed',
  grant: 'grant / revoke (hollow)',
  ipi: 'IPI',
  sleep: 'sleep / wake-up',
  report: 'report, leak',
  flow: 'handoff, wake-up, raise (arrows)',
};

/** The exposure plot under the lanes. */
export const EXPOSURE_COLOR = '#333d47';

/** Every legend colour with its name: what the palette test keeps apart. */
export function legendColors(): [string, string][] {
  return [
    ...Object.entries(FRAME_COLORS).map(([k, v]): [string, string] => [`frame ${k}`, v]),
    ...Object.entries(SCOPE_COLORS).map(([k, v]): [string, string] => [`band ${k}`, v]),
    ...Object.entries(MARKER_COLORS).map(([k, v]): [string, string] => [`marker ${k}`, v]),
    ['exposure', EXPOSURE_COLOR],
  ];
}
