/**
 * The admin API through inject() over the real ledger (test Redis): bearer
 * auth, provisioning upserts, validation naming each field with nothing
 * written, idempotent top-ups, balance view, and 503 when Redis is gone.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { UNREACHABLE_REDIS_URL } from '../support/redis-server.js';
import { ADMIN_TOKEN, auth, json, startHarness, type Harness } from './http-harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const acme = { name: 'ACME GmbH', currency: 'EUR', country: 'DE', creditLimit: '5.00' };

describe('admin API auth', () => {
  it('refuses /v1 without a token, with a wrong one, or another scheme; accepts the right one', async () => {
    h = await startHarness();
    const url = '/v1/tenants';
    const none = await h.app.inject({ url });
    expect(none.statusCode).toBe(401);
    expect(none.json()).toMatchObject({ error: 'UNAUTHORIZED' });
    expect(none.headers['www-authenticate']).toContain('Bearer');
    for (const authorization of [`Bearer ${ADMIN_TOKEN}x`, 'Bearer short', `Basic ${ADMIN_TOKEN}`, ADMIN_TOKEN, `Bearer ${ADMIN_TOKEN.toUpperCase()}`]) {
      const r = await h.app.inject({ url, headers: { authorization } });
      expect(r.statusCode, authorization).toBe(401);
    }
    const ok = await h.app.inject({ url, headers: auth });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ tenants: [] });
  });

  it('checks the token before reading the body, and leaves health and docs open', async () => {
    h = await startHarness();
    const r = await h.app.inject({ method: 'PUT', url: '/v1/tenants/acme', headers: { 'content-type': 'application/json' }, payload: '{not json' });
    expect(r.statusCode).toBe(401);
    expect((await h.app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const docs = await h.app.inject({ url: '/docs/json' });
    expect(docs.statusCode).toBe(200);
    const spec = docs.json() as { paths: Record<string, Record<string, { security?: unknown[] }>> };
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(['/v1/tenants/{tenantId}/topups', '/v1/tenants/{tenantId}/usage.csv', '/v1/rates/quote']));
    expect(spec.paths['/v1/tenants/{tenantId}/balance']?.get?.security).toEqual([{ bearer: [] }]);
    expect((await h.app.inject({ url: '/docs' })).statusCode).toBeLessThan(400);
  });
});

describe('tenants, users and service numbers', () => {
  it('PUT creates (201) then replaces (200); GET, list and DELETE; money as decimal text', async () => {
    h = await startHarness();
    const created = await h.app.inject({ method: 'PUT', url: '/v1/tenants/acme', ...json(acme) });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toEqual({ id: 'acme', ...acme });
    const again = await h.app.inject({ method: 'PUT', url: '/v1/tenants/acme', ...json({ ...acme, name: 'ACME AG', autoRecharge: { threshold: '10', amount: '25.5' } }) });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ name: 'ACME AG', creditLimit: '5.00', autoRecharge: { threshold: '10.00', amount: '25.50' } });
    expect((await h.ledger.getTenant('acme'))?.autoRecharge).toEqual({ threshold: 10_000_000, amount: 25_500_000 });
    expect((await h.app.inject({ url: '/v1/tenants/acme', headers: auth })).json()).toMatchObject({ name: 'ACME AG' });
    expect((await h.app.inject({ url: '/v1/tenants', headers: auth })).json().tenants).toHaveLength(1);
    expect((await h.app.inject({ method: 'DELETE', url: '/v1/tenants/acme', headers: auth })).statusCode).toBe(204);
    const gone = await h.app.inject({ url: '/v1/tenants/acme', headers: auth });
    expect(gone.statusCode).toBe(404);
    expect(gone.json()).toMatchObject({ error: 'NOT_FOUND', message: expect.stringContaining('acme') });
    expect((await h.app.inject({ method: 'DELETE', url: '/v1/tenants/acme', headers: auth })).statusCode).toBe(404);
  });

  it('names every bad field in a 400 and writes nothing', async () => {
    h = await startHarness();
    const bad = await h.app.inject({
      method: 'PUT',
      url: '/v1/tenants/acme',
      ...json({ name: '', currency: 'euro', country: 'DE', creditLimit: 5, colour: 'red' }),
    });
    expect(bad.statusCode).toBe(400);
    const body = bad.json() as { error: string; fields: Array<{ path: string; message: string }> };
    expect(body.error).toBe('BAD_REQUEST');
    expect(body.fields.map((f) => f.path).sort()).toEqual(['colour', 'creditLimit', 'currency', 'name']);
    expect(body.fields.find((f) => f.path === 'currency')?.message).toContain('ISO 4217');
    expect((await h.app.inject({ url: '/v1/tenants/acme', headers: auth })).statusCode).toBe(404);

    // Checks that need the currency: sub-cent credit limit, negative limit, zero recharge amount.
    const money = await h.app.inject({
      method: 'PUT',
      url: '/v1/tenants/acme',
      ...json({ ...acme, creditLimit: '-1.005', autoRecharge: { threshold: '1', amount: '0' } }),
    });
    expect(money.statusCode).toBe(400);
    expect(money.json().fields).toEqual([
      { path: 'creditLimit', message: '-1.005 is not a whole amount of EUR, which has at most 2 decimals' },
      { path: 'autoRecharge.amount', message: 'must be more than 0' },
    ]);
    expect(await h.ledger.getTenant('acme')).toBeNull();

    const badId = await h.app.inject({ method: 'PUT', url: '/v1/tenants/bad%20id', ...json(acme) });
    expect(badId.statusCode).toBe(400);
    expect(badId.json().fields[0].path).toBe('tenantId');
    const malformed = await h.app.inject({ method: 'PUT', url: '/v1/tenants/acme', headers: { ...auth, 'content-type': 'application/json' }, payload: '{"name":' });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error).toBe('BAD_REQUEST');
  });

  it('users need a known tenant and a configured plan; a number belongs to one user', async () => {
    h = await startHarness();
    const zoe = { upn: 'zoe@acme.example', displayName: 'Zoë Åström', usageCountry: 'DE', number: '+4930123456', plan: 'DOMESTIC', licences: ['communicationCredits'] };
    expect((await h.app.inject({ method: 'PUT', url: '/v1/tenants/acme/users/zoe', ...json(zoe) })).statusCode).toBe(404);
    await h.app.inject({ method: 'PUT', url: '/v1/tenants/acme', ...json(acme) });
    const badPlan = await h.app.inject({ method: 'PUT', url: '/v1/tenants/acme/users/zoe', ...json({ ...zoe, plan: 'GOLD' }) });
    expect(badPlan.statusCode).toBe(400);
    expect(badPlan.json().fields).toEqual([{ path: 'plan', message: expect.stringContaining('unknown plan "GOLD"') }]);
    const created = await h.app.inject({ method: 'PUT', url: '/v1/tenants/acme/users/zoe', ...json(zoe) });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ id: 'zoe', tenantId: 'acme', policy: 'international_and_domestic', dialOutPolicy: 'any' });
    expect((await h.app.inject({ method: 'PUT', url: '/v1/tenants/acme/users/zoe', ...json(zoe) })).statusCode).toBe(200);
    const taken = await h.app.inject({ method: 'PUT', url: '/v1/tenants/acme/users/max', ...json({ ...zoe, upn: 'max@acme.example' }) });
    expect(taken.statusCode).toBe(409);
    expect(taken.json().message).toContain('+4930123456');
    expect((await h.app.inject({ url: '/v1/tenants/acme/users', headers: auth })).json().users).toHaveLength(1);
    expect((await h.app.inject({ method: 'DELETE', url: '/v1/tenants/acme/users/zoe', headers: auth })).statusCode).toBe(204);
    expect((await h.app.inject({ url: '/v1/tenants/acme/users/zoe', headers: auth })).statusCode).toBe(404);
  });

  it('service numbers are keyed by E.164 and owned by one tenant', async () => {
    h = await startHarness();
    await h.app.inject({ method: 'PUT', url: '/v1/tenants/acme', ...json(acme) });
    await h.app.inject({ method: 'PUT', url: '/v1/tenants/other', ...json(acme) });
    const sn = { kind: 'toll-free', service: 'conferencing', target: 'sip:bridge.acme.example' };
    const created = await h.app.inject({ method: 'PUT', url: '/v1/tenants/acme/service-numbers/+18005550100', ...json(sn) });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toEqual({ number: '+18005550100', tenantId: 'acme', ...sn });
    expect((await h.app.inject({ method: 'PUT', url: '/v1/tenants/acme/service-numbers/%2B18005550100', ...json(sn) })).statusCode).toBe(200);
    const stolen = await h.app.inject({ method: 'PUT', url: '/v1/tenants/other/service-numbers/+18005550100', ...json(sn) });
    expect(stolen.statusCode).toBe(409);
    expect((await h.app.inject({ url: '/v1/tenants/other/service-numbers/+18005550100', headers: auth })).statusCode).toBe(404);
    const bad = await h.app.inject({ method: 'PUT', url: '/v1/tenants/acme/service-numbers/0800123', ...json({ ...sn, kind: 'free' }) });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().fields.map((f: { path: string }) => f.path)).toEqual(['number']);
    expect((await h.app.inject({ url: '/v1/tenants/acme/service-numbers', headers: auth })).json().serviceNumbers).toHaveLength(1);
    expect((await h.app.inject({ method: 'DELETE', url: '/v1/tenants/acme/service-numbers/+18005550100', headers: auth })).statusCode).toBe(204);
    expect(await h.ledger.getServiceNumber('+18005550100')).toBeNull();
  });
});

describe('top-ups and balance', () => {
  it('adds money once per reference: 201 applied, then 200 with the first result', async () => {
    h = await startHarness();
    await h.app.inject({ method: 'PUT', url: '/v1/tenants/acme', ...json(acme) });
    const url = '/v1/tenants/acme/topups';
    const first = await h.app.inject({ method: 'POST', url, ...json({ reference: 'inv-1', amount: '50.00' }) });
    expect(first.statusCode).toBe(201);
    expect(first.json()).toEqual({ applied: true, reference: 'inv-1', amount: '50.00', currency: 'EUR', balanceAfter: '50.00' });
    const repeat = await h.app.inject({ method: 'POST', url, ...json({ reference: 'inv-1', amount: '50.00' }) });
    expect(repeat.statusCode).toBe(200);
    expect(repeat.json()).toEqual({ ...first.json(), applied: false });
    const second = await h.app.inject({ method: 'POST', url, ...json({ reference: 'inv-2', amount: '0.5' }) });
    expect(second.json()).toMatchObject({ applied: true, balanceAfter: '50.50' });

    const balance = await h.app.inject({ url: '/v1/tenants/acme/balance', headers: auth });
    expect(balance.statusCode).toBe(200);
    expect(balance.json()).toEqual({ tenantId: 'acme', currency: 'EUR', balance: '50.50', held: '0.00', available: '55.50', creditLimit: '5.00', pools: [], liveCalls: 0 });
  });

  it('refuses bad amounts and references naming the field, and adds nothing', async () => {
    h = await startHarness();
    await h.app.inject({ method: 'PUT', url: '/v1/tenants/acme', ...json(acme) });
    const url = '/v1/tenants/acme/topups';
    const cases: Array<[unknown, string[]]> = [
      [{ reference: 'r1', amount: '0' }, ['amount']],
      [{ reference: 'r1', amount: '-5.00' }, ['amount']],
      [{ reference: 'r1', amount: '1.005' }, ['amount']],
      [{ reference: 'r1', amount: 12.5 }, ['amount']],
      [{ reference: 'has space', amount: '1' }, ['reference']],
      [{ amount: '1' }, ['reference']],
      [{ reference: 'r1', amount: '1', currency: 'USD' }, ['currency']],
    ];
    for (const [payload, paths] of cases) {
      const r = await h.app.inject({ method: 'POST', url, ...json(payload) });
      expect(r.statusCode, JSON.stringify(payload)).toBe(400);
      expect(r.json().fields.map((f: { path: string }) => f.path), JSON.stringify(payload)).toEqual(paths);
    }
    expect((await h.ledger.balance('acme', Date.now())).balance).toBe(0);
    // The reference of a refused request is still free.
    expect((await h.app.inject({ method: 'POST', url, ...json({ reference: 'r1', amount: '1' }) })).statusCode).toBe(201);
    expect((await h.app.inject({ method: 'POST', url: '/v1/tenants/nobody/topups', ...json({ reference: 'r1', amount: '1' }) })).statusCode).toBe(404);
    expect((await h.app.inject({ url: '/v1/tenants/nobody/balance', headers: auth })).statusCode).toBe(404);
  });
});

describe('when Redis is unreachable', () => {
  it('answers 503 with Retry-After, and /readyz names redis', async () => {
    h = await startHarness({ ledger: { url: UNREACHABLE_REDIS_URL, connectTimeoutMs: 200, commandTimeoutMs: 200, operationTimeoutMs: 400 } });
    const r = await h.app.inject({ url: '/v1/tenants/acme/balance', headers: auth });
    expect(r.statusCode).toBe(503);
    expect(r.json()).toMatchObject({ error: 'UNAVAILABLE' });
    expect(r.headers['retry-after']).toBe('5');
    const topup = await h.app.inject({ method: 'POST', url: '/v1/tenants/acme/topups', ...json({ reference: 'r', amount: '1' }) });
    expect(topup.statusCode).toBe(503);
    const ready = await h.app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ ready: false, checks: { redis: { ok: false, error: expect.any(String) }, rates: { ok: true } } });
    expect((await h.app.inject({ url: '/healthz' })).statusCode).toBe(200);
  });
});
