/**
 * Auto-recharge against a real local HTTP server playing the payment provider
 * (success, decline, timeout, 5xx), the real ledger on the test Redis, and notices
 * to a real webhook receiver.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/schema.js';
import type { Tenant } from '../../src/domain.js';
import { silentLogger } from '../../src/log.js';
import { createMetrics, type Metrics } from '../../src/metrics.js';
import type { RedisLedger } from '../../src/ledger/redis-ledger.js';
import type { Micros } from '../../src/money.js';
import { createNotifier } from '../../src/notify/notifier.js';
import type { Notifier } from '../../src/notify/types.js';
import { createRechargeService, rechargeReference, type RechargeService, type RechargeServiceOptions } from '../../src/payments/recharge-service.js';
import { holdRequest, newLedger, T0 } from '../support/ledger-fixtures.js';
import { reply, startHttpReceiver, type HttpReceiver, type Responder } from './notify-servers.js';

const TOKEN = 'provider-token-123';
const TENANT: Tenant = {
  id: 't-pay',
  name: 'Acme',
  currency: 'EUR',
  country: 'DE',
  creditLimit: 0,
  autoRecharge: { threshold: 5_000_000, amount: 50_000_000 },
};

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

const OPENING = 1_000_000;

interface Rig {
  ledger: RedisLedger;
  provider: HttpReceiver;
  hooks: HttpReceiver;
  service: RechargeService;
  notifier: Notifier;
  metrics: Metrics;
  topUps: Array<{ tenantId: string; reference: string; amount: Micros }>;
}

async function rig(respond: Responder, over: Partial<RechargeServiceOptions> & { payments?: Partial<Config['payments']> } = {}): Promise<Rig> {
  const provider = await startHttpReceiver(respond);
  const hooks = await startHttpReceiver((_r, _n, res) => reply(res, 200));
  cleanups.push(() => provider.close(), () => hooks.close());
  const metrics = createMetrics();
  const notifier = createNotifier({ webhooks: [{ url: hooks.url, secret: 'hook-secret' }], retries: 1, logger: silentLogger, metrics, backoff: { baseMs: 5, capMs: 10 } });
  const ledger = newLedger('redis');
  cleanups.push(() => ledger.close());
  await ledger.putTenant(TENANT);
  await ledger.topUp(TENANT.id, 'opening', OPENING, T0);
  const topUps: Rig['topUps'] = [];
  const service = createRechargeService({
    config: { provider: 'http', url: `${provider.url.replace('/hook', '')}/recharges`, token: TOKEN, timeoutMs: 2000, retries: 3, ...over.payments },
    loadTenant: (id) => ledger.getTenant(id),
    topUp: (tenantId, reference, amount) => {
      topUps.push({ tenantId, reference, amount });
      return ledger.topUp(tenantId, reference, amount, T0);
    },
    notifier,
    logger: silentLogger,
    metrics,
    backoff: { baseMs: 5, capMs: 20 },
    ...over,
  });
  cleanups.push(() => notifier.close(), () => service.close());
  return { ledger, provider, hooks, service, notifier, metrics, topUps };
}

const balanceOf = async (r: Rig) => (await r.ledger.balance(TENANT.id, T0)).balance;

async function recharges(metrics: Metrics, outcome: string): Promise<number> {
  const { values } = await metrics.recharges.get();
  return values.filter((v) => v.labels.outcome === outcome).reduce((s, v) => s + v.value, 0);
}

async function notices(r: Rig): Promise<Array<{ id: string; kind: string; details: Record<string, unknown> }>> {
  await r.notifier.flush();
  return r.hooks.requests.map((q) => JSON.parse(q.body) as { id: string; kind: string; details: Record<string, unknown> });
}

describe('auto-recharge over HTTP', () => {
  it('success: POSTs the amount as decimal text with the reference as idempotency key, tops up, and notifies', async () => {
    const r = await rig((_q, _n, res) => reply(res, 201, { id: 'pay_1' }));
    const outcome = await r.service.requestRecharge('t-pay', { eventId: 'call-42' });
    expect(outcome).toEqual({ outcome: 'succeeded', reference: rechargeReference('t-pay', 'call-42'), amount: 50_000_000, balanceAfter: 51_000_000 });
    const req = r.provider.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/recharges');
    expect(req.headers['idempotency-key']).toBe(rechargeReference('t-pay', 'call-42'));
    expect(req.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(JSON.parse(req.body)).toEqual({ tenantId: 't-pay', amount: '50.00', currency: 'EUR', reference: rechargeReference('t-pay', 'call-42') });
    expect(r.topUps).toEqual([{ tenantId: 't-pay', reference: rechargeReference('t-pay', 'call-42'), amount: 50_000_000 }]);
    expect(await balanceOf(r)).toBe(OPENING + 50_000_000);
    expect(await notices(r)).toEqual([
      expect.objectContaining({ id: `recharge_succeeded:t-pay:${rechargeReference('t-pay', 'call-42')}`, kind: 'recharge_succeeded', details: expect.objectContaining({ amount: '50.00', balanceAfter: '51.00' }) }),
    ]);
    expect(await recharges(r.metrics, 'succeeded')).toBe(1);
  });

  it('decline (402): no retry, no top-up, a recharge_failed notice with the provider reason', async () => {
    const r = await rig((_q, _n, res) => reply(res, 402, { reason: 'card expired' }));
    const outcome = await r.service.requestRecharge('t-pay', { eventId: 'call-1' });
    expect(outcome).toEqual({ outcome: 'failed', reference: rechargeReference('t-pay', 'call-1'), reason: 'card expired' });
    expect(r.provider.requests).toHaveLength(1);
    expect(r.topUps).toEqual([]);
    expect(await balanceOf(r)).toBe(OPENING);
    const sent = await notices(r);
    expect(sent.map((n) => n.kind)).toEqual(['recharge_failed']);
    expect(sent[0]!.details.reason).toBe('card expired');
    expect(await recharges(r.metrics, 'failed')).toBe(1);
  });

  it('timeout: each attempt is aborted, retried, then recorded as failed', async () => {
    // The provider never answers; the response stays open until the server closes.
    const r = await rig(() => {}, { payments: { timeoutMs: 100, retries: 2 } });
    const outcome = await r.service.requestRecharge('t-pay', { eventId: 'call-2' });
    expect(outcome).toMatchObject({ outcome: 'failed', reason: 'provider unreachable (timed out)' });
    expect(r.provider.requests).toHaveLength(3);
    expect(new Set(r.provider.requests.map((q) => q.headers['idempotency-key']))).toEqual(new Set([rechargeReference('t-pay', 'call-2')]));
    expect(r.topUps).toEqual([]);
    expect((await notices(r)).map((n) => n.kind)).toEqual(['recharge_failed']);
  });

  it('5xx then success: retried with the same idempotency key, topped up once', async () => {
    const r = await rig((_q, n, res) => (n < 2 ? reply(res, n === 0 ? 500 : 503) : reply(res, 200, { id: 'pay_2' })));
    const outcome = await r.service.requestRecharge('t-pay', { eventId: 'call-3' });
    expect(outcome.outcome).toBe('succeeded');
    expect(r.provider.requests).toHaveLength(3);
    expect(new Set(r.provider.requests.map((q) => q.body)).size).toBe(1);
    expect(r.topUps).toHaveLength(1);
    expect(await balanceOf(r)).toBe(OPENING + 50_000_000);
  });

  it('a provider down for every attempt is a failure naming the last answer', async () => {
    const r = await rig((_q, _n, res) => reply(res, 502), { payments: { retries: 1 } });
    const outcome = await r.service.requestRecharge('t-pay', { eventId: 'call-4' });
    expect(outcome).toMatchObject({ outcome: 'failed', reason: 'provider unavailable (HTTP 502)' });
    expect(r.provider.requests).toHaveLength(2);
  });

  it('one recharge per tenant at a time: a second request while one is in progress is skipped', async () => {
    const held: Array<() => void> = [];
    const r = await rig((_q, _n, res) => held.push(() => reply(res, 200)));
    const first = r.service.requestRecharge('t-pay', { eventId: 'call-5' });
    await r.provider.waitFor(1);
    const second = await r.service.requestRecharge('t-pay', { eventId: 'call-6' });
    expect(second).toEqual({ outcome: 'skipped', reason: 'a recharge of this tenant is already in progress' });
    held.shift()!();
    expect((await first).outcome).toBe('succeeded');
    expect(r.provider.requests).toHaveLength(1);
    expect(await recharges(r.metrics, 'skipped')).toBe(1);
    // Once the first is done, the next crossing recharges again.
    const third = r.service.requestRecharge('t-pay', { eventId: 'call-7' });
    await r.provider.waitFor(2);
    held.shift()!();
    expect((await third).outcome).toBe('succeeded');
  });

  it('two instances racing on the same crossing send the same reference, so provider and ledger apply it once', async () => {
    const r = await rig((_q, _n, res) => reply(res, 200));
    const other = createRechargeService({
      config: { provider: 'http', url: `${r.provider.url.replace('/hook', '')}/recharges`, token: TOKEN, timeoutMs: 2000, retries: 0 },
      loadTenant: (id) => r.ledger.getTenant(id),
      topUp: (tenantId, reference, amount) => {
        r.topUps.push({ tenantId, reference, amount });
        return r.ledger.topUp(tenantId, reference, amount, T0);
      },
      notifier: r.notifier,
      logger: silentLogger,
      metrics: r.metrics,
    });
    const outcomes = await Promise.all([r.service.requestRecharge('t-pay', { eventId: 'call-8' }), other.requestRecharge('t-pay', { eventId: 'call-8' })]);
    expect(outcomes.map((o) => o.outcome)).toEqual(['succeeded', 'succeeded']);
    expect(r.provider.requests.map((q) => q.headers['idempotency-key'])).toEqual([rechargeReference('t-pay', 'call-8'), rechargeReference('t-pay', 'call-8')]);
    expect(r.topUps.map((t) => t.reference)).toEqual([rechargeReference('t-pay', 'call-8'), rechargeReference('t-pay', 'call-8')]);
    expect(await balanceOf(r)).toBe(OPENING + 50_000_000);
    // The notifier dedupes the success notice by its reference-based event id.
    expect((await notices(r)).map((n) => n.kind)).toEqual(['recharge_succeeded']);
  });

  it('a settle that crosses the threshold leads to one recharge that restores the balance', async () => {
    const r = await rig((_q, _n, res) => reply(res, 200));
    // Balance 1.00, threshold 5.00: top up to 5.05 so that one 0.10 call (50 s at 0.10/min, 60/60) crosses it.
    await r.ledger.topUp(TENANT.id, 'to-5.05', 4_050_000, T0);
    expect(await r.ledger.hold(holdRequest(TENANT.id, 'call-x'))).toMatchObject({ ok: true });
    await r.ledger.answer(TENANT.id, 'call-x', T0);
    const settled = await r.ledger.settle(TENANT.id, 'call-x', T0 + 50_000, 'caller_hangup');
    expect(settled).toMatchObject({ applied: true, balanceAfter: 4_950_000, crossedRechargeThreshold: true });
    expect(await r.service.requestRecharge(TENANT.id, { eventId: settled.record.callId })).toMatchObject({ outcome: 'succeeded', balanceAfter: 54_950_000 });
    // A repeated settle answers with the first result; should it trigger again, the same call id
    // gives the same reference, so the provider sees the same key and the ledger adds nothing more.
    expect(await r.ledger.settle(TENANT.id, 'call-x', T0 + 50_000, 'caller_hangup')).toMatchObject({ applied: false });
    expect(await r.service.requestRecharge(TENANT.id, { eventId: 'call-x' })).toMatchObject({ outcome: 'succeeded', balanceAfter: 54_950_000 });
    expect(new Set(r.provider.requests.map((q) => q.headers['idempotency-key']))).toEqual(new Set([rechargeReference('t-pay', 'call-x')]));
    expect(await balanceOf(r)).toBe(54_950_000);
  });

  it('a cross-instance lock held elsewhere skips the recharge without calling the provider', async () => {
    const r = await rig((_q, _n, res) => reply(res, 200), { acquireTenantLock: async () => null });
    expect(await r.service.requestRecharge('t-pay', { eventId: 'call-9' })).toEqual({ outcome: 'skipped', reason: 'another instance is recharging this tenant' });
    expect(r.provider.requests).toHaveLength(0);
  });

  it('a top-up that fails after payment is retried with the same reference', async () => {
    let failures = 1;
    const calls: string[] = [];
    let ledger: RedisLedger | undefined;
    const r = await rig((_q, _n, res) => reply(res, 200), {
      topUp: async (tenantId, reference, amount) => {
        calls.push(reference);
        if (failures-- > 0) throw new Error('Redis did not answer in time');
        return ledger!.topUp(tenantId, reference, amount, T0);
      },
    });
    ledger = r.ledger;
    expect((await r.service.requestRecharge('t-pay', { eventId: 'call-10' })).outcome).toBe('succeeded');
    expect(await balanceOf(r)).toBe(OPENING + 50_000_000);
    expect(calls).toEqual([rechargeReference('t-pay', 'call-10'), rechargeReference('t-pay', 'call-10')]);
    expect(r.provider.requests).toHaveLength(1);
  });

  it('a top-up that keeps failing after payment is a failure that names the reference to replay', async () => {
    const r = await rig((_q, _n, res) => reply(res, 200), {
      payments: { retries: 1 },
      topUp: async () => {
        throw new Error('Redis did not answer in time');
      },
    });
    const outcome = await r.service.requestRecharge('t-pay', { eventId: 'call-11' });
    expect(outcome).toMatchObject({ outcome: 'failed' });
    expect(outcome.outcome === 'failed' && outcome.reason).toContain(`top up with reference ${rechargeReference('t-pay', 'call-11')}`);
  });

  it('unknown tenants and tenants without auto-recharge are skipped', async () => {
    const r = await rig((_q, _n, res) => reply(res, 200));
    await r.ledger.putTenant({ ...TENANT, id: 'plain', autoRecharge: undefined });
    expect(await r.service.requestRecharge('plain')).toMatchObject({ outcome: 'skipped', reason: 'auto-recharge is off for this tenant' });
    expect(await r.service.requestRecharge('ghost')).toMatchObject({ outcome: 'skipped', reason: 'tenant ghost does not exist' });
    expect(r.provider.requests).toHaveLength(0);
  });
});

describe('auto-recharge with the manual provider', () => {
  it('makes no HTTP request and sends a recharge_requested notice', async () => {
    const r = await rig((_q, _n, res) => reply(res, 200), { payments: { provider: 'manual', url: undefined } });
    expect(await r.service.requestRecharge('t-pay', { eventId: 'call-12' })).toEqual({ outcome: 'requested', reference: rechargeReference('t-pay', 'call-12') });
    expect(r.provider.requests).toHaveLength(0);
    expect(r.topUps).toEqual([]);
    const sent = await notices(r);
    expect(sent).toEqual([expect.objectContaining({ kind: 'recharge_requested', details: expect.objectContaining({ amount: '50.00', threshold: '5.00' }) })]);
    expect(await recharges(r.metrics, 'requested')).toBe(1);
  });
});
