/**
 * Tenants, users and service numbers in Redis: the counts that size pools
 * stay consistent with the users, number lookups verify the tenant record,
 * loadPayer reads everything at once, and bad input writes nothing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ServiceNumber, User } from '../../src/domain.js';
import type { RedisLedger } from '../../src/ledger/redis-ledger.js';
import { BACKENDS, T0, holdRequest, newLedger, tenant } from '../support/ledger-fixtures.js';

function user(id: string, overrides: Partial<User> = {}): User {
  return {
    id, tenantId: 'acme', upn: `${id}@acme.example`, displayName: id, usageCountry: 'US',
    policy: 'international_and_domestic', dialOutPolicy: 'any', licences: [], ...overrides,
  };
}

const tollFree: ServiceNumber = { number: '+18005550100', tenantId: 'acme', kind: 'toll-free', service: 'conferencing', target: 'sip:conf@127.0.0.1:5070' };

describe.each(BACKENDS)('ledger provisioning (%s)', (backend) => {
  let ledger: RedisLedger;
  afterEach(async () => {
    await ledger?.close();
  });

  it('stores tenants and lists them', async () => {
    ledger = newLedger(backend);
    const acme = tenant('acme', { autoRecharge: { threshold: 1_000_000, amount: 20_000_000 }, noticeEmail: 'billing@acme.example' });
    await ledger.putTenant(acme);
    await ledger.putTenant(tenant('beta', { currency: 'JPY', country: 'JP' }));
    expect(await ledger.getTenant('acme')).toEqual(acme);
    expect(await ledger.listTenants()).toEqual(['acme', 'beta']);
    await ledger.putTenant({ ...acme, name: 'Acme GmbH', creditLimit: 5_000_000 });
    expect(await ledger.getTenant('acme')).toMatchObject({ name: 'Acme GmbH', creditLimit: 5_000_000 });
    expect((await ledger.balance('acme', T0)).available).toBe(5_000_000);
  });

  it('reads many tenants in one batch, in the order asked, leaving out ids with no tenant', async () => {
    ledger = newLedger(backend);
    // Enough tenants to spread over every node of the cluster.
    const ids = Array.from({ length: 40 }, (_, i) => `t${String(i).padStart(2, '0')}`);
    for (const id of ids) await ledger.putTenant(tenant(id, { name: `Tenant ${id}` }));
    expect(await ledger.deleteTenant('t07')).toBe(true);
    const asked = ['t39', 'ghost', ...ids];
    const got = await ledger.getTenants(asked);
    expect(got.map((t) => t.id)).toEqual(asked.filter((id) => id !== 'ghost' && id !== 't07'));
    expect(got[0]).toEqual(tenant('t39', { name: 'Tenant t39' }));
    expect(await ledger.getTenants(await ledger.listTenants())).toEqual(ids.filter((id) => id !== 't07').map((id) => tenant(id, { name: `Tenant ${id}` })));
    expect(await ledger.getTenants([])).toEqual([]);
    await expect(ledger.getTenants(['acme', 'bad id'])).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/invalid tenant id/) });
  });

  it('keeps plan-holder and licence counts consistent through user changes', async () => {
    ledger = newLedger(backend);
    await ledger.putTenant(tenant('acme', { country: 'US', currency: 'USD' }));
    await ledger.putUser(user('a', { plan: 'DOMESTIC', licences: ['audioConferencing'] }));
    await ledger.putUser(user('b', { plan: 'DOMESTIC' }));
    await ledger.putUser(user('c', { plan: 'DOMESTIC_INTERNATIONAL', usageCountry: 'GB', licences: ['audioConferencing', 'communicationCredits'] }));
    let payer = await ledger.loadPayer('acme', 'c');
    expect(payer).toMatchObject({ planHolders: { 'US:DOMESTIC': 2, 'GB:DOMESTIC_INTERNATIONAL': 1 }, audioConferencingLicences: 2 });
    expect(payer?.user?.id).toBe('c');
    await ledger.putUser(user('b', { plan: 'DOMESTIC', usageCountry: 'DE' })); // moved country
    await ledger.putUser(user('a', { plan: 'PAYG' })); // changed plan, dropped licence
    expect(await ledger.deleteUser('acme', 'c')).toBe(true);
    expect(await ledger.deleteUser('acme', 'c')).toBe(false);
    payer = await ledger.loadPayer('acme');
    expect(payer).toMatchObject({ planHolders: { 'DE:DOMESTIC': 1, 'US:PAYG': 1 }, audioConferencingLicences: 0 });
    expect(payer?.user).toBeUndefined();
    expect((await ledger.listUsers('acme')).map((u) => u.id)).toEqual(['a', 'b']);
    expect(await ledger.loadPayer('ghost')).toBeNull();
    expect((await ledger.loadPayer('acme', 'nobody'))?.user).toBeUndefined();
  });

  it('finds users by number and never trusts a stale index entry', async () => {
    ledger = newLedger(backend);
    await ledger.putTenant(tenant('acme'));
    await ledger.putTenant(tenant('beta'));
    await ledger.putUser(user('a', { number: '+12025550101' }));
    expect((await ledger.findUserByNumber('+12025550101'))?.id).toBe('a');
    await ledger.putUser(user('a', { number: '+12025550102' }));
    expect(await ledger.findUserByNumber('+12025550101')).toBeNull();
    expect((await ledger.findUserByNumber('+12025550102'))?.id).toBe('a');
    await expect(ledger.putUser(user('z', { tenantId: 'beta', number: '+12025550102' }))).rejects.toMatchObject({ code: 'NUMBER_TAKEN' });
    expect(await ledger.getUser('beta', 'z')).toBeNull();
    // An index entry left behind (the user record changed but the index write was lost) is not trusted.
    await ledger.client.set(`${prefixOf(ledger)}:idx:user:+12025550199`, JSON.stringify(['acme', 'a']));
    expect(await ledger.findUserByNumber('+12025550199')).toBeNull();
    await ledger.deleteUser('acme', 'a');
    expect(await ledger.findUserByNumber('+12025550102')).toBeNull();
    await ledger.putUser(user('z', { tenantId: 'beta', number: '+12025550102' }));
    expect((await ledger.findUserByNumber('+12025550102'))?.tenantId).toBe('beta');
  });

  it('reads the payer of a caller number or a service number with the index and one pipeline, trusting only the records', async () => {
    ledger = newLedger(backend);
    await ledger.putTenant(tenant('acme'));
    await ledger.putUser(user('a', { number: '+12025550101', plan: 'DOMESTIC', licences: ['audioConferencing'] }));
    await ledger.putUser(user('b', { plan: 'DOMESTIC' }));
    const byNumber = await ledger.findPayerByNumber('+12025550101');
    expect(byNumber).toEqual(await ledger.loadPayer('acme', 'a', { fresh: true }));
    // Read again, from this instance's directory cache: the same records, marked cached, at the same version.
    expect(await ledger.findPayerByNumber('+12025550101')).toEqual({ ...byNumber, cached: true });
    expect(byNumber).toMatchObject({ tenant: { id: 'acme' }, user: { id: 'a' }, planHolders: { 'US:DOMESTIC': 2 }, audioConferencingLicences: 1 });
    // A stale index entry (the user's number changed) is not trusted.
    await ledger.client.set(`${prefixOf(ledger)}:idx:user:+12025550199`, JSON.stringify(['acme', 'a']));
    expect(await ledger.findPayerByNumber('+12025550199')).toBeNull();
    expect(await ledger.findPayerByNumber('+12025550177')).toBeNull();
    await expect(ledger.findPayerByNumber('555-0101')).rejects.toMatchObject({ code: 'BAD_INPUT' });

    await ledger.putServiceNumber(tollFree);
    const found = await ledger.findServicePayer(tollFree.number);
    expect(found?.service).toEqual(tollFree);
    expect(found?.payer).toEqual(await ledger.loadPayer('acme', undefined, { fresh: true }));
    expect(await ledger.findServicePayer('+18005550177')).toBeNull();
    // The owning tenant's record is gone but its number is still there: the number is found, the payer is not.
    // (Deleted behind the ledger's back, so no directory version changed: only a fresh read sees it.)
    await ledger.client.del(`${prefixOf(ledger)}:{acme}:tenant`);
    expect(await ledger.findServicePayer(tollFree.number, { fresh: true })).toEqual({ service: tollFree, payer: null });
    expect(await ledger.findPayerByNumber('+12025550101', { fresh: true })).toBeNull();
  });

  it('stores service numbers under their tenant', async () => {
    ledger = newLedger(backend);
    await ledger.putTenant(tenant('acme'));
    await ledger.putTenant(tenant('beta'));
    await ledger.putServiceNumber(tollFree);
    const toll: ServiceNumber = { ...tollFree, number: '+12025550200', kind: 'toll', service: 'auto_attendant' };
    await ledger.putServiceNumber(toll);
    expect(await ledger.getServiceNumber('+18005550100')).toEqual(tollFree);
    expect(await ledger.listServiceNumbers('acme')).toEqual([toll, tollFree]);
    await expect(ledger.putServiceNumber({ ...tollFree, tenantId: 'beta' })).rejects.toMatchObject({ code: 'NUMBER_TAKEN' });
    expect(await ledger.deleteServiceNumber('+18005550100')).toBe(true);
    expect(await ledger.getServiceNumber('+18005550100')).toBeNull();
    expect(await ledger.deleteServiceNumber('+18005550100')).toBe(false);
    await ledger.putServiceNumber({ ...tollFree, tenantId: 'beta' });
    expect((await ledger.getServiceNumber('+18005550100'))?.tenantId).toBe('beta');
  });

  it('rejects bad records naming the field, and writes nothing', async () => {
    ledger = newLedger(backend);
    await expect(ledger.putTenant(tenant('bad id'))).rejects.toThrow(/invalid tenant: id:/);
    await expect(ledger.putTenant(tenant('acme', { currency: 'euro' }))).rejects.toThrow(/currency: "euro" is not an ISO 4217/);
    await expect(ledger.putTenant(tenant('acme', { creditLimit: -5 }))).rejects.toMatchObject({ code: 'BAD_INPUT' });
    expect(await ledger.listTenants()).toEqual([]);
    await ledger.putTenant(tenant('acme'));
    await expect(ledger.putUser(user('u', { usageCountry: 'usa' }))).rejects.toThrow(/usageCountry/);
    await expect(ledger.putUser(user('u', { plan: 'GOLD' }))).rejects.toThrow(/plan "GOLD" is not in the plan catalog/);
    await expect(ledger.putUser(user('u', { number: '555-0101' }))).rejects.toThrow(/number: an E.164/);
    await expect(ledger.putUser(user('u', { tenantId: 'ghost' }))).rejects.toMatchObject({ code: 'UNKNOWN_TENANT' });
    await expect(ledger.putServiceNumber({ ...tollFree, tenantId: 'ghost' })).rejects.toMatchObject({ code: 'UNKNOWN_TENANT' });
    expect(await ledger.listUsers('acme')).toEqual([]);
    expect(await ledger.getServiceNumber(tollFree.number)).toBeNull();
    expect((await ledger.loadPayer('acme'))?.planHolders).toEqual({});
  });

  it('refuses to change the currency of an account with money, and to delete a tenant with live calls', async () => {
    ledger = newLedger(backend);
    await ledger.putTenant(tenant('acme'));
    await ledger.putTenant(tenant('acme', { currency: 'USD' })); // nothing held yet: allowed
    await ledger.putTenant(tenant('acme'));
    await ledger.topUp('acme', 'opening', 1_000_000, T0);
    await expect(ledger.putTenant(tenant('acme', { currency: 'USD' }))).rejects.toMatchObject({ code: 'CURRENCY_LOCKED' });
    await ledger.putUser(user('a', { number: '+12025550101' }));
    await ledger.putServiceNumber(tollFree);
    await ledger.hold(holdRequest('acme', 'live'));
    await expect(ledger.deleteTenant('acme')).rejects.toMatchObject({ code: 'TENANT_BUSY' });
    await ledger.release('acme', 'live', T0 + 1000, 'cancelled');
    expect(await ledger.deleteTenant('acme')).toBe(true);
    expect(await ledger.deleteTenant('acme')).toBe(false);
    expect(await ledger.getTenant('acme')).toBeNull();
    expect(await ledger.listTenants()).toEqual([]);
    expect(await ledger.findUserByNumber('+12025550101')).toBeNull();
    expect(await ledger.getServiceNumber(tollFree.number)).toBeNull();
    expect(await ledger.client.get(`${prefixOf(ledger)}:idx:svc:${tollFree.number}`)).toBeNull();
  });
});

function prefixOf(ledger: RedisLedger): string {
  return ledger.keyPrefix;
}
