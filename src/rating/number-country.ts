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
