/**
 * The ledger's per-step checks of tenant ids and times decide valid values
 * without zod: they must accept and refuse exactly what the zod schemas do,
 * with the same BAD_INPUT wording for a refusal.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { TENANT_ID_PATTERN } from '../../src/ledger/keys.js';
import { checkHold, checkTenantId, checkTime, holdLooksValid, holdSchema } from '../../src/ledger/validate.js';
import { holdRequest } from '../support/ledger-fixtures.js';

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

describe('the hold request fast check', () => {
  // Valid parts, and for each a wild alternative; a request is valid parts with a few swapped for wild ones.
  const validPool = fc.oneof(
    fc.record({
      kind: fc.constant('plan'), country: fc.constantFrom('GB', 'US', 'DE'), sku: fc.string({ minLength: 1, maxLength: 64 }),
      scope: fc.constantFrom('domestic', 'international'), month: fc.constantFrom('2026-12', '2027-01'), sizeSeconds: fc.integer({ min: 0, max: 1e10 }),
    }),
    fc.record({ kind: fc.constant('dialout'), month: fc.constantFrom('2026-12', '2027-01'), sizeSeconds: fc.integer({ min: 0, max: 1e10 }) }),
  );
  const wildPool = fc.oneof(
    validPool.chain((p) => fc.constantFrom<unknown>(
      { ...p, kind: 'other' }, { ...p, country: 'UK' }, { ...p, country: 'gb' }, { ...p, sku: '' }, { ...p, sku: 'x'.repeat(65) },
      { ...p, scope: 'local' }, { ...p, month: '2026-13' }, { ...p, month: '26-12' }, { ...p, sizeSeconds: -1 }, { ...p, sizeSeconds: 1e10 + 1 },
      { ...p, sizeSeconds: 0.5 }, { ...p, sizeSeconds: NaN }, { kind: p.kind }, { ...p, country: undefined }, [p],
    )),
    fc.anything(),
  );
  const validSources = fc.oneof(
    fc.constant([{ kind: 'credits' }]),
    fc.constant([{ kind: 'free' }]),
    fc.uniqueArray(validPool, { minLength: 1, maxLength: 4, selector: (p) => JSON.stringify([p.month, p.kind === 'dialout' ? 'd' : [p.country, p.sku, p.scope]]) })
      .chain((pools) => fc.boolean().map((withCredits) => [...pools.map((pool) => ({ kind: 'pool', pool })), ...(withCredits ? [{ kind: 'credits' }] : [])]))
      .filter((s) => s.length <= 6),
  );
  const wildSources = fc.oneof(
    validSources.chain((s) => fc.constantFrom<unknown>(
      [], [...s, { kind: 'credits' }], [...s, { kind: 'free' }], [...s, ...s], [...s, s[0]], Array(7).fill({ kind: 'credits' }),
      [{ kind: 'pool' }], [{ kind: 'bogus' }], [null], s.map((x) => ({ ...x, extra: 1 })),
    )),
    wildPool.map((pool) => [{ kind: 'pool', pool }]),
    fc.anything(),
  );
  const validRate = fc.record({
    currency: fc.constantFrom('EUR', 'USD', 'JPY'), pricePerMinute: fc.integer({ min: 0, max: 10_000_000_000 }), connectFee: fc.integer({ min: 0, max: 10_000_000_000 }),
    initialIncrement: fc.integer({ min: 1, max: 3600 }), subsequentIncrement: fc.integer({ min: 1, max: 3600 }),
  });
  const wildNumber = fc.constantFrom<unknown>(-1, 0.5, NaN, Infinity, -Infinity, '5', null, undefined, 10_000_000_001, 3601, 0, 2 ** 53);
  const wildRate = fc.oneof(
    fc.tuple(validRate, fc.constantFrom('currency', 'pricePerMinute', 'connectFee', 'initialIncrement', 'subsequentIncrement'), fc.oneof(wildNumber, fc.constantFrom('eur', 'EURO', ''))).map(([r, k, v]) => ({ ...r, [k]: v })),
    fc.anything(),
  );
  const tenant = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,20}$/);
  const wildTenant = fc.oneof(fc.constantFrom<unknown>('-bad', '', 'x'.repeat(65), 'a b', 'ü'), fc.anything());
  const request = fc
    .record({
      tenantId: tenant, callId: fc.string({ minLength: 1, maxLength: 256 }), sources: validSources, rate: validRate,
      requirePositiveBalance: fc.boolean(), nowMs: fc.integer({ min: 0, max: 8_640_000_000_000 }),
      draftExtra: fc.dictionary(fc.string({ maxLength: 8 }), fc.anything(), { maxKeys: 3 }),
    })
    .map(({ draftExtra, ...r }) => ({ ...r, draft: { ...draftExtra, tenantId: r.tenantId, callId: r.callId, currency: r.rate.currency } }));
  const mutation = fc.oneof(
    fc.constant((r: Record<string, unknown>) => r),
    wildTenant.map((v) => (r: Record<string, unknown>) => ({ ...r, tenantId: v })),
    fc.oneof(fc.constantFrom<unknown>('', 'x'.repeat(257)), fc.anything()).map((v) => (r: Record<string, unknown>) => ({ ...r, callId: v })),
    wildSources.map((v) => (r: Record<string, unknown>) => ({ ...r, sources: v })),
    wildRate.map((v) => (r: Record<string, unknown>) => ({ ...r, rate: v })),
    fc.anything().map((v) => (r: Record<string, unknown>) => ({ ...r, requirePositiveBalance: v })),
    wildNumber.map((v) => (r: Record<string, unknown>) => ({ ...r, nowMs: v === 3601 ? 8_640_000_000_001 : v })),
    fc.oneof(wildTenant, fc.anything()).map((v) => (r: Record<string, unknown>) => ({ ...r, draft: { ...(r.draft as object), tenantId: v } })),
    fc.constantFrom<unknown>('eur', 1, null).map((v) => (r: Record<string, unknown>) => ({ ...r, draft: { ...(r.draft as object), currency: v } })),
    fc.anything().map((v) => (r: Record<string, unknown>) => ({ ...r, draft: v })),
    fc.constantFrom('tenantId', 'callId', 'sources', 'rate', 'requirePositiveBalance', 'draft', 'nowMs').map((k) => (r: Record<string, unknown>) => {
      const { [k]: _gone, ...rest } = r;
      return rest;
    }),
  );
  const requests = fc.tuple(request, fc.array(mutation, { maxLength: 2 })).map(([r, ms]) => ms.reduce<unknown>((acc, m) => m(acc as Record<string, unknown>), r));

  it('passes only requests the zod schema accepts (never looser), and every valid one it is built from', () => {
    let passed = 0;
    let valid = 0;
    fc.assert(
      fc.property(fc.oneof({ arbitrary: requests, weight: 9 }, { arbitrary: fc.anything(), weight: 1 }), (req) => {
        const zodOk = holdSchema.safeParse(req).success;
        const fast = holdLooksValid(req);
        if (fast) expect(zodOk, fc.stringify(req)).toBe(true);
        if (fast) passed++;
        if (zodOk) valid++;
      }),
      { numRuns: 20_000 },
    );
    // Both kinds were there in numbers, and the fast check passed nearly every valid one.
    expect(valid).toBeGreaterThan(4000);
    expect(valid - passed).toBeLessThan(valid / 50);
  });

  it('passes the requests the calls layer builds: credits, pools then credits, free', () => {
    const plan = { kind: 'plan', country: 'GB', sku: 'MCOPSTN1', scope: 'domestic', month: '2026-12', sizeSeconds: 180_000 } as const;
    const base = holdRequest('acme', 'call-1');
    const shapes = [
      base,
      { ...base, sources: [{ kind: 'pool' as const, pool: plan }, { kind: 'credits' as const }] },
      { ...base, sources: [{ kind: 'pool' as const, pool: plan }, { kind: 'pool' as const, pool: { kind: 'dialout' as const, month: '2026-12', sizeSeconds: 0 } }, { kind: 'credits' as const }] },
      { ...base, sources: [{ kind: 'free' as const }], requirePositiveBalance: true, userId: 'ann', directoryVersion: '17' },
    ];
    for (const req of shapes) {
      expect(holdSchema.safeParse(req).success).toBe(true);
      expect(holdLooksValid(req)).toBe(true);
    }
    // And what the schema refuses, it refuses too (zod words the error).
    expect(holdLooksValid({ ...base, sources: [{ kind: 'credits' }, { kind: 'credits' }] })).toBe(false);
    expect(holdLooksValid({ ...base, sources: [{ kind: 'pool', pool: plan }, { kind: 'pool', pool: plan }] })).toBe(false);
    expect(holdLooksValid({ ...base, sources: [{ kind: 'free' }, { kind: 'credits' }] })).toBe(false);
    expect(() => checkHold({ ...base, sources: [] })).toThrow(/^invalid hold request for call call-1: sources: /);
  });
});
