/**
 * The usage report's date range: ISO 8601 instants as the API and CLI read
 * them, and the half-open interval [from, to).
 */
import { describe, expect, it } from 'vitest';
import { inRange, parseInstant } from '../../src/usage/range.js';

describe('usage report range', () => {
  it('reads a date as 00:00 UTC and a date-time with Z or an offset', () => {
    expect(parseInstant('2025-03-01')).toBe(Date.UTC(2025, 2, 1));
    expect(parseInstant('2025-03-01T09:30Z')).toBe(Date.UTC(2025, 2, 1, 9, 30));
    expect(parseInstant('2025-03-01T09:30:15.250Z')).toBe(Date.UTC(2025, 2, 1, 9, 30, 15, 250));
    expect(parseInstant('2025-03-01T10:30:00+01:00')).toBe(Date.UTC(2025, 2, 1, 9, 30));
    expect(parseInstant('2025-03-01T00:00:00-05:00')).toBe(Date.UTC(2025, 2, 1, 5));
  });

  it('refuses local times without a zone, impossible dates and other text', () => {
    for (const bad of ['2025-03-01T09:30', '2025-02-30', '2025-13-01', '01/03/2025', '1740787200000', '', 'yesterday']) {
      expect(parseInstant(bad), bad).toBeUndefined();
    }
    expect(parseInstant('2024-02-29')).toBe(Date.UTC(2024, 1, 29));
  });

  it('includes from and excludes to', () => {
    const from = Date.UTC(2025, 2, 1);
    const to = Date.UTC(2025, 3, 1);
    expect(inRange(from - 1, from, to)).toBe(false);
    expect(inRange(from, from, to)).toBe(true);
    expect(inRange(to - 1, from, to)).toBe(true);
    expect(inRange(to, from, to)).toBe(false);
  });
});
