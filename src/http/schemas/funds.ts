/**
 * Request and response shapes of top-ups and the balance view. Pool sizes
 * are in seconds of call time; money is decimal text in the tenant's currency.
 */
import { z } from 'zod';
import { MAX_REFERENCE_LENGTH, REFERENCE_PATTERN } from '../../ledger/references.js';
import { moneyText } from './common.js';

export const topUpBody = z
  .strictObject({
    reference: z
      .string()
      .regex(REFERENCE_PATTERN, `1-${MAX_REFERENCE_LENGTH} printable ASCII characters without spaces (a payment or order reference)`)
      .describe('Idempotency key: the same reference twice adds the money once'),
    amount: moneyText.describe('Amount to add, greater than zero, whole in the currency minor unit'),
  });

export const topUpView = z
  .object({
    applied: z.boolean().describe('false when this reference was already applied: the first result is returned'),
    reference: z.string(),
    amount: z.string(),
    currency: z.string(),
    balanceAfter: z.string(),
  })
  .meta({ id: 'TopUp' });

export const poolView = z.object({
  kind: z.enum(['plan', 'dialout']),
  month: z.string(),
  country: z.string().optional(),
  sku: z.string().optional(),
  scope: z.enum(['domestic', 'international']).optional(),
  sizeSeconds: z.number().int(),
  usedSeconds: z.number().int(),
  heldSeconds: z.number().int().describe('Seconds held by live calls').optional(),
  leftSeconds: z.number().int(),
});

export const balanceView = z
  .object({
    tenantId: z.string(),
    currency: z.string(),
    balance: z.string(),
    held: z.string().describe('Money held by live calls'),
    available: z.string().describe('balance + creditLimit - held'),
    creditLimit: z.string(),
    pools: z.array(poolView),
    liveCalls: z.number().int().describe('Calls of the tenant live now, on any instance'),
  })
  .meta({ id: 'Balance' });
