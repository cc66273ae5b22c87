/**
 * Identification a bridge sends that cannot name anyone (issue 11, items 3b
 * and 25): a tenant, user or organizer header that is no valid id is refused
 * UNKNOWN_TENANT / UNKNOWN_USER and counted as a refusal, never UNAVAILABLE;
 * a conference dial-out without an organizer is refused UNKNOWN_USER.
 */
import { describe, expect, it } from 'vitest';
import { benchPerTest, provision, tenant, user } from './calls-harness.js';

describe('identification headers that are not valid ids', () => {
  const bench = benchPerTest();

  it('refuses them as unknown tenant or user, counted as refusals, holding nothing', async () => {
    const b = await bench();
    await provision(b, tenant('acme'), 5_000_000, [user('acme', 'ann', { licences: ['communicationCredits', 'audioConferencing'] })]);
    const cases = [
      [{ tenantId: '{x}', userId: 'ann' }, 'UNKNOWN_TENANT', /tenant id "\{x\}" is not a valid id/],
      [{ tenantId: '{acc-1}', userId: 'ann' }, 'UNKNOWN_TENANT', /"\{acc-1\}"/],
      [{ tenantId: 'caf\u00c3\u00a9\ufffd', userId: 'ann' }, 'UNKNOWN_TENANT', /not a valid id/],
      [{ tenantId: 'a'.repeat(65), userId: 'ann' }, 'UNKNOWN_TENANT', /not a valid id/],
      [{ tenantId: 'acme', userId: '{ann}' }, 'UNKNOWN_USER', /user id "\{ann\}" is not a valid id/],
      [{ tenantId: 'acme', userId: 'a b' }, 'UNKNOWN_USER', /not a valid id/],
      [{ tenantId: 'acme', organizerId: '{org}', conferenceId: 'm-1' }, 'UNKNOWN_USER', /organizer id "\{org\}" is not a valid id/],
    ] as const;
    for (const [setup, code, message] of cases) {
      const { outcome } = await b.call({ ...setup, dialed: '+442079460000' });
      expect(outcome, JSON.stringify(setup)).toMatchObject({ allowed: false, code });
      expect(outcome.allowed === false && outcome.message).toMatch(message);
    }
    expect(await b.counter('callDecisions', { decision: 'reject' })).toBe(cases.length);
    expect(await b.counter('callDecisions', { decision: 'error' })).toBe(0);
    expect(await b.ledger.balance('acme', b.clock.now())).toMatchObject({ balance: 5_000_000, held: 0 });
  });
});

describe('conference dial-out without an organizer', () => {
  const bench = benchPerTest();

  it('is refused UNKNOWN_USER even when a user is named, and is never billed to that user', async () => {
    const b = await bench();
    await provision(b, tenant('acme'), 5_000_000, [user('acme', 'ann', { licences: ['communicationCredits', 'audioConferencing'] })]);
    const byType = await b.call({ tenantId: 'acme', userId: 'ann', callType: 'conf_out', dialed: '+442079460000' });
    expect(byType.outcome).toMatchObject({ allowed: false, code: 'UNKNOWN_USER' });
    const byConference = await b.call({ tenantId: 'acme', userId: 'ann', conferenceId: 'm-1', dialed: '+442079460000' });
    expect(byConference.outcome).toMatchObject({ allowed: false, code: 'UNKNOWN_USER' });
    expect(byConference.outcome.allowed === false && byConference.outcome.message).toMatch(/organizer/);
    expect(await b.ledger.balance('acme', b.clock.now())).toMatchObject({ held: 0 });
  });
});
