/**
 * The country codes rate files may use: the ISO 3166-1 list of iso-codes.ts,
 * shared with tenants and users so both sides name countries alike.
 */
export { isCountryCode, countryCodeProblem } from '../iso-codes.js';
