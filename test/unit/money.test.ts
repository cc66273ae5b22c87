import { describe, expect, it } from 'vitest';
import { formatMoney, MoneyFormatError, parseMoney, roundUpToMinorUnit } from '../../src/money.js';

describe('money (integer micro-units)', () => {
  it('parses decimal text exactly', () => {
    expect(parseMoney('0.0125')).toBe(12_500);
    expect(parseMoney('12.50')).toBe(12_500_000);
    expect(parseMoney('-3')).toBe(-3_000_000);
    expect(parseMoney('0.000001')).toBe(1);
  });
  it('rejects floats in disguise and junk with a clear error', () => {
    for (const bad of ['1e3', '1,50', '0.1234567', '', 'abc', '.5']) {
      expect(() => parseMoney(bad)).toThrow(MoneyFormatError);
    }
  });
  it('rounds up to the minor unit of the currency', () => {
    expect(roundUpToMinorUnit(10_001, 'EUR')).toBe(20_000);
    expect(roundUpToMinorUnit(20_000, 'EUR')).toBe(20_000);
    expect(roundUpToMinorUnit(1, 'JPY')).toBe(1_000_000);
    expect(roundUpToMinorUnit(1, 'KWD')).toBe(1_000);
    expect(roundUpToMinorUnit(0, 'USD')).toBe(0);
  });
  it('formats with the currency minor digits', () => {
    expect(formatMoney(1_500_000, 'EUR')).toBe('1.50');
    expect(formatMoney(12_500, 'EUR')).toBe('0.0125');
    expect(formatMoney(-3_000_000)).toBe('-3');
    expect(formatMoney(0, 'JPY')).toBe('0');
  });
});
