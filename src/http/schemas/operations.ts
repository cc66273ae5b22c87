/**
 * Response and query shapes of live calls and rate tables (status, reload,
 * quote). Money is decimal text in the rate's or the tenant's currency.
 */
import { z } from 'zod';
import { isoInstant } from './common.js';

export const liveCallView = z
  .object({
    callId: z.string(),
    tenantId: z.string(),
    userId: z.string().optional(),
    callType: z.string(),
    direction: z.enum(['outbound', 'inbound']),
    state: z.string(),
    destination: z.string(),
    currency: z.string(),
    createdAt: z.string(),
    answeredAt: z.string().optional(),
    fundedSeconds: z.number().int(),
    fundedUntil: z.string().optional().describe('When the funded time of an answered call ends'),
    held: z.string().describe('Money held for the call'),
    free: z.boolean(),
    unbilled: z.boolean(),
  })
  .meta({ id: 'LiveCall' });

export const callParams = z.object({ callId: z.string().min(1).max(256) });

export const ratesStatusView = z
  .object({
    version: z.string(),
    loadedAt: z.string(),
    counts: z.record(z.string(), z.number().int()).describe('Data rows per rate file'),
  })
  .meta({ id: 'RatesStatus' });

export const reloadView = z
  .object({
    outcome: z.enum(['loaded', 'unchanged']),
    version: z.string(),
    previous: z.string().optional(),
    counts: z.record(z.string(), z.number().int()),
  })
  .meta({ id: 'RatesReloaded' });

export const reloadRejectedView = z
  .object({
    error: z.literal('BAD_RATES'),
    message: z.string(),
    version: z.string().describe('The version still in service'),
    problems: z.array(z.string()).describe('Each problem as "file:line: message"'),
  })
  .meta({ id: 'RatesRejected' });

const flag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

export const quoteQuery = z.strictObject({
  to: z.string().min(1).describe('Destination (outbound) or the toll-free number dialed, E.164 or 00-prefixed'),
  from: z.string().min(1).optional().describe("Caller's number; required with tollFree=true (its origin picks the rate)"),
  seconds: z.coerce.number().int().min(0).max(864_000).default(60).describe('Answered seconds to price'),
  at: isoInstant.optional().describe('ISO 8601 instant whose rates apply; default now'),
  tollFree: flag.default(false),
  country: z
    .string()
    .regex(/^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 country code such as "DE"')
    .optional()
    .describe('Country for numbers in national format, and for emergency short codes'),
});

export const quoteView = z
  .object({
    kind: z.enum(['outbound', 'toll-free', 'emergency']),
    rateVersion: z.string(),
    at: z.string().describe('The instant whose rates apply'),
    to: z.string(),
    from: z.string().optional(),
    country: z.string().optional().describe('Destination country (outbound) or caller origin country (toll-free)'),
    destination: z.string().optional(),
    prefix: z.string().optional().describe('Matched prefix: destination (outbound) or caller origin (toll-free)'),
    numberType: z.string().optional(),
    premiumAllowed: z.boolean().optional(),
    currency: z.string().optional(),
    pricePerMinute: z.string().optional(),
    connectFee: z.string().optional(),
    initialIncrement: z.number().int().optional(),
    subsequentIncrement: z.number().int().optional(),
    effectiveFrom: z.string().optional(),
    seconds: z.number().int(),
    billedSeconds: z.number().int(),
    charge: z.string().describe('"0" for emergency calls: always allowed, never charged'),
    source: z.string().optional().describe('Rate file and line of the row used'),
    band: z.string().optional().describe('Banded rates (rule 29): the time band in force at `at`'),
    schedule: z.string().optional().describe('Banded rates: the band schedule of rates/bands.csv'),
    timeZone: z.string().optional().describe("Banded rates: the schedule's IANA time zone"),
    segments: z
      .array(z.object({ band: z.string(), fromSecond: z.number().int(), seconds: z.number().int(), pricePerMinute: z.string() }))
      .optional()
      .describe('Banded rates: billed seconds per band, in order, counted from the answer at `at`'),
  })
  .meta({ id: 'Quote' });
