// The growth step of the searches' typed-array tables (paths, stack sets, state graphs): rare,
// so one generic copy serves every array kind.

type Typed = Int32Array | Uint32Array | Float64Array;

/** @internal `a` copied into a new array of its kind twice as long; the new half is `fill`. */
export function doubled<T extends Typed>(a: T, fill = 0): T {
  const b = new (a.constructor as new (length: number) => T)(a.length * 2);
  b.set(a);
  if (fill !== 0) b.fill(fill, a.length);
  return b;
}
