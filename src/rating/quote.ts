/**
 * One quote, one shape: the price of a call of a given length as the gateway
 * would rate it, shared by the admin API (GET /v1/rates/quote) and
 * `tollgate rates quote --json`. A quote is refused the way the call would be
 * (NO_RATE, PREMIUM_BLOCKED), so a price is never shown for a call that
 * cannot happen.
 */
import { formatMoney } from '../money.js';
import { bandAt, cachedBandChanges, pricePoints } from './bands.js';
import { bandedChargeFor, billedSeconds, chargeFor } from './charge.js';
import { countryOfNormalized } from './number-country.js';
import { normalizeNumber } from './phone-number.js';
import type { OutboundRate, RateBook, TollFreeRate } from './types.js';

export interface QuoteRequest {
  /** Destination (outbound) or the toll-free number dialed. */
  to: string;
  /** Caller's number; required for toll-free. */
  from?: string;
  seconds: number;
  atMs: number;
  tollFree: boolean;
  /** Country for national numbers and emergency short codes. */
  country?: string;
}

/** The quote; money is decimal text in the rate's currency, times ISO 8601 UTC. */
export interface Quote {
  kind: 'outbound' | 'toll-free' | 'emergency';
  rateVersion: string;
  /** The instant whose rates apply. */
  at: string;
  to: string;
  from?: string;
  /** Destination country (outbound), caller origin country (toll-free), the given country (emergency). */
  country?: string;
  destination?: string;
  /** Matched prefix: destination (outbound) or caller origin (toll-free). */
  prefix?: string;
  numberType?: string;
  premiumAllowed?: boolean;
  currency?: string;
  pricePerMinute?: string;
  connectFee?: string;
  initialIncrement?: number;
  subsequentIncrement?: number;
  effectiveFrom?: string;
  seconds: number;
  billedSeconds: number;
  /** "0" for an emergency call: always allowed, never charged. */
  charge: string;
  /** Rate file and line of the row used. */
  source?: string;
  /** Banded rates (rule 29): the band in force at `at`, its schedule and time zone. */
  band?: string;
  schedule?: string;
  timeZone?: string;
  /** Banded rates: the billed time per band, in order (seconds from the answer at `at`). */
  segments?: QuoteSegment[];
}

/** One stretch of a banded call's billed time at one band's price. */
export interface QuoteSegment {
  band: string;
  /** First billed second of the stretch, counted from the answer. */
  fromSecond: number;
  seconds: number;
  pricePerMinute: string;
}

export type QuoteOutcome =
  | { ok: true; quote: Quote }
  | { ok: false; code: 'BAD_NUMBER'; fields: Array<{ path: 'to' | 'from'; message: string }> }
  | { ok: false; code: 'NO_RATE' | 'PREMIUM_BLOCKED'; message: string };

/** The band at the answer and the billed seconds per band (rule 29), as the ledger's settle prices them. */
function banding(rate: OutboundRate | TollFreeRate, req: QuoteRequest, billed: number) {
  const bands = rate.bands;
  if (!bands) return {};
  const { schedule } = bands;
  const segments: QuoteSegment[] = [];
  const changes = cachedBandChanges(schedule, req.atMs, req.atMs + Math.max(billed, 1) * 1000);
  changes.forEach((c, i) => {
    const from = i === 0 ? 0 : Math.ceil((c.atMs - req.atMs) / 1000);
    const next = changes[i + 1];
    const to = next ? Math.min(billed, Math.ceil((next.atMs - req.atMs) / 1000)) : billed;
    if (to > from) segments.push({ band: schedule.bands[c.band]!, fromSecond: from, seconds: to - from, pricePerMinute: formatMoney(bands.prices[c.band]!, rate.currency) });
  });
  return { band: schedule.bands[bandAt(schedule, req.atMs)]!, schedule: schedule.name, timeZone: schedule.timeZone, segments };
}

