/**
 * Rules 31 and 32 in the configuration: lease, renewal, Redis timeouts and the
 * recovery interval must leave room to cut a call before its lease can expire,
 * and to bill a lost instance's call within one renewal interval of its end.
 */
import { describe, expect, it } from 'vitest';
import { validateConfig, ConfigError } from '../../src/config/load.js';

function problems(calls: Record<string, number>, redis: Record<string, number> = {}): string[] {
  try {
    validateConfig({ http: { adminToken: 'lease-timing-admin-token' }, calls, redis }, 'test');
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

describe('lease timing validation', () => {
  it('accepts the defaults', () => {
    expect(problems({})).toEqual([]);
  });

  it('rule 32: refuses a lease that cannot fit one renewal with its Redis time bound and the guard', () => {
    const found = problems({ leaseSeconds: 5 });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^calls\.leaseSeconds: 5 s is too short/);
    // Shorter Redis timeouts make the same lease possible.
    expect(problems({ leaseSeconds: 9, recoveryIntervalMs: 1000 }, { connectTimeoutMs: 500, commandTimeoutMs: 500 })).toEqual([]);
  });

  it('rule 31: refuses a recovery interval that would bill a lost call more than one renewal interval short', () => {
    const found = problems({ recoveryIntervalMs: 8000 });
    expect(found).toEqual([expect.stringMatching(/^calls\.recoveryIntervalMs: 8000 ms is too long.*at most 7000 ms/)]);
  });

  it('refuses a slice that is not longer than the time its next slice is asked ahead', () => {
    expect(problems({ sliceSeconds: 10, extendAheadSeconds: 10 })).toEqual([expect.stringMatching(/^calls\.extendAheadSeconds: 10 s must be shorter/)]);
  });
});
