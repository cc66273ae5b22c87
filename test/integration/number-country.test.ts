/**
 * One country per number (issue 11, item 5): +447911123456 is a Guernsey
 * range to libphonenumber but a GB row in the rate table; the quote and the
 * call's entitlement must name the same country, the table's.
 */
import { describe, expect, it } from 'vitest';
import { benchPerTest, provision, tenant, user, writeRateDir } from './calls-harness.js';
import { auth, startHarness } from './http-harness.js';

describe('the country of a number', () => {
  const bench = benchPerTest();

  it('a GB user with a domestic policy calls +447911123456 as domestic, recorded External Country GB', async () => {
    const b = await bench();
    await provision(b, tenant('acme'), 5_000_000, [user('acme', 'ann', { policy: 'domestic' })]);
    const { outcome, session } = await b.call({ tenantId: 'acme', userId: 'ann', dialed: '+447911123456' });
    expect(outcome).toMatchObject({ allowed: true });
    await session.answered(b.clock.now());
    await b.clock.advance(5_000);
    await session.end('caller_hangup', b.clock.now());
    expect(await b.usage('acme')).toMatchObject([{ externalCountry: 'GB', domestic: 'domestic', numberType: 'mobile' }]);
  });

  it('the API quote names the same country', async () => {
    const h = await startHarness({ ratesDir: writeRateDir() });
    try {
      const r = await h.app.inject({ url: '/v1/rates/quote?to=%2B447911123456', headers: auth });
      expect(r.statusCode).toBe(200);
      expect(r.json()).toMatchObject({ country: 'GB' });
    } finally {
      await h.close();
    }
  });
});
