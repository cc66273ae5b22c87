/**
 * Cross-instance "send once" for notices: the first instance to SET NX the
 * event id in Redis sends it; the key expires after the dedupe window.
 */
import type { Cluster, Redis } from 'ioredis';
import type { ClaimNotice } from './types.js';

/**
 * Key `<prefix>:{tenantId}:notice:<eventId>` keeps the tenant's hash tag like
 * every other tenant key. ttlSeconds bounds how long a repeat is suppressed.
 */
export function createRedisClaim(redis: Redis | Cluster, keyPrefix: string, ttlSeconds = 40 * 86_400): ClaimNotice {
  return async (notice) => {
    const key = `${keyPrefix}:{${notice.tenantId}}:notice:${notice.id}`;
    const set = await redis.set(key, String(notice.occurredAt), 'EX', ttlSeconds, 'NX');
    return set === 'OK';
  };
}
