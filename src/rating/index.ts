/**
 * The rating layer's public surface: rate files, the RateBook lookups,
 * charge arithmetic, phone number normalization and hot reload.
 */
export * from './types.js';
export { bandedChargeFor, bandedPrice, billedSeconds, chargeFor, minimumCharge, affordableSeconds, priceForSeconds, MAX_RATE_AMOUNT, MAX_INCREMENT_SECONDS, MAX_EXACT_BILLED_SECONDS } from './charge.js';
export { normalizeNumber, uriUserPart, dialedDigits, type NormalizedNumber } from './phone-number.js';
export { IndexedRateBook, type RateTables } from './rate-book.js';
export { loadRateBook, buildRateBook, rateVersion, RATE_FILES, BANDS_FILE, type LoadedRates, type RateFileName } from './rate-loader.js';
export { bandAt, bandChanges, pricePoints, BAND_HORIZON_MS, type BandSchedule, type RateBands, type PricePoint } from './bands.js';
export { RateFileProblem, RateLoadError } from './rate-errors.js';
export { RateStore, type RateStoreOptions, type ReloadResult } from './rate-store.js';
export { isCountryCode } from './countries.js';
export { countryOfNumber, countryOfNormalized } from './number-country.js';
export { quoteCall, type Quote, type QuoteOutcome, type QuoteRequest } from './quote.js';
