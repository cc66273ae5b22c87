/**
 * DOMAIN.md rules 1-20 as seen by entitlement: who pays, in which order, or
 * which reject. Balance enforcement (18-20) is the ledger's; its side is here.
 */
import { describe, expect, it } from 'vitest';
import { decideEntitlement, isDomestic, type Entitlement, type EntitlementGrant } from '../../src/entitlement/decide.js';
import { parseMoney } from '../../src/money.js';
import { context, dial, inbound, JAN_2025, payer, rateBook, TENANT, user } from './entitlement-fixtures.js';

const ctx = context();

function granted(e: Entitlement): EntitlementGrant {
  if (!e.ok) throw new Error(`expected a grant, got ${e.code}: ${e.message}`);
  return e;
}

function rejected(e: Entitlement): string {
  if (e.ok) throw new Error(`expected a reject, got sources ${JSON.stringify(e.sources)}`);
  expect(e.message.length).toBeGreaterThan(10);
  return e.code;
}

describe('DOMAIN rules 1-20 (entitlement)', () => {
  it('rule 1: the tenant is the billed party, in its one currency; a rate in another currency is refused', () => {
    const g = granted(decideEntitlement(dial('user_out', '+4420794600'), payer(), ctx));
    expect(g.rate.currency).toBe(TENANT.currency);
    const jp = decideEntitlement(dial('user_out', '+81312345678'), payer(), ctx);
    expect(rejected(jp)).toBe('NO_RATE');
    expect(jp.ok === false && jp.message).toContain('USD');
  });

  it("rule 2: the user's usage country, plan, policy and licences decide, not the tenant's", () => {
    const us = granted(decideEntitlement(dial('user_out', '+14155550100'), payer(user({ usageCountry: 'US' })), ctx));
    const gb = granted(decideEntitlement(dial('user_out', '+14155550100'), payer(user({ usageCountry: 'GB' })), ctx));
    expect(us.sources[0]).toMatchObject({ kind: 'pool', pool: { country: 'US', scope: 'domestic' } });
    // From GB the same number is international, which the Domestic plan does not cover.
    expect(gb.sources).toEqual([{ kind: 'credits' }]);
    const noConf = decideEntitlement(dial('conf_out', '+14155550100'), payer(user({ licences: ['communicationCredits'] })), ctx);
    expect(rejected(noConf)).toBe('NO_LICENCE');
  });

  it('rule 3: domestic by the usage country, never the billing address; US and PR are one domestic area', () => {
    // The tenant is billed in Germany; a US user calling Germany is international.
    expect(granted(decideEntitlement(dial('user_out', '+4930123456'), payer(), ctx)).domestic).toBe('international');
    const pr = granted(decideEntitlement(dial('user_out', '+17875550100'), payer(), ctx));
    expect(pr.domestic).toBe('domestic');
    expect(pr.sources[0]).toMatchObject({ kind: 'pool', pool: { kind: 'plan', country: 'US', scope: 'domestic' } });
    const fromPr = granted(decideEntitlement(dial('user_out', '+14155550100'), payer(user({ usageCountry: 'PR' })), ctx));
    expect(fromPr.domestic).toBe('domestic');
    expect(isDomestic('US', 'CA')).toBe(false);
  });

  it('rule 4: a user_out call is priced by the destination row and names the destination country', () => {
    const g = granted(decideEntitlement(dial('user_out', '+447700900123'), payer(user({ plan: undefined })), ctx));
    expect(g).toMatchObject({ numberType: 'mobile', externalCountry: 'GB', rateVersion: 'rates-v1', emergency: false });
    expect(g.rate).toEqual({ currency: 'EUR', pricePerMinute: parseMoney('0.05'), connectFee: parseMoney('0.03'), initialIncrement: 30, subsequentIncrement: 6 });
  });

  it("rule 5: a dial-out is billed to the organizer whatever their location, at the destination's rate", () => {
    const fromUs = granted(decideEntitlement(dial('conf_out', '+4930123456'), payer(user({ usageCountry: 'US' })), ctx));
    const fromDe = granted(decideEntitlement(dial('conf_out', '+4930123456'), payer(user({ usageCountry: 'DE' })), ctx));
    expect(fromUs.rate).toEqual(fromDe.rate);
    expect(fromUs.domestic).toBe('international');
    expect(fromDe.domestic).toBe('domestic');
    expect(rejected(decideEntitlement(dial('conf_out', '+4930123456'), payer(null), ctx))).toBe('UNKNOWN_USER');
  });

  it('rule 6: toll-free inbound is paid by the owning tenant at the rate of the caller origin', () => {
    const fromUs = granted(decideEntitlement(inbound('conf_in', 'toll-free', '+14155550100', 'US'), payer(null), ctx));
    const fromDe = granted(decideEntitlement(inbound('ucap_in', 'toll-free', '+4930123456', 'DE'), payer(null), ctx));
    expect(fromUs.rate.pricePerMinute).toBe(parseMoney('0.03'));
    expect(fromDe.rate.pricePerMinute).toBe(parseMoney('0.035'));
    expect(fromUs).toMatchObject({ sources: [{ kind: 'credits' }], numberType: 'toll-free', externalCountry: 'US', domestic: 'international' });
  });

  it('rule 7: toll inbound calls are routed free and still produce a (zero) usage record', () => {
    const g = granted(decideEntitlement(inbound('ucap_in', 'toll', '+4930123456', 'DE', '+442079460000'), payer(null), ctx));
    expect(g.sources).toEqual([{ kind: 'free' }]);
    expect(g.rate).toMatchObject({ pricePerMinute: 0, connectFee: 0, currency: 'EUR' });
    expect(g).toMatchObject({ capabilityHint: 'free', requirePositiveBalance: false, externalCountry: 'DE' });
  });

  it('rule 8: emergency numbers are always allowed and free, whatever licence, policy or user', () => {
    const nobody = user({ plan: undefined, licences: [], policy: 'none', dialOutPolicy: 'none' });
    for (const [type, dialed, u] of [
      ['user_out', '911', nobody],
      ['user_out', 'sip:112@pbx.example;user=phone', user({ usageCountry: 'DE', plan: undefined, licences: [], policy: 'none' })],
      ['conf_out', '999', user({ usageCountry: 'GB', licences: [], dialOutPolicy: 'none' })],
      ['user_out', '112', null], // an unidentified caller still reaches emergency (tenant country DE)
    ] as const) {
      const g = granted(decideEntitlement({ type, dialed, atMs: JAN_2025 }, payer(u), ctx));
      expect(g).toMatchObject({ sources: [{ kind: 'free' }], emergency: true, capabilityHint: 'free' });
      expect(g.rate.pricePerMinute + g.rate.connectFee).toBe(0);
    }
    // Not an emergency number: "9110" is neither a short code nor a number, and is refused.
    expect(decideEntitlement({ type: 'user_out', dialed: '9110', atMs: JAN_2025 }, payer(nobody), ctx).ok).toBe(false);
  });

  it('rule 9: plan minutes first, then credits; credits only with the communicationCredits licence', () => {
    expect(granted(decideEntitlement(dial('user_out', '+14155550100'), payer(), ctx)).sources.map((s) => s.kind)).toEqual(['pool', 'credits']);
    const planOnly = payer(user({ licences: [] }));
    expect(granted(decideEntitlement(dial('user_out', '+14155550100'), planOnly, ctx)).sources.map((s) => s.kind)).toEqual(['pool']);
    const payg = payer(user({ plan: 'PAYG' }));
    expect(granted(decideEntitlement(dial('user_out', '+14155550100'), payg, ctx)).sources).toEqual([{ kind: 'credits' }]);
    expect(rejected(decideEntitlement(dial('user_out', '+14155550100'), payer(user({ plan: 'PAYG', licences: [] })), ctx))).toBe('NO_LICENCE');
    expect(rejected(decideEntitlement(dial('user_out', '+4420794600'), planOnly, ctx))).toBe('NO_LICENCE');
  });

  it('rule 10: pools are per usage country x plan x UTC month, sized allowance x holders', () => {
    const g = granted(decideEntitlement(dial('user_out', '+14155550100'), payer(), ctx));
    expect(g.sources[0]).toEqual({ kind: 'pool', pool: { kind: 'plan', country: 'US', sku: 'DOMESTIC', scope: 'domestic', month: '2025-01', sizeSeconds: 3000 * 60 * 3 } });
    const intl = granted(decideEntitlement(dial('user_out', '+4420794600'), payer(user({ plan: 'DOMESTIC_INTERNATIONAL' })), ctx));
    expect(intl.sources[0]).toMatchObject({ pool: { sku: 'DOMESTIC_INTERNATIONAL', scope: 'international', sizeSeconds: 600 * 60 * 2 } });
    const lastSecond = dial('user_out', '+14155550100', Date.UTC(2025, 0, 31, 23, 59, 59));
    const firstSecond = dial('user_out', '+14155550100', Date.UTC(2025, 1, 1, 0, 0, 0));
    expect(granted(decideEntitlement(lastSecond, payer(), ctx)).sources[0]).toMatchObject({ pool: { month: '2025-01' } });
    expect(granted(decideEntitlement(firstSecond, payer(), ctx)).sources[0]).toMatchObject({ pool: { month: '2025-02' } });
    const pr = granted(decideEntitlement(dial('user_out', '+17875550100'), payer(user({ usageCountry: 'PR' })), ctx));
    expect(pr.sources[0]).toMatchObject({ pool: { country: 'PR', sizeSeconds: 3000 * 60 } });
  });

  it('rule 11: the dial-out pool (60 min x licences) pays non-premium Zone A dial-outs, the organizer credits the rest', () => {
    const zoneA = granted(decideEntitlement(dial('conf_out', '+4420794600'), payer(), ctx));
    expect(zoneA.sources).toEqual([{ kind: 'pool', pool: { kind: 'dialout', month: '2025-01', sizeSeconds: 60 * 60 * 5 } }, { kind: 'credits' }]);
    expect(zoneA.capabilityHint).toBe('dialout_pool');
    expect(granted(decideEntitlement(dial('conf_out', '+74951234567'), payer(), ctx)).sources).toEqual([{ kind: 'credits' }]);
    const noCredits = payer(user({ licences: ['audioConferencing'] }));
    expect(granted(decideEntitlement(dial('conf_out', '+4420794600'), noCredits, ctx)).sources.map((s) => s.kind)).toEqual(['pool']);
    expect(rejected(decideEntitlement(dial('conf_out', '+74951234567'), noCredits, ctx))).toBe('NO_LICENCE');
    const noLicences = payer(user(), { audioConferencingLicences: 0 });
    expect(granted(decideEntitlement(dial('conf_out', '+4420794600'), noLicences, ctx)).sources).toEqual([{ kind: 'credits' }]);
  });

  // The mid-call switch itself is the ledger's: test/integration/ledger-holds.test.ts "draws a plan pool
  // first, hands over to credits mid-call…" and "ends a pool-only call when its pool minutes end (rule 12)".
  it('rule 12: credits follow the pool only when they may take over mid-call; otherwise the pool is the only source', () => {
    const both = granted(decideEntitlement(dial('user_out', '+14155550100'), payer(), ctx)).sources;
    expect(both.map((s) => s.kind)).toEqual(['pool', 'credits']);
    const poolOnly = granted(decideEntitlement(dial('user_out', '+14155550100'), payer(user({ licences: [] })), ctx)).sources;
    expect(poolOnly.map((s) => s.kind)).toEqual(['pool']);
  });

  it('rule 13: users with no plan and no credits licence cannot call out (emergency aside)', () => {
    const nobody = payer(user({ plan: undefined, licences: ['audioConferencing'] }));
    expect(rejected(decideEntitlement(dial('user_out', '+14155550100'), nobody, ctx))).toBe('NO_LICENCE');
    expect(granted(decideEntitlement({ type: 'user_out', dialed: '911', atMs: JAN_2025 }, nobody, ctx)).emergency).toBe(true);
  });

  it('rule 14: user outbound policy international_and_domestic / domestic / none', () => {
    const domesticOnly = payer(user({ policy: 'domestic' }));
    expect(decideEntitlement(dial('user_out', '+14155550100'), domesticOnly, ctx).ok).toBe(true);
    expect(decideEntitlement(dial('user_out', '+17875550100'), domesticOnly, ctx).ok).toBe(true);
    expect(rejected(decideEntitlement(dial('user_out', '+4420794600'), domesticOnly, ctx))).toBe('POLICY');
    expect(rejected(decideEntitlement(dial('user_out', '+14155550100'), payer(user({ policy: 'none' })), ctx))).toBe('POLICY');
    expect(decideEntitlement(dial('user_out', '+4420794600'), payer(), ctx).ok).toBe(true);
  });

  it('rule 15: conference dial-out policy any / same_country / zone_a / none', () => {
    const decide = (dialOutPolicy: 'any' | 'same_country' | 'zone_a' | 'none', to: string) =>
      decideEntitlement(dial('conf_out', to), payer(user({ dialOutPolicy })), ctx);
    expect(decide('any', '+74951234567').ok).toBe(true);
    expect(decide('same_country', '+14155550100').ok).toBe(true);
    expect(decide('same_country', '+17875550100').ok).toBe(true);
    expect(rejected(decide('same_country', '+4420794600'))).toBe('POLICY');
    expect(decide('zone_a', '+4420794600').ok).toBe(true);
    expect(rejected(decide('zone_a', '+74951234567'))).toBe('POLICY');
    expect(rejected(decide('none', '+14155550100'))).toBe('POLICY');
  });

  it('rule 16: premium numbers are blocked unless their row allows them, then paid with credits only', () => {
    expect(rejected(decideEntitlement(dial('user_out', '+19005550100'), payer(user({ usageCountry: 'US' })), ctx))).toBe('PREMIUM_BLOCKED');
    const allowed = granted(decideEntitlement(dial('user_out', '+449091234567'), payer(user({ plan: 'DOMESTIC_INTERNATIONAL' })), ctx));
    expect(allowed.sources).toEqual([{ kind: 'credits' }]);
    expect(allowed.numberType).toBe('premium');
    expect(rejected(decideEntitlement(dial('user_out', '+449091234567'), payer(user({ usageCountry: 'GB', licences: [] })), ctx))).toBe('NO_LICENCE');
    // GB is in Zone A, yet a premium dial-out never touches the dial-out pool.
    expect(granted(decideEntitlement(dial('conf_out', '+449091234567'), payer(), ctx)).sources).toEqual([{ kind: 'credits' }]);
  });

  it('rule 17: a destination with no rate is rejected, never let through free', () => {
    expect(rejected(decideEntitlement(dial('user_out', '+999123456'), payer(), ctx))).toBe('NO_RATE');
    expect(rejected(decideEntitlement(dial('conf_out', '+61212345678'), payer(), ctx))).toBe('NO_RATE');
    // A row not yet in effect does not price the call; the older shorter prefix (USD) is refused for currency.
    expect(rejected(decideEntitlement(dial('user_out', '+819012345678'), payer(), ctx))).toBe('NO_RATE');
    expect(rejected(decideEntitlement(inbound('conf_in', 'toll-free', '+61212345678', 'AU'), payer(null), ctx))).toBe('NO_RATE');
    expect(rejected(decideEntitlement(inbound('conf_in', 'toll-free', undefined, undefined), payer(null), ctx))).toBe('NO_RATE');
    const empty = context(rateBook([], []));
    expect(rejected(decideEntitlement(dial('user_out', '+14155550100'), payer(), empty))).toBe('NO_RATE');
  });

  // The balance check itself is the ledger's hold: test/integration/ledger-holds.test.ts "requires the
  // connection fee plus the first increment for a credit-funded call (rule 18)"; entitlement hands it the terms.
  it('rule 18: a credit-funded call carries the connection fee and first increment the ledger must cover', () => {
    const g = granted(decideEntitlement(dial('user_out', '+447700900123'), payer(user({ plan: undefined })), ctx));
    expect(g.sources).toEqual([{ kind: 'credits' }]);
    expect(g.rate.connectFee).toBe(parseMoney('0.03'));
    expect(g.rate.initialIncrement).toBe(30);
    expect(g.requirePositiveBalance).toBe(false);
  });

  // The refusal on a non-positive balance is the ledger's hold: test/integration/ledger-holds.test.ts
  // "refuses toll-free calls when the balance is at its floor, whatever the pools say (rule 19)".
  it('rule 19: toll-free inbound requires a positive balance whatever the pools say', () => {
    const g = granted(decideEntitlement(inbound('conf_in', 'toll-free', '+4420794600', 'GB'), payer(null), ctx));
    expect(g.requirePositiveBalance).toBe(true);
    expect(g.sources).toEqual([{ kind: 'credits' }]);
    expect(granted(decideEntitlement(dial('user_out', '+14155550100'), payer(), ctx)).requirePositiveBalance).toBe(false);
  });

  // Never-overspend is the ledger's: test/integration/ledger-holds.test.ts "cuts the call at the exact second
  // its money ends (rule 20)" and the fast-check properties of ledger-charge.test.ts. Entitlement holds no
  // money and no state, so concurrent decisions cannot interfere.
  it('rule 20: entitlement holds nothing: same inputs, same answer, inputs untouched', () => {
    const p = payer();
    const frozen = JSON.stringify(p);
    const call = dial('user_out', '+14155550100');
    const a = decideEntitlement(call, p, ctx);
    const b = decideEntitlement(call, p, ctx);
    expect(a).toEqual(b);
    expect(JSON.stringify(p)).toBe(frozen);
  });
});
