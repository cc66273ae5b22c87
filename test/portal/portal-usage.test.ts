/**
 * What the portal's overview and usage pages read, over the real app and a
 * real Redis, on calls settled by the real ledger: the forecast at the spend
 * rate of the last 7 and 30 days (a known answer), usage filtered and paged,
 * daily sums by capability, the CSV narrowed by the same filters; and a
 * purchase the provider declines adds nothing (DOMAIN.md rules 24 and 30).
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { createCallControl } from '../../src/calls/call-control.js';
import { buildApp, type App } from '../../src/http/app.js';
import { silentLogger } from '../../src/log.js';
import { createMetrics } from '../../src/metrics.js';
import { RateStore } from '../../src/rating/index.js';
import type { RedisLedger } from '../../src/ledger/index.js';
import { forecast } from '../../src/usage/filter.js';
import { freePort } from '../support/redis-server.js';
import { holdRequest, newLedger, T0 } from '../support/ledger-fixtures.js';

const ADMIN_TOKEN = 'test-admin-token-0123456789';
const op = { authorization: `Bearer ${ADMIN_TOKEN}` };
const DAY = 86_400_000;
const NOW = T0 + 30 * DAY;

let app: App;
let ledger: RedisLedger;
let rates: RateStore;
let provider: Server;
let stop: () => Promise<void>;

/** One answered credit call of `seconds` (at most the 60 s slice) at 0.10 EUR a minute (60/60): 0.10, started `daysAgo` before NOW. */
async function call(id: string, daysAgo: number, seconds: number, userId: string): Promise<void> {
  const start = NOW - daysAgo * DAY;
  const req = holdRequest('acme', id, { nowMs: start, userId });
  req.draft.userId = userId;
  const held = await ledger.hold(req);
  expect(held.ok).toBe(true);
  await ledger.answer('acme', id, start, start);
  await ledger.settle('acme', id, start + seconds * 1000, 'caller_hangup');
}

beforeAll(async () => {
  const port = await freePort();
  // A provider that declines every card.
  provider = createServer((_req, res) => res.writeHead(402, { 'content-type': 'application/json' }).end('{"reason":"card expired"}'));
  await new Promise<void>((r) => provider.listen(port, '127.0.0.1', r));
  const config = validateConfig(
    { http: { adminToken: ADMIN_TOKEN }, rates: { dir: 'rates', watch: false }, payments: { provider: 'http', url: `http://127.0.0.1:${port}/pay`, retries: 0 } },
    'test',
  );
  const metrics = createMetrics({ tenantLabels: false });
  ledger = newLedger('redis', { metrics });
  rates = await RateStore.open({ dir: 'rates', logger: silentLogger, metrics });
  const calls = createCallControl({ ledger, rates, config, logger: silentLogger, metrics });
  app = await buildApp({ config, ledger, rates, calls, metrics, logger: silentLogger, readiness: {}, now: () => NOW });
  stop = async () => {
    await calls.stop();
    await app.close();
  };
  await ledger.putTenant({ id: 'acme', name: 'Acme', currency: 'EUR', country: 'DE', creditLimit: 0 });
  await ledger.topUp('acme', 'opening', 100_000_000, T0);
  // Each 0.10 (one started minute): 0.30 in the last 7 days, 0.60 in the last 30, 0.70 in all.
  await call('c-1', 1, 60, 'ana');
  await call('c-1b', 1, 30, 'ana');
  await call('c-2', 3, 45, 'bo');
  for (const id of ['c-3', 'c-3b', 'c-3c']) await call(id, 20, 60, 'ana');
  await call('c-4', 40, 60, 'ana'); // outside both windows
});

afterAll(async () => {
  await stop?.();
  rates?.close();
  await new Promise((r) => provider?.close(r));
});

