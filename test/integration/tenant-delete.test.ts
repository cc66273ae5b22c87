/**
 * DELETE /v1/tenants/{id} (issue 11, item 6): refused 409 while the tenant
 * has money, live calls or usage records, unless ?force=true; top-up
 * references outlive the tenant, so an old reference never credits again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { T0, holdRequest } from '../support/ledger-fixtures.js';
import { auth, json, startHarness, type Harness } from './http-harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const acme = { name: 'Acme', currency: 'EUR', country: 'DE' };
const del = (query = '') => h!.app.inject({ method: 'DELETE', url: `/v1/tenants/acme${query}`, headers: auth });

describe('deleting a tenant', () => {
  it('is refused 409 while it holds money, and done with force=true', async () => {
    h = await startHarness();
    await h.app.inject({ method: 'PUT', url: '/v1/tenants/acme', ...json(acme) });
    await h.app.inject({ method: 'POST', url: '/v1/tenants/acme/topups', ...json({ reference: 'inv-1', amount: '21.00' }) });
    const refused = await del();
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ error: 'CONFLICT', message: expect.stringMatching(/balance 21\.00 EUR.*force=true/) });
    expect(await h.ledger.getTenant('acme')).not.toBeNull();
    expect((await del('?force=true')).statusCode).toBe(204);
    expect(await h.ledger.getTenant('acme')).toBeNull();
  });

  it('is refused while it has usage records, even at balance 0', async () => {
    h = await startHarness();
    await h.app.inject({ method: 'PUT', url: '/v1/tenants/acme', ...json(acme) });
    await h.ledger.recordUsage({
      usageId: 'u-1', tenantId: 'acme', callId: 'c-1', callType: 'user_out', callDirection: 'outbound', destinationDialed: '+4930123',
      destinationNumber: '+4930123', startTime: T0, endTime: T0, durationSeconds: 0, connectFee: 0, charge: 0, currency: 'EUR',
      capability: 'free', endReason: 'rejected',
    });
    const refused = await del();
    expect(refused.statusCode).toBe(409);
    expect(refused.json().message).toMatch(/1 usage record/);
  });

  it('is refused while it has a live call, even with force', async () => {
    h = await startHarness();
    await h.app.inject({ method: 'PUT', url: '/v1/tenants/acme', ...json(acme) });
    await h.app.inject({ method: 'POST', url: '/v1/tenants/acme/topups', ...json({ reference: 'inv-1', amount: '5.00' }) });
    await h.ledger.hold(holdRequest('acme', 'live-1', { nowMs: Date.now() }));
    expect((await del()).statusCode).toBe(409);
    expect((await del('?force=true')).statusCode).toBe(409);
  });

  it('keeps top-up references: after re-creating the tenant an old reference adds nothing', async () => {
    h = await startHarness();
    await h.app.inject({ method: 'PUT', url: '/v1/tenants/acme', ...json(acme) });
    await h.app.inject({ method: 'POST', url: '/v1/tenants/acme/topups', ...json({ reference: 'inv-1', amount: '21.00' }) });
    expect((await del('?force=true')).statusCode).toBe(204);
    await h.app.inject({ method: 'PUT', url: '/v1/tenants/acme', ...json(acme) });
    const again = await h.app.inject({ method: 'POST', url: '/v1/tenants/acme/topups', ...json({ reference: 'inv-1', amount: '21.00' }) });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ applied: false });
    expect((await h.ledger.balance('acme', Date.now())).balance).toBe(0);
  });

  it('an empty tenant is deleted without force; an unknown one is 404', async () => {
    h = await startHarness();
    await h.app.inject({ method: 'PUT', url: '/v1/tenants/acme', ...json(acme) });
    expect((await del()).statusCode).toBe(204);
    expect((await del()).statusCode).toBe(404);
  });
});
