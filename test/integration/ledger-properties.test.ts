/**
 * Property tests: hundreds of concurrent calls of one tenant on a small
 * balance never spend more than it allows (rule 20), every micro debited is
 * a charge on a usage record, duplicated and reordered end events debit once,
 * and recovery racing late settles charges each call once.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FundingSource, UsageRecord } from '../../src/domain.js';
import type { RedisLedger } from '../../src/ledger/redis-ledger.js';
import type { RateTerms } from '../../src/rating/types.js';
import { BACKENDS, T0, credits, holdRequest, newLedger, planPool, tenant, uniquePrefix } from '../support/ledger-fixtures.js';

interface CallPlan {
  funding: 'credits' | 'pool+credits' | 'pool';
  answered: boolean;
  seconds: number;
  /** settle: ends normally; lost: its gateway dies after the last extend. */
  ending: 'settle' | 'lost';
  /** How many end events arrive (BYE retransmits, both legs, late ones). */
  endEvents: number;
  startOffsetMs: number;
}

const callArb: fc.Arbitrary<CallPlan> = fc.record({
  funding: fc.constantFrom('credits', 'credits', 'pool+credits', 'pool'),
  answered: fc.boolean(),
  seconds: fc.oneof(fc.integer({ min: 0, max: 90 }), fc.integer({ min: 0, max: 900 })),
  ending: fc.constantFrom('settle', 'settle', 'settle', 'lost'),
  endEvents: fc.integer({ min: 1, max: 3 }),
  startOffsetMs: fc.integer({ min: 0, max: 600_000 }),
});

const rateArb: fc.Arbitrary<RateTerms> = fc.record({
  currency: fc.constant('EUR'),
  pricePerMinute: fc.integer({ min: 1, max: 300_000 }),
  connectFee: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 150_000 })),
  initialIncrement: fc.constantFrom(1, 6, 30, 60),
  subsequentIncrement: fc.constantFrom(1, 6, 30, 60),
});

const scenarioArb = fc.record({
  opening: fc.integer({ min: 0, max: 3_000_000 }),
  creditLimit: fc.constantFrom(0, 0, 500_000),
  poolSeconds: fc.integer({ min: 0, max: 1200 }),
  rate: rateArb,
  calls: fc.array(callArb, { minLength: 100, maxLength: 250 }),
});

async function collect(it: AsyncIterable<UsageRecord>): Promise<UsageRecord[]> {
  const out: UsageRecord[] = [];
  for await (const r of it) out.push(r);
  return out;
}

describe.each(BACKENDS)('ledger properties under concurrency (%s)', (backend) => {
  let a: RedisLedger;
  let b: RedisLedger;
  beforeAll(() => {
    const keyPrefix = uniquePrefix();
    a = newLedger(backend, { keyPrefix });
    b = newLedger(backend, { keyPrefix });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
  });

  it('never overspends, debits exactly the usage charges, and settles every call once', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(scenarioArb, async ({ opening, creditLimit, poolSeconds, rate, calls }) => {
        const tenantId = `p${run++}`;
        await a.putTenant(tenant(tenantId, { creditLimit }));
        if (opening > 0) await a.topUp(tenantId, 'opening', opening, T0);
        const floor = -creditLimit;
        let lowest = opening;
        let monitoring = true;
        const monitor = (async () => {
          while (monitoring) {
            const v = await b.balance(tenantId, T0);
            lowest = Math.min(lowest, v.balance);
            expect(v.held).toBeGreaterThanOrEqual(0);
            expect(v.available).toBeGreaterThanOrEqual(Math.min(0, opening + creditLimit));
          }
        })();

        try {
          const held = new Set<string>();
          const lost: Array<{ callId: string; endAt: number }> = [];
          await Promise.all(
            calls.map(async (plan, i) => {
              const callId = `c${i}`;
              const start = T0 + plan.startOffsetMs;
              const sources: FundingSource[] =
                plan.funding === 'credits' ? [credits] : plan.funding === 'pool' ? [planPool(poolSeconds)] : [planPool(poolSeconds), credits];
              const r = await a.hold(holdRequest(tenantId, callId, { rate, sources, nowMs: start }));
              if (!r.ok) return;
              held.add(callId);
              const instance = i % 2 === 0 ? a : b;
              let funded = r.fundedSeconds;
              let end = start + 2000;
              if (plan.answered) {
                await instance.answer(tenantId, callId, start);
                let exhausted = false;
                while (!exhausted && funded < plan.seconds) {
                  const ext = await instance.extend(tenantId, callId, start + Math.max(0, funded - 5) * 1000);
                  exhausted = ext.exhausted;
                  funded = ext.fundedSeconds;
                }
                end = start + Math.min(plan.seconds, funded) * 1000;
              }
              if (plan.ending === 'lost') {
                lost.push({ callId, endAt: end });
                return;
              }
              // Duplicated, reordered end events through both instances.
              await Promise.all(
                Array.from({ length: plan.endEvents }, (_, k) =>
                  (k % 2 === 0 ? a : b)[plan.answered ? 'settle' : 'release'](tenantId, callId, end + k * 7000, k === 0 ? 'caller_hangup' : 'callee_hangup'),
                ),
              );
            }),
          );
          // The lost gateway's calls: two instances recover while late settles for the same calls arrive.
          const far = T0 + 86_400_000;
          const [recoveredA, recoveredB, late] = await Promise.all([
            a.recoverExpired(far),
            b.recoverExpired(far),
            Promise.all(lost.map((l) => b.settle(tenantId, l.callId, l.endAt, 'caller_hangup'))),
          ]);
          monitoring = false;
          await monitor;

          const recoveredIds = [...recoveredA, ...recoveredB].map((r) => r.record.callId);
          const lateApplied = late.filter((s) => s.applied).map((s) => s.record.callId);
          expect([...recoveredIds, ...lateApplied].sort()).toEqual(lost.map((l) => l.callId).sort());

          const final = await a.balance(tenantId, T0);
          const records = await collect(a.usage(tenantId, 0, far));
          const charged = records.reduce((sum, r) => sum + r.charge, 0);
          expect(lowest).toBeGreaterThanOrEqual(floor);
          expect(final.balance).toBeGreaterThanOrEqual(floor);
          expect(final.held).toBe(0);
          expect(final.balance).toBe(opening - charged);
          expect(records.map((r) => r.callId).sort()).toEqual([...held].sort());
          for (const p of final.pools) {
            expect(p.heldSeconds).toBe(0);
            expect(p.usedSeconds).toBeLessThanOrEqual(poolSeconds);
          }
        } finally {
          // A failing run must not leave the monitor polling forever.
          monitoring = false;
          await monitor.catch(() => undefined);
        }
      }),
      { numRuns: 6 },
    );
  });
});
