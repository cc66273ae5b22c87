/**
 * The provisioning file and `tollgate provision import`: the demo file loads
 * and re-imports idempotently; an invalid file is reported entry by entry,
 * by path, and nothing at all is written.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { run as provision } from '../../src/cli/provision.js';
import { applyProvisioning, checkAgainstLedger, parseProvisioningFile } from '../../src/ledger/provisioning-file.js';
import type { RedisLedger } from '../../src/ledger/redis-ledger.js';
import { BACKENDS, PLANS, T0, free, holdRequest, newLedger, tenant, uniquePrefix } from '../support/ledger-fixtures.js';

const demo = readFileSync(new URL('../../config/demo-provisioning.yaml', import.meta.url), 'utf8');

const bad = `
tenants:
  - { id: acme, name: Acme, currency: euro, country: DE, creditLimit: "1,50" }
  - { id: beta, name: Beta, currency: EUR, country: DE, initialBalance: { amount: "-5", reference: b-1 } }
users:
  - { id: u0, tenantId: acme, upn: u0@acme, displayName: U0, usageCountry: DE, number: "+4930111" }
  - { id: u1, tenantId: acme, upn: u1@acme, displayName: U1, usageCountry: DE, plan: GOLD }
  - { id: u2, tenantId: acme, upn: u2@acme, displayName: U2, usageCountry: DE, number: "+4930111" }
  - { id: u3, tenantId: acme, upn: u3@acme, displayName: U3, usageCountry: Germany, licences: [flying] }
  - { id: u4, tenantId: acme, upn: u4@acme, displayName: U4, usageCountry: DE, colour: blue }
serviceNumbers:
  - { number: "0800 123", tenantId: acme, kind: toll-free, service: conferencing, target: "sip:x@127.0.0.1" }
`;

describe('provisioning file', () => {
  it('reports every invalid entry by path', () => {
    const outcome = parseProvisioningFile(bad, PLANS);
    expect(outcome.ok).toBe(false);
    const problems = outcome.ok ? [] : outcome.problems;
    expect(problems).toEqual(expect.arrayContaining([
      expect.stringMatching(/^tenants\[0\]\.creditLimit: "1,50" is not a decimal amount/),
      expect.stringMatching(/^tenants\[0\]\.currency: "euro" is not an ISO 4217/),
      'tenants[1].initialBalance.amount: must be more than 0',
      expect.stringMatching(/^users\[1\]\.plan: "GOLD" is not in the plan catalog/),
      'users[2].number: +4930111 is also used by users[0].number',
      expect.stringMatching(/^users\[3\]\.usageCountry: /),
      expect.stringMatching(/^users\[3\]\.licences\[0\]: /),
      expect.stringMatching(/^serviceNumbers\[0\]\.number: an E\.164/),
      'users[4]: unknown key(s) colour',
    ]));
    expect(problems).toHaveLength(9);
  });

  it('names unknown keys and unreadable files', () => {
    const unknown = parseProvisioningFile('tenants: []\nuser: []\n', PLANS);
    expect(unknown).toEqual({ ok: false, problems: ['(file): unknown key(s) user'] });
    const junk = parseProvisioningFile('tenants: [\n', PLANS);
    expect(junk.ok ? [] : junk.problems[0]).toMatch(/^\(file\): not valid YAML or JSON/);
  });
});

describe.each(BACKENDS)('provisioning import (%s)', (backend) => {
  let ledger: RedisLedger;
  afterEach(async () => {
    await ledger?.close();
  });

  it('loads the demo file, and a second import adds no money', async () => {
    ledger = newLedger(backend);
    const outcome = parseProvisioningFile(demo, PLANS);
    if (!outcome.ok) throw new Error(outcome.problems.join('\n'));
    expect(await checkAgainstLedger(ledger, outcome.plan)).toEqual([]);
    const first = await applyProvisioning(ledger, outcome.plan, T0);
    expect(first).toMatchObject({ tenants: 1, users: 5, serviceNumbers: 2, topUps: [{ applied: true, balanceAfter: 25_000_000 }] });
    const again = await applyProvisioning(ledger, outcome.plan, T0);
    expect(again.topUps).toEqual([{ tenantId: 'demo', reference: 'demo-opening', applied: false, balanceAfter: 25_000_000 }]);
    const payer = await ledger.loadPayer('demo', 'carol');
    expect(payer).toMatchObject({
      tenant: { currency: 'USD', autoRecharge: { threshold: 5_000_000, amount: 20_000_000 } },
      planHolders: { 'US:DOMESTIC': 2, 'GB:DOMESTIC_INTERNATIONAL': 1, 'DE:PAYG': 1 },
      audioConferencingLicences: 2,
      user: { id: 'carol', dialOutPolicy: 'zone_a' },
    });
    expect((await ledger.getServiceNumber('+18005550100'))?.kind).toBe('toll-free');
    expect((await ledger.findUserByNumber('+12025550102'))?.id).toBe('bob');
    expect((await ledger.balance('demo', T0)).balance).toBe(25_000_000);
  });

  it('reports entries that clash with what Redis holds, and writes nothing', async () => {
    ledger = newLedger(backend);
    const outcome = parseProvisioningFile(demo, PLANS);
    if (!outcome.ok) throw new Error('demo file invalid');
    await applyProvisioning(ledger, outcome.plan, T0);
    const clash = parseProvisioningFile(`
tenants:
  - { id: other, name: Other, currency: USD, country: US, initialBalance: { amount: "10", reference: o-1 } }
users:
  - { id: zed, tenantId: other, upn: zed@other, displayName: Zed, usageCountry: US, number: "+12025550101" }
  - { id: yan, tenantId: nowhere, upn: yan@x, displayName: Yan, usageCountry: US }
serviceNumbers:
  - { number: "+18005550100", tenantId: other, kind: toll-free, service: conferencing, target: "sip:x@127.0.0.1" }
`, PLANS);
    if (!clash.ok) throw new Error(clash.problems.join('\n'));
    expect(await checkAgainstLedger(ledger, clash.plan)).toEqual([
      'users[0].number: +12025550101 already belongs to user alice of tenant demo',
      'users[1].tenantId: tenant "nowhere" is neither in the file nor provisioned',
      'serviceNumbers[0].number: +18005550100 already belongs to tenant demo',
    ]);
    expect(await ledger.getTenant('other')).toBeNull();
  });

  it('refuses a currency change for a tenant with a live call before writing anything', async () => {
    ledger = newLedger(backend);
    await ledger.putTenant(tenant('acme', { currency: 'EUR' }));
    // An emergency call holds no money, yet it is live and locks the currency.
    const held = await ledger.hold(holdRequest('acme', 'sos-1', { sources: [free] }));
    expect(held.ok).toBe(true);
    expect((await ledger.balance('acme', T0)).liveCalls).toBe(1);
    const change = parseProvisioningFile(`
tenants:
  - { id: acme, name: Acme, currency: USD, country: DE }
users:
  - { id: newbie, tenantId: acme, upn: n@acme, displayName: Newbie, usageCountry: DE }
`, PLANS);
    if (!change.ok) throw new Error(change.problems.join('\n'));
    expect(await checkAgainstLedger(ledger, change.plan)).toEqual([
      'tenants[0].currency: tenant acme has 1 live call(s); change its currency after they end',
    ]);
    expect((await ledger.getTenant('acme'))?.currency).toBe('EUR');
    expect(await ledger.getUser('acme', 'newbie')).toBeNull();
    // Once the call has ended the same file goes through.
    await ledger.release('acme', 'sos-1', T0 + 1_000, 'caller_hangup');
    expect(await checkAgainstLedger(ledger, change.plan)).toEqual([]);
  });
});

describe('tollgate provision import', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-provision-'));
  afterEach(() => vi.restoreAllMocks());

  function configFile(prefix: string): string {
    const path = join(dir, `${prefix}.yaml`);
    writeFileSync(path, `redis:\n  url: ${inject('redisUrl')}\n  keyPrefix: ${prefix}\nhttp:\n  adminToken: test-admin-token-0123456789\n`);
    return path;
  }

  it('prints each problem by path, exits 1 and writes nothing', async () => {
    const prefix = uniquePrefix();
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, bad);
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(await provision(['import', file, '--config', configFile(prefix)])).toBe(1);
    const text = err.mock.calls.map((c) => String(c[0])).join('');
    expect(text).toMatch(/nothing was written/);
    expect(text).toMatch(/users\[3\]\.usageCountry: /);
    const ledger = newLedger('redis', { keyPrefix: prefix });
    try {
      expect(await ledger.listTenants()).toEqual([]);
    } finally {
      await ledger.close();
    }
  });

  it('imports the demo file', async () => {
    const prefix = uniquePrefix();
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const demoPath = new URL('../../config/demo-provisioning.yaml', import.meta.url).pathname;
    expect(await provision(['import', demoPath, '--config', configFile(prefix)])).toBe(0);
    expect(out.mock.calls.map((c) => String(c[0])).join('')).toMatch(/imported 1 tenant\(s\), 5 user\(s\), 2 service number\(s\)/);
    const ledger = newLedger('redis', { keyPrefix: prefix });
    try {
      expect(await ledger.listTenants()).toEqual(['demo']);
    } finally {
      await ledger.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
