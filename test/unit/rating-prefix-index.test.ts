/**
 * The longest-prefix index (sorted typed arrays over the number line) against
 * a straightforward reference: try every prefix of the number, longest first.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PrefixIndex } from '../../src/rating/prefix-index.js';

interface Row {
  prefix: string;
  effectiveFrom: number;
  /** Position in the table, so a test can tell rows of one prefix and date apart. */
  n: number;
}

/**
 * The rule, stated plainly: the longest prefix of the number (at most 15
 * digits) with a row in effect at atMs; of its rows the latest in effect, and
 * of rows from one instant the last in the table.
 */
function reference(rows: readonly Row[], digits: string, atMs: number): { row: Row; length: number } | undefined {
  const end = digits.search(/\D|$/);
  for (let length = Math.min(15, end); length > 0; length--) {
    const prefix = digits.slice(0, length);
    let best: Row | undefined;
    for (const row of rows) {
      if (row.prefix === prefix && row.effectiveFrom <= atMs && (!best || row.effectiveFrom >= best.effectiveFrom)) best = row;
    }
    if (best) return { row: best, length };
  }
  return undefined;
}

/** Digits from a small alphabet with a bias to 0, so prefixes nest, share starts ("44", "440") and trail zeros. */
const digit = fc.constantFrom('0', '0', '0', '1', '2', '9');
const digitString = (minLength: number, maxLength: number) => fc.array(digit, { minLength, maxLength }).map((d) => d.join(''));
const prefix = fc.tuple(fc.constantFrom('1', '2', '9'), digitString(0, 14)).map(([first, rest]) => first + rest);
const dates = fc.constantFrom(-1000, 0, 0, 10, 20, 30);
const table = fc.array(fc.tuple(prefix, dates), { minLength: 0, maxLength: 60 }).map((pairs) =>
  pairs.map(([p, effectiveFrom], n): Row => ({ prefix: p, effectiveFrom, n })),
);

/** Numbers that often extend a prefix of the table, else random digits; now and then with a "+" or a stray character. */
function numberFor(rows: readonly Row[]) {
  const extend = rows.length === 0
    ? digitString(0, 18)
    : fc.tuple(fc.constantFrom(...rows.map((r) => r.prefix)), digitString(0, 6), fc.integer({ min: 0, max: 3 }))
        .map(([p, more, cut]) => (p + more).slice(0, Math.max(0, p.length + more.length - cut)));
  return fc.tuple(fc.oneof(extend, digitString(0, 18)), fc.constantFrom('', '', '', 'x', ' 5')).map(([d, tail]) => d + tail);
}

