/**
 * The shapes of Tollgate's rate tables, shared by rating, entitlement, the
 * ledger (which stores a call's rate terms in its hold) and calls.
 */
import type { Micros } from '../money.js';
import type { RateBands } from './bands.js';

export type NumberType = 'landline' | 'mobile' | 'toll-free' | 'premium';

/** The price terms of one call: everything needed to compute its charge. */
export interface RateTerms {
  currency: string;
  pricePerMinute: Micros;
  connectFee: Micros;
  /** Seconds billed for the first increment (60 in 60/60, 1 in 1/1). */
  initialIncrement: number;
  /** Seconds of every later increment. */
  subsequentIncrement: number;
  /**
   * Time-band prices (rule 29), when the rate's rows name bands. Then
   * pricePerMinute is the highest band price: what funding holds, so a hold
   * never under-funds; the charge is priced per band segment.
   */
  bands?: RateBands;
}

/** One outbound rate row (rates/outbound.csv). */
export interface OutboundRate extends RateTerms {
  prefix: string;
  country: string;
  destination: string;
  numberType: NumberType;
  /** UTC ms from which the row applies. */
  effectiveFrom: number;
  premiumAllowed: boolean;
  /** "file:line" the row came from, for messages. */
  source: string;
}

/** One toll-free rate row, keyed by the caller's origin (rates/toll-free.csv). */
export interface TollFreeRate extends RateTerms {
  /** Caller origin: E.164 prefix of the calling number. */
  originPrefix: string;
  originCountry: string;
  /** Toll-free service number country the row applies to ("*" for any). */
  serviceCountry: string;
  effectiveFrom: number;
  source: string;
}

/** A priced match for a destination. */
export interface RateMatch {
  rate: OutboundRate | TollFreeRate;
  /** Version id (content hash) of the table set the match came from. */
  rateVersion: string;
}

/**
 * One loaded, validated set of rate tables (outbound, toll-free, Zone A,
 * emergency numbers), immutable once built; hot reload swaps in a new one.
 */
export interface RateBook {
  /** Content hash of the files the book was built from. */
  readonly version: string;
  /** Longest-prefix match on an E.164 number (digits, with or without "+"), the row in effect at atMs. */
  outbound(e164: string, atMs: number): OutboundRate | undefined;
  /** Toll-free rate for a caller's origin number calling a service number of serviceCountry. */
  tollFree(originE164: string, serviceCountry: string, atMs: number): TollFreeRate | undefined;
  /** True when `dialed` (as dialed, e.g. "911", "112") is an emergency number in `country`. */
  isEmergency(country: string, dialed: string): boolean;
  /** True when `dialed` is an emergency number of some country (or of every country): false rules out isEmergency for all. */
  isEmergencyAnywhere(dialed: string): boolean;
  /** True when the country is in the conferencing Zone A list. */
  isZoneA(country: string): boolean;
  /** The high-risk prefix (rates/high-risk.csv) an E.164 number falls under, if any (rule 28). */
  highRisk?(e164: string): string | undefined;
}
