// The statistics of `pksim fuzz`: 95% intervals computed from sufficient statistics only
// (counts, sums, sums of squares), so that shards merged give exactly the numbers one process
// gives. Proportions: Wilson score interval. Means: Student t interval. Ratio of two
// proportions: Katz log interval. Ratio of two means: the delta method on the log of the
// ratio. Every function is deterministic: the same inputs give the same doubles.

/** z for a two-sided 95% interval: the 0.975 quantile of the standard normal. */
export const Z95 = 1.959963984540054;

export interface Interval {
  /** The estimate (a rate, a mean or a ratio); null when undefined (no data, a zero denominator). */
  value: number | null;
  lo: number | null;
  hi: number | null;
}

/** Wilson score interval for x successes in n trials. */
export function wilson(x: number, n: number, z = Z95): Interval {
  if (n <= 0) return { value: null, lo: null, hi: null };
  const p = x / n;
  const z2 = z * z;
  const d = 1 + z2 / n;
  const c = (p + z2 / (2 * n)) / d;
  const h = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / d;
  return { value: p, lo: Math.max(0, c - h), hi: Math.min(1, c + h) };
}

// ---- Student t ---------------------------------------------------------------------------

/** log Gamma (Lanczos, g = 7, 9 terms): about 15 significant digits for x > 0. */
function lgamma(x: number): number {
  const g = 7;
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
    1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lgamma(1 - x);
  x -= 1;
  let a = c[0]!;
  const t = x + g + 0.5;
  for (let i = 1; i < g + 2; i++) a += c[i]! / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betacf(a: number, b: number, x: number): number {
  const TINY = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return h;
}

/** Regularized incomplete beta I_x(a, b). */
export function incBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const bt = Math.exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2) ? (bt * betacf(a, b, x)) / a : 1 - (bt * betacf(b, a, 1 - x)) / b;
}

/** P(T <= t) for Student's t with df degrees of freedom. */
export function tCdf(t: number, df: number): number {
  const tail = 0.5 * incBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The quantile of Student's t (p in (0.5, 1)), by bisection on the CDF: 60 halvings. */
export function tQuantile(p: number, df: number): number {
  let lo = 0;
  let hi = 1;
  while (tCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (tCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Sample variance from n, sum and sum of squares (0 for n < 2). */
export function variance(n: number, sum: number, sumsq: number): number {
  if (n < 2) return 0;
  return Math.max(0, (sumsq - (sum * sum) / n) / (n - 1));
}

/** Mean with its Student t 95% interval, from n, the sum and the sum of squares. */
export function meanT(n: number, sum: number, sumsq: number): Interval {
  if (n <= 0) return { value: null, lo: null, hi: null };
  const mean = sum / n;
  if (n < 2) return { value: mean, lo: null, hi: null };
  const h = tQuantile(0.975, n - 1) * Math.sqrt(variance(n, sum, sumsq) / n);
  return { value: mean, lo: mean - h, hi: mean + h };
}

/**
 * Katz log interval for p1/p2, p = x/n. A zero count makes the log undefined: then 0.5 is
 * added to every x and n (the usual correction), and the estimate is taken from the corrected
 * counts too.
 */
export function ratioKatz(x1: number, n1: number, x2: number, n2: number, z = Z95): Interval & { corrected: boolean } {
  if (n1 <= 0 || n2 <= 0) return { value: null, lo: null, hi: null, corrected: false };
  const corrected = x1 === 0 || x2 === 0;
  if (corrected) {
    x1 += 0.5;
    x2 += 0.5;
    n1 += 0.5;
    n2 += 0.5;
  }
  const r = x1 / n1 / (x2 / n2);
  const se = Math.sqrt(1 / x1 - 1 / n1 + 1 / x2 - 1 / n2);
  return { value: r, lo: r * Math.exp(-z * se), hi: r * Math.exp(z * se), corrected };
}

/**
 * Ratio of two means m1/m2 with a 95% interval by the delta method on log(m1/m2):
 * Var ~ s1^2/(n1 m1^2) + s2^2/(n2 m2^2). Undefined (null) when m2 is 0; when m1 is 0 the ratio
 * is 0 and its log interval undefined.
 */
export function ratioMeans(n1: number, sum1: number, sq1: number, n2: number, sum2: number, sq2: number, z = Z95): Interval {
  if (n1 <= 0 || n2 <= 0) return { value: null, lo: null, hi: null };
  const m1 = sum1 / n1;
  const m2 = sum2 / n2;
  if (m2 === 0) return { value: null, lo: null, hi: null };
  const r = m1 / m2;
  if (m1 === 0) return { value: 0, lo: null, hi: null };
  const se = Math.sqrt(variance(n1, sum1, sq1) / (n1 * m1 * m1) + variance(n2, sum2, sq2) / (n2 * m2 * m2));
  return { value: r, lo: r * Math.exp(-z * se), hi: r * Math.exp(z * se) };
}

/** Six significant digits: what the reports print (and what makes two equal inputs print alike). */
export function round6(x: number | null): number | null {
  return x === null || !Number.isFinite(x) ? x : Number(x.toPrecision(6));
}

/** An interval rounded for output. */
export function rounded<T extends Interval>(i: T): T {
  return { ...i, value: round6(i.value), lo: round6(i.lo), hi: round6(i.hi) };
}