describe('PrefixIndex', () => {
  it('finds what the reference longest-prefix match finds, row and length, at any instant', () => {
    fc.assert(
      fc.property(
        table.chain((rows) => fc.tuple(fc.constant(rows), fc.array(fc.tuple(numberFor(rows), fc.constantFrom(-2000, -1000, 0, 5, 10, 25, 30, 99)), { minLength: 1, maxLength: 30 }))),
        ([rows, lookups]) => {
          const index = new PrefixIndex(rows, (r) => r.prefix);
          expect(index.size).toBe(new Set(rows.map((r) => r.prefix)).size);
          for (const [number, atMs] of lookups) {
            const want = reference(rows, number, atMs);
            expect(index.find(number, atMs)).toEqual(want);
            expect(index.findRow(number, atMs)).toBe(want?.row);
            // start skips a leading "+" (or anything else) as rate books do for E.164.
            expect(index.find(`+${number}`, atMs, 1)).toEqual(want);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('finds the same in a table already in prefix order (built without sorting)', () => {
    fc.assert(
      fc.property(table, fc.array(fc.tuple(digitString(0, 16), fc.constantFrom(-1000, 0, 10, 25, 99)), { minLength: 1, maxLength: 30 }), (rows, lookups) => {
        const inOrder = [...rows].sort((a, b) => (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0));
        const index = new PrefixIndex(inOrder, (r) => r.prefix);
        for (const [number, atMs] of [...lookups, ...inOrder.map((r): [string, number] => [`${r.prefix}5`, 30])]) {
          expect(index.find(number, atMs)).toEqual(reference(inOrder, number, atMs));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('serves big tables of random prefixes as the reference does', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.stringMatching(/^[1-9]\d{0,14}$/), dates), { minLength: 200, maxLength: 2000 }),
        fc.array(fc.stringMatching(/^\d{0,16}$/), { minLength: 50, maxLength: 200 }),
        (pairs, numbers) => {
          const rows = pairs.map(([p, effectiveFrom], n): Row => ({ prefix: p, effectiveFrom, n }));
          const index = new PrefixIndex(rows, (r) => r.prefix);
          const extended = [...numbers, ...rows.slice(0, 50).map((r, i) => r.prefix + numbers[i % numbers.length]!)];
          for (const number of extended) expect(index.find(number, 15)).toEqual(reference(rows, number, 15));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('serves a table of 150,000 prefixes (the widest first-level table) as a Map of its prefixes does', () => {
    // Deterministic: prefixes crowd under a few heads (many pieces per slot), others lie alone; a tenth have a later row.
    let seed = 7;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const digits = (n: number) => Array.from({ length: n }, () => rand(10)).join('');
    const heads = ['1', '44', '353', '9999', '2', '70000'];
    const rows: Row[] = [];
    const byPrefix = new Map<string, Row[]>();
    while (rows.length < 150_000) {
      const p = (rand(4) === 0 ? String(1 + rand(9)) : heads[rand(heads.length)]!) + digits(rand(11));
      if (p.length > 15 || byPrefix.has(p)) continue;
      const own = [{ prefix: p, effectiveFrom: 0, n: rows.length }];
      if (rand(10) === 0) own.push({ prefix: p, effectiveFrom: 20, n: rows.length + 1 });
      byPrefix.set(p, own);
      rows.push(...own);
    }
    const index = new PrefixIndex(rows, (r) => r.prefix);
    const byMap = (number: string, atMs: number) => {
      for (let length = Math.min(15, number.length); length > 0; length--) {
        const own = byPrefix.get(number.slice(0, length))?.filter((r) => r.effectiveFrom <= atMs);
        if (own && own.length > 0) return { row: own[own.length - 1]!, length };
      }
      return undefined;
    };
    for (let k = 0; k < 30_000; k++) {
      const base = k % 3 === 0 ? heads[rand(heads.length)]! : rows[rand(rows.length)]!.prefix;
      const number = (base + digits(rand(8))).slice(0, rand(4) === 0 ? rand(17) : 16);
      const atMs = rand(2) === 0 ? 10 : 30;
      expect(index.find(number, atMs)).toEqual(byMap(number, atMs));
    }
  });

  it('matches golden cases: nesting, shared starts, numbers shorter than a prefix, dates', () => {
    const rows: Row[] = [
      { prefix: '44', effectiveFrom: 0, n: 0 },
      { prefix: '440', effectiveFrom: 0, n: 1 },
      { prefix: '4400', effectiveFrom: 100, n: 2 },
      { prefix: '447', effectiveFrom: 0, n: 3 },
      { prefix: '447', effectiveFrom: 50, n: 4 },
      { prefix: '4479', effectiveFrom: 0, n: 5 },
      { prefix: '45', effectiveFrom: 0, n: 6 },
      { prefix: '999999999999999', effectiveFrom: 0, n: 7 },
    ];
    const index = new PrefixIndex(rows, (r) => r.prefix);
    const at = (number: string, atMs: number) => index.find(number, atMs);
    expect(at('4412', 0)).toEqual({ row: rows[0], length: 2 });
    expect(at('44', 0)).toEqual({ row: rows[0], length: 2 }); // "44" is not under "440", its range pads with zeros
    expect(at('440', 0)).toEqual({ row: rows[1], length: 3 });
    expect(at('44001', 99)).toEqual({ row: rows[1], length: 3 }); // 4400 not in effect yet
    expect(at('44001', 100)).toEqual({ row: rows[2], length: 4 });
    expect(at('4471', 49)).toEqual({ row: rows[3], length: 3 });
    expect(at('4471', 50)).toEqual({ row: rows[4], length: 3 });
    expect(at('44791', 0)).toEqual({ row: rows[5], length: 4 });
    expect(at('4480', 0)).toEqual({ row: rows[0], length: 2 }); // after 447's range, 44 resumes
    expect(at('4599', 0)).toEqual({ row: rows[6], length: 2 });
    expect(at('46', 0)).toBeUndefined();
    expect(at('43', 0)).toBeUndefined();
    expect(at('4412', -1)).toBeUndefined();
    expect(at('9999999999999999', 0)).toEqual({ row: rows[7], length: 15 });
    expect(at('', 0)).toBeUndefined();
    expect(new PrefixIndex([], (r: Row) => r.prefix).find('44', 0)).toBeUndefined();
  });

  it('refuses a string that is no dialing prefix', () => {
    for (const bad of ['', '0', '044', '4a', '+44', '1234567890123456']) {
      expect(() => new PrefixIndex([{ prefix: bad, effectiveFrom: 0, n: 0 }], (r) => r.prefix)).toThrow(RangeError);
    }
  });
});
