/**
 * Builders for ledger tests: a ledger on its own key prefix over the test
 * Redis or the test Redis Cluster, and tenants, rate terms and hold requests.
 */
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import type { PlanConfig } from '../../src/config/schema.js';
import type { FundingSource, PoolRef, Tenant } from '../../src/domain.js';
import { createLedger, type LedgerOptions, type RedisLedger } from '../../src/ledger/redis-ledger.js';
import type { HoldRequest } from '../../src/ledger/types.js';
import type { RateTerms } from '../../src/rating/types.js';

export const PLANS: PlanConfig[] = [
  { sku: 'DOMESTIC', name: 'Domestic Calling Plan', domesticMinutes: 3000, internationalMinutes: 0 },
  { sku: 'DOMESTIC_INTERNATIONAL', name: 'Domestic and International Calling Plan', domesticMinutes: 3000, internationalMinutes: 600 },
  { sku: 'PAYG', name: 'Pay-As-You-Go Calling Plan', domesticMinutes: 0, internationalMinutes: 0 },
];

export type Backend = 'redis' | 'cluster';
export const BACKENDS: Backend[] = ['redis', 'cluster'];

/** Skew allowed to test ledgers whose calls run on fixed dates: far wider than any real clock error. */
export const TEST_CLOCK_SKEW_MS = 20 * 365 * 86_400_000;

export function uniquePrefix(): string {
  return `t${randomBytes(5).toString('hex')}`;
}

export function connectionFor(backend: Backend): Partial<LedgerOptions> {
  return backend === 'redis' ? { url: inject('redisUrl') } : { clusterNodes: inject('redisClusterNodes') };
}

export function newLedger(backend: Backend, overrides: Partial<LedgerOptions> = {}): RedisLedger {
  return createLedger({
    ...connectionFor(backend),
    keyPrefix: uniquePrefix(),
    leaseSeconds: 30,
    sliceSeconds: 60,
    usageRetentionDays: 400,
    plans: PLANS,
    dialOutMinutesPerLicence: 60,
    connectTimeoutMs: 5000,
    commandTimeoutMs: 5000,
    // Tests run calls on fixed dates (T0 in 2025): their clocks are years from Redis time by design.
    maxClockSkewMs: TEST_CLOCK_SKEW_MS,
    ...overrides,
  });
}

export function tenant(id: string, overrides: Partial<Tenant> = {}): Tenant {
  return { id, name: `Tenant ${id}`, currency: 'EUR', country: 'DE', creditLimit: 0, ...overrides };
}

/** EUR 0.10 per minute, no connection fee, 60/60. */
export function terms(overrides: Partial<RateTerms> = {}): RateTerms {
  return { currency: 'EUR', pricePerMinute: 100_000, connectFee: 0, initialIncrement: 60, subsequentIncrement: 60, ...overrides };
}

export const credits: FundingSource = { kind: 'credits' };
export const free: FundingSource = { kind: 'free' };

export function planPool(sizeSeconds: number, month = '2025-03', overrides: Partial<Extract<PoolRef, { kind: 'plan' }>> = {}): FundingSource {
  return { kind: 'pool', pool: { kind: 'plan', country: 'DE', sku: 'DOMESTIC', scope: 'domestic', month, sizeSeconds, ...overrides } };
}

export function dialOutPool(sizeSeconds: number, month = '2025-03'): FundingSource {
  return { kind: 'pool', pool: { kind: 'dialout', month, sizeSeconds } };
}

/** 2025-03-10T12:00:00Z */
export const T0 = Date.UTC(2025, 2, 10, 12, 0, 0);

export function holdRequest(tenantId: string, callId: string, overrides: Partial<HoldRequest> = {}): HoldRequest {
  const rate = overrides.rate ?? terms();
  return {
    tenantId,
    callId,
    sources: [credits],
    rate,
    requirePositiveBalance: false,
    nowMs: T0,
    draft: {
      tenantId,
      callId,
      callType: 'user_out',
      callDirection: 'outbound',
      destinationDialed: '+4930123456',
      destinationNumber: '+4930123456',
      currency: rate.currency,
    },
    ...overrides,
  };
}
