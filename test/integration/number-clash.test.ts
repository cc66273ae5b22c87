/**
 * A phone number is either a user's or a service number, never both, across
 * tenants (issue 11, item 24): the ledger refuses NUMBER_TAKEN, the API 409,
 * a provisioning file names the clash.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { User } from '../../src/domain.js';
import { checkAgainstLedger, parseProvisioningFile } from '../../src/ledger/provisioning-file.js';
import type { RedisLedger } from '../../src/ledger/redis-ledger.js';
import { PLANS, newLedger, tenant } from '../support/ledger-fixtures.js';

let ledger: RedisLedger | undefined;
afterEach(async () => {
  await ledger?.close();
  ledger = undefined;
});

const ann = (number: string, tenantId = 'acme'): User => ({
  id: 'ann', tenantId, upn: 'ann@acme', displayName: 'Ann', usageCountry: 'DE', number,
  policy: 'international_and_domestic', dialOutPolicy: 'any', licences: [],
});

describe('user numbers and service numbers', () => {
  it('the ledger refuses a user number that is a service number of another tenant, and the reverse', async () => {
    ledger = newLedger('redis');
    await ledger.putTenant(tenant('acme'));
    await ledger.putTenant(tenant('beta'));
    await ledger.putServiceNumber({ number: '+4980012345', tenantId: 'beta', kind: 'toll-free', service: 'conferencing', target: 'sip:conf@beta.example' });
    await expect(ledger.putUser(ann('+4980012345'))).rejects.toMatchObject({
      code: 'NUMBER_TAKEN',
      message: expect.stringContaining('+4980012345 is a service number of tenant beta'),
    });
    await ledger.putUser(ann('+4930111222'));
    await expect(
      ledger.putServiceNumber({ number: '+4930111222', tenantId: 'beta', kind: 'toll', service: 'call_queue', target: 'sip:q@beta.example' }),
    ).rejects.toMatchObject({ code: 'NUMBER_TAKEN', message: expect.stringContaining('+4930111222 is assigned to user ann of tenant acme') });
    // Within the same tenant too: one number, one meaning.
    await expect(
      ledger.putServiceNumber({ number: '+4930111222', tenantId: 'acme', kind: 'toll', service: 'call_queue', target: 'sip:q@acme.example' }),
    ).rejects.toMatchObject({ code: 'NUMBER_TAKEN' });
  });

  it('a provisioning file is checked against both kinds of number in Redis', async () => {
    ledger = newLedger('redis');
    await ledger.putTenant(tenant('beta'));
    await ledger.putServiceNumber({ number: '+4980012345', tenantId: 'beta', kind: 'toll-free', service: 'conferencing', target: 'sip:conf@beta.example' });
    await ledger.putUser(ann('+4930111222', 'beta'));
    const outcome = parseProvisioningFile(`
tenants:
  - { id: acme, name: Acme, currency: EUR, country: DE }
users:
  - { id: bob, tenantId: acme, upn: bob@acme, displayName: Bob, usageCountry: DE, number: "+4980012345" }
serviceNumbers:
  - { number: "+4930111222", tenantId: acme, kind: toll, service: call_queue, target: "sip:q@acme.example" }
`, PLANS);
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(await checkAgainstLedger(ledger, outcome.plan)).toEqual([
      'users[0].number: +4980012345 is a service number of tenant beta',
      'serviceNumbers[0].number: +4930111222 is assigned to user ann of tenant beta',
    ]);
  });
});
