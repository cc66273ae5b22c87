/**
 * DOMAIN.md rule 29 in the ledger: the settle script prices a banded call per
 * segment exactly as the TypeScript rating does. The Lua arithmetic the
 * scripts include is cross-checked on 3,000 random calls (random schedules,
 * zones with DST and half-hour offsets, answer instants, increments, pool
 * shares), and banded calls run end to end through hold, answer, extend and settle.
 */
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { scriptSource } from '../../src/ledger/scripts.js';
import { microsPerMinorUnit, roundUpToMinorUnit } from '../../src/money.js';
import { bandAt, parseBands, pricePoints, type BandSchedule, type RateBands } from '../../src/rating/bands.js';
import { bandedChargeFor, bandedPrice, billedSeconds, chargeFor } from '../../src/rating/charge.js';
import { ProblemList } from '../../src/rating/rate-errors.js';
import type { RateTerms } from '../../src/rating/types.js';
import { BACKENDS, credits, holdRequest, newLedger, planPool, tenant } from '../support/ledger-fixtures.js';

const SCHEDULES = `schedule,band,time_zone,days,from,to
uk,uk-peak,Europe/London,mon-fri,08:00,18:00
uk,uk-off,Europe/London,,,
us,us-peak,America/New_York,mon-fri,08:00,18:00
us,us-evening,America/New_York,mon-fri,18:00,23:00
us,us-off,America/New_York,,,
in,in-day,Asia/Kolkata,*,07:30,22:30
in,in-night,Asia/Kolkata,,,
de,de-night,Europe/Berlin,mon-fri,22:00,06:00
de,de-weekend,Europe/Berlin,sat-sun,06:00,24:00
de,de-day,Europe/Berlin,,,
`;

let schedules: BandSchedule[] = [];
beforeAll(async () => {
  const problems = new ProblemList('bands.csv');
  schedules = [...(await parseBands(SCHEDULES, problems)).schedules.values()];
  expect(problems.problems).toEqual([]);
});

// Evaluates the scripts' own banded_credit_cost over a batch of cases.
const LUA_BATCH = `${scriptSource('lib/rating')}
local out = {}
for i = 1, #ARGV, 7 do
  local fee = false
  if ARGV[i + 4] == '1' then fee = true end
  table.insert(out, string.format('%.0f', banded_credit_cost(cjson.decode(ARGV[i]), tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2]),
    tonumber(ARGV[i + 3]), fee, tonumber(ARGV[i + 5]), tonumber(ARGV[i + 6]))))
end
return out`;

const YEAR_2025 = Date.UTC(2025, 0, 1);

interface Case {
  bands: RateBands;
  terms: RateTerms;
  holdMs: number;
  answerMs: number;
  seconds: number;
  /** Billed seconds the pool paid before credits (a billing boundary), 0 when credits paid from the start. */
  poolSeconds: number;
}

const caseArb: fc.Arbitrary<Case> = fc
  .record({
    schedule: fc.integer({ min: 0, max: 3 }),
    prices: fc.array(fc.oneof(fc.integer({ min: 0, max: 10_000_000_000 }), fc.integer({ min: 0, max: 200_000 })), { minLength: 3, maxLength: 3 }),
    currency: fc.constantFrom('EUR', 'USD', 'JPY', 'KWD'),
    fee: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 100_000 })),
    ini: fc.oneof(fc.constantFrom(1, 30, 60), fc.integer({ min: 1, max: 3600 })),
    sub: fc.oneof(fc.constantFrom(1, 6, 60), fc.integer({ min: 1, max: 3600 })),
    // Around the year, the DST days included.
    holdMs: fc.integer({ min: YEAR_2025, max: YEAR_2025 + 365 * 86_400_000 }),
    ringMs: fc.integer({ min: 0, max: 90_000 }),
    seconds: fc.oneof(fc.integer({ min: 0, max: 600 }), fc.integer({ min: 0, max: 20_000 }), fc.integer({ min: 0, max: 400_000 })),
    poolIncrements: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 50 })),
  })
  .map((r) => {
    const schedule = schedules[r.schedule]!;
    const prices = schedule.bands.map((_, i) => r.prices[i]!);
    const bands: RateBands = { schedule, prices, sources: [] };
    const terms: RateTerms = {
      currency: r.currency, pricePerMinute: Math.max(...prices), connectFee: r.fee, initialIncrement: r.ini, subsequentIncrement: r.sub, bands,
    };
    const billed = billedSeconds(r.seconds, r.ini, r.sub);
    const boundary = r.poolIncrements < 0 ? 0 : r.poolIncrements === 0 ? r.ini : r.ini + r.poolIncrements * r.sub;
    return { bands, terms, holdMs: r.holdMs, answerMs: r.holdMs + r.ringMs, seconds: r.seconds, poolSeconds: Math.min(boundary, billed) };
  });

