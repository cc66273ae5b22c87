/**
 * An unreachable, stopped or stalled Redis: every ledger call fails within a
 * bounded time with LedgerUnavailableError (callers fail closed), errors are
 * counted, and the ledger works again once Redis is back.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createLedger, type RedisLedger } from '../../src/ledger/redis-ledger.js';
import { LedgerUnavailableError } from '../../src/ledger/types.js';
import { createMetrics } from '../../src/metrics.js';
import { startRedisServer, UNREACHABLE_REDIS_URL } from '../support/redis-server.js';
import { PLANS, T0, TEST_CLOCK_SKEW_MS, holdRequest, tenant, uniquePrefix } from '../support/ledger-fixtures.js';

const settings = { leaseSeconds: 30, sliceSeconds: 60, usageRetentionDays: 400, plans: PLANS, dialOutMinutesPerLicence: 60, maxClockSkewMs: TEST_CLOCK_SKEW_MS };

async function redisErrors(metrics: ReturnType<typeof createMetrics>): Promise<number> {
  return (await metrics.redisErrors.get()).values.reduce((s, v) => s + v.value, 0);
}

/** Every kind of ledger call, each expected to fail as unavailable. */
function everyCall(ledger: RedisLedger): Array<() => Promise<unknown>> {
  return [
    () => ledger.hold(holdRequest('acme', 'c1')),
    () => ledger.extend('acme', 'c1', T0),
    () => ledger.settle('acme', 'c1', T0, 'caller_hangup'),
    () => ledger.topUp('acme', 'r1', 1000, T0),
    () => ledger.balance('acme', T0),
    () => ledger.loadPayer('acme', 'u1'),
    () => ledger.findUserByNumber('+12025550101'),
    () => ledger.recoverExpired(T0),
    async () => {
      for await (const r of ledger.usage('acme', 0, T0)) void r;
    },
  ];
}

describe('ledger with Redis unavailable', () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it.each(['redis', 'cluster'] as const)('fails every call with LedgerUnavailableError when nothing listens (%s)', async (kind) => {
    const metrics = createMetrics();
    const dead = new URL(UNREACHABLE_REDIS_URL);
    const ledger = createLedger({
      ...(kind === 'redis' ? { url: dead.href } : { clusterNodes: [dead.host] }),
      keyPrefix: uniquePrefix(), connectTimeoutMs: 300, commandTimeoutMs: 300, metrics, ...settings,
    });
    cleanup.push(() => ledger.close());
    for (const call of everyCall(ledger)) {
      await expect(call()).rejects.toBeInstanceOf(LedgerUnavailableError);
    }
    expect(await redisErrors(metrics)).toBeGreaterThanOrEqual(everyCall(ledger).length);
  });

  it('fails while Redis is stopped and works again once it is back', async () => {
    const first = await startRedisServer();
    cleanup.push(() => first.stop());
    const metrics = createMetrics();
    const ledger = createLedger({ url: first.url, keyPrefix: uniquePrefix(), connectTimeoutMs: 500, commandTimeoutMs: 500, metrics, ...settings });
    cleanup.push(() => ledger.close());
    await ledger.putTenant(tenant('acme'));
    await ledger.topUp('acme', 'opening', 1_000_000, T0);
    await first.stop();
    for (const call of everyCall(ledger)) {
      await expect(call()).rejects.toBeInstanceOf(LedgerUnavailableError);
    }
    expect(await redisErrors(metrics)).toBeGreaterThan(0);
    // Same port, fresh data: the ledger reconnects by itself.
    const second = await startRedisServer(['--port', String(first.port)]);
    cleanup.push(() => second.stop());
    let reachable = false;
    for (let i = 0; i < 100 && !reachable; i++) {
      reachable = await ledger.getTenant('acme').then(() => true, () => false);
      if (!reachable) await new Promise((r) => setTimeout(r, 100));
    }
    expect(reachable).toBe(true);
    await ledger.putTenant(tenant('acme'));
    expect(await ledger.topUp('acme', 'again', 1000, T0)).toMatchObject({ applied: true, balanceAfter: 1000 });
  });

  it('fails a call that Redis does not answer in time', async () => {
    const server = await startRedisServer();
    cleanup.push(() => server.stop());
    const ledger = createLedger({ url: server.url, keyPrefix: uniquePrefix(), connectTimeoutMs: 500, commandTimeoutMs: 200, ...settings });
    cleanup.push(() => ledger.close());
    await ledger.putTenant(tenant('acme'));
    const admin = new Redis(server.url);
    cleanup.push(() => admin.quit());
    await admin.call('CLIENT', 'PAUSE', '1500', 'ALL');
    await expect(ledger.balance('acme', T0)).rejects.toBeInstanceOf(LedgerUnavailableError);
    await expect(ledger.hold(holdRequest('acme', 'c1'))).rejects.toBeInstanceOf(LedgerUnavailableError);
  });
});
