/**
 * Building blocks shared by the admin API's request and response schemas:
 * ids, money as decimal text, ISO instants, and the error bodies.
 */
import { z } from 'zod';
import { TENANT_ID_PATTERN } from '../../ledger/keys.js';
import { countryCode as ledgerCountryCode, currencyCode as ledgerCurrencyCode } from '../../ledger/validate.js';
import { INSTANT_HINT, INSTANT_PATTERN, parseInstant } from '../../usage/range.js';

/** Ids of tenants and users: what fits in a Redis key and a URL path without escaping. */
export const id = z
  .string()
  .regex(TENANT_ID_PATTERN, 'letters, digits, ".", "_" or "-" (1-64, starting with a letter or digit)');

/** Money in JSON is always decimal text, never a float: "12.50", "-3", "0.0125". */
export const moneyText = z
  .string()
  .regex(/^-?\d{1,12}(\.\d{1,6})?$/, 'a decimal amount as text with up to 6 decimals, e.g. "12.50"')
  .meta({ example: '12.50' });

/** Checked against the real ISO lists, by the same schemas the ledger and the provisioning file use. */
export const countryCode = ledgerCountryCode.meta({ description: 'ISO 3166-1 alpha-2 country code, e.g. "DE"', example: 'DE' });
export const currencyCode = ledgerCurrencyCode.meta({ description: 'ISO 4217 currency code, e.g. "EUR"', example: 'EUR' });
export const e164 = z.string().regex(/^\+[1-9]\d{4,14}$/, 'an E.164 number with "+", e.g. "+4930123456"');

/** "2025-03-01", "2025-03-01T00:00:00Z" or with an offset; date-only means 00:00 UTC. */
export const isoInstant = z
  .string()
  .regex(INSTANT_PATTERN, { message: INSTANT_HINT, abort: true })
  .refine((s) => parseInstant(s) !== undefined, 'not a real calendar date/time');

/** UTC ms of text that isoInstant accepted. */
export function instantMs(text: string): number {
  return parseInstant(text)!;
}

export const fieldError = z.object({ path: z.string(), message: z.string() });

/**
 * Every error body: a stable code (BAD_REQUEST, UNAUTHORIZED, NOT_FOUND,
 * CONFLICT, UNAVAILABLE, ...) and a message; 400s also name each bad field.
 */
export const apiError = z
  .object({ error: z.string(), message: z.string(), fields: z.array(fieldError).optional() })
  .meta({ id: 'ApiError', description: 'An error with a stable code and a message a person can act on' });

export const tenantParams = z.object({ tenantId: id });

/** Standard error responses for documented routes. */
export const errorResponses = {
  400: apiError,
  401: apiError,
  404: apiError,
  503: apiError,
} as const;

/** The empty body of a 204. */
export const deleted = z.undefined().describe('Deleted');
