import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createRedisRechargeLock } from '../../src/payments/tenant-lock.js';

describe('rule 25: one recharge per tenant at a time, across instances', () => {
  const redis = new Redis(inject('redisUrl'));
  const prefix = `t-${randomUUID().slice(0, 8)}`;
  afterAll(() => redis.quit());

  it('gives the lease to one instance until its owner releases it', async () => {
    const instanceA = createRedisRechargeLock(redis, prefix, 60_000);
    const instanceB = createRedisRechargeLock(redis, prefix, 60_000);
    const releaseA = await instanceA('acme', 'recharge:acme:call-1');
    expect(releaseA).not.toBeNull();
    expect(await instanceB('acme', 'recharge:acme:call-2')).toBeNull();
    // Another tenant is not blocked.
    expect(await instanceB('globex', 'recharge:globex:call-3')).not.toBeNull();
    await releaseA!();
    expect(await instanceB('acme', 'recharge:acme:call-2')).not.toBeNull();
  });

  it('a late release after the lease expired does not free the next owner\'s lock', async () => {
    const lock = createRedisRechargeLock(redis, prefix, 50);
    const stale = await lock('initech', 'ref-old');
    expect(stale).not.toBeNull();
    await new Promise((r) => setTimeout(r, 120));
    const fresh = await createRedisRechargeLock(redis, prefix, 60_000)('initech', 'ref-new');
    expect(fresh).not.toBeNull();
    await stale!();
    expect(await redis.get(`${prefix}:{initech}:recharge-lock`)).toBe('ref-new');
  });
});
