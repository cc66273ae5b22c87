/**
 * SIP fault drills through drachtio-server (DOMAIN rules 31 and 32): a gateway
 * killed with answered calls, a drachtio-server restarted under live calls,
 * and Redis cut off from one of two gateways. Each checks BYEs on the wire,
 * one usage record per call, billing within the stated bound of the talk
 * time, and balance change == Σ charges to the micro. Short leases (9 s).
 */
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { UsageRecord } from '../../src/domain.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { startSipWorld, type GatewayProcess, type SipWorld } from './support/harness.js';
import { runUac, startUas, stopAllSipp } from './support/sipp.js';
import { sipSuiteBinary, until } from './support/sip-messages.js';
import { balanceOf, tenantWithBalance, usageOf, usageSettled, userOf } from './provisioning.js';

const bin = sipSuiteBinary();

/** Lease 9 s: renewed every 3 s, cut 2 s before it ends; recovery every second. */
const DRILL_CALLS = { sliceSeconds: 60, extendAheadSeconds: 10, leaseSeconds: 9, recoveryIntervalMs: 1000 };
const DRILL_REDIS = { connectTimeoutMs: 500, commandTimeoutMs: 500 };
const RENEW_S = 3;
const LEASE_S = 9;
/** UK numbers: 1/1 at 0.60 a minute, one cent a second. */
const DIALED = '+442071234567';

async function answeredCalls(gateway: GatewayProcess): Promise<number> {
  const res = await fetch(`${gateway.httpUrl}/v1/calls`, { headers: { authorization: 'Bearer sip-suite-admin-token' } });
  const body = (await res.json()) as { calls: Array<{ state: string }> };
  return body.calls.filter((c) => c.state === 'answered').length;
}

/** The drill's measured figures, one line, for the README's Failures table. */
function report(drill: string, figures: Record<string, unknown>): void {
  console.log(`fault drill ${drill}: ${JSON.stringify(figures)}`);
}

function spread(records: UsageRecord[]): [number, number] {
  const d = records.map((r) => r.durationSeconds);
  return [Math.min(...d), Math.max(...d)];
}

function totalCharge(records: UsageRecord[]): number {
  return records.reduce((sum, r) => sum + r.charge, 0);
}

