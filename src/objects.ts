/**
 * Object helpers for the per-call path.
 *
 * `{ ...base, key: value }` is slow in Node 20's V8 when `base` is an object
 * made elsewhere: each property written after the spread goes through a
 * runtime call, about a microsecond apiece (a settled call's usage record,
 * its draft spread and eight fields added, took 13 µs). A fresh object filled
 * by a copy loop takes about one. `bench/object-merge.ts` measures both.
 */

/**
 * What `{ ...base, ...extra }` gives: base's own enumerable properties, then
 * extra's, a later one overwriting an earlier one in its place; the same
 * values and the same property order. Plain data objects only (no symbol
 * keys are copied).
 */
export function merged<A extends object, B extends object>(base: A, extra: B): Omit<A, keyof B> & B {
  const out: Record<string, unknown> = {};
  const from = base as Record<string, unknown>;
  const more = extra as Record<string, unknown>;
  copyInto(out, from);
  copyInto(out, more);
  return out as Omit<A, keyof B> & B;
}

function copyInto(out: Record<string, unknown>, from: Record<string, unknown>): void {
  const keys = Object.keys(from);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    // An own "__proto__" (JSON.parse makes one) is data, as in a spread, not the prototype.
    if (k === '__proto__') Object.defineProperty(out, k, { value: from[k], enumerable: true, writable: true, configurable: true });
    else out[k] = from[k];
  }
}
