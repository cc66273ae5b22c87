/**
 * Notices against real local servers: a webhook receiver checking the HMAC
 * signature, an SMTP server reading the mail, and Redis for the cross-instance claim.
 */
import { createHmac } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { Tenant } from '../../src/domain.js';
import type { SettleResult } from '../../src/ledger/types.js';
import { silentLogger } from '../../src/log.js';
import { createMetrics, type Metrics } from '../../src/metrics.js';
import { createCallNoticeSink } from '../../src/notify/call-notices.js';
import { createRedisClaim } from '../../src/notify/claim.js';
import { balanceDepletedNotice, dialOutPoolNotice, noticesForSettle, rechargeFailedNotice } from '../../src/notify/notices.js';
import { createNotifier, type NotifierOptions } from '../../src/notify/notifier.js';
import type { Notice, Notifier } from '../../src/notify/types.js';
import { reply, startHttpReceiver, startSmtpReceiver, type HttpReceiver, type SmtpReceiver } from './notify-servers.js';

const SECRET = 'webhook-secret-1';
const TENANT: Tenant = { id: 't-notify', name: 'Acme', currency: 'EUR', country: 'DE', creditLimit: 0, noticeEmail: 'billing@acme.example' };
const AT = Date.UTC(2025, 2, 10, 8, 30);

const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function receiver(respond: Parameters<typeof startHttpReceiver>[0] = (_r, _n, res) => reply(res, 200)): Promise<HttpReceiver> {
  const r = await startHttpReceiver(respond);
  cleanups.push(() => r.close());
  return r;
}

function notifier(opts: Partial<NotifierOptions> & { metrics: Metrics }): Notifier {
  const n = createNotifier({ webhooks: [], retries: 3, logger: silentLogger, backoff: { baseMs: 5, capMs: 20 }, timeoutMs: 2000, ...opts });
  cleanups.push(() => n.close());
  return n;
}

async function count(metrics: Metrics, labels: Record<string, string>): Promise<number> {
  const { values } = await metrics.notices.get();
  return values.filter((v) => Object.entries(labels).every(([k, x]) => (v.labels as Record<string, unknown>)[k] === x)).reduce((s, v) => s + v.value, 0);
}

const depleted = (callId = 'call-1') => balanceDepletedNotice(TENANT, { callId, balance: -120_000, atMs: AT });

