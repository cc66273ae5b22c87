/**
 * The SIP suite: real SIP through drachtio-server, driven by sipp, against the
 * gateway on a real ledger. Each call checks the wire, the balance and the usage records.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { findDrachtio, hasSipp } from './support/drachtio-server.js';
import { startSipWorld, type SipWorld } from './support/harness.js';
import { runUac, startUas, type SippResult } from './support/sipp.js';
import { balanceOf, tenantWithBalance, tollFreeNumber, usageOf, usageSettled, userOf } from './provisioning.js';

const bin = findDrachtio();
const sipp = hasSipp();
if (!bin) console.log('SIP suite skipped: no drachtio-server binary (set DRACHTIO_BIN)');
else if (!sipp) console.log('SIP suite skipped: no sipp on PATH (Debian package sip-tester)');

/** SIP messages of a sipp trace, one string each, line ends as "\n". */
function messagesOf(result: SippResult): string[] {
  return result.messages
    .replace(/\r\n/g, '\n')
    .split(/\n\s*\n/)
    .map((block) => block.replace(/^[\s\S]*?(?=^(?:SIP\/2\.0 |[A-Z]+ sips?:))/m, ''))
    .filter((block) => /^(?:SIP\/2\.0 |[A-Z]+ sips?:)/.test(block));
}

/** The first final response the caller got, with its headers. */
function finalResponse(result: SippResult): { status: number; text: string } | undefined {
  for (const text of messagesOf(result)) {
    const m = /^SIP\/2\.0 (\d{3})/.exec(text);
    if (m && Number(m[1]) >= 200) return { status: Number(m[1]), text };
  }
  return undefined;
}

/** Distinct calls (Call-IDs) that got a final response with this status. */
function callsAnswered(result: SippResult, status: number): number {
  const ids = new Set<string>();
  for (const text of messagesOf(result)) {
    if (!text.startsWith(`SIP/2.0 ${status} `)) continue;
    const id = /^Call-ID:\s*(.+)$/im.exec(text)?.[1];
    if (id) ids.add(id.trim());
  }
  return ids.size;
}

const USD_CENT = 10_000;

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return check();
}

