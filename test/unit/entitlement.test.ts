/**
 * Entitlement beyond the rule table: bad input gives a clear reject, capability
 * labels, dialed-string handling, and properties over random users.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Licence, User } from '../../src/domain.js';
import { capabilityOf, decideEntitlement, dialedDigits, utcMonth, type CallFacts } from '../../src/entitlement/decide.js';
import { context, dial, inbound, JAN_2025, payer, TENANT, user } from './entitlement-fixtures.js';

const ctx = context();

describe('entitlement: bad input', () => {
  it('a destination that did not normalize is MALFORMED_NUMBER (unless it is an emergency code)', () => {
    const e = decideEntitlement({ type: 'user_out', dialed: '12ab', atMs: JAN_2025 }, payer(), ctx);
    expect(e).toMatchObject({ ok: false, code: 'MALFORMED_NUMBER' });
    expect(e.ok === false && e.message).toContain('12ab');
  });

  it('a user of another tenant is UNKNOWN_USER', () => {
    const e = decideEntitlement(dial('user_out', '+14155550100'), payer(user({ tenantId: 't2' })), ctx);
    expect(e).toMatchObject({ ok: false, code: 'UNKNOWN_USER' });
  });

  it('a user_out call with no user is UNKNOWN_USER', () => {
    expect(decideEntitlement(dial('user_out', '+14155550100'), payer(null), ctx)).toMatchObject({ ok: false, code: 'UNKNOWN_USER' });
  });

  it('an inbound call without a service number kind is UNKNOWN_NUMBER', () => {
    const call: CallFacts = { ...inbound('conf_in', 'toll-free', '+14155550100', 'US'), serviceNumberKind: undefined };
    expect(decideEntitlement(call, payer(null), ctx)).toMatchObject({ ok: false, code: 'UNKNOWN_NUMBER' });
  });

  it('a plan SKU missing from the catalog is no pool; with no credits the reject names the SKU', () => {
    const withCredits = decideEntitlement(dial('user_out', '+14155550100'), payer(user({ plan: 'GONE' })), ctx);
    expect(withCredits).toMatchObject({ ok: true, sources: [{ kind: 'credits' }] });
    const without = decideEntitlement(dial('user_out', '+14155550100'), payer(user({ plan: 'GONE', licences: [] })), ctx);
    expect(without).toMatchObject({ ok: false, code: 'NO_LICENCE' });
    expect(without.ok === false && without.message).toContain('"GONE" is not in the plan catalog');
  });

  it('a plan pool is at least one allowance when the holder count lags behind the user', () => {
    const e = decideEntitlement(dial('user_out', '+14155550100'), payer(user(), { planHolders: {} }), ctx);
    expect(e.ok && e.sources[0]).toMatchObject({ kind: 'pool', pool: { sizeSeconds: 3000 * 60 } });
  });

  it('an unknown call type or a non-finite time is a programming error that throws', () => {
    const bad = { ...dial('user_out', '+14155550100'), type: 'emergency' } as unknown as CallFacts;
    expect(() => decideEntitlement(bad, payer(), ctx)).toThrow(/call type "emergency"/);
    expect(() => utcMonth(Number.NaN)).toThrow(RangeError);
  });
});

describe('entitlement: helpers', () => {
  it('capabilityOf names what paid', () => {
    const pool = { kind: 'pool' as const, pool: { kind: 'plan' as const, country: 'US', sku: 'DOMESTIC', scope: 'domestic' as const, month: '2025-01', sizeSeconds: 60 } };
    expect(capabilityOf([pool, { kind: 'credits' }])).toBe('DOMESTIC+credits');
    expect(capabilityOf([{ kind: 'pool', pool: { kind: 'dialout', month: '2025-01', sizeSeconds: 60 } }])).toBe('dialout_pool');
    expect(capabilityOf([{ kind: 'free' }])).toBe('free');
  });

  it('dialedDigits keeps the user part of SIP and tel URIs', () => {
    expect(dialedDigits('sip:911@10.0.0.1;user=phone')).toBe('911');
    expect(dialedDigits('tel:+1-415-555-0100')).toBe('+14155550100');
    expect(dialedDigits(' 0044 20 7946 0000 ')).toBe('00442079460000');
  });
});

const licenceSets: Licence[][] = [[], ['communicationCredits'], ['audioConferencing'], ['communicationCredits', 'audioConferencing']];
const arbUser = fc.record({
  usageCountry: fc.constantFrom('US', 'PR', 'GB', 'DE', 'AU'),
  plan: fc.constantFrom(undefined, 'DOMESTIC', 'DOMESTIC_INTERNATIONAL', 'PAYG', 'GONE'),
  policy: fc.constantFrom('international_and_domestic', 'domestic', 'none') as fc.Arbitrary<User['policy']>,
  dialOutPolicy: fc.constantFrom('any', 'same_country', 'zone_a', 'none') as fc.Arbitrary<User['dialOutPolicy']>,
  licences: fc.constantFrom(...licenceSets),
});
const destinations = ['+14155550100', '+17875550100', '+19005550100', '+4420794600', '+447700900123', '+449091234567', '+4930123456', '+74951234567', '+81312345678', '+999123456'];

describe('entitlement: properties', () => {
  it('any user, any policy: emergency numbers of their usage country are allowed and free', () => {
    fc.assert(
      fc.property(arbUser, fc.constantFrom('user_out', 'conf_out') as fc.Arbitrary<'user_out' | 'conf_out'>, (u, type) => {
        const code = { US: '911', PR: '911', GB: '999', DE: '112', AU: '000' }[u.usageCountry]!;
        const e = decideEntitlement({ type, dialed: code, atMs: JAN_2025 }, payer(user(u)), ctx);
        expect(e).toMatchObject({ ok: true, sources: [{ kind: 'free' }], emergency: true });
      }),
    );
  });

  it('every grant of an outbound call has sources, is in the tenant currency, and credits only with the licence', () => {
    fc.assert(
      fc.property(arbUser, fc.constantFrom('user_out', 'conf_out') as fc.Arbitrary<'user_out' | 'conf_out'>, fc.constantFrom(...destinations), (u, type, to) => {
        const e = decideEntitlement(dial(type, to), payer(user(u)), ctx);
        if (!e.ok) return;
        expect(e.sources.length).toBeGreaterThan(0);
        expect(e.rate.currency).toBe(TENANT.currency);
        expect(e.sources.some((s) => s.kind === 'free')).toBe(false);
        if (e.sources.some((s) => s.kind === 'credits')) expect(u.licences).toContain('communicationCredits');
        if (e.numberType === 'premium') expect(e.sources).toEqual([{ kind: 'credits' }]);
        // Credits, when present, always come last: pools are drawn first (rule 9).
        const credits = e.sources.findIndex((s) => s.kind === 'credits');
        if (credits >= 0) expect(credits).toBe(e.sources.length - 1);
      }),
    );
  });
});

describe('entitlement with the sample rate tables (rates/)', () => {
  it('decides against the real rate book: emergency, plan pool, Zone A dial-out, premium, toll-free', async () => {
    const { loadRateBook } = await import('../../src/rating/rate-loader.js');
    const { book } = await loadRateBook('rates');
    const usd = { ...TENANT, currency: 'USD' };
    const real = context(book);
    const at = Date.UTC(2025, 5, 15);
    const p = { ...payer(), tenant: usd };
    const call = (type: 'user_out' | 'conf_out', to: string, country: string): CallFacts => ({ type, dialed: to, destination: to, destinationCountry: country, atMs: at });
    expect(decideEntitlement({ type: 'user_out', dialed: '911', atMs: at }, p, real)).toMatchObject({ ok: true, emergency: true, sources: [{ kind: 'free' }] });
    expect(decideEntitlement(call('user_out', '+14155550100', 'US'), p, real)).toMatchObject({ ok: true, sources: [{ kind: 'pool' }, { kind: 'credits' }], rateVersion: book.version });
    expect(decideEntitlement(call('conf_out', '+442079460000', 'GB'), p, real)).toMatchObject({ ok: true, sources: [{ kind: 'pool', pool: { kind: 'dialout' } }, { kind: 'credits' }] });
    expect(decideEntitlement(call('user_out', '+19005550100', 'US'), p, real)).toMatchObject({ ok: false, code: 'PREMIUM_BLOCKED' });
    const tollFree: CallFacts = { type: 'conf_in', dialed: '+18005550100', destination: '+18005550100', destinationCountry: 'US', caller: '+14155550100', callerCountry: 'US', serviceNumberKind: 'toll-free', atMs: at };
    expect(decideEntitlement(tollFree, { ...payer(null), tenant: usd }, real)).toMatchObject({ ok: true, sources: [{ kind: 'credits' }], requirePositiveBalance: true, numberType: 'toll-free' });
  });
});
