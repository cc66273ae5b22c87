/**
 * DatedKeys and DatedKeyLog (the outbound parser's duplicate finders, row by
 * row and all at the end) against a Map of "prefix|date" strings, as the
 * parsers kept before.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DatedKeyLog, DatedKeys } from '../../src/rating/dated-keys.js';

describe('DatedKeys', () => {
  it('finds the first line of each (prefix, date) key as a Map of composite strings does', () => {
    const prefix = fc.oneof(fc.stringMatching(/^[1-9]\d{0,14}$/), fc.constantFrom('1', '10', '100', '44', '440', '999999999999999'));
    const date = fc.constantFrom(-5, 0, 0, 1735689600000, 1780272000000);
    fc.assert(
      fc.property(fc.array(fc.tuple(prefix, date), { maxLength: 3000 }), (keys) => {
        const keysOf = new DatedKeys();
        const reference = new Map<string, number>();
        keys.forEach(([p, from], line) => {
          const known = reference.get(`${p}|${from}`);
          expect(keysOf.lineOf(p, from)).toBe(known);
          if (known === undefined) {
            reference.set(`${p}|${from}`, line);
            keysOf.add(p, from, line);
          }
        });
      }),
      { numRuns: 60 },
    );
  });

  it('DatedKeyLog names each repeat of a key and the first line with it, as a Map of composite strings does', () => {
    const prefix = fc.oneof(fc.stringMatching(/^[1-9]\d{0,14}$/), fc.constantFrom('1', '10', '100', '44', '440', '999999999999999'));
    const date = fc.constantFrom(-5, 0, 0, 1735689600000, 1780272000000);
    // Up to 6,000 keys: some tables fill one bucket, bigger ones many, with a bucket table grown past its first size.
    fc.assert(
      fc.property(fc.array(fc.tuple(prefix, date), { maxLength: 6000 }), fc.nat(3), (keys, hint) => {
        const log = new DatedKeyLog(hint * 1000);
        const reference = new Map<string, number>();
        const expected: { position: number; firstLine: number }[] = [];
        keys.forEach(([p, from], position) => {
          const line = 2 * position + 3;
          log.note(p, from, line);
          const first = reference.get(`${p}|${from}`);
          if (first === undefined) reference.set(`${p}|${from}`, line);
          else expected.push({ position, firstLine: first });
        });
        expect(log.count).toBe(keys.length);
        expect(log.repeats()).toEqual(expected);
        keys.forEach((_, position) => expect(log.line(position)).toBe(2 * position + 3));
      }),
      { numRuns: 60 },
    );
    // One prefix in 3,000 rows, 1,500 dates: a bucket bigger than the first table.
    const one = new DatedKeyLog();
    for (let i = 0; i < 3000; i++) one.note('44', i % 1500, i + 2);
    expect(one.repeats()).toEqual(Array.from({ length: 1500 }, (_, k) => ({ position: 1500 + k, firstLine: k + 2 })));
    // 200,000 keys, one in ten repeated: 512 buckets of about 390.
    const log = new DatedKeyLog();
    for (let i = 0; i < 200_000; i++) log.note(String(4_400_000 + (i % 180_000)), 0, i + 2);
    expect(log.repeats()).toEqual(Array.from({ length: 20_000 }, (_, k) => ({ position: 180_000 + k, firstLine: k + 2 })));
  });
});
