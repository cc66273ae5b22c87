/**
 * The Lua charge arithmetic must equal the rating module's formula (rule 22)
 * for any terms: cross-checked on random terms by evaluating the very Lua
 * the scripts include, and end to end through hold, extend and settle.
 */
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { scriptSource } from '../../src/ledger/scripts.js';
import { microsPerMinorUnit } from '../../src/money.js';
import { billedSeconds, chargeFor } from '../../src/rating/charge.js';
import type { RateTerms } from '../../src/rating/types.js';
import { BACKENDS, T0, holdRequest, newLedger, tenant } from '../support/ledger-fixtures.js';

const CURRENCIES = ['EUR', 'USD', 'JPY', 'KWD', 'GBP'];

const termsArb: fc.Arbitrary<RateTerms> = fc.record({
  currency: fc.constantFrom(...CURRENCIES),
  pricePerMinute: fc.oneof(fc.integer({ min: 0, max: 10_000_000_000 }), fc.integer({ min: 0, max: 200_000 })),
  connectFee: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 10_000_000_000 }), fc.integer({ min: 0, max: 100_000 })),
  initialIncrement: fc.oneof(fc.constantFrom(1, 6, 30, 60), fc.integer({ min: 1, max: 3600 })),
  subsequentIncrement: fc.oneof(fc.constantFrom(1, 6, 30, 60), fc.integer({ min: 1, max: 3600 })),
});

// Evaluates the scripts' own rating functions over a batch of cases.
const LUA_BATCH = `${scriptSource('lib/rating')}
local out = {}
for i = 1, #ARGV, 6 do
  local d, ini, sub = tonumber(ARGV[i]), tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2])
  local b = billed_seconds(d, ini, sub)
  table.insert(out, string.format('%.0f', b))
  table.insert(out, string.format('%.0f', credit_cost(b, true, tonumber(ARGV[i + 3]), tonumber(ARGV[i + 4]), tonumber(ARGV[i + 5]))))
end
return out`;

describe('Lua charge arithmetic', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(inject('redisUrl'));
  });
  afterAll(async () => {
    await redis.quit();
  });

  it('equals chargeFor and billedSeconds for random terms and durations', async () => {
    const cases = fc.sample(fc.tuple(termsArb, fc.oneof(fc.integer({ min: 0, max: 600 }), fc.integer({ min: 0, max: 864_000 }))), 3000);
    const args = cases.flatMap(([t, d]) => [d, t.initialIncrement, t.subsequentIncrement, t.pricePerMinute, t.connectFee, microsPerMinorUnit(t.currency)]);
    const out = (await redis.eval(LUA_BATCH, 0, ...args.map(String))) as string[];
    cases.forEach(([t, d], i) => {
      const billed = Number(out[2 * i]);
      const charge = Number(out[2 * i + 1]);
      expect({ t, d, billed, charge }).toEqual({ t, d, billed: billedSeconds(d, t.initialIncrement, t.subsequentIncrement), charge: chargeFor(t, d) });
    });
  });
});

describe.each(BACKENDS)('settled charge equals chargeFor end to end (%s)', (backend) => {
  it('for random credit-funded calls', async () => {
    const ledger = newLedger(backend, { sliceSeconds: 120 });
    try {
      await ledger.putTenant(tenant('acme', { currency: 'EUR' }));
      await ledger.topUp('acme', 'plenty', 90_000_000_000_000, T0);
      const eurTerms = termsArb.map((t) => ({ ...t, currency: 'EUR', pricePerMinute: t.pricePerMinute % 50_000_000 }));
      let n = 0;
      await fc.assert(
        fc.asyncProperty(eurTerms, fc.integer({ min: 0, max: 3000 }), async (rate, seconds) => {
          const callId = `x${n++}`;
          const held = await ledger.hold(holdRequest('acme', callId, { rate }));
          expect(held.ok).toBe(true);
          await ledger.answer('acme', callId, T0);
          let funded = held.ok ? held.fundedSeconds : 0;
          while (funded < seconds) {
            const ext = await ledger.extend('acme', callId, T0 + Math.max(0, funded - 10) * 1000);
            expect(ext.exhausted).toBe(false);
            funded = ext.fundedSeconds;
          }
          const settled = await ledger.settle('acme', callId, T0 + seconds * 1000, 'caller_hangup');
          expect(settled.record.durationSeconds).toBe(seconds);
          expect(settled.record.charge).toBe(chargeFor(rate, seconds));
        }),
        { numRuns: 40 },
      );
      expect((await ledger.balance('acme', T0)).held).toBe(0);
    } finally {
      await ledger.close();
    }
  });
});
