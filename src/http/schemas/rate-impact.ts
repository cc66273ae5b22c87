/**
 * Request and response of POST /v1/rates/impact: candidate rate files in,
 * old and new charges of the recorded calls out (money as decimal text).
 */
import { z } from 'zod';
import { id, isoInstant } from './common.js';

export const impactBody = z
  .strictObject({
    files: z
      .record(z.string().regex(/^[a-z-]+\.csv$/, 'a rate file name such as "outbound.csv"'), z.string())
      .describe('Candidate rate files, file name -> text; a file left out is taken from the rates directory in service'),
    from: isoInstant.optional().describe('Calls started from this instant (default: 30 days before `to`)'),
    to: isoInstant.optional().describe('Calls started before this instant (default: now)'),
    tenant: id.optional().describe('Only this tenant (default: every tenant)'),
  });

const totals = {
  currency: z.string(),
  calls: z.number().int().describe('Answered, billable calls'),
  minutes: z.string().describe('Their answered minutes, to the hundredth'),
  oldCharge: z.string().describe('Charged, as recorded'),
  newCharge: z.string().describe('What the candidate tables would charge (0 for calls with no rate: they would be refused)'),
  delta: z.string(),
  noRate: z.number().int().describe('Calls the candidate tables have no rate for (or block as premium)'),
  noRateOldCharge: z.string(),
  partlyPool: z.number().int().describe('Calls paid partly by a pool and partly by credits: old charge kept (the split is not recorded)'),
};

export const impactView = z
  .object({
    rateVersion: z.string().describe('Version the candidate files would load as'),
    from: z.string(),
    to: z.string(),
    records: z.number().int(),
    unanswered: z.number().int(),
    unrated: z.number().int().describe('Emergency and toll inbound calls: never charged'),
    source: z.enum(['postgres', 'redis']).describe('Where the recorded calls were read'),
    tenants: z.array(z.object({ tenantId: z.string(), ...totals })),
    destinations: z.array(z.object({ kind: z.enum(['outbound', 'toll-free']), destination: z.string(), prefix: z.string(), ...totals })),
  })
  .meta({ id: 'RateImpact' });
