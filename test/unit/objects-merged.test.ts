/**
 * merged(base, extra) stands in for `{ ...base, ...extra }` on the per-call
 * path (usage records, call facts, payer snapshots): it must give the same
 * object, values and property order alike, for any plain data.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { merged } from '../../src/objects.js';

const key = fc.oneof(fc.constantFrom('a', 'b', 'charge', 'usageId', 'tenantId', '0', '1', '10', '__proto__', 'constructor'), fc.string({ maxLength: 6 }));
const value = fc.oneof(fc.integer(), fc.string(), fc.constant(undefined), fc.constant(null), fc.boolean(), fc.array(fc.integer(), { maxLength: 2 }));
const record = fc.dictionary(key, value, { maxKeys: 12 });

describe('merged', () => {
  it('is { ...base, ...extra }: the same keys in the same order, the same values, a new object', () => {
    fc.assert(
      fc.property(record, record, fc.boolean(), (base, extra, parsed) => {
        // Objects as the call path gets them: literals, or parsed from JSON (a different shape in V8).
        const b = parsed ? (JSON.parse(JSON.stringify(base)) as Record<string, unknown>) : base;
        const expected = { ...b, ...extra };
        const got = merged(b, extra);
        expect(Object.keys(got)).toEqual(Object.keys(expected));
        for (const k of Object.keys(expected)) expect(Object.is(got[k as keyof typeof got], expected[k])).toBe(true);
        expect(Object.getPrototypeOf(got)).toBe(Object.prototype);
        expect(got).not.toBe(b);
        expect(got).not.toBe(extra);
      }),
      { numRuns: 2000 },
    );
  });

  it('leaves both inputs as they were, and copies no inherited property', () => {
    const proto = { inherited: 1 };
    const base = Object.assign(Object.create(proto) as Record<string, unknown>, { a: 1, b: 2 });
    const extra = { b: 3, c: 4 };
    const got = merged(base, extra);
    expect(got).toEqual({ a: 1, b: 3, c: 4 });
    expect(Object.keys(got)).toEqual(['a', 'b', 'c']);
    expect('inherited' in got).toBe(false);
    expect(base).toEqual({ a: 1, b: 2 });
    expect(extra).toEqual({ b: 3, c: 4 });
  });
});
