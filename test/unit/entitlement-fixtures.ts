/**
 * Literal rate rows, a small in-memory RateBook over them, and a provisioned
 * tenant with users, for the entitlement tests (test-only data).
 */
import type { PlanConfig } from '../../src/config/schema.js';
import type { Tenant, User } from '../../src/domain.js';
import type { CallFacts, EntitlementContext } from '../../src/entitlement/decide.js';
import type { PayerSnapshot } from '../../src/ledger/types.js';
import { parseMoney } from '../../src/money.js';
import type { NumberType, OutboundRate, RateBook, TollFreeRate } from '../../src/rating/types.js';

const EPOCH = 0;

function out(prefix: string, country: string, numberType: NumberType, price: string, extra: Partial<OutboundRate> = {}): OutboundRate {
  return {
    prefix,
    country,
    destination: `${country} ${numberType}`,
    numberType,
    currency: 'EUR',
    pricePerMinute: parseMoney(price),
    connectFee: 0,
    initialIncrement: 60,
    subsequentIncrement: 60,
    effectiveFrom: EPOCH,
    premiumAllowed: false,
    source: `outbound.csv:${prefix}`,
    ...extra,
  };
}

function tf(originPrefix: string, originCountry: string, price: string): TollFreeRate {
  return {
    originPrefix,
    originCountry,
    serviceCountry: '*',
    currency: 'EUR',
    pricePerMinute: parseMoney(price),
    connectFee: 0,
    initialIncrement: 60,
    subsequentIncrement: 60,
    effectiveFrom: EPOCH,
    source: `toll-free.csv:${originPrefix}`,
  };
}

export const JAN_2025 = Date.UTC(2025, 0, 15, 12, 0, 0);
export const JUN_2025 = Date.UTC(2025, 5, 1);

export const OUTBOUND_ROWS: OutboundRate[] = [
  out('1', 'US', 'landline', '0.01'),
  out('1787', 'PR', 'landline', '0.012'),
  out('1900', 'US', 'premium', '2.00'),
  out('44', 'GB', 'landline', '0.02'),
  out('447', 'GB', 'mobile', '0.05', { connectFee: parseMoney('0.03'), initialIncrement: 30, subsequentIncrement: 6 }),
  out('44909', 'GB', 'premium', '1.50', { premiumAllowed: true }),
  out('49', 'DE', 'landline', '0.015'),
  out('7', 'RU', 'landline', '0.20'),
  out('81', 'JP', 'landline', '0.10', { currency: 'USD' }),
  // A new Japanese mobile row in effect from June 2025 only.
  out('8190', 'JP', 'mobile', '0.30', { effectiveFrom: JUN_2025 }),
];

export const TOLL_FREE_ROWS: TollFreeRate[] = [tf('1', 'US', '0.03'), tf('44', 'GB', '0.04'), tf('49', 'DE', '0.035')];

const EMERGENCY: Record<string, string[]> = { US: ['911'], PR: ['911'], GB: ['999', '112'], DE: ['112', '110'], AU: ['000', '112'] };
const ZONE_A = new Set(['US', 'PR', 'GB', 'DE', 'CA']);

/** A RateBook over literal rows: longest prefix, latest row in effect at atMs. */
export function rateBook(rows = OUTBOUND_ROWS, tollFree = TOLL_FREE_ROWS, version = 'rates-v1'): RateBook {
  const longest = <R extends { effectiveFrom: number }>(candidates: Array<[string, R]>, digits: string, atMs: number) => {
    let best: [string, R] | undefined;
    for (const c of candidates) {
      if (!digits.startsWith(c[0]) || c[1].effectiveFrom > atMs) continue;
      if (!best || c[0].length > best[0].length || (c[0].length === best[0].length && c[1].effectiveFrom > best[1].effectiveFrom)) best = c;
    }
    return best?.[1];
  };
  return {
    version,
    outbound: (e164, atMs) => longest(rows.map((r) => [r.prefix, r]), e164.replace(/^\+/, ''), atMs),
    tollFree: (origin, serviceCountry, atMs) =>
      longest(
        tollFree.filter((r) => r.serviceCountry === '*' || r.serviceCountry === serviceCountry).map((r) => [r.originPrefix, r]),
        origin.replace(/^\+/, ''),
        atMs,
      ),
    isEmergency: (country, dialed) => (EMERGENCY[country] ?? []).includes(dialed),
    isEmergencyAnywhere: (dialed) => Object.values(EMERGENCY).some((numbers) => numbers.includes(dialed)),
    isZoneA: (country) => ZONE_A.has(country),
  };
}

export const PLANS: PlanConfig[] = [
  { sku: 'DOMESTIC', name: 'Domestic', domesticMinutes: 3000, internationalMinutes: 0 },
  { sku: 'DOMESTIC_INTERNATIONAL', name: 'Domestic and International', domesticMinutes: 3000, internationalMinutes: 600 },
  { sku: 'PAYG', name: 'Pay-As-You-Go', domesticMinutes: 0, internationalMinutes: 0 },
];

export function context(rates: RateBook = rateBook()): EntitlementContext {
  return { plans: PLANS, dialOutMinutesPerLicence: 60, rates };
}

/** Billed in EUR, billing address in Germany (which plays no part in domestic/international). */
export const TENANT: Tenant = { id: 't1', name: 'Acme', currency: 'EUR', country: 'DE', creditLimit: 0 };

export function user(fields: Partial<User> = {}): User {
  return {
    id: 'alice',
    tenantId: 't1',
    upn: 'alice@acme.example',
    displayName: 'Alice',
    usageCountry: 'US',
    plan: 'DOMESTIC',
    policy: 'international_and_domestic',
    dialOutPolicy: 'any',
    licences: ['communicationCredits', 'audioConferencing'],
    ...fields,
  };
}

/** A payer snapshot; `null` for calls with no user (inbound, an unknown caller). */
export function payer(u: User | null = user(), extra: Partial<PayerSnapshot> = {}): PayerSnapshot {
  return {
    tenant: TENANT,
    user: u ?? undefined,
    planHolders: { 'US:DOMESTIC': 3, 'US:DOMESTIC_INTERNATIONAL': 2, 'GB:DOMESTIC': 1, 'PR:DOMESTIC': 1 },
    audioConferencingLicences: 5,
    ...extra,
  };
}

const COUNTRY_BY_PREFIX: Array<[string, string]> = [
  ['1787', 'PR'], ['1', 'US'], ['44', 'GB'], ['49', 'DE'], ['7', 'RU'], ['81', 'JP'], ['61', 'AU'], ['999', 'ZZ'],
];

/** An outbound call's facts, with the destination country the call layer would find. */
export function dial(type: 'user_out' | 'conf_out', destination: string, atMs = JAN_2025): CallFacts {
  const digits = destination.replace(/^\+/, '');
  const country = COUNTRY_BY_PREFIX.find(([p]) => digits.startsWith(p))?.[1];
  return { type, dialed: destination, destination, destinationCountry: country, atMs };
}

export function inbound(
  type: 'conf_in' | 'ucap_in',
  kind: 'toll-free' | 'toll',
  caller: string | undefined,
  callerCountry: string | undefined,
  service = '+448001234567',
  serviceCountry = 'GB',
): CallFacts {
  return { type, dialed: service, destination: service, destinationCountry: serviceCountry, caller, callerCountry, serviceNumberKind: kind, atMs: JAN_2025 };
}
