import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseMoney } from '../../src/money.js';
import {
  affordableSeconds, billedSeconds, chargeFor, MAX_EXACT_BILLED_SECONDS, MAX_RATE_AMOUNT, minimumCharge, priceForSeconds,
} from '../../src/rating/charge.js';
import type { RateTerms } from '../../src/rating/types.js';

function terms(price: string, inc: number, sub: number, fee = '0', currency = 'EUR'): RateTerms {
  return { currency, pricePerMinute: parseMoney(price), connectFee: parseMoney(fee), initialIncrement: inc, subsequentIncrement: sub };
}

describe('billedSeconds', () => {
  it.each([
    // duration, initial, subsequent, billed
    [0, 60, 60, 0], [1, 60, 60, 60], [60, 60, 60, 60], [61, 60, 60, 120], [119, 60, 60, 120], [121, 60, 60, 180],
    [0, 60, 1, 0], [1, 60, 1, 60], [60, 60, 1, 60], [61, 60, 1, 61], [95, 60, 1, 95],
    [0, 30, 6, 0], [1, 30, 6, 30], [30, 30, 6, 30], [31, 30, 6, 36], [36, 30, 6, 36], [37, 30, 6, 42],
    [0, 1, 1, 0], [1, 1, 1, 1], [59, 1, 1, 59], [3600, 1, 1, 3600],
  ])('%i s at %i/%i bills %i s', (d, i, s, billed) => {
    expect(billedSeconds(d, i, s)).toBe(billed);
  });

  it('counts a started second', () => {
    expect(billedSeconds(0.2, 1, 1)).toBe(1);
    expect(billedSeconds(60.001, 60, 1)).toBe(61);
  });

  it('refuses negative or non-finite durations', () => {
    expect(() => billedSeconds(-1, 60, 60)).toThrow(RangeError);
    expect(() => billedSeconds(Number.NaN, 60, 60)).toThrow(RangeError);
  });
});

describe('rule 22: chargeFor (golden)', () => {
  it.each([
    // price, inc, sub, fee, currency, seconds, expected charge
    ['0.0150', 60, 60, '0', 'EUR', 0, '0'],
    ['0.0150', 60, 60, '0', 'EUR', 1, '0.02'], // 0.015 -> 0.02
    ['0.0150', 60, 60, '0', 'EUR', 60, '0.02'],
    ['0.0150', 60, 60, '0', 'EUR', 61, '0.03'], // 120 s -> 0.030
    ['0.0150', 60, 1, '0', 'EUR', 61, '0.02'], // 61 s -> 0.01525 -> 0.02
    ['0.0150', 60, 1, '0', 'EUR', 200, '0.05'], // 200 s -> 0.05
    ['0.0150', 30, 6, '0', 'EUR', 1, '0.01'], // 30 s -> 0.0075 -> 0.01
    ['0.0150', 30, 6, '0', 'EUR', 31, '0.01'], // 36 s -> 0.009
    ['0.0150', 30, 6, '0', 'EUR', 81, '0.03'], // 84 s -> 0.021 -> 0.03
    ['0.1200', 1, 1, '0', 'EUR', 1, '0.01'], // 0.002 -> 0.01
    ['0.1200', 1, 1, '0', 'EUR', 59, '0.12'], // 0.118 -> 0.12
    ['0.1200', 1, 1, '0', 'EUR', 61, '0.13'], // 0.122 -> 0.13
    ['0.0150', 60, 60, '0.05', 'EUR', 1, '0.07'], // fee 0.05 + 0.015
    ['0.0150', 60, 60, '0.05', 'EUR', 0, '0'], // no connection fee on a 0 s call
    ['0.0100', 1, 1, '0.0001', 'USD', 1, '0.01'], // 0.0001 + 0.000167 rounded up once
    ['0', 60, 60, '0', 'USD', 600, '0'],
    ['2.3', 60, 60, '0', 'JPY', 1, '3'], // 2.3 yen -> 3 yen
    ['12', 60, 6, '0', 'JPY', 61, '14'], // 66 s -> 13.2 -> 14 yen
    ['0.0125', 60, 1, '0', 'KWD', 61, '0.013'], // 0.0127083 -> 0.013 KWD
    ['0.0125', 60, 60, '0.001', 'KWD', 1, '0.014'], // 0.0135 -> 0.014 KWD
  ] as const)('%s/min %i/%i fee %s %s for %i s = %s', (price, inc, sub, fee, cur, seconds, expected) => {
    expect(chargeFor(terms(price, inc, sub, fee, cur), seconds)).toBe(parseMoney(expected));
  });

  it('is exact where a float product would drift', () => {
    // 0.07/min for 61 s at 1/1: 70000*61/60 = 71166.67 micros -> 0.08
    expect(chargeFor(terms('0.07', 1, 1), 61)).toBe(80_000);
    // The largest loadable price over 10 days stays an exact integer.
    const big = priceForSeconds(MAX_RATE_AMOUNT, MAX_EXACT_BILLED_SECONDS);
    expect(Number.isSafeInteger(big)).toBe(true);
    expect(big).toBe(Math.ceil((MAX_RATE_AMOUNT / 60) * MAX_EXACT_BILLED_SECONDS));
  });
});

describe('priceForSeconds', () => {
  it('equals ceil(price * seconds / 60) computed with BigInt', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_RATE_AMOUNT }), fc.integer({ min: 0, max: MAX_EXACT_BILLED_SECONDS }), (p, s) => {
        const exact = (BigInt(p) * BigInt(s) + 59n) / 60n;
        expect(BigInt(priceForSeconds(p, s))).toBe(exact);
      }),
    );
  });
});

const termsArb = fc.record({
  currency: fc.constantFrom('EUR', 'USD', 'JPY', 'KWD'),
  pricePerMinute: fc.integer({ min: 0, max: 5_000_000 }),
  connectFee: fc.integer({ min: 0, max: 1_000_000 }),
  initialIncrement: fc.constantFrom(1, 6, 30, 60),
  subsequentIncrement: fc.constantFrom(1, 6, 30, 60),
});

describe('chargeFor (properties)', () => {
  it('is monotonic in answered seconds', () => {
    fc.assert(
      fc.property(termsArb, fc.integer({ min: 0, max: 20_000 }), fc.integer({ min: 0, max: 5_000 }), (t, a, extra) => {
        expect(chargeFor(t, a + extra)).toBeGreaterThanOrEqual(chargeFor(t, a));
      }),
    );
  });

  it('never charges less than the connection fee once answered, and 0 for 0 s', () => {
    fc.assert(
      fc.property(termsArb, fc.integer({ min: 1, max: 20_000 }), (t, a) => {
        expect(chargeFor(t, a)).toBeGreaterThanOrEqual(t.connectFee);
        expect(chargeFor(t, 0)).toBe(0);
      }),
    );
  });

  it('affordableSeconds gives the longest duration the budget covers', () => {
    fc.assert(
      fc.property(termsArb, fc.integer({ min: 0, max: 2_000_000 }), (t, budget) => {
        const cap = 36_000;
        const s = affordableSeconds(t, budget, cap);
        if (s === 0) expect(budget).toBeLessThan(minimumCharge(t));
        else expect(chargeFor(t, s)).toBeLessThanOrEqual(budget);
        if (s < cap) expect(chargeFor(t, s + 1)).toBeGreaterThan(budget);
      }),
    );
  });
});
