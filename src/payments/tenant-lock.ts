/**
 * Cross-instance "one recharge per tenant at a time" (DOMAIN.md rule 25): a
 * Redis lease per tenant, taken with SET NX PX and released only by its owner.
 */
import type { Cluster, Redis } from 'ioredis';
import type { AcquireTenantLock } from './recharge-service.js';

/** Deletes the lock only when it still holds our reference (a lease that expired may belong to another). */
const RELEASE_IF_OWNER = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/**
 * Key `<prefix>:{tenantId}:recharge-lock` keeps the tenant's hash tag. The
 * lease outlives the slowest recharge (provider timeout x retries) so a live
 * request is never doubled; a crashed instance's lease simply expires.
 */
export function createRedisRechargeLock(redis: Redis | Cluster, keyPrefix: string, leaseMs: number): AcquireTenantLock {
  return async (tenantId, reference) => {
    const key = `${keyPrefix}:{${tenantId}}:recharge-lock`;
    const taken = await redis.set(key, reference, 'PX', leaseMs, 'NX');
    if (taken !== 'OK') return null;
    return async () => {
      await redis.eval(RELEASE_IF_OWNER, 1, key, reference);
    };
  };
}