function priced(rate: OutboundRate | TollFreeRate, req: QuoteRequest, book: RateBook) {
  const c = rate.currency;
  const billed = billedSeconds(req.seconds, rate.initialIncrement, rate.subsequentIncrement);
  // As the ledger prices it: the hold's price points from the call's start, here its answer.
  const charge = rate.bands ? bandedChargeFor(rate, pricePoints(rate.bands, req.atMs), req.atMs, req.seconds) : chargeFor(rate, req.seconds);
  return {
    currency: c,
    pricePerMinute: formatMoney(rate.pricePerMinute, c),
    connectFee: formatMoney(rate.connectFee, c),
    initialIncrement: rate.initialIncrement,
    subsequentIncrement: rate.subsequentIncrement,
    effectiveFrom: new Date(rate.effectiveFrom).toISOString(),
    seconds: req.seconds,
    billedSeconds: billed,
    charge: formatMoney(charge, c),
    source: rate.source,
    rateVersion: book.version,
    ...banding(rate, req, billed),
  };
}

export function quoteCall(book: RateBook, req: QuoteRequest): QuoteOutcome {
  const at = new Date(req.atMs).toISOString();
  if (!req.tollFree && req.country !== undefined && book.isEmergency(req.country, req.to)) {
    return {
      ok: true,
      quote: { kind: 'emergency', rateVersion: book.version, at, to: req.to, country: req.country, seconds: req.seconds, billedSeconds: 0, charge: '0' },
    };
  }
  const to = normalizeNumber(req.to, req.country);
  const from = req.from !== undefined ? normalizeNumber(req.from, req.country) : undefined;
  const fields: Array<{ path: 'to' | 'from'; message: string }> = [];
  if (!to.ok) fields.push({ path: 'to', message: to.reason });
  if (from && !from.ok) fields.push({ path: 'from', message: from.reason });
  if (req.tollFree && !from) fields.push({ path: 'from', message: "required for a toll-free quote: the caller's origin picks the rate" });
  if (!to.ok || (from && !from.ok) || fields.length > 0) return { ok: false, code: 'BAD_NUMBER', fields };
  const fromE164 = from?.ok ? { from: from.e164 } : {};

  if (req.tollFree && from?.ok) {
    const serviceCountry = countryOfNormalized(book, to, req.atMs);
    if (!serviceCountry) return { ok: false, code: 'BAD_NUMBER', fields: [{ path: 'to', message: `cannot tell the country of toll-free number ${to.e164}` }] };
    const row = book.tollFree(from.e164, serviceCountry, req.atMs);
    if (!row) {
      return { ok: false, code: 'NO_RATE', message: `no toll-free rate for a caller ${from.e164} reaching a ${serviceCountry} number at ${at} (rates ${book.version}): the call would be rejected` };
    }
    return {
      ok: true,
      quote: {
        kind: 'toll-free', at, to: to.e164, ...fromE164, country: row.originCountry, prefix: row.originPrefix,
        destination: `toll-free ${to.e164} (${serviceCountry}) from ${row.originCountry}`, numberType: 'toll-free',
        ...priced(row, req, book),
      },
    };
  }
  const row = book.outbound(to.e164, req.atMs);
  if (!row) return { ok: false, code: 'NO_RATE', message: `no rate for ${to.e164} at ${at} (rates ${book.version}): the call would be rejected` };
  if (row.numberType === 'premium' && !row.premiumAllowed) {
    // As entitlement decides (rule 16): the call would be refused, so there is no price to quote.
    return {
      ok: false,
      code: 'PREMIUM_BLOCKED',
      message: `${to.e164} is a premium-rate number (${row.destination}, ${row.source}) and premium calls are blocked: the call would be refused (PREMIUM_BLOCKED)`,
    };
  }
  return {
    ok: true,
    quote: {
      kind: 'outbound', at, to: to.e164, ...fromE164, country: row.country, prefix: row.prefix, destination: row.destination,
      numberType: row.numberType, premiumAllowed: row.premiumAllowed, ...priced(row, req, book),
    },
  };
}