/** What credits pay: the billed seconds after the pool's, at the band prices, the fee only when credits paid from the start. */
function creditCost(c: Case, points: ReturnType<typeof pricePoints>): number {
  const billed = billedSeconds(c.seconds, c.terms.initialIncrement, c.terms.subsequentIncrement);
  if (billed <= c.poolSeconds) return 0;
  const fee = c.poolSeconds === 0 ? c.terms.connectFee : 0;
  return roundUpToMinorUnit(fee + bandedPrice(points, c.answerMs, c.poolSeconds, billed), c.terms.currency);
}

describe('rule 29: Lua and TypeScript price banded calls alike', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(inject('redisUrl'));
  });
  afterAll(async () => {
    await redis.quit();
  });

  it('on 3,000 random calls: banded_credit_cost equals bandedPrice rounded once, and bandedChargeFor from the start', async () => {
    const cases = fc.sample(caseArb, 3000);
    const points = cases.map((c) => pricePoints(c.bands, c.holdMs));
    const args = cases.flatMap((c, i) => {
      const billed = billedSeconds(c.seconds, c.terms.initialIncrement, c.terms.subsequentIncrement);
      return [JSON.stringify(points[i]), c.answerMs, c.poolSeconds, billed, c.poolSeconds === 0 ? '1' : '0', c.terms.connectFee, microsPerMinorUnit(c.terms.currency)];
    });
    const out = (await redis.eval(LUA_BATCH, 0, ...args.map(String))) as string[];
    let crossing = 0;
    cases.forEach((c, i) => {
      const expected = creditCost(c, points[i]!);
      expect({ i, lua: Number(out[i]) }).toEqual({ i, lua: expected });
      if (c.poolSeconds === 0) expect(expected).toBe(bandedChargeFor(c.terms, points[i]!, c.answerMs, c.seconds));
      // Never above what funding holds at the highest band price.
      if (c.poolSeconds === 0) expect(expected).toBeLessThanOrEqual(chargeFor(c.terms, c.seconds));
      if (points[i]!.some(([at]) => at > c.answerMs && at < c.answerMs + c.seconds * 1000)) crossing++;
    });
    expect(crossing).toBeGreaterThan(300); // a good share of the calls cross a band boundary
  });

  it('the segment arithmetic equals pricing every billed second at the band of its start instant', () => {
    for (const c of fc.sample(caseArb.filter((x) => x.seconds <= 900 && x.terms.initialIncrement <= 300 && x.terms.subsequentIncrement <= 300), 300)) {
      const billed = billedSeconds(c.seconds, c.terms.initialIncrement, c.terms.subsequentIncrement);
      let sum = 0;
      for (let k = 0; k < billed; k++) sum += c.bands.prices[bandAt(c.bands.schedule, c.answerMs + k * 1000)]!;
      // Exact for these sizes: price <= 1e10, billed <= 1200 s.
      expect(bandedPrice(pricePoints(c.bands, c.holdMs), c.answerMs, 0, billed)).toBe(Math.ceil(sum / 60));
    }
  });
});