describe.skipIf(!bin || !sipp)('SIP gateway through drachtio-server', () => {
  let world: SipWorld;

  beforeAll(async () => {
    world = await startSipWorld({
      drachtioBin: bin!,
      redisUrl: inject('redisUrl'),
      keyPrefix: `sip${process.pid}`,
    });
  });
  afterAll(async () => {
    await world?.stop();
  });

  const bridgeCall = (scenario: string, dialed: string, keys: Record<string, string>, extra: Partial<Parameters<typeof runUac>[0]> = {}) =>
    runUac({ scenario, target: world.drachtio.sipPort, localPort: world.ports.bridge, dialed, keys, ...extra });

  it('allows a credit call, strips internal headers toward the carrier, and charges exactly one 60/60 minute', async () => {
    const tenant = await tenantWithBalance(world.ledger, 1_000_000);
    const user = await userOf(world.ledger, tenant);
    const carrier = await startUas('uas-answer.xml', world.ports.carrier);
    const result = await bridgeCall('uac-outbound-answered.xml', '2125550100', { tenant: tenant.id, user: user.id }, { durationMs: 1500 });
    const seen = await carrier.stop();
    expect(result.errors).toBe('');
    expect(result.successful).toBe(1);
    const [record] = await usageSettled(world.ledger, tenant.id, 1);
    expect(record).toMatchObject({
      callType: 'user_out',
      callDirection: 'outbound',
      userId: user.id,
      destinationNumber: '+12125550100',
      charge: USD_CENT,
      endReason: 'caller_hangup',
    });
    expect(record!.durationSeconds).toBeGreaterThanOrEqual(1);
    expect(await balanceOf(world.ledger, tenant.id)).toEqual({ balance: 1_000_000 - USD_CENT, held: 0 });
    // The carrier got the E.164 destination and none of the bridge's internal headers.
    expect(seen.messages).toMatch(/INVITE sip:\+12125550100@127\.0\.0\.1/);
    expect(seen.messages).not.toMatch(/X-Tollgate-/i);
    expect(seen.messages).toMatch(/^Subject: tollgate sip suite/m);
  });

  it('refuses a credit call at zero balance with 402 and the reason header, charging nothing', async () => {
    const tenant = await tenantWithBalance(world.ledger, 0);
    const user = await userOf(world.ledger, tenant);
    const result = await bridgeCall('uac-outbound-rejected.xml', '2125550100', { tenant: tenant.id, user: user.id });
    const final = finalResponse(result);
    expect(final?.status).toBe(402);
    expect(final?.text).toMatch(/^X-Tollgate-Reason: NO_FUNDS/m);
    expect(await balanceOf(world.ledger, tenant.id)).toEqual({ balance: 0, held: 0 });
    expect((await usageOf(world.ledger, tenant.id)).filter((r) => r.charge !== 0)).toEqual([]);
  });

  it('refuses with 403 a user without a credits licence or plan, and a call the user policy forbids', async () => {
    const tenant = await tenantWithBalance(world.ledger, 1_000_000);
    const unlicensed = await userOf(world.ledger, tenant, { licences: [] });
    const domesticOnly = await userOf(world.ledger, tenant, { policy: 'domestic' });
    const noLicence = finalResponse(await bridgeCall('uac-outbound-rejected.xml', '2125550100', { tenant: tenant.id, user: unlicensed.id }));
    expect(noLicence?.status).toBe(403);
    expect(noLicence?.text).toMatch(/^X-Tollgate-Reason: NO_LICENCE/m);
    const policy = finalResponse(await bridgeCall('uac-outbound-rejected.xml', '+442071234567', { tenant: tenant.id, user: domesticOnly.id }));
    expect(policy?.status).toBe(403);
    expect(policy?.text).toMatch(/^X-Tollgate-Reason: POLICY/m);
    expect(await balanceOf(world.ledger, tenant.id)).toEqual({ balance: 1_000_000, held: 0 });
  });

  it('answers 400 to an unreadable call-type header and 484 to an unreadable number, charging nothing', async () => {
    const tenant = await tenantWithBalance(world.ledger, 1_000_000);
    const user = await userOf(world.ledger, tenant);
    const badType = finalResponse(
      await bridgeCall('uac-outbound-rejected.xml', '2125550100', { tenant: tenant.id, user: user.id, call_type: 'free_call' }),
    );
    expect(badType?.status).toBe(400);
    expect(badType?.text).toMatch(/^X-Tollgate-Reason: BAD_INVITE/m);
    expect(badType?.text).toMatch(/^Warning: 399 tollgate "X-Tollgate-Call-Type must be user_out or conf_out, got 'free_call'"/m);
    const badNumber = finalResponse(await bridgeCall('uac-outbound-rejected.xml', 'call-me-maybe', { tenant: tenant.id, user: user.id }));
    expect(badNumber?.status).toBe(484);
    expect(badNumber?.text).toMatch(/^X-Tollgate-Reason: MALFORMED_NUMBER/m);
    expect(await balanceOf(world.ledger, tenant.id)).toEqual({ balance: 1_000_000, held: 0 });
  });

  it('refuses an INVITE from an unknown source with 403 UNKNOWN_PEER and counts it', async () => {
    const before = await world.metric('tollgate_sip_unknown_peer_total');
    const result = await runUac({
      scenario: 'uac-outbound-rejected.xml',
      target: world.drachtio.sipPort,
      localPort: world.ports.stranger,
      dialed: '2125550100',
      keys: { tenant: 'any', user: 'any' },
    });
    const final = finalResponse(result);
    expect(final?.status).toBe(403);
    expect(final?.text).toMatch(/^X-Tollgate-Reason: UNKNOWN_PEER/m);
    expect(await world.metric('tollgate_sip_unknown_peer_total')).toBe(before + 1);
    expect(await world.metric('tollgate_call_decisions_total{decision="reject",reason="UNKNOWN_PEER",call_type="unknown"}')).toBe(before + 1);
  });

  it('bills a toll-free inbound call to the tenant owning the number, at the caller-origin rate', async () => {
    const tenant = await tenantWithBalance(world.ledger, 1_000_000);
    await tollFreeNumber(world.ledger, tenant, '+18005550100', `sip:conference@127.0.0.1:${world.ports.service}`);
    const service = await startUas('uas-answer.xml', world.ports.service);
    const result = await runUac({
      scenario: 'uac-inbound-answered.xml',
      target: world.drachtio.sipPort,
      localPort: world.ports.carrierIn,
      dialed: '+18005550100',
      keys: { caller: '+442071112222' },
      durationMs: 1500,
    });
    await service.stop();
    expect(result.errors).toBe('');
    expect(result.successful).toBe(1);
    const [record] = await usageSettled(world.ledger, tenant.id, 1);
    expect(record).toMatchObject({ callDirection: 'inbound', numberType: 'toll-free', endReason: 'caller_hangup' });
    // 1/1 at one cent a second.
    expect(record!.durationSeconds).toBeGreaterThanOrEqual(1);
    expect(record!.charge).toBe(record!.durationSeconds * USD_CENT);
    expect((await balanceOf(world.ledger, tenant.id)).balance).toBe(1_000_000 - record!.charge);
  });

  it('blocks a toll-free inbound call when the owner balance is zero', async () => {
    const tenant = await tenantWithBalance(world.ledger, 0);
    await tollFreeNumber(world.ledger, tenant, '+18005550111', `sip:conference@127.0.0.1:${world.ports.service}`);
    const result = await runUac({
      scenario: 'uac-inbound-rejected.xml',
      target: world.drachtio.sipPort,
      localPort: world.ports.carrierIn,
      dialed: '+18005550111',
      keys: { caller: '+442071112222' },
    });
    const final = finalResponse(result);
    expect(final?.status).toBe(402);
    expect(final?.text).toMatch(/^X-Tollgate-Reason: NO_FUNDS/m);
    expect(await balanceOf(world.ledger, tenant.id)).toEqual({ balance: 0, held: 0 });
  });

  it('answers 404 for a number no tenant owns', async () => {
    const result = await runUac({
      scenario: 'uac-inbound-rejected.xml',
      target: world.drachtio.sipPort,
      localPort: world.ports.carrierIn,
      dialed: '+18005550199',
      keys: { caller: '+442071112222' },
    });
    const final = finalResponse(result);
    expect(final?.status).toBe(404);
    expect(final?.text).toMatch(/^X-Tollgate-Reason: UNKNOWN_NUMBER/m);
  });

  it('lets an emergency call through at zero balance and never charges it', async () => {
    const tenant = await tenantWithBalance(world.ledger, 0);
    const user = await userOf(world.ledger, tenant, { licences: [] });
    const carrier = await startUas('uas-answer.xml', world.ports.carrier);
    const result = await bridgeCall('uac-outbound-answered.xml', '911', { tenant: tenant.id, user: user.id }, { durationMs: 1000 });
    await carrier.stop();
    expect(result.successful).toBe(1);
    const [record] = await usageSettled(world.ledger, tenant.id, 1);
    expect(record).toMatchObject({ callType: 'emergency', charge: 0 });
    expect(await balanceOf(world.ledger, tenant.id)).toEqual({ balance: 0, held: 0 });
  });

  it('costs nothing when the caller cancels before answer', async () => {
    const tenant = await tenantWithBalance(world.ledger, 1_000_000);
    const user = await userOf(world.ledger, tenant);
    const carrier = await startUas('uas-ring.xml', world.ports.carrier);
    const result = await bridgeCall('uac-outbound-cancelled.xml', '2125550100', { tenant: tenant.id, user: user.id });
    const seen = await carrier.stop();
    expect(result.errors).toBe('');
    expect(result.successful).toBe(1);
    expect(seen.messages).toMatch(/^CANCEL sip:/m);
    const records = await usageSettled(world.ledger, tenant.id, 1);
    expect(records.map((r) => [r.charge, r.endReason])).toEqual([[0, 'cancelled']]);
    expect(await balanceOf(world.ledger, tenant.id)).toEqual({ balance: 1_000_000, held: 0 });
  });

  it('passes the carrier busy answer back and charges nothing', async () => {
    const tenant = await tenantWithBalance(world.ledger, 1_000_000);
    const user = await userOf(world.ledger, tenant);
    const carrier = await startUas('uas-busy.xml', world.ports.carrier);
    const result = await bridgeCall('uac-outbound-busy.xml', '2125550100', { tenant: tenant.id, user: user.id });
    await carrier.stop();
    expect(result.errors).toBe('');
    expect(finalResponse(result)?.status).toBe(486);
    const records = await usageSettled(world.ledger, tenant.id, 1);
    expect(records.map((r) => [r.charge, r.endReason])).toEqual([[0, 'failed']]);
    expect(await balanceOf(world.ledger, tenant.id)).toEqual({ balance: 1_000_000, held: 0 });
  });

  it('cuts the call when the credit ends, with BYE and a Reason on both legs, charging exactly the funded amount', async () => {
    const tenant = await tenantWithBalance(world.ledger, 5 * USD_CENT); // funds 5 s at one cent a second
    const user = await userOf(world.ledger, tenant);
    const carrier = await startUas('uas-answer.xml', world.ports.carrier);
    // The scenario waits at most 6 s after its ACK for the gateway's BYE: within a second of the funded time.
    const result = await bridgeCall('uac-outbound-cutoff.xml', '+442071234567', { tenant: tenant.id, user: user.id });
    const seen = await carrier.stop();
    expect(result.errors).toBe('');
    expect(result.successful).toBe(1);
    const reason = /^Reason: Q\.850;cause=16;text="credit_exhausted"/m;
    expect(result.messages).toMatch(reason);
    expect(seen.messages).toMatch(reason);
    const [record] = await usageSettled(world.ledger, tenant.id, 1);
    expect(record).toMatchObject({ endReason: 'credit_exhausted', durationSeconds: 5, charge: 5 * USD_CENT });
    expect(await balanceOf(world.ledger, tenant.id)).toEqual({ balance: 0, held: 0 });
  });

  it('ends the caller leg when the callee hangs up', async () => {
    const tenant = await tenantWithBalance(world.ledger, 1_000_000);
    const user = await userOf(world.ledger, tenant);
    const carrier = await startUas('uas-answer-bye.xml', world.ports.carrier, 1000);
    const result = await bridgeCall('uac-outbound-callee-bye.xml', '2125550100', { tenant: tenant.id, user: user.id });
    await carrier.stop();
    expect(result.errors).toBe('');
    expect(result.successful).toBe(1);
    const [record] = await usageSettled(world.ledger, tenant.id, 1);
    expect(record).toMatchObject({ endReason: 'callee_hangup', charge: USD_CENT });
    expect(await balanceOf(world.ledger, tenant.id)).toEqual({ balance: 1_000_000 - USD_CENT, held: 0 });
  });

  it('ends both legs with a Reason when an operator hangs the call up through the admin API', async () => {
    const tenant = await tenantWithBalance(world.ledger, 1_000_000);
    const user = await userOf(world.ledger, tenant);
    const carrier = await startUas('uas-answer.xml', world.ports.carrier);
    const call = bridgeCall('uac-outbound-callee-bye.xml', '2125550100', { tenant: tenant.id, user: user.id });
    const auth = { authorization: `Bearer ${world.config.http.adminToken}` };
    let callId: string | undefined;
    expect(
      await until(async () => {
        const res = await fetch(`${world.httpUrl}/v1/calls?tenantId=${tenant.id}`, { headers: auth });
        const body = (await res.json()) as { calls: Array<{ callId: string; state: string }> };
        callId = body.calls.find((c) => c.state === 'answered')?.callId;
        return callId !== undefined;
      }, 5000),
    ).toBe(true);
    const res = await fetch(`${world.httpUrl}/v1/calls/${encodeURIComponent(callId!)}`, { method: 'DELETE', headers: auth });
    expect(res.status).toBe(204);
    const result = await call;
    const seen = await carrier.stop();
    expect(result.errors).toBe('');
    expect(result.successful).toBe(1);
    const reason = /^Reason: Q\.850;cause=16;text="admin_hangup"/m;
    expect(result.messages).toMatch(reason);
    expect(seen.messages).toMatch(reason);
    const [record] = await usageSettled(world.ledger, tenant.id, 1);
    expect(record).toMatchObject({ endReason: 'admin_hangup', charge: USD_CENT });
  });

  it('passes a mid-call re-INVITE through to the callee and bills the call once', async () => {
    const tenant = await tenantWithBalance(world.ledger, 1_000_000);
    const user = await userOf(world.ledger, tenant);
    const carrier = await startUas('uas-answer-reinvite.xml', world.ports.carrier);
    const result = await bridgeCall('uac-outbound-reinvite-answered.xml', '2125550100', { tenant: tenant.id, user: user.id });
    const seen = await carrier.stop();
    expect(result.errors).toBe('');
    expect(result.successful).toBe(1);
    expect(seen.errors).toBe('');
    expect(messagesOf(seen).filter((m) => m.startsWith('INVITE '))).toHaveLength(2);
    const records = await usageSettled(world.ledger, tenant.id, 1);
    await new Promise((r) => setTimeout(r, 300)); // a second record, if any, would be written by now
    expect((await usageOf(world.ledger, tenant.id)).map((r) => [r.charge, r.endReason])).toEqual([[USD_CENT, 'caller_hangup']]);
    expect(records).toHaveLength(1);
  });

  it('never overspends with 50 simultaneous calls on a balance that funds 10', async () => {
    const tenant = await tenantWithBalance(world.ledger, 10 * USD_CENT);
    const user = await userOf(world.ledger, tenant);
    const carrier = await startUas('uas-answer.xml', world.ports.carrier);
    const result = await bridgeCall(
      'uac-outbound-answered.xml',
      '2125550100',
      { tenant: tenant.id, user: user.id },
      { calls: 50, limit: 50, rate: 50, durationMs: 2000, timeoutSeconds: 60 },
    );
    await carrier.stop();
    const answered = result.successful;
    const refused = callsAnswered(result, 402);
    expect(answered + refused).toBe(50);
    expect(answered).toBe(10);
    const records = (await usageSettled(world.ledger, tenant.id, answered)).filter((r) => r.charge > 0);
    expect(records).toHaveLength(answered);
    const charged = records.reduce((sum, r) => sum + r.charge, 0);
    const after = await balanceOf(world.ledger, tenant.id);
    expect(after.held).toBe(0);
    expect(after.balance).toBe(10 * USD_CENT - charged);
    expect(after.balance).toBeGreaterThanOrEqual(0);
  }, 90_000);

  // Last: it stops the gateway process.
  it('on SIGTERM refuses new calls with 503 DRAINING and Retry-After, lets the live call finish, then exits', async () => {
    const tenant = await tenantWithBalance(world.ledger, 1_000_000);
    const user = await userOf(world.ledger, tenant);
    const carrier = await startUas('uas-answer.xml', world.ports.carrier);
    const live = bridgeCall('uac-outbound-answered.xml', '2125550100', { tenant: tenant.id, user: user.id }, { durationMs: 4000 });
    expect(await until(async () => (await world.metric('tollgate_active_calls')) === 1, 5000)).toBe(true);
    expect(await until(async () => (await world.ledger.balance(tenant.id, Date.now())).held > 0, 5000)).toBe(true);
    await new Promise((r) => setTimeout(r, 1000)); // answered by now (the carrier answers at once)
    const exited = world.terminate();
    await new Promise((r) => setTimeout(r, 300));
    // The bridge's port is busy with the live call: the next call comes from the carrier.
    const refused = await runUac({
      scenario: 'uac-inbound-rejected.xml',
      target: world.drachtio.sipPort,
      localPort: world.ports.carrierIn,
      dialed: '+18005550100',
      keys: { caller: '+442071112222' },
    });
    const final = finalResponse(refused);
    expect(final?.status).toBe(503);
    expect(final?.text).toMatch(/^X-Tollgate-Reason: DRAINING/m);
    expect(final?.text).toMatch(/^Retry-After: 7/m);
    const call = await live;
    await carrier.stop();
    expect(call.errors).toBe('');
    expect(call.successful).toBe(1);
    expect(await exited).toBe(0);
    const records = await usageOf(world.ledger, tenant.id);
    expect(records.map((r) => [r.charge, r.endReason])).toEqual([[USD_CENT, 'caller_hangup']]);
  }, 30_000);
});