describe('rule 26: notifier: webhooks', () => {
  it('posts the notice as JSON signed with HMAC-SHA256 over the raw body, with the event id', async () => {
    const hook = await receiver();
    const metrics = createMetrics();
    const n = notifier({ webhooks: [{ url: hook.url, secret: SECRET }], metrics });
    n.notify(depleted());
    await n.flush();
    expect(hook.requests).toHaveLength(1);
    const req = hook.requests[0]!;
    const expected = `sha256=${createHmac('sha256', SECRET).update(req.body).digest('hex')}`;
    expect(req.headers['x-tollgate-signature']).toBe(expected);
    expect(req.headers['x-tollgate-event-id']).toBe('balance_depleted:t-notify:call-1');
    expect(req.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req.body)).toEqual({
      id: 'balance_depleted:t-notify:call-1',
      kind: 'balance_depleted',
      tenantId: 't-notify',
      tenantName: 'Acme',
      occurredAt: '2025-03-10T08:30:00.000Z',
      details: { callId: 'call-1', balance: '-0.12', currency: 'EUR' },
    });
    // A receiver holding another secret would reject it.
    expect(createHmac('sha256', 'other-secret').update(req.body).digest('hex')).not.toBe(expected.slice(7));
    expect(await count(metrics, { kind: 'balance_depleted', channel: 'webhook', outcome: 'sent' })).toBe(1);
  });

  it('sends each event id once, to every webhook', async () => {
    const a = await receiver();
    const b = await receiver();
    const n = notifier({ webhooks: [{ url: a.url, secret: SECRET }, { url: b.url, secret: 'second-secret' }], metrics: createMetrics() });
    n.notify(depleted('call-1'));
    n.notify(depleted('call-1'));
    n.notify(depleted('call-2'));
    await n.flush();
    n.notify(depleted('call-1'));
    await n.flush();
    for (const r of [a, b]) expect(r.requests.map((q) => q.headers['x-tollgate-event-id']).sort()).toEqual(['balance_depleted:t-notify:call-1', 'balance_depleted:t-notify:call-2']);
  });

  it('retries 5xx answers with backoff and delivers once the receiver recovers', async () => {
    const hook = await receiver((_r, n, res) => reply(res, n < 2 ? 503 : 204));
    const metrics = createMetrics();
    const n = notifier({ webhooks: [{ url: hook.url, secret: SECRET }], metrics });
    n.notify(depleted());
    await n.flush();
    expect(hook.requests).toHaveLength(3);
    expect(new Set(hook.requests.map((r) => r.body)).size).toBe(1);
    expect(await count(metrics, { outcome: 'sent' })).toBe(1);
    expect(await count(metrics, { outcome: 'failed' })).toBe(0);
  });

  it('does not retry a 4xx refusal; counts it failed', async () => {
    const hook = await receiver((_r, _n, res) => reply(res, 401, { error: 'bad signature' }));
    const metrics = createMetrics();
    const n = notifier({ webhooks: [{ url: hook.url, secret: SECRET }], metrics });
    n.notify(depleted());
    await n.flush();
    expect(hook.requests).toHaveLength(1);
    expect(await count(metrics, { channel: 'webhook', outcome: 'failed' })).toBe(1);
  });

  it('never blocks or throws into the caller: an unreachable webhook and a broken notice only count failures', async () => {
    const gone = await startHttpReceiver((_r, _n, res) => reply(res, 200));
    await gone.close();
    const metrics = createMetrics();
    const n = notifier({ webhooks: [{ url: gone.url, secret: SECRET }], metrics, retries: 2 });
    const broken = { ...depleted('call-9'), details: { big: 10n } } as unknown as Notice;
    expect(n.notify(depleted())).toBeUndefined();
    expect(() => n.notify(broken)).not.toThrow();
    await n.flush();
    expect(await count(metrics, { kind: 'balance_depleted', channel: 'webhook', outcome: 'failed' })).toBe(1);
  });

  it('close() cuts pending backoffs short and refuses later notices', async () => {
    const hook = await receiver((_r, _n, res) => reply(res, 500));
    const metrics = createMetrics();
    const n = createNotifier({ webhooks: [{ url: hook.url, secret: SECRET }], retries: 10, logger: silentLogger, metrics, backoff: { baseMs: 60_000, capMs: 60_000 } });
    n.notify(depleted());
    await hook.waitFor(1);
    await n.close();
    n.notify(depleted('after-close'));
    await n.flush();
    expect(hook.requests).toHaveLength(1);
    expect(await count(metrics, { outcome: 'failed' })).toBe(1);
  });
});

describe('rule 26: notifier: e-mail', () => {
  let smtp: SmtpReceiver;

  async function mailNotifier(metrics: Metrics, to = ['ops@gateway.example']) {
    smtp = await startSmtpReceiver(['nobody@acme.example']);
    cleanups.push(() => smtp.close());
    return notifier({ smtp: { host: '127.0.0.1', port: smtp.port, secure: false, from: 'tollgate@gateway.example', to }, metrics });
  }

  it('mails the notice to the configured recipients and the tenant notice address', async () => {
    const metrics = createMetrics();
    const n = await mailNotifier(metrics);
    n.notify(rechargeFailedNotice(TENANT, { reference: 'rc-1', amount: 50_000_000, reason: 'card expired', atMs: AT }));
    await n.flush();
    expect(smtp.mails).toHaveLength(1);
    const mail = smtp.mails[0]!;
    expect(mail.from).toBe('tollgate@gateway.example');
    expect(mail.to.sort()).toEqual(['billing@acme.example', 'ops@gateway.example']);
    expect(mail.subject).toBe('[Tollgate] Acme (t-notify): Recharge of EUR 50.00 failed: card expired');
    expect(mail.text).toContain('reason: card expired');
    expect(mail.text).toContain('check the payment method and top up');
    expect(mail.text).toContain('Event id: recharge_failed:t-notify:rc-1');
    expect(await count(metrics, { kind: 'recharge_failed', channel: 'email', outcome: 'sent' })).toBe(1);
  });

  it('an SMTP 5xx refusal is final and counted failed', async () => {
    const metrics = createMetrics();
    const n = await mailNotifier(metrics, ['nobody@acme.example']);
    n.notify(dialOutPoolNotice({ ...TENANT, noticeEmail: undefined }, { month: '2025-03', percent: 80, sizeSeconds: 18_000, atMs: AT }));
    await n.flush();
    expect(smtp.mails).toHaveLength(0);
    expect(await count(metrics, { kind: 'dialout_pool_80', channel: 'email', outcome: 'failed' })).toBe(1);
  });
});

