/**
 * Kamailio suite, admission: real SIP through Kamailio (the shipped config),
 * driven by sipp, asking the `tollgate run` process over /v1/control. The same
 * outcomes as the drachtio suite: each call checks the answer on the wire, the
 * balance and the usage records.
 */
import { describe, expect, it } from 'vitest';
import { kamailioSuite, scenario, startCarrier } from './support/world.js';
import { runUac } from '../sip/support/sipp.js';
import { USD_CENT, finalResponse } from '../sip/support/sip-messages.js';
import { balanceOf, tenantWithBalance, tollFreeNumber, usageOf, usageSettled, userOf } from '../sip/provisioning.js';

describe('SIP admission through Kamailio', () => {
  const suite = kamailioSuite('kama');
  const { bridgeCall, carrierCall } = suite;

  it('allows a credit call, strips internal headers toward the carrier, and charges exactly one 60/60 minute', async () => {
    const tenant = await tenantWithBalance(suite.world.ledger, 1_000_000);
    const user = await userOf(suite.world.ledger, tenant);
    const carrier = await startCarrier('uas-answer.xml', suite.world.ports.carrier);
    const result = await bridgeCall('uac-outbound-answered.xml', '2125550100', { tenant: tenant.id, user: user.id }, { durationMs: 1500 });
    const seen = await carrier.stop();
    expect(result.errors).toBe('');
    expect(result.successful).toBe(1);
    const [record] = await usageSettled(suite.world.ledger, tenant.id, 1);
    expect(record).toMatchObject({
      callType: 'user_out',
      callDirection: 'outbound',
      userId: user.id,
      destinationNumber: '+12125550100',
      charge: USD_CENT,
      endReason: 'caller_hangup',
    });
    expect(record!.durationSeconds).toBeGreaterThanOrEqual(1);
    expect(await balanceOf(suite.world.ledger, tenant.id)).toEqual({ balance: 1_000_000 - USD_CENT, held: 0 });
    // The carrier got the E.164 destination and none of the bridge's internal headers.
    expect(seen.messages).toMatch(/INVITE sip:\+12125550100@127\.0\.0\.1/);
    expect(seen.messages).not.toMatch(/X-Tollgate-/i);
    expect(seen.messages).toMatch(/^Subject: tollgate sip suite/m);
  });

  it('refuses a credit call at zero balance with 402 and the reason header, charging nothing', async () => {
    const tenant = await tenantWithBalance(suite.world.ledger, 0);
    const user = await userOf(suite.world.ledger, tenant);
    const result = await bridgeCall('uac-outbound-rejected.xml', '2125550100', { tenant: tenant.id, user: user.id });
    const final = finalResponse(result);
    expect(final?.status).toBe(402);
    expect(final?.text).toMatch(/^X-Tollgate-Reason: NO_FUNDS/m);
    expect(await balanceOf(suite.world.ledger, tenant.id)).toEqual({ balance: 0, held: 0 });
    expect((await usageOf(suite.world.ledger, tenant.id)).filter((r) => r.charge !== 0)).toEqual([]);
  });

  it('refuses with 403 a user without a credits licence or plan, and a call the user policy forbids', async () => {
    const tenant = await tenantWithBalance(suite.world.ledger, 1_000_000);
    const unlicensed = await userOf(suite.world.ledger, tenant, { licences: [] });
    const domesticOnly = await userOf(suite.world.ledger, tenant, { policy: 'domestic' });
    const noLicence = finalResponse(await bridgeCall('uac-outbound-rejected.xml', '2125550100', { tenant: tenant.id, user: unlicensed.id }));
    expect(noLicence?.status).toBe(403);
    expect(noLicence?.text).toMatch(/^X-Tollgate-Reason: NO_LICENCE/m);
    const policy = finalResponse(await bridgeCall('uac-outbound-rejected.xml', '+442071234567', { tenant: tenant.id, user: domesticOnly.id }));
    expect(policy?.status).toBe(403);
    expect(policy?.text).toMatch(/^X-Tollgate-Reason: POLICY/m);
    expect(await balanceOf(suite.world.ledger, tenant.id)).toEqual({ balance: 1_000_000, held: 0 });
  });

  it('answers 400 to an unreadable call-type header and 484 to an unreadable number, charging nothing', async () => {
    const tenant = await tenantWithBalance(suite.world.ledger, 1_000_000);
    const user = await userOf(suite.world.ledger, tenant);
    const badType = finalResponse(
      await bridgeCall('uac-outbound-rejected.xml', '2125550100', { tenant: tenant.id, user: user.id, call_type: 'free_call' }),
    );
    expect(badType?.status).toBe(400);
    expect(badType?.text).toMatch(/^X-Tollgate-Reason: BAD_INVITE/m);
    expect(badType?.text).toMatch(/^Warning: 399 tollgate "X-Tollgate-Call-Type must be user_out or conf_out, got 'free_call'"/m);
    const badNumber = finalResponse(await bridgeCall('uac-outbound-rejected.xml', 'call-me-maybe', { tenant: tenant.id, user: user.id }));
    expect(badNumber?.status).toBe(484);
    expect(badNumber?.text).toMatch(/^X-Tollgate-Reason: MALFORMED_NUMBER/m);
    expect(await balanceOf(suite.world.ledger, tenant.id)).toEqual({ balance: 1_000_000, held: 0 });
  });

  it('refuses an INVITE from an unknown source with 403 UNKNOWN_PEER and counts it', async () => {
    const before = await suite.world.metric('tollgate_sip_unknown_peer_total');
    const result = await runUac({ scenario: scenario('uac-outbound-rejected.xml'), target: suite.world.kamailio.sipPort, localPort: suite.world.ports.stranger, dialed: '2125550100', keys: { tenant: 'any', user: 'any' } });
    const final = finalResponse(result);
    expect(final?.status).toBe(403);
    expect(final?.text).toMatch(/^X-Tollgate-Reason: UNKNOWN_PEER/m);
    expect(await suite.world.metric('tollgate_sip_unknown_peer_total')).toBe(before + 1);
    expect(await suite.world.metric('tollgate_call_decisions_total{decision="reject",reason="UNKNOWN_PEER",call_type="unknown"}')).toBe(before + 1);
  });

  it('bills a toll-free inbound call to the tenant owning the number, at the caller-origin rate', async () => {
    const tenant = await tenantWithBalance(suite.world.ledger, 1_000_000);
    await tollFreeNumber(suite.world.ledger, tenant, '+18005550100', `sip:conference@127.0.0.1:${suite.world.ports.service}`);
    const service = await startCarrier('uas-answer.xml', suite.world.ports.service);
    const result = await carrierCall('uac-inbound-answered.xml', '+18005550100', { caller: '+442071112222' }, { durationMs: 1500 });
    await service.stop();
    expect(result.errors).toBe('');
    expect(result.successful).toBe(1);
    const [record] = await usageSettled(suite.world.ledger, tenant.id, 1);
    expect(record).toMatchObject({ callDirection: 'inbound', numberType: 'toll-free', endReason: 'caller_hangup' });
    // 1/1 at one cent a second.
    expect(record!.durationSeconds).toBeGreaterThanOrEqual(1);
    expect(record!.charge).toBe(record!.durationSeconds * USD_CENT);
    expect((await balanceOf(suite.world.ledger, tenant.id)).balance).toBe(1_000_000 - record!.charge);
  });

  it('blocks a toll-free inbound call when the owner balance is zero', async () => {
    const tenant = await tenantWithBalance(suite.world.ledger, 0);
    await tollFreeNumber(suite.world.ledger, tenant, '+18005550111', `sip:conference@127.0.0.1:${suite.world.ports.service}`);
    const result = await carrierCall('uac-inbound-rejected.xml', '+18005550111', { caller: '+442071112222' });
    const final = finalResponse(result);
    expect(final?.status).toBe(402);
    expect(final?.text).toMatch(/^X-Tollgate-Reason: NO_FUNDS/m);
    expect(await balanceOf(suite.world.ledger, tenant.id)).toEqual({ balance: 0, held: 0 });
  });

  it('answers 404 for a number no tenant owns', async () => {
    const result = await carrierCall('uac-inbound-rejected.xml', '+18005550199', { caller: '+442071112222' });
    const final = finalResponse(result);
    expect(final?.status).toBe(404);
    expect(final?.text).toMatch(/^X-Tollgate-Reason: UNKNOWN_NUMBER/m);
  });

  it('lets an emergency call through at zero balance and never charges it', async () => {
    const tenant = await tenantWithBalance(suite.world.ledger, 0);
    const user = await userOf(suite.world.ledger, tenant, { licences: [] });
    const carrier = await startCarrier('uas-answer.xml', suite.world.ports.carrier);
    const result = await bridgeCall('uac-outbound-answered.xml', '911', { tenant: tenant.id, user: user.id }, { durationMs: 1000 });
    await carrier.stop();
    expect(result.successful).toBe(1);
    const [record] = await usageSettled(suite.world.ledger, tenant.id, 1);
    expect(record).toMatchObject({ callType: 'emergency', charge: 0 });
    expect(await balanceOf(suite.world.ledger, tenant.id)).toEqual({ balance: 0, held: 0 });
  });
});
