/**
 * Kamailio suite, the evapi transport's faults: Tollgate's evapi connection
 * dropped mid-call (the call still ends and settles once: over HTTP while it
 * is down, or by the reconcile against Kamailio's dialog list once it is
 * back), a decision that never comes (503 after TOLLGATE_TIMEOUT_MS), garbage
 * on the evapi socket (logged, nothing lost), and two Tollgate instances on
 * one Kamailio (each call's events reach the instance that owns it).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { kamailioSuite, startCarrier, type KamailioWorld } from './support/world.js';
import { rawEvapiClient } from './support/evapi-raw.js';
import { CONTROL_TOKEN } from './support/world.js';
import { USD_CENT, finalResponse, until } from '../sip/support/sip-messages.js';
import { balanceOf, tenantWithBalance, usageOf, usageSettled, userOf } from '../sip/provisioning.js';

const DECISION_TIMEOUT_MS = 1500;

async function answered(world: KamailioWorld, tenantId: string): Promise<boolean> {
  const res = await fetch(`${world.httpUrl}/v1/calls?tenantId=${tenantId}`, { headers: { authorization: `Bearer ${world.config.http.adminToken}` } });
  return ((await res.json()) as { calls: Array<{ state: string }> }).calls.some((c) => c.state === 'answered');
}

/** Σ of a counter's series on one gateway's /metrics. */
async function counterSum(httpUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`))
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
}

const kamailioLog = (world: KamailioWorld): string => readFileSync(world.kamailio.logFile, 'utf8');

/** Cuts the first Tollgate's evapi link and waits until Kamailio has seen it go. */
async function cutLink(world: KamailioWorld): Promise<void> {
  world.evapiProxy!.cut();
  expect(await until(async () => !(await world.evapiListed(world.instanceId)), 5000)).toBe(true);
}

async function restoreLink(world: KamailioWorld): Promise<void> {
  world.evapiProxy!.restore();
  await world.evapiConnected(world.instanceId, 10_000);
}

describe('Kamailio over evapi: link faults, a silent instance, garbage', () => {
  const suite = kamailioSuite('kame', { evapiProxy: true, decisionTimeoutMs: DECISION_TIMEOUT_MS });

  it('ends and settles a call once when its evapi link drops mid-call (the end goes over HTTP meanwhile)', async () => {
    const { world } = suite;
    const tenant = await tenantWithBalance(world.ledger, 1_000_000);
    const user = await userOf(world.ledger, tenant);
    const carrier = await startCarrier('uas-answer.xml', world.ports.carrier);
    const call = suite.bridgeCall('uac-outbound-answered.xml', '2125550100', { tenant: tenant.id, user: user.id }, { durationMs: 3000 });
    expect(await until(() => answered(world, tenant.id), 5000)).toBe(true);
    await cutLink(world);
    const result = await call; // the caller's BYE reaches Kamailio while the link is down
    await carrier.stop();
    expect(result.errors).toBe('');
    expect(result.successful).toBe(1);
    const [record] = await usageSettled(world.ledger, tenant.id, 1);
    expect(record).toMatchObject({ endReason: 'caller_hangup', charge: USD_CENT });
    expect(kamailioLog(world)).toMatch(/not connected over evapi: reporting ended of \S+ over HTTP/);
    await restoreLink(world);
    // The reconcile after the reconnect finds nothing left to end: still one record, charged once.
    await new Promise((r) => setTimeout(r, 500));
    expect((await usageOf(world.ledger, tenant.id)).map((r) => [r.charge, r.endReason])).toEqual([[USD_CENT, 'caller_hangup']]);
    expect(await balanceOf(world.ledger, tenant.id)).toEqual({ balance: 1_000_000 - USD_CENT, held: 0 });
  });

  it('answers 503 UNAVAILABLE with Retry-After when the decision never comes, after TOLLGATE_TIMEOUT_MS', async () => {
    const { world } = suite;
    const tenant = await tenantWithBalance(world.ledger, 1_000_000);
    const user = await userOf(world.ledger, tenant);
    await cutLink(world);
    // The only instance Kamailio knows now takes the question and never answers.
    const silent = await rawEvapiClient(world.evapiPort!, { instance: 'silent-instance', token: CONTROL_TOKEN });
    try {
      const started = Date.now();
      const result = await suite.bridgeCall('uac-outbound-rejected.xml', '2125550100', { tenant: tenant.id, user: user.id });
      const elapsed = Date.now() - started;
      const final = finalResponse(result);
      expect(final?.status).toBe(503);
      expect(final?.text).toMatch(/^X-Tollgate-Reason: UNAVAILABLE/m);
      expect(final?.text).toMatch(/^Retry-After: 7/m);
      expect(elapsed).toBeGreaterThanOrEqual(DECISION_TIMEOUT_MS - 100);
      expect(silent.received).toMatch(/"event":"authorize"/);
      expect(kamailioLog(world)).toMatch(new RegExp(`no Tollgate decision for \\S+ within ${DECISION_TIMEOUT_MS} ms`));
    } finally {
      await silent.close();
      await restoreLink(world);
    }
    expect(await balanceOf(world.ledger, tenant.id)).toEqual({ balance: 1_000_000, held: 0 });
    expect(await usageOf(world.ledger, tenant.id)).toEqual([]);
  });

  it('logs and drops garbage on the evapi socket, and the next call is decided and billed as usual', async () => {
    const { world } = suite;
    const stranger = await rawEvapiClient(world.evapiPort!);
    stranger.write('11:{"event":1},'); // before hello
    const badToken = await rawEvapiClient(world.evapiPort!);
    badToken.send({ event: 'hello', instance: 'intruder', token: 'not-the-control-token' });
    const noisy = await rawEvapiClient(world.evapiPort!, { instance: 'noisy-instance', token: CONTROL_TOKEN });
    noisy.send({ event: 'what-is-this' });
    noisy.write('9:{not json,');
    noisy.send({ event: 'decision', tindex: 123456, tlabel: 1, decision: 'allow', callToken: 'no-such-call', target: 'sip:x@127.0.0.1' });
    noisy.write('zz:garbage,');
    // The late decision for a call that does not exist makes Kamailio report it ended to its sender.
    expect(await until(async () => /"event":"ended","token":"no-such-call","reason":"cancelled"/.test(noisy.received), 5000)).toBe(true);
    await Promise.all([stranger.close(), badToken.close(), noisy.close()]);
    expect(await until(async () => /tollgate tg:noisy-instance disconnected/.test(kamailioLog(world)), 5000)).toBe(true);
    const log = kamailioLog(world);
    expect(log).toMatch(/evapi message before hello from 127\.0\.0\.1:\d+ dropped/);
    expect(log).toMatch(/evapi hello from 127\.0\.0\.1:\d+ refused/);
    expect(log).toMatch(/evapi message from tg:noisy-instance not understood, dropped/);
    expect(log).toMatch(/came too late/);

    const tenant = await tenantWithBalance(world.ledger, 1_000_000);
    const user = await userOf(world.ledger, tenant);
    const carrier = await startCarrier('uas-answer.xml', world.ports.carrier);
    const result = await suite.bridgeCall('uac-outbound-answered.xml', '2125550100', { tenant: tenant.id, user: user.id });
    await carrier.stop();
    expect(result.errors).toBe('');
    expect(result.successful).toBe(1);
    const [record] = await usageSettled(world.ledger, tenant.id, 1);
    expect(record).toMatchObject({ endReason: 'caller_hangup', charge: USD_CENT });
    expect(await balanceOf(world.ledger, tenant.id)).toEqual({ balance: 1_000_000 - USD_CENT, held: 0 });
  });
});

describe('Kamailio over evapi with no HTTP fallback: the reconcile', () => {
  const suite = kamailioSuite('kamr', { evapiProxy: true, httpFallback: false, calls: { sliceSeconds: 60, extendAheadSeconds: 10, leaseSeconds: 30 } });

  it('ends a call whose end was lost while its evapi link was down (edge_lost) once it reconnects, settled once', async () => {
    const { world } = suite;
    const tenant = await tenantWithBalance(world.ledger, 1_000_000);
    const user = await userOf(world.ledger, tenant);
    const carrier = await startCarrier('uas-answer.xml', world.ports.carrier);
    const call = suite.bridgeCall('uac-outbound-answered.xml', '2125550100', { tenant: tenant.id, user: user.id }, { durationMs: 2500 });
    expect(await until(() => answered(world, tenant.id), 5000)).toBe(true);
    await cutLink(world);
    const result = await call;
    await carrier.stop();
    expect(result.successful).toBe(1);
    // Neither evapi nor HTTP reached Tollgate: the call is still live there, holding money.
    expect(kamailioLog(world)).toMatch(/tollgate did not take the end of/);
    expect((await balanceOf(world.ledger, tenant.id)).held).toBeGreaterThan(0);
    await restoreLink(world);
    const [record] = await usageSettled(world.ledger, tenant.id, 1, 10_000);
    expect(record).toMatchObject({ endReason: 'edge_lost', charge: USD_CENT });
    await new Promise((r) => setTimeout(r, 500));
    expect(await usageOf(world.ledger, tenant.id)).toHaveLength(1);
    expect(await balanceOf(world.ledger, tenant.id)).toEqual({ balance: 1_000_000 - USD_CENT, held: 0 });
  });
});

describe('Kamailio over evapi with two Tollgate instances', () => {
  const suite = kamailioSuite('kam2');

  it('spreads calls over both instances, each call\'s answer and end reach its owner, and the balance is exact', async () => {
    const { world } = suite;
    const peer = await world.startPeer();
    const tenant = await tenantWithBalance(world.ledger, 1_000_000);
    const user = await userOf(world.ledger, tenant);
    const carrier = await startCarrier('uas-answer.xml', world.ports.carrier);
    const calls = 20;
    // The benchmark's caller: it takes a 180 that trails its 200 (parallel Kamailio workers) instead of aborting.
    const result = await suite.bridgeCall(
      'uac-bench-answered.xml',
      '2125550100',
      { tenant: tenant.id, user: user.id },
      { calls, rate: 10, limit: calls, durationMs: 900, timeoutSeconds: 60, traceMessages: false },
    );
    await carrier.stop();
    expect(result.errors.split('\n').filter((l) => /Aborting|unexpected/.test(l))).toEqual([]);
    expect(result.successful).toBe(calls);
    const records = await usageSettled(world.ledger, tenant.id, calls);
    expect(records.map((r) => r.endReason)).toEqual(Array(calls).fill('caller_hangup'));
    expect(records.reduce((sum, r) => sum + r.charge, 0)).toBe(calls * USD_CENT);
    expect(await balanceOf(world.ledger, tenant.id)).toEqual({ balance: 1_000_000 - calls * USD_CENT, held: 0 });
    // Each instance settled the calls it admitted (round robin), none through another's token.
    const first = await counterSum(world.httpUrl, 'tollgate_calls_ended_total');
    const second = await counterSum(peer.httpUrl, 'tollgate_calls_ended_total');
    expect(first).toBeGreaterThan(0);
    expect(second).toBeGreaterThan(0);
    expect(first + second).toBe(calls);
    const logs = readFileSync(world.gateway.logFile, 'utf8') + readFileSync(peer.logFile, 'utf8');
    expect(logs).not.toMatch(/no call with token|answer of a call that is over here/);
    expect(kamailioLog(world)).not.toMatch(/over HTTP|did not take/);
  }, 90_000);
});