describe.skipIf(!bin)('SIP fault drills (rules 31, 32)', () => {
  let world: SipWorld | undefined;
  let proxy: TcpProxy | undefined;
  afterEach(async () => {
    await stopAllSipp();
    await world?.stop();
    await proxy?.close();
    world = undefined;
    proxy = undefined;
  });

  it('rule 31: kill -9 with 20 answered calls: a second instance recovers them, every leg gets BYE, one record each, billed within the bound', async () => {
    world = await startSipWorld({ drachtioBin: bin!, redisUrl: inject('redisUrl'), keyPrefix: `sipk${process.pid}`, calls: DRILL_CALLS, redisTimeouts: DRILL_REDIS });
    const tenant = await tenantWithBalance(world.ledger, 100_000_000);
    const user = await userOf(world.ledger, tenant);
    const carrier = await startUas('uas-answer.xml', world.ports.carrier);
    const placed = Date.now();
    const callers = runUac({
      scenario: 'uac-outbound-held-bye.xml', target: world.drachtio.sipPort, localPort: world.ports.bridge, dialed: DIALED,
      keys: { tenant: tenant.id, user: user.id }, calls: 20, rate: 40, limit: 20, timeoutSeconds: 90,
    });
    expect(await until(async () => (await answeredCalls(world!.gateway)) === 20, 20_000)).toBe(true);
    const allAnswered = Date.now();
    await new Promise((r) => setTimeout(r, 4000)); // talk, with at least one renewal
    const killedAt = Date.now();
    await world.gateway.kill();
    await world.startPeer();
    const result = await callers;
    const byeAt = Date.now();
    const seen = await carrier.stop();
    expect(result.errors).toBe('');
    expect(result.successful).toBe(20); // every caller leg got its BYE
    expect(seen.successful).toBe(20); // every carrier leg too
    expect(result.messages).toMatch(/^Reason: Q\.850;cause=16;text="gateway_lost"/m);
    // Within lease + recovery interval + 5 s of the kill.
    expect(byeAt - killedAt).toBeLessThanOrEqual((LEASE_S + 1 + 5) * 1000);
    const records = await usageSettled(world.ledger, tenant.id, 20);
    expect(records).toHaveLength(20);
    expect(new Set(records.map((r) => r.callId)).size).toBe(20);
    const talkMax = Math.ceil((byeAt - placed) / 1000);
    const talkMin = Math.floor((byeAt - allAnswered) / 1000);
    for (const r of records) {
      expect(r.endReason).toBe('gateway_lost');
      expect(r.durationSeconds).toBeLessThanOrEqual(talkMax);
      expect(r.durationSeconds).toBeGreaterThanOrEqual(talkMin - RENEW_S - 1);
    }
    expect(await balanceOf(world.ledger, tenant.id)).toEqual({ balance: 100_000_000 - totalCharge(records), held: 0 });
    report('kill -9', { calls: 20, byeAfterKillMs: byeAt - killedAt, talkSeconds: [talkMin, talkMax], billedSeconds: spread(records) });
  });

  it('rule 31: a drachtio-server restart ends its live calls at the moment of the loss, billed no later, each settled once', async () => {
    world = await startSipWorld({ drachtioBin: bin!, redisUrl: inject('redisUrl'), keyPrefix: `sipd${process.pid}`, calls: DRILL_CALLS, redisTimeouts: DRILL_REDIS });
    const tenant = await tenantWithBalance(world.ledger, 100_000_000);
    const user = await userOf(world.ledger, tenant);
    const carrier = await startUas('uas-answer.xml', world.ports.carrier);
    const placed = Date.now();
    const callers = runUac({
      scenario: 'uac-outbound-held-bye.xml', target: world.drachtio.sipPort, localPort: world.ports.bridge, dialed: DIALED,
      keys: { tenant: tenant.id, user: user.id }, calls: 3, rate: 10, limit: 3, timeoutSeconds: 60,
    });
    expect(await until(async () => (await answeredCalls(world!.gateway)) === 3, 20_000)).toBe(true);
    const allAnswered = Date.now();
    await new Promise((r) => setTimeout(r, 3000));
    const lostAt = Date.now();
    await world.restartDrachtio({ downMs: 500 });
    const records = await usageSettled(world.ledger, tenant.id, 3, 15_000);
    expect(records.map((r) => r.endReason)).toEqual(['edge_lost', 'edge_lost', 'edge_lost']);
    for (const r of records) {
      expect(r.durationSeconds).toBeLessThanOrEqual(Math.ceil((lostAt - placed) / 1000) + 1);
      expect(r.durationSeconds).toBeGreaterThanOrEqual(Math.floor((lostAt - allAnswered) / 1000));
    }
    expect(await answeredCalls(world.gateway)).toBe(0); // nothing left live, holding money or renewing
    // Once the gateway is linked again its BYEs reach the endpoints (as out-of-dialog requests: the dialogs died with drachtio).
    const result = await callers;
    await carrier.stop();
    expect(result.successful).toBe(3);
    expect(await balanceOf(world.ledger, tenant.id)).toEqual({ balance: 100_000_000 - totalCharge(records), held: 0 });
    expect(await usageOf(world.ledger, tenant.id)).toHaveLength(3);
    report('drachtio restart', { calls: 3, talkUntilLossSeconds: (lostAt - allAnswered) / 1000, billedSeconds: spread(records) });
  });

  it('rule 32: Redis cut off from one of two gateways: its call is cut before the lease can expire, and the money is spent once', async () => {
    const redisPort = Number(new URL(inject('redisUrl')).port);
    proxy = await startTcpProxy(redisPort);
    world = await startSipWorld({
      drachtioBin: bin!, redisUrl: inject('redisUrl'), gatewayRedisUrl: proxy.url, keyPrefix: `sipr${process.pid}`,
      calls: DRILL_CALLS, redisTimeouts: DRILL_REDIS,
    });
    // 0.30 funds 30 s at one cent a second.
    const funded = 300_000;
    const tenant = await tenantWithBalance(world.ledger, funded);
    const user = await userOf(world.ledger, tenant);
    const carrier = await startUas('uas-answer.xml', world.ports.carrier);
    const callers = runUac({
      scenario: 'uac-outbound-held-bye.xml', target: world.drachtio.sipPort, localPort: world.ports.bridge, dialed: DIALED,
      keys: { tenant: tenant.id, user: user.id }, calls: 1, timeoutSeconds: 60,
    });
    expect(await until(async () => (await answeredCalls(world!.gateway)) === 1, 20_000)).toBe(true);
    const answeredAt = Date.now();
    await world.startPeer(); // a healthy instance on the same Redis, running recovery
    await new Promise((r) => setTimeout(r, 2000));
    const cutAt = Date.now();
    proxy.cut();
    const result = await callers;
    const byeAt = Date.now();
    await carrier.stop();
    expect(result.successful).toBe(1);
    expect(result.messages).toMatch(/^Reason: Q\.850;cause=16;text="ledger_unreachable"/m);
    // Cut before the lease (renewed at most one renewal interval before the cut) could expire.
    expect(byeAt - cutAt).toBeLessThan(LEASE_S * 1000);
    proxy.restore();
    const [record, ...more] = await usageSettled(world.ledger, tenant.id, 1, 20_000);
    expect(more).toEqual([]);
    expect(['ledger_unreachable', 'gateway_lost']).toContain(record!.endReason);
    expect(record!.durationSeconds).toBeLessThanOrEqual(Math.ceil((byeAt - answeredAt) / 1000) + 1);
    // Whoever settled it, once: the rest of the money is there for the next call, and nothing is held.
    await new Promise((r) => setTimeout(r, 3000));
    expect(await usageOf(world.ledger, tenant.id)).toHaveLength(1);
    expect(await balanceOf(world.ledger, tenant.id)).toEqual({ balance: funded - record!.charge, held: 0 });
    report('redis cut', { byeAfterCutMs: byeAt - cutAt, leaseMs: LEASE_S * 1000, talkSeconds: (byeAt - answeredAt) / 1000, billedSeconds: record!.durationSeconds, endReason: record!.endReason });
  });
});