describe.each(BACKENDS)('rule 29: banded calls settle per segment end to end (%s)', (backend) => {
  it('credit and pool-then-credit calls across a band boundary debit exactly the banded charge; holds fund at the highest band', async () => {
    const ledger = newLedger(backend, { sliceSeconds: 120 });
    try {
      await ledger.putTenant(tenant('acme', { currency: 'EUR' }));
      await ledger.topUp('acme', 'plenty', 90_000_000_000_000, Date.UTC(2025, 2, 10));
      const eur = caseArb
        .filter((c) => c.seconds <= 3000)
        .map((c) => {
          // Ten minutes either side of a band change of the schedule, so most calls cross it.
          const change = pricePoints(c.bands, c.holdMs, c.holdMs + 7 * 86_400_000)[1]?.[0] ?? c.holdMs;
          const holdMs = change - 600_000 + (c.holdMs % 1_200_000);
          return { ...c, holdMs, answerMs: holdMs + (c.answerMs - c.holdMs), terms: { ...c.terms, currency: 'EUR', pricePerMinute: c.terms.pricePerMinute % 50_000_000, bands: { ...c.bands, prices: c.bands.prices.map((p) => p % 50_000_000) } } };
        })
        .map((c) => ({ ...c, terms: { ...c.terms, pricePerMinute: Math.max(...c.terms.bands.prices) } }));
      let n = 0;
      await fc.assert(
        fc.asyncProperty(eur, fc.integer({ min: 0, max: 999 }), fc.boolean(), async (c, endMs, withPool) => {
          const callId = `b${n++}`;
          const month = new Date(c.holdMs).toISOString().slice(0, 7);
          // A pool of its own per call: an earlier call of the month must not have used it.
          const sources = withPool ? [planPool(120, month, { sku: `S${n}` }), credits] : [credits];
          const held = await ledger.hold(holdRequest('acme', callId, { rate: c.terms, sources, nowMs: c.holdMs }));
          expect(held.ok).toBe(true);
          if (!held.ok) return;
          if (!withPool) expect(held.heldMicros).toBe(chargeFor(c.terms, held.fundedSeconds)); // the highest band price
          await ledger.answer('acme', callId, c.answerMs, c.answerMs);
          let funded = held.fundedSeconds;
          while (funded < c.seconds) {
            const now = c.answerMs + Math.max(0, funded - 10) * 1000;
            const ext = await ledger.extend('acme', callId, now);
            expect(ext.exhausted).toBe(false);
            funded = ext.fundedSeconds;
          }
          // The call ends up to a second past its last whole second: duration rounds up.
          const ended = c.answerMs + Math.max(0, c.seconds - 1) * 1000 + (c.seconds > 0 ? endMs + 1 : 0);
          const settled = await ledger.settle('acme', callId, ended, 'caller_hangup', { nowMs: ended });
          expect(settled.record.durationSeconds).toBe(c.seconds);
          const points = pricePoints(c.terms.bands, c.holdMs);
          const poolSeconds = withPool ? Math.min(120, billedSeconds(c.seconds, c.terms.initialIncrement, c.terms.subsequentIncrement)) : 0;
          // The pool pays whole increments up to its size: its segment ends on the last boundary within 120 s.
          const boundary = (() => {
            const { initialIncrement: ini, subsequentIncrement: sub } = c.terms;
            if (!withPool || ini > 120) return 0;
            return Math.min(poolSeconds, ini + Math.floor((120 - ini) / sub) * sub);
          })();
          expect(settled.record.charge).toBe(creditCost({ ...c, poolSeconds: boundary }, points));
        }),
        { numRuns: 40 },
      );
      expect((await ledger.balance('acme', Date.UTC(2025, 2, 10))).held).toBe(0);
    } finally {
      await ledger.close();
    }
  });
});
