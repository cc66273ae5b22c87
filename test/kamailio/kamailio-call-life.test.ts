/**
 * Kamailio suite, call life: CANCEL, busy, cut-off through Kamailio's JSON-RPC,
 * hang-ups from either side and the admin API, re-INVITE, concurrency and drain,
 * through Kamailio (the shipped config) into `tollgate run`.
 */
import { describe, expect, it } from 'vitest';
import { kamailioSuite, startCarrier } from './support/world.js';
import { USD_CENT, callsAnswered, finalResponse, messagesOf, until } from '../sip/support/sip-messages.js';
import { balanceOf, tenantWithBalance, usageOf, usageSettled, userOf } from '../sip/provisioning.js';

describe('SIP call life through Kamailio', () => {
  const suite = kamailioSuite('kaml');
  const { bridgeCall, carrierCall } = suite;

  it('costs nothing when the caller cancels before answer', async () => {
    const tenant = await tenantWithBalance(suite.world.ledger, 1_000_000);
    const user = await userOf(suite.world.ledger, tenant);
    const carrier = await startCarrier('uas-ring.xml', suite.world.ports.carrier);
    const result = await bridgeCall('uac-outbound-cancelled.xml', '2125550100', { tenant: tenant.id, user: user.id });
    const seen = await carrier.stop();
    expect(result.errors).toBe('');
    expect(result.successful).toBe(1);
    expect(seen.messages).toMatch(/^CANCEL sip:/m);
    const records = await usageSettled(suite.world.ledger, tenant.id, 1);
    expect(records.map((r) => [r.charge, r.endReason])).toEqual([[0, 'cancelled']]);
    expect(await balanceOf(suite.world.ledger, tenant.id)).toEqual({ balance: 1_000_000, held: 0 });
  });

  it('passes the carrier busy answer back and charges nothing', async () => {
    const tenant = await tenantWithBalance(suite.world.ledger, 1_000_000);
    const user = await userOf(suite.world.ledger, tenant);
    const carrier = await startCarrier('uas-busy.xml', suite.world.ports.carrier);
    const result = await bridgeCall('uac-outbound-busy.xml', '2125550100', { tenant: tenant.id, user: user.id });
    await carrier.stop();
    expect(result.errors).toBe('');
    expect(finalResponse(result)?.status).toBe(486);
    const records = await usageSettled(suite.world.ledger, tenant.id, 1);
    expect(records.map((r) => [r.charge, r.endReason])).toEqual([[0, 'failed']]);
    expect(await balanceOf(suite.world.ledger, tenant.id)).toEqual({ balance: 1_000_000, held: 0 });
  });

  it('cuts the call when the credit ends, with BYE and a Reason on both legs, charging exactly the funded amount', async () => {
    const tenant = await tenantWithBalance(suite.world.ledger, 5 * USD_CENT); // funds 5 s at one cent a second
    const user = await userOf(suite.world.ledger, tenant);
    const carrier = await startCarrier('uas-answer.xml', suite.world.ports.carrier);
    // The scenario waits at most 6 s after its ACK for the gateway's BYE: within a second of the funded time.
    const result = await bridgeCall('uac-outbound-cutoff.xml', '+442071234567', { tenant: tenant.id, user: user.id });
    const seen = await carrier.stop();
    expect(result.errors).toBe('');
    expect(result.successful).toBe(1);
    const reason = /^Reason: Q\.850;cause=16;text="credit_exhausted"/m;
    expect(result.messages).toMatch(reason);
    expect(seen.messages).toMatch(reason);
    const [record] = await usageSettled(suite.world.ledger, tenant.id, 1);
    expect(record).toMatchObject({ endReason: 'credit_exhausted', durationSeconds: 5, charge: 5 * USD_CENT });
    expect(await balanceOf(suite.world.ledger, tenant.id)).toEqual({ balance: 0, held: 0 });
  });

  it('ends the caller leg when the callee hangs up', async () => {
    const tenant = await tenantWithBalance(suite.world.ledger, 1_000_000);
    const user = await userOf(suite.world.ledger, tenant);
    const carrier = await startCarrier('uas-answer-bye.xml', suite.world.ports.carrier, 1000);
    const result = await bridgeCall('uac-outbound-callee-bye.xml', '2125550100', { tenant: tenant.id, user: user.id });
    await carrier.stop();
    expect(result.errors).toBe('');
    expect(result.successful).toBe(1);
    const [record] = await usageSettled(suite.world.ledger, tenant.id, 1);
    expect(record).toMatchObject({ endReason: 'callee_hangup', charge: USD_CENT });
    expect(await balanceOf(suite.world.ledger, tenant.id)).toEqual({ balance: 1_000_000 - USD_CENT, held: 0 });
  });

  it('ends both legs with a Reason when an operator hangs the call up through the admin API', async () => {
    const tenant = await tenantWithBalance(suite.world.ledger, 1_000_000);
    const user = await userOf(suite.world.ledger, tenant);
    const carrier = await startCarrier('uas-answer.xml', suite.world.ports.carrier);
    const call = bridgeCall('uac-outbound-callee-bye.xml', '2125550100', { tenant: tenant.id, user: user.id });
    const auth = { authorization: `Bearer ${suite.world.config.http.adminToken}` };
    let callId: string | undefined;
    expect(
      await until(async () => {
        const res = await fetch(`${suite.world.httpUrl}/v1/calls?tenantId=${tenant.id}`, { headers: auth });
        const body = (await res.json()) as { calls: Array<{ callId: string; state: string }> };
        callId = body.calls.find((c) => c.state === 'answered')?.callId;
        return callId !== undefined;
      }, 5000),
    ).toBe(true);
    const res = await fetch(`${suite.world.httpUrl}/v1/calls/${encodeURIComponent(callId!)}`, { method: 'DELETE', headers: auth });
    expect(res.status).toBe(204);
    const result = await call;
    const seen = await carrier.stop();
    expect(result.errors).toBe('');
    expect(result.successful).toBe(1);
    const reason = /^Reason: Q\.850;cause=16;text="admin_hangup"/m;
    expect(result.messages).toMatch(reason);
    expect(seen.messages).toMatch(reason);
    const [record] = await usageSettled(suite.world.ledger, tenant.id, 1);
    expect(record).toMatchObject({ endReason: 'admin_hangup', charge: USD_CENT });
  });

  it('passes a mid-call re-INVITE through to the callee and bills the call once', async () => {
    const tenant = await tenantWithBalance(suite.world.ledger, 1_000_000);
    const user = await userOf(suite.world.ledger, tenant);
    const carrier = await startCarrier('uas-answer-reinvite.xml', suite.world.ports.carrier);
    const result = await bridgeCall('uac-outbound-reinvite-answered.xml', '2125550100', { tenant: tenant.id, user: user.id });
    const seen = await carrier.stop();
    expect(result.errors).toBe('');
    expect(result.successful).toBe(1);
    expect(seen.errors).toBe('');
    expect(messagesOf(seen).filter((m) => m.startsWith('INVITE '))).toHaveLength(2);
    const records = await usageSettled(suite.world.ledger, tenant.id, 1);
    await new Promise((r) => setTimeout(r, 300)); // a second record, if any, would be written by now
    expect((await usageOf(suite.world.ledger, tenant.id)).map((r) => [r.charge, r.endReason])).toEqual([[USD_CENT, 'caller_hangup']]);
    expect(records).toHaveLength(1);
  });

  it('never overspends with 50 simultaneous calls on a balance that funds 10', async () => {
    const tenant = await tenantWithBalance(suite.world.ledger, 10 * USD_CENT);
    const user = await userOf(suite.world.ledger, tenant);
    const carrier = await startCarrier('uas-answer.xml', suite.world.ports.carrier);
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
    const records = (await usageSettled(suite.world.ledger, tenant.id, answered)).filter((r) => r.charge > 0);
    expect(records).toHaveLength(answered);
    const charged = records.reduce((sum, r) => sum + r.charge, 0);
    const after = await balanceOf(suite.world.ledger, tenant.id);
    expect(after.held).toBe(0);
    expect(after.balance).toBe(10 * USD_CENT - charged);
    expect(after.balance).toBeGreaterThanOrEqual(0);
  }, 90_000);

  // Last: it stops the gateway process.
  it('on SIGTERM refuses new calls with 503 DRAINING and Retry-After, lets the live call finish, then exits', async () => {
    const tenant = await tenantWithBalance(suite.world.ledger, 1_000_000);
    const user = await userOf(suite.world.ledger, tenant);
    const carrier = await startCarrier('uas-answer.xml', suite.world.ports.carrier);
    const live = bridgeCall('uac-outbound-answered.xml', '2125550100', { tenant: tenant.id, user: user.id }, { durationMs: 4000 });
    expect(await until(async () => (await suite.world.metric('tollgate_active_calls')) === 1, 5000)).toBe(true);
    expect(await until(async () => (await suite.world.ledger.balance(tenant.id, Date.now())).held > 0, 5000)).toBe(true);
    // Answered (not just ringing) before the drain starts, however slow the machine.
    const auth = { authorization: `Bearer ${suite.world.config.http.adminToken}` };
    const answered = async (): Promise<boolean> => {
      const res = await fetch(`${suite.world.httpUrl}/v1/calls?tenantId=${tenant.id}`, { headers: auth });
      return ((await res.json()) as { calls: Array<{ state: string }> }).calls.some((c) => c.state === 'answered');
    };
    expect(await until(answered, 5000)).toBe(true);
    const exited = suite.world.gateway.terminate();
    await new Promise((r) => setTimeout(r, 300));
    // The bridge's port is busy with the live call: the next call comes from the carrier.
    const refused = await carrierCall('uac-inbound-rejected.xml', '+18005550100', { caller: '+442071112222' });
    const final = finalResponse(refused);
    expect(final?.status).toBe(503);
    expect(final?.text).toMatch(/^X-Tollgate-Reason: DRAINING/m);
    expect(final?.text).toMatch(/^Retry-After: 7/m);
    const call = await live;
    await carrier.stop();
    expect(call.errors).toBe('');
    expect(call.successful).toBe(1);
    expect(await exited).toBe(0);
    const records = await usageOf(suite.world.ledger, tenant.id);
    expect(records.map((r) => [r.charge, r.endReason])).toEqual([[USD_CENT, 'caller_hangup']]);
  }, 30_000);
});
