/**
 * The one place that says which country a number is in. Rating, entitlement
 * (domestic or international, pools, policies), the usage record and quotes
 * all ask here, so a number is never GB when priced and GG when entitled.
 */
import type { RateBook } from './types.js';

/**
 * The rate row's country when the outbound table prices the number (the
 * table ops maintain decides what a call costs, so it decides where it goes),
 * else libphonenumber's country (`knownCountry`), else undefined.
 */
export function countryOfNumber(book: RateBook, e164: string, atMs: number, knownCountry?: string): string | undefined {
  return book.outbound(e164, atMs)?.country ?? knownCountry;
}

/**
 * countryOfNumber for a normalized number, whose own country is read only
 * when no rate row says it: for a number of a shared calling code (+1, +44,
 * +7, ...) that read is libphonenumber parsing it, which the E.164 fast path
 * of normalizeNumber otherwise never does.
 */
export function countryOfNormalized(book: RateBook, number: { readonly e164: string; readonly country?: string }, atMs: number): string | undefined {
  return book.outbound(number.e164, atMs)?.country ?? number.country;
}
