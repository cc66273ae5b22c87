/**
 * drachtio "outbound" mode: drachtio-server asks a routing web callback and
 * connects to the gateway's listener for each call, instead of the gateway connecting in.
 */
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { startSipWorld, type SipWorld } from './support/harness.js';
import { runUac, startUas, stopAllSipp } from './support/sipp.js';
import { sipSuiteBinary } from './support/sip-messages.js';
import { balanceOf, tenantWithBalance, usageSettled, userOf } from './provisioning.js';

const bin = sipSuiteBinary();

describe.skipIf(!bin)('SIP gateway with drachtio-server in outbound mode', () => {
  let world: SipWorld;
  beforeAll(async () => {
    world = await startSipWorld({ drachtioBin: bin!, redisUrl: inject('redisUrl'), keyPrefix: `sipo${process.pid}`, mode: 'outbound' });
  });
  afterAll(async () => {
    await world?.stop();
  });
  // A test that failed half-way must not leave a sipp peer on its port for the next one.
  afterEach(() => stopAllSipp());

  it('admits, bridges and charges a call that drachtio-server routed to the gateway listener', async () => {
    const tenant = await tenantWithBalance(world.ledger, 1_000_000);
    const user = await userOf(world.ledger, tenant);
    const carrier = await startUas('uas-answer.xml', world.ports.carrier);
    const result = await runUac({
      scenario: 'uac-outbound-answered.xml',
      target: world.drachtio.sipPort,
      localPort: world.ports.bridge,
      dialed: '2125550100',
      keys: { tenant: tenant.id, user: user.id },
      durationMs: 1000,
    });
    await carrier.stop();
    expect(result.errors).toBe('');
    expect(result.successful).toBe(1);
    const [record] = await usageSettled(world.ledger, tenant.id, 1);
    expect(record).toMatchObject({ charge: 10_000, endReason: 'caller_hangup' });
    expect(await balanceOf(world.ledger, tenant.id)).toEqual({ balance: 990_000, held: 0 });
  });
});
