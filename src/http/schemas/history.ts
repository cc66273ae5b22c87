/**
 * Shapes of the statement, the daily spend and manual adjustments. Money is
 * decimal text in the tenant's currency.
 */
import { z } from 'zod';
import { MAX_REFERENCE_LENGTH, REFERENCE_PATTERN } from '../../ledger/references.js';
import { moneyText } from './common.js';

export const monthQuery = z.strictObject({
  month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a month, YYYY-MM (UTC)').describe('Calendar month, UTC'),
});

const line = z.object({ count: z.number().int(), amount: z.string() });

export const statementView = z
  .object({
    tenantId: z.string(),
    month: z.string(),
    currency: z.string(),
    openingBalance: z.string().describe('Balance before the month\'s first movement'),
    topUps: line,
    recharges: line.describe('Auto-recharge credits'),
    adjustments: line.describe('Manual adjustments (signed)'),
    charges: z.array(line.extend({ capability: z.string(), callType: z.string() })).describe('Charges by what paid and call type'),
    totalCharges: line,
    closingBalance: z.string().describe('openingBalance + topUps + recharges + adjustments - totalCharges'),
  })
  .meta({ id: 'Statement' });

export const dailySpendView = z
  .object({
    tenantId: z.string(),
    currency: z.string(),
    days: z.array(
      z.object({
        day: z.string().describe('UTC date'),
        calls: z.number().int(),
        chargedCalls: z.number().int(),
        durationSeconds: z.number().int(),
        charge: z.string(),
      }),
    ),
  })
  .meta({ id: 'DailySpend' });

export const adjustmentBody = z.strictObject({
  reference: z
    .string()
    .regex(REFERENCE_PATTERN, `1-${MAX_REFERENCE_LENGTH} printable ASCII characters without spaces`)
    .describe('Idempotency key, shared with top-ups: the same reference twice moves the money once'),
  amount: moneyText.describe('Signed amount: positive credits, negative debits; not 0; whole in the currency minor unit'),
});
