import { describe, expect, it } from 'vitest';
import { legendColors, SCOPE_COLORS } from '../../src/report/palette.js';
import { REPORT_CSS } from '../../src/report/style.js';
import { ciede2000, hexToLab } from './ciede2000.js';

/** Two legend colours closer than this (CIEDE2000) are taken for one another at a glance. */
const MIN_DELTA_E = 10;

describe('palette', () => {
  it('CIEDE2000 of the reference pairs (Sharma, Wu, Dalal 2005, table 1) and the Lab of sRGB primaries', () => {
    expect(ciede2000([50, 2.6772, -79.7751], [50, 0, -82.7485])).toBeCloseTo(2.0425, 4);
    expect(ciede2000([50, -1.3802, -84.2814], [50, 0, -82.7485])).toBeCloseTo(1.0, 4);
    expect(ciede2000([50, 2.5, 0], [50, 0, -2.5])).toBeCloseTo(4.3065, 4);
    expect(ciede2000([60.2574, -34.0099, 36.2677], [60.4626, -34.1751, 39.4387])).toBeCloseTo(1.2644, 4);
    const red = hexToLab('#ff0000');
    expect(red[0]).toBeCloseTo(53.24, 1);
    expect(red[1]).toBeCloseTo(80.09, 1);
    expect(red[2]).toBeCloseTo(67.2, 1);
    expect(hexToLab('#ffffff')[0]).toBeCloseTo(100, 3);
  });

  it(`no two legend colours are closer than ${MIN_DELTA_E} (CIEDE2000)`, () => {
    const c = legendColors();
    expect(c.length).toBeGreaterThan(20);
    const close: string[] = [];
    for (let i = 0; i < c.length; i++) {
      for (let j = i + 1; j < c.length; j++) {
        const d = ciede2000(hexToLab(c[i]![1]), hexToLab(c[j]![1]));
        if (d < MIN_DELTA_E) close.push(`${c[i]![0]} ${c[i]![1]} ~ ${c[j]![0]} ${c[j]![1]}: ${d.toFixed(1)}`);
      }
    }
    expect(close).toEqual([]);
  });

  it('own open keys are calm, unscoped ones red shades', () => {
    const lab = (h: string) => hexToLab(h);
    const hue = (h: string): number => (Math.atan2(lab(h)[2], lab(h)[1]) * 180) / Math.PI;
    const chroma = (h: string): number => Math.hypot(lab(h)[1], lab(h)[2]);
    expect(chroma(SCOPE_COLORS.own)).toBeLessThan(20);
    for (const k of ['pardon', 'global', 'abandoned', 'leaked-grant', 'unscoped'] as const) {
      expect(chroma(SCOPE_COLORS[k]), k).toBeGreaterThan(20);
      // Red: Lab hue between magenta-red and orange-red.
      expect(hue(SCOPE_COLORS[k]), k).toBeGreaterThan(-10);
      expect(hue(SCOPE_COLORS[k]), k).toBeLessThan(45);
    }
  });

  it('the stylesheet takes the frame and band colours from the palette', () => {
    for (const [name, hex] of legendColors()) {
      if (name.startsWith('frame ')) expect(REPORT_CSS).toContain(`--${name.slice(6)}:${hex}`);
      if (name.startsWith('band ')) expect(REPORT_CSS).toContain(`--scope-${name.slice(5)}:${hex}`);
    }
  });
});
