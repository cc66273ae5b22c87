/**
 * SIP suite, fail closed: when Redis cannot be reached, calls are refused with
 * 503 UNAVAILABLE and Retry-After, never let through unbilled (calls.failOpen is false).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RunningRedis } from '../support/redis-server.js';
import { startSipWorld, type SipWorld } from './support/harness.js';
import { runUac, stopAllSipp } from './support/sipp.js';
import { finalResponse, sipSuiteBinary } from './support/sip-messages.js';
import { tenantWithBalance, userOf } from './provisioning.js';

const bin = sipSuiteBinary();

describe.skipIf(!bin)('SIP gateway when Redis is down', () => {
  let redis: RunningRedis;
  let world: SipWorld;
  beforeAll(async () => {
    redis = await startRedisServer();
    world = await startSipWorld({ drachtioBin: bin!, redisUrl: redis.url, keyPrefix: 'sipf' });
  });
  afterAll(async () => {
    await world?.stop();
    await redis?.stop();
  });
  // A test that failed half-way must not leave a sipp peer on its port for the next one.
  afterEach(() => stopAllSipp());

  it('refuses calls with 503 UNAVAILABLE and Retry-After', async () => {
    const tenant = await tenantWithBalance(world.ledger, 1_000_000);
    const user = await userOf(world.ledger, tenant);
    await redis.stop();
    const result = await runUac({
      scenario: 'uac-outbound-rejected.xml',
      target: world.drachtio.sipPort,
      localPort: world.ports.bridge,
      dialed: '2125550100',
      keys: { tenant: tenant.id, user: user.id },
    });
    const final = finalResponse(result);
    expect(final?.status).toBe(503);
    expect(final?.text).toMatch(/^X-Tollgate-Reason: UNAVAILABLE/m);
    expect(final?.text).toMatch(/^Retry-After: 7/m);
  });
});
