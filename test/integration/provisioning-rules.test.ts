/**
 * One set of rules for tenants, users and service numbers, whether they come
 * through the admin API or a provisioning file (issue 11, items 3, 4, 11):
 * money whole in the currency's minor unit, real ISO country and currency
 * codes, SIP targets, plain-text names.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parseProvisioningFile } from '../../src/ledger/provisioning-file.js';
import { PLANS } from '../support/ledger-fixtures.js';
import { json, startHarness, type Harness } from './http-harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function problemsOf(yaml: string): string[] {
  const outcome = parseProvisioningFile(yaml, PLANS);
  return outcome.ok ? [] : outcome.problems;
}

const EVIL = 'Evil\u0000\u001b[31mRed\r\nInjected: yes';

describe('provisioning file: the API money rules', () => {
  it('refuses amounts finer than the currency minor unit, in currency terms', () => {
    const problems = problemsOf(`
tenants:
  - id: usd
    name: Usd
    currency: USD
    country: US
    creditLimit: "0.001"
    autoRecharge: { threshold: "0.005", amount: "0.015" }
    initialBalance: { amount: "10.005", reference: open-1 }
  - { id: eur, name: Eur, currency: EUR, country: DE, initialBalance: { amount: "12.505", reference: open-2 } }
  - { id: jpy, name: Jpy, currency: JPY, country: JP, creditLimit: "1.5" }
`);
    expect(problems).toEqual([
      'tenants[0].initialBalance.amount: 10.005 is not a whole amount of USD, which has at most 2 decimals',
      'tenants[0].creditLimit: 0.001 is not a whole amount of USD, which has at most 2 decimals',
      'tenants[0].autoRecharge.threshold: 0.005 is not a whole amount of USD, which has at most 2 decimals',
      'tenants[0].autoRecharge.amount: 0.015 is not a whole amount of USD, which has at most 2 decimals',
      'tenants[1].initialBalance.amount: 12.505 is not a whole amount of EUR, which has at most 2 decimals',
      'tenants[2].creditLimit: 1.5 is not a whole amount of JPY, which has no decimals',
    ]);
  });

  it('accepts whole amounts, a 3-decimal currency, and a zero threshold', () => {
    const outcome = parseProvisioningFile(`
tenants:
  - { id: kwd, name: Kwd, currency: KWD, country: KW, creditLimit: "0.125", autoRecharge: { threshold: 0, amount: "5.5" }, initialBalance: { amount: "10.005", reference: k-1 } }
`, PLANS);
    expect(outcome.ok).toBe(true);
  });

  it('refuses a service number target that is not a sip: or sips: URI', () => {
    const problems = problemsOf(`
tenants:
  - { id: acme, name: Acme, currency: EUR, country: DE }
serviceNumbers:
  - { number: "+4980012345", tenantId: acme, kind: toll-free, service: conferencing, target: "http://x" }
  - { number: "+4980012346", tenantId: acme, kind: toll, service: conferencing, target: "sip:" }
  - { number: "+4980012347", tenantId: acme, kind: toll, service: call_queue, target: "sips:queue@pbx.example.com" }
`);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^serviceNumbers\[0\]\.target: a SIP URI such as "sip:/);
    expect(problems[1]).toMatch(/^serviceNumbers\[1\]\.target: a SIP URI needs a host/);
  });
});

describe('country and currency codes from the ISO lists (file)', () => {
  it('refuses UK, ZZ and XYZ with a hint', () => {
    const problems = problemsOf(`
tenants:
  - { id: acme, name: Acme, currency: XYZ, country: UK }
users:
  - { id: u1, tenantId: acme, upn: u1@acme, displayName: U1, usageCountry: ZZ }
  - { id: u2, tenantId: acme, upn: u2@acme, displayName: U2, usageCountry: gb }
`);
    expect(problems).toEqual([
      'tenants[0].currency: "XYZ" is not an ISO 4217 currency code (e.g. "EUR", "USD", "GBP")',
      'tenants[0].country: "UK" is not an ISO 3166-1 alpha-2 country code; did you mean "GB"?',
      'users[0].usageCountry: "ZZ" is not an ISO 3166-1 alpha-2 country code (e.g. "GB", "US", "DE")',
      'users[1].usageCountry: "gb" is not an ISO 3166-1 alpha-2 country code; write it in capitals, "GB"',
    ]);
  });
});

describe('names are plain text (file)', () => {
  it('refuses control characters and ANSI escapes in tenant and display names', () => {
    const problems = problemsOf(JSON.stringify({
      tenants: [{ id: 'acme', name: EVIL, currency: 'EUR', country: 'DE' }],
      users: [{ id: 'u1', tenantId: 'acme', upn: 'u1@acme', displayName: 'Ann\u001b]0;pwned\u0007', usageCountry: 'DE' }],
    }));
    expect(problems).toEqual([
      'tenants[0].name: contains control character U+0000 at position 5; names must be plain text without control characters or escape sequences',
      'users[0].displayName: contains control character U+001B at position 4; names must be plain text without control characters or escape sequences',
    ]);
  });
});

describe('admin API: the same rules', () => {
  it('refuses UK, ZZ and XYZ with the same hints, and every bad field in one 400', async () => {
    h = await startHarness();
    const r = await h.app.inject({
      method: 'PUT',
      url: '/v1/tenants/acme',
      ...json({ name: EVIL, currency: 'XYZ', country: 'UK', creditLimit: '0.001' }),
    });
    expect(r.statusCode).toBe(400);
    const fields = (r.json() as { fields: Array<{ path: string; message: string }> }).fields;
    expect(fields).toEqual(expect.arrayContaining([
      { path: 'currency', message: '"XYZ" is not an ISO 4217 currency code (e.g. "EUR", "USD", "GBP")' },
      { path: 'country', message: '"UK" is not an ISO 3166-1 alpha-2 country code; did you mean "GB"?' },
      expect.objectContaining({ path: 'name', message: expect.stringContaining('control character U+0000') }),
    ]));
    expect(await h.ledger.getTenant('acme')).toBeNull();
  });

  it('names a money field and a bad country in one 400, in currency terms', async () => {
    h = await startHarness();
    const r = await h.app.inject({
      method: 'PUT',
      url: '/v1/tenants/acme',
      ...json({ name: 'Acme', currency: 'USD', country: 'ZZ', creditLimit: '0.001', autoRecharge: { threshold: '-1', amount: '0' } }),
    });
    expect(r.statusCode).toBe(400);
    expect((r.json() as { fields: unknown[] }).fields).toEqual([
      { path: 'country', message: '"ZZ" is not an ISO 3166-1 alpha-2 country code (e.g. "GB", "US", "DE")' },
      { path: 'creditLimit', message: '0.001 is not a whole amount of USD, which has at most 2 decimals' },
      { path: 'autoRecharge.threshold', message: 'must not be negative' },
      { path: 'autoRecharge.amount', message: 'must be more than 0' },
    ]);
  });

  it('refuses a user display name with escapes and a user in ZZ', async () => {
    h = await startHarness();
    expect((await h.app.inject({ method: 'PUT', url: '/v1/tenants/acme', ...json({ name: 'Acme', currency: 'EUR', country: 'DE' }) })).statusCode).toBe(201);
    const r = await h.app.inject({
      method: 'PUT',
      url: '/v1/tenants/acme/users/u1',
      ...json({ upn: 'u1@acme.example', displayName: EVIL, usageCountry: 'ZZ' }),
    });
    expect(r.statusCode).toBe(400);
    expect((r.json() as { fields: Array<{ path: string }> }).fields.map((f) => f.path)).toEqual(['displayName', 'usageCountry']);
  });

  it('refuses a service number target without a host', async () => {
    h = await startHarness();
    await h.app.inject({ method: 'PUT', url: '/v1/tenants/acme', ...json({ name: 'Acme', currency: 'EUR', country: 'DE' }) });
    const r = await h.app.inject({
      method: 'PUT',
      url: '/v1/tenants/acme/service-numbers/+4980012345',
      ...json({ kind: 'toll', service: 'conferencing', target: 'sip:' }),
    });
    expect(r.statusCode).toBe(400);
    expect((r.json() as { fields: Array<{ path: string }> }).fields[0]?.path).toBe('target');
  });

  it('a top-up message speaks in currency units, and the maximum is the largest single amount', async () => {
    h = await startHarness();
    await h.app.inject({ method: 'PUT', url: '/v1/tenants/acme', ...json({ name: 'Acme', currency: 'EUR', country: 'DE' }) });
    const sub = await h.app.inject({ method: 'POST', url: '/v1/tenants/acme/topups', ...json({ reference: 'r-1', amount: '1.005' }) });
    expect(sub.json().fields).toEqual([{ path: 'amount', message: '1.005 is not a whole amount of EUR, which has at most 2 decimals' }]);
    const big = await h.app.inject({ method: 'POST', url: '/v1/tenants/acme/topups', ...json({ reference: 'r-2', amount: '100000000.01' }) });
    expect(big.json().fields).toEqual([{ path: 'amount', message: 'must be at most 100000000.00 EUR (the largest single amount)' }]);
  });
});
