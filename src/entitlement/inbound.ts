/**
 * Who pays for inbound calls to a tenant's service numbers: toll-free calls
 * are paid by the owning tenant at the caller-origin rate (rules 6, 19), toll
 * calls are free but still recorded (rule 7).
 */
import type { FundingSource } from '../domain.js';
import type { PayerSnapshot } from '../ledger/types.js';
import { capabilityOf, currencyMismatch, freeTerms, reject, termsOf } from './common.js';
import { isDomestic } from './geography.js';
import type { CallFacts, Entitlement, EntitlementContext } from './types.js';

function domesticOf(a: string | undefined, b: string | undefined): 'domestic' | 'international' | undefined {
  if (!a || !b) return undefined;
  return isDomestic(a, b) ? 'domestic' : 'international';
}

export function decideInbound(call: CallFacts, payer: PayerSnapshot, ctx: EntitlementContext): Entitlement {
  const number = call.destination ?? call.dialed;
  if (!call.serviceNumberKind || !call.destination || !call.destinationCountry) {
    return reject('UNKNOWN_NUMBER', `${number} is not a provisioned service number (kind and country unknown)`);
  }
  if (call.serviceNumberKind === 'toll') {
    const sources: FundingSource[] = [{ kind: 'free' }];
    return {
      ok: true,
      sources,
      rate: freeTerms(payer.tenant.currency),
      rateVersion: ctx.rates.version,
      domestic: domesticOf(call.destinationCountry, call.callerCountry),
      capabilityHint: capabilityOf(sources),
      requirePositiveBalance: false,
      externalCountry: call.callerCountry,
      emergency: false,
    };
  }
  // Anonymous callers are priced by the book's catch-all origin row, if it has one.
  const origin = call.caller ?? '';
  const row = ctx.rates.tollFree(origin, call.destinationCountry, call.atMs);
  if (!row) {
    return reject(
      'NO_RATE',
      `no toll-free rate for a caller from ${origin || 'an unknown origin'} to ${call.destinationCountry} toll-free number ${number}`,
    );
  }
  const mismatch = currencyMismatch(row, payer.tenant);
  if (mismatch) return mismatch;
  const sources: FundingSource[] = [{ kind: 'credits' }];
  const externalCountry = row.originCountry || call.callerCountry;
  return {
    ok: true,
    sources,
    rate: termsOf(row),
    rateVersion: ctx.rates.version,
    numberType: 'toll-free',
    domestic: domesticOf(call.destinationCountry, externalCountry),
    capabilityHint: capabilityOf(sources),
    requirePositiveBalance: true,
    externalCountry,
    emergency: false,
  };
}
