/**
 * DOMAIN rule 28 through the call control: refusals by code (destination
 * rules, high-risk prefixes, concurrent calls), a live call cut at the second
 * its spend limit is reached, and refused calls still leaving usage records.
 */
import { describe, expect, it } from 'vitest';
import { benchPerTest, provision, tenant, user } from './calls-harness.js';

describe('call limits (rule 28)', () => {
  const bench = benchPerTest();

  it('refuses destinations a tenant denies or does not allow, with their own code and a usage record', async () => {
    const b = await bench();
    await provision(b, tenant('acme', { limits: { denyCountries: ['FR'], allowPrefixes: ['44'] } }), 5_000_000, [user('acme', 'ann')]);
    const france = await b.call({ tenantId: 'acme', userId: 'ann', dialed: '+33142685300' });
    expect(france.outcome).toMatchObject({ allowed: false, code: 'LIMIT_DESTINATION', message: expect.stringMatching(/denies calls to FR/) });
    const us = await b.call({ tenantId: 'acme', userId: 'ann', dialed: '+12025550123' });
    expect(us.outcome).toMatchObject({ allowed: false, code: 'LIMIT_DESTINATION', message: expect.stringMatching(/allows calls only to \+44/) });
    expect((await b.call({ tenantId: 'acme', userId: 'ann', dialed: '+442079460000' })).outcome).toMatchObject({ allowed: true });
    expect((await b.usage('acme')).filter((r) => r.endReason === 'rejected')).toHaveLength(2);
    expect(await b.counter('callDecisions', { reason: 'LIMIT_DESTINATION' })).toBe(2);
  });

  it('refuses a high-risk prefix unless the tenant or user allows it; never an emergency call', async () => {
    const b = await bench();
    await provision(b, tenant('acme', { limits: { concurrentCalls: 1 } }), 5_000_000, [
      user('acme', 'ann'),
      user('acme', 'bob', { limits: { allowHighRisk: ['447999'] } }),
    ]);
    expect((await b.call({ tenantId: 'acme', userId: 'ann', dialed: '+447999123456' })).outcome).toMatchObject({ allowed: false, code: 'HIGH_RISK_DENIED' });
    const bob = await b.call({ tenantId: 'acme', userId: 'bob', dialed: '+447999123456' });
    expect(bob.outcome).toMatchObject({ allowed: true });
    // The tenant's one live call is taken: the next is refused for the limit, an emergency call is not.
    expect((await b.call({ tenantId: 'acme', userId: 'ann', dialed: '+442079460000' })).outcome).toMatchObject({ allowed: false, code: 'LIMIT_CONCURRENT' });
    expect((await b.call({ tenantId: 'acme', userId: 'ann', dialed: '999' })).outcome).toMatchObject({ allowed: true, callType: 'emergency' });
  });

  it('cuts a live call at the exact second its spend limit is reached (limit_reached), and charges that', async () => {
    const b = await bench();
    // One cent a second (1/1); the hour may spend 0.45: 45 s, with 50.00 in the balance.
    await provision(b, tenant('acme', { limits: { spendPerHour: 450_000 } }), 50_000_000, [user('acme', 'ann')]);
    const { session, transport } = await b.call({ tenantId: 'acme', userId: 'ann', dialed: '+447700900123' });
    await session.answered(b.clock.now());
    const answeredAt = b.clock.now();
    await b.clock.advance(120_000);
    expect(transport.hangUps).toEqual([{ reason: 'limit_reached', atMs: answeredAt + 45_000 }]);
    const [record] = await b.usage('acme');
    expect(record).toMatchObject({ endReason: 'limit_reached', durationSeconds: 45, charge: 450_000 });
    expect(await b.counter('cutoffs', { reason: 'limit_reached' })).toBe(1);
    // The hour's money is spent: the next call is refused for the limit, not for funds.
    expect((await b.call({ tenantId: 'acme', userId: 'ann', dialed: '+447700900123' })).outcome).toMatchObject({ allowed: false, code: 'LIMIT_SPEND' });
  });
});