describe('the overview forecast (DOMAIN.md rule 30 pages)', () => {
  it('says how long the available money lasts at the 7- and 30-day spend rates', async () => {
    const r = await app.inject({ method: 'GET', url: '/v1/tenants/acme/forecast', headers: op });
    expect(r.statusCode).toBe(200);
    // 100.00 - 0.70 charged = 99.30 available; 7 days: 0.30 spent (0.042857 a day), 30 days: 0.60 (0.02 a day).
    expect(r.json()).toEqual({
      tenantId: 'acme',
      currency: 'EUR',
      available: '99.30',
      at: new Date(NOW).toISOString(),
      windows: [
        { days: 7, spent: '0.30', perDay: '0.042857', daysLeft: 2317, runsOutAt: new Date(NOW + Math.round(2317 * DAY)).toISOString() },
        { days: 30, spent: '0.60', perDay: '0.02', daysLeft: 4965, runsOutAt: new Date(NOW + 4965 * DAY).toISOString() },
      ],
    });
  });

  it('has no end with nothing spent, and none left at or below zero', () => {
    expect(forecast(5_000_000, 0, 7)).toEqual({ days: 7, spent: 0, perDay: 0, daysLeft: null });
    expect(forecast(-1, 700_000, 7)).toEqual({ days: 7, spent: 700_000, perDay: 100_000, daysLeft: 0 });
    expect(forecast(1_050_000, 700_000, 7)).toEqual({ days: 7, spent: 700_000, perDay: 100_000, daysLeft: 10.5 });
  });
});

describe('usage for the portal', () => {
  const from = new Date(NOW - 45 * DAY).toISOString();
  const to = new Date(NOW).toISOString();

  it('filters by user and pages, with the total', async () => {
    const all = await app.inject({ method: 'GET', url: `/v1/tenants/acme/usage?from=${from}&to=${to}`, headers: op });
    expect(all.json().total).toBe(7);
    const ana = await app.inject({ method: 'GET', url: `/v1/tenants/acme/usage?from=${from}&to=${to}&userId=ana&limit=2`, headers: op });
    expect(ana.json()).toMatchObject({ total: 6, offset: 0, limit: 2 });
    expect(ana.json().records.map((r: { callId: string }) => r.callId)).toEqual(['c-4', 'c-3']);
    const last = await app.inject({ method: 'GET', url: `/v1/tenants/acme/usage?from=${from}&to=${to}&userId=ana&limit=2&offset=4`, headers: op });
    expect(last.json().records.map((r: { callId: string; charge: string }) => [r.callId, r.charge])).toEqual([['c-1', '0.10'], ['c-1b', '0.10']]);
    const none = await app.inject({ method: 'GET', url: `/v1/tenants/acme/usage?from=${from}&to=${to}&capability=free`, headers: op });
    expect(none.json().total).toBe(0);
    const bad = await app.inject({ method: 'GET', url: `/v1/tenants/acme/usage?from=${to}&to=${from}`, headers: op });
    expect(bad.json().fields).toEqual([{ path: 'to', message: 'must be after from' }]);
  });

  it('sums per UTC day and capability', async () => {
    const r = await app.inject({ method: 'GET', url: `/v1/tenants/acme/usage/daily?from=${from}&to=${to}`, headers: op });
    expect(r.json().days).toEqual([
      { date: new Date(NOW - 40 * DAY).toISOString().slice(0, 10), capability: 'credits', calls: 1, seconds: 60, charge: '0.10' },
      { date: new Date(NOW - 20 * DAY).toISOString().slice(0, 10), capability: 'credits', calls: 3, seconds: 180, charge: '0.30' },
      { date: new Date(NOW - 3 * DAY).toISOString().slice(0, 10), capability: 'credits', calls: 1, seconds: 45, charge: '0.10' },
      { date: new Date(NOW - 1 * DAY).toISOString().slice(0, 10), capability: 'credits', calls: 2, seconds: 90, charge: '0.20' },
    ]);
  });

  it('narrows the CSV with the same filters; without them it is the whole range', async () => {
    const whole = await app.inject({ method: 'GET', url: `/v1/tenants/acme/usage.csv?from=${from}&to=${to}`, headers: op });
    const bo = await app.inject({ method: 'GET', url: `/v1/tenants/acme/usage.csv?from=${from}&to=${to}&userId=bo`, headers: op });
    expect(whole.body.trim().split('\r\n')).toHaveLength(8);
    const lines = bo.body.trim().split('\r\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(whole.body.trim().split('\r\n')[0]);
    expect(lines[1]).toContain('c-2');
  });
});

describe('purchases through the payment provider', () => {
  it('a declined card adds nothing and says why (402)', async () => {
    const r = await app.inject({
      method: 'POST',
      url: '/v1/tenants/acme/purchases',
      headers: { ...op, 'content-type': 'application/json' },
      payload: JSON.stringify({ reference: 'portal-declined-1', amount: '20.00' }),
    });
    expect(r.statusCode).toBe(402);
    expect(r.json()).toEqual({ error: 'PAYMENT_DECLINED', message: 'the payment was declined: card expired' });
    expect((await ledger.balance('acme', NOW)).balance).toBe(99_300_000);
  });
});
