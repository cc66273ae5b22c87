/**
 * Building blocks shared by the per-call-type decisions: rejects, the rate
 * lookup with its currency guard, zero terms for free calls, emergency grants.
 */
import { capabilityLabel, type FundingSource, type RejectCode, type Tenant } from '../domain.js';
import type { OutboundRate, RateBook, RateTerms, TollFreeRate } from '../rating/types.js';
import { dialedDigits, isDomestic } from './geography.js';
import type { CallFacts, EntitlementGrant, EntitlementReject } from './types.js';

export function reject(code: RejectCode, message: string): EntitlementReject {
  return { ok: false, code, message };
}

/** The price terms of a rate row, without the row's bookkeeping fields. */
export function termsOf(row: RateTerms): RateTerms {
  return {
    currency: row.currency,
    pricePerMinute: row.pricePerMinute,
    connectFee: row.connectFee,
    initialIncrement: row.initialIncrement,
    subsequentIncrement: row.subsequentIncrement,
    ...(row.bands ? { bands: row.bands } : {}),
  };
}

/** Terms that charge nothing, for emergency and toll inbound calls. */
export function freeTerms(currency: string): RateTerms {
  return { currency, pricePerMinute: 0, connectFee: 0, initialIncrement: 60, subsequentIncrement: 60 };
}

/**
 * The usage record's Capability for the sources that paid: a plan SKU,
 * "dialout_pool", "credits" or "free", joined with "+" ("DOMESTIC+credits").
 */
export function capabilityOf(sources: readonly FundingSource[]): string {
  const labels: string[] = [];
  for (const s of sources) {
    const label = capabilityLabel(s);
    if (!labels.includes(label)) labels.push(label);
  }
  return labels.join('+');
}

/**
 * A rate row is usable only in the tenant's currency: charging a EUR tenant
 * from a USD row would debit the wrong amount, and letting the call through
 * free is never an option (rule 17).
 */
export function currencyMismatch<R extends OutboundRate | TollFreeRate>(row: R, tenant: Tenant): EntitlementReject | undefined {
  if (row.currency === tenant.currency) return undefined;
  return reject(
    'NO_RATE',
    `rate row ${row.source} is priced in ${row.currency} but tenant ${tenant.id} is billed in ${tenant.currency}; add a ${tenant.currency} rate`,
  );
}

/**
 * Rule 8: an emergency number is allowed and free whatever the licence,
 * policy, pool or balance. It is recognized in the payer's usage country, the
 * destination's country, or the tenant's country, so a short code that did not
 * normalize still gets through.
 */
export function emergencyGrant(
  call: CallFacts,
  tenant: Tenant,
  usageCountry: string | undefined,
  rates: RateBook,
): EntitlementGrant | undefined {
  const digits = dialedDigits(call.dialed);
  if (digits === '') return undefined;
  const countries = [usageCountry, call.destinationCountry, tenant.country].filter(
    (c): c is string => typeof c === 'string' && c !== '',
  );
  const country = countries.find((c) => rates.isEmergency(c, digits));
  if (country === undefined) return undefined;
  const sources: FundingSource[] = [{ kind: 'free' }];
  return {
    ok: true,
    sources,
    rate: freeTerms(tenant.currency),
    rateVersion: rates.version,
    domestic: isDomestic(usageCountry ?? country, call.destinationCountry ?? country) ? 'domestic' : 'international',
    capabilityHint: 'free',
    requirePositiveBalance: false,
    externalCountry: call.destinationCountry ?? country,
    emergency: true,
  };
}
