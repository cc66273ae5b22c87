/** DatedKeys (the rate parsers' duplicate finder) against a Map of "prefix|date" strings, as the parsers kept before. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DatedKeys } from '../../src/rating/dated-keys.js';

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
});
