/**
 * The ledger's per-step checks of tenant ids and times decide valid values
 * without zod: they must accept and refuse exactly what the zod schemas do,
 * with the same BAD_INPUT wording for a refusal.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { TENANT_ID_PATTERN } from '../../src/ledger/keys.js';
import { checkTenantId, checkTime } from '../../src/ledger/validate.js';

const throws = (f: () => void): string | undefined => {
  try {
    f();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
};

describe('ledger fast checks', () => {
  it('checkTime accepts exactly the integers 0..8.64e15, as the zod schema', () => {
    const schema = z.number().int().min(0).max(8_640_000_000_000);
    const values = fc.oneof(
      fc.integer({ min: -10, max: 10 }),
      fc.constantFrom(8_640_000_000_000, 8_640_000_000_001, Number.MAX_SAFE_INTEGER, NaN, Infinity, -0, 0.5, 1e20),
      fc.double(),
      fc.anything(),
    );
    fc.assert(
      fc.property(values, (v) => {
        const message = throws(() => checkTime(v as number, 'answer time'));
        expect(message === undefined, fc.stringify(v)).toBe(schema.safeParse(v).success);
        if (message) expect(message).toMatch(/^invalid answer time: /);
      }),
      { numRuns: 2000 },
    );
  });

  it('checkTenantId accepts exactly the ids the pattern allows', () => {
    const ids = fc.oneof(fc.string({ maxLength: 70 }), fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,66}$/), fc.anything());
    fc.assert(
      fc.property(ids, (id) => {
        const message = throws(() => checkTenantId(id as string));
        expect(message === undefined).toBe(typeof id === 'string' && TENANT_ID_PATTERN.test(id));
        if (message) expect(message).toMatch(/^invalid tenant id: /);
      }),
      { numRuns: 2000 },
    );
  });
});