describe('rule 26: notices from a settle', () => {
  const settle = (over: Partial<SettleResult>): SettleResult => ({
    applied: true,
    record: {} as SettleResult['record'],
    balanceAfter: -10_000,
    crossedRechargeThreshold: false,
    crossedZero: true,
    poolAlerts: [
      { pool: { kind: 'dialout', month: '2025-03', sizeSeconds: 18_000 }, percent: 100 },
      { pool: { kind: 'plan', country: 'US', sku: 'DOMESTIC', scope: 'domestic', month: '2025-03', sizeSeconds: 180_000 }, percent: 80 },
    ],
    ...over,
  });

  it('balance at or below zero and dial-out pool alerts become notices; plan pools and repeats do not', () => {
    expect(noticesForSettle(TENANT, 'c-7', settle({}), AT).map((n) => n.id)).toEqual([
      'balance_depleted:t-notify:c-7',
      'dialout_pool_100:t-notify:2025-03',
    ]);
    expect(noticesForSettle(TENANT, 'c-7', settle({ applied: false }), AT)).toEqual([]);
  });
});

describe('call events to notices', () => {
  it('adds the tenant name and address; without the tenant record the notice still goes out', async () => {
    const hook = await receiver();
    const n = notifier({ webhooks: [{ url: hook.url, secret: SECRET }], metrics: createMetrics() });
    let tenantUp = true;
    const sink = createCallNoticeSink({
      notifier: n,
      logger: silentLogger,
      loadTenant: async () => {
        if (!tenantUp) throw new Error('Redis did not answer in time');
        return TENANT;
      },
    });
    await sink.notify({ kind: 'dialout_pool', tenantId: 't-notify', percent: 80, pool: { kind: 'dialout', month: '2025-03', sizeSeconds: 18_000 }, atMs: AT, callId: 'c-1' });
    await sink.notify({ kind: 'dialout_pool', tenantId: 't-notify', percent: 80, pool: { kind: 'plan', country: 'US', sku: 'DOMESTIC', scope: 'domestic', month: '2025-03', sizeSeconds: 60 }, atMs: AT, callId: 'c-1' });
    tenantUp = false;
    await sink.notify({ kind: 'balance_depleted', tenantId: 't-notify', balance: 0, currency: 'EUR', atMs: AT, callId: 'c-2' });
    await n.flush();
    const bodies = hook.requests.map((r) => JSON.parse(r.body) as { id: string; tenantName?: string; details: Record<string, unknown> });
    expect(bodies.map((b) => b.id)).toEqual(['dialout_pool_80:t-notify:2025-03', 'balance_depleted:t-notify:c-2']);
    expect(bodies[0]).toMatchObject({ tenantName: 'Acme', details: { month: '2025-03', percent: 80, poolMinutes: 300 } });
    expect(bodies[1]!.tenantName).toBeUndefined();
    expect(bodies[1]!.details).toEqual({ callId: 'c-2', balance: '0.00', currency: 'EUR' });
  });
});

describe('notifier: once across instances (Redis claim)', () => {
  it('two instances sharing a Redis claim send an event once', async () => {
    const redis = new Redis(inject('redisUrl'));
    cleanups.push(() => redis.quit());
    const prefix = `test-notify-${process.pid}-${Date.now()}`;
    const hook = await receiver();
    const claim = createRedisClaim(redis, prefix, 60);
    const one = notifier({ webhooks: [{ url: hook.url, secret: SECRET }], metrics: createMetrics(), claim });
    const two = notifier({ webhooks: [{ url: hook.url, secret: SECRET }], metrics: createMetrics(), claim });
    const notice = dialOutPoolNotice(TENANT, { month: '2025-03', percent: 100, sizeSeconds: 18_000, atMs: AT });
    one.notify(notice);
    two.notify(notice);
    await Promise.all([one.flush(), two.flush()]);
    expect(hook.requests).toHaveLength(1);
    expect(await redis.exists(`${prefix}:{t-notify}:notice:dialout_pool_100:t-notify:2025-03`)).toBe(1);
    await redis.del(`${prefix}:{t-notify}:notice:dialout_pool_100:t-notify:2025-03`);
  });

  it('when the claim cannot be made (Redis down) the notice is still sent', async () => {
    const hook = await receiver();
    const claim = async () => {
      throw new Error('connect ECONNREFUSED');
    };
    const n = notifier({ webhooks: [{ url: hook.url, secret: SECRET }], metrics: createMetrics(), claim });
    n.notify(depleted());
    await n.flush();
    expect(hook.requests).toHaveLength(1);
  });
});
