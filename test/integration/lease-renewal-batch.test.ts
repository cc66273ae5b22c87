/**
 * Batched lease renewal (issue 16, Build 4): the leases of many live calls
 * are renewed by one renew.lua per tenant, not one extend per call; an
 * answered call's confirmed time moves with it but never past its funded end;
 * a hold settled or gone is reported as such.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { createCallControl } from '../../src/calls/call-control.js';
import type { CallSession, CallTransport } from '../../src/calls/types.js';
import { validateConfig } from '../../src/config/load.js';
import { createLedger, ledgerOptionsFromConfig, type RedisLedger } from '../../src/ledger/redis-ledger.js';
import { silentLogger } from '../../src/log.js';
import { createMetrics } from '../../src/metrics.js';
import { RateStore } from '../../src/rating/rate-store.js';
import { TEST_CLOCK_SKEW_MS } from '../support/ledger-fixtures.js';
import { tenant, user, writeRateDir } from './calls-harness.js';

const RATE = { currency: 'USD', pricePerMinute: 600_000, connectFee: 0, initialIncrement: 1, subsequentIncrement: 1 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function holdFor(tenantId: string, callId: string, nowMs: number) {
  return {
    tenantId, callId, sources: [{ kind: 'credits' as const }], rate: RATE, requirePositiveBalance: false, nowMs,
    draft: { tenantId, callId, callType: 'user_out' as const, callDirection: 'outbound' as const, destinationDialed: '+447700900123', destinationNumber: '+447700900123', currency: 'USD' },
  };
}

describe('batched lease renewal', () => {
  const closing: Array<() => Promise<unknown> | unknown> = [];
  afterEach(async () => {
    for (const c of closing.splice(0).reverse()) await c();
  });

  function ledgerFor(leaseSeconds: number): { ledger: RedisLedger; config: ReturnType<typeof validateConfig> } {
    const config = validateConfig({ http: { adminToken: 'renew-test-admin-token' }, calls: { leaseSeconds, recoveryIntervalMs: 1000 }, log: { level: 'silent' } }, 'renew test');
    const ledger = createLedger(
      ledgerOptionsFromConfig(config, { url: inject('redisUrl'), keyPrefix: `r${randomBytes(5).toString('hex')}`, maxClockSkewMs: TEST_CLOCK_SKEW_MS }),
    );
    closing.push(() => ledger.close());
    return { ledger, config };
  }

  it('renews ringing and answered holds in one step, confirms time up to the funded end only, and names settled and unknown holds', async () => {
    const { ledger } = ledgerFor(30);
    await ledger.putTenant(tenant('acme'));
    await ledger.topUp('acme', 'opening', 50_000_000, Date.now());
    const t0 = Date.now();
    for (const id of ['ringing', 'answered', 'settled']) expect(await ledger.hold(holdFor('acme', id, t0))).toMatchObject({ ok: true });
    await ledger.answer('acme', 'answered', t0, t0);
    await ledger.answer('acme', 'settled', t0, t0);
    await ledger.settle('acme', 'settled', t0 + 5_000, 'caller_hangup');
    const leasesKey = `${ledger.keyPrefix}:{acme}:leases`;
    const before = Number(await ledger.client.zscore(leasesKey, 'ringing'));
    await sleep(20);
    // The answered call (funded 60 s) confirms 20 s, then a time past its funded end confirms only up to it.
    const outcomes = await ledger.renewLeases!('acme', [
      { callId: 'ringing', nowMs: t0 + 20_000 },
      { callId: 'answered', nowMs: t0 + 20_000 },
      { callId: 'settled', nowMs: t0 + 20_000 },
      { callId: 'never-held', nowMs: t0 + 20_000 },
    ]);
    expect(outcomes).toEqual(['renewed', 'renewed', 'ended', 'unknown']);
    expect(Number(await ledger.client.zscore(leasesKey, 'ringing'))).toBeGreaterThan(before);
    expect(Number(await ledger.client.hget(`${ledger.keyPrefix}:{acme}:hold:answered`, 'conf'))).toBe(t0 + 20_000);
    expect(await ledger.renewLeases!('acme', [{ callId: 'answered', nowMs: t0 + 200_000 }])).toEqual(['renewed']);
    expect(Number(await ledger.client.hget(`${ledger.keyPrefix}:{acme}:hold:answered`, 'conf'))).toBe(t0 + 60_000);
    // Nothing was funded or charged by renewals.
    expect(await ledger.balance('acme', Date.now())).toMatchObject({ held: 1_200_000 });
    // A call time far from Redis time is refused for that call only.
    expect(await ledger.renewLeases!('acme', [{ callId: 'ringing', nowMs: t0 + 2 * TEST_CLOCK_SKEW_MS }, { callId: 'answered', nowMs: t0 + 30_000 }])).toEqual(['clock_skew', 'renewed']);
  });

  it('renews 60 live calls of 2 tenants with a few scripts, not one per call, and the calls stay funded and settle exactly', async () => {
    // A 9 s lease: renewals every 3 s (the shortest the default Redis timeouts allow).
    const { ledger, config } = ledgerFor(9);
    const dir = writeRateDir();
    const rates = await RateStore.open({ dir, logger: silentLogger });
    closing.push(() => rates.close());
    const control = createCallControl({ ledger, rates, config, logger: silentLogger, metrics: createMetrics() });
    closing.push(() => control.stop());
    for (const t of ['acme', 'beta']) {
      await ledger.putTenant(tenant(t));
      await ledger.topUp(t, 'opening', 500_000_000, Date.now());
      await ledger.putUser(user(t, 'ann'));
    }
    const sessions: CallSession[] = [];
    const transport: CallTransport = { hangUp: async () => undefined };
    for (let i = 0; i < 60; i++) {
      const outcome = await control.authorize(
        { callId: `live-${i}`, direction: 'outbound', tenantId: i % 2 ? 'acme' : 'beta', userId: 'ann', dialed: '+447700900123', receivedAtMs: Date.now() },
        transport,
      );
      expect(outcome.allowed).toBe(true);
      if (outcome.allowed) sessions.push(outcome.session);
    }
    await Promise.all(sessions.filter((_, i) => i % 3 === 0).map((s) => s.answered()));

    const client = ledger.client as unknown as { sendCommand(cmd: { name: string }): unknown };
    const original = client.sendCommand;
    let scripts = 0;
    client.sendCommand = function (this: unknown, cmd: { name: string }) {
      if (cmd.name === 'evalsha' || cmd.name === 'eval') scripts++;
      return original.call(this, cmd);
    };
    try {
      await sleep(3_600);
    } finally {
      client.sendCommand = original;
    }
    // Every call's lease was renewed once in these 3.6 s: by at most a few scripts per tenant (the grid splits at most in two).
    expect(scripts).toBeGreaterThan(0);
    expect(scripts).toBeLessThanOrEqual(8);
    const leases = await Promise.all(['acme', 'beta'].map((t) => ledger.client.zrange(`${ledger.keyPrefix}:{${t}}:leases`, 0, -1, 'WITHSCORES')));
    const now = Date.now();
    for (const flat of leases) for (let i = 1; i < flat.length; i += 2) expect(Number(flat[i])).toBeGreaterThan(now + 5_500);
    await Promise.all(sessions.map((s) => s.end('caller_hangup')));
    for (const t of ['acme', 'beta']) expect((await ledger.balance(t, Date.now())).held).toBe(0);
    rmDir(dir);
  }, 20_000);
});

function rmDir(dir: string): void {
  void import('node:fs').then((fs) => fs.rmSync(dir, { recursive: true, force: true }));
}
