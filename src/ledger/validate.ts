/**
 * Input checks at the ledger's boundary: provisioning records, hold requests
 * and amounts. Bad input becomes LedgerError BAD_INPUT naming the field, and
 * nothing is written.
 */
import { z } from 'zod';
import { LedgerError } from './errors.js';
import { TENANT_ID_PATTERN, poolId } from './keys.js';
import type { HoldRequest } from './types.js';

/** Largest single amount (top-up, credit limit, threshold): 100 million units. */
export const MAX_AMOUNT = 100_000_000_000_000;
/** Largest balance an account may reach; keeps every Lua intermediate exact. */
export const MAX_BALANCE = 1_000_000_000_000_000;
/** Largest price per minute or connection fee: 10,000 units. */
export const MAX_RATE_AMOUNT = 10_000_000_000;
export const MAX_INCREMENT_SECONDS = 3600;

const micros = (max: number) => z.number().int().min(0).max(max);
const tenantId = z.string().regex(TENANT_ID_PATTERN, 'letters, digits, ".", "_" or "-" (at most 64), starting with a letter or digit');
const e164 = z.string().regex(/^\+[1-9]\d{1,14}$/, 'an E.164 number such as "+12025550123"');
const country = z.string().regex(/^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 country code such as "US"');
const currency = z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 currency code such as "EUR"');
const userId = z.string().regex(/^[^\s{}]{1,128}$/, '1 to 128 characters, no spaces or braces');
const timeMs = z.number().int().min(0).max(8_640_000_000_000);

export const tenantSchema = z.strictObject({
  id: tenantId,
  name: z.string().min(1).max(200),
  currency,
  country,
  creditLimit: micros(MAX_AMOUNT),
  autoRecharge: z.strictObject({ threshold: micros(MAX_AMOUNT), amount: micros(MAX_AMOUNT).min(1) }).optional(),
  noticeEmail: z.email().optional(),
});

export const userSchema = z.strictObject({
  id: userId,
  tenantId,
  upn: z.string().min(1).max(256),
  displayName: z.string().min(1).max(256),
  usageCountry: country,
  number: e164.optional(),
  plan: z.string().min(1).max(64).optional(),
  policy: z.enum(['international_and_domestic', 'domestic', 'none']),
  dialOutPolicy: z.enum(['any', 'same_country', 'zone_a', 'none']),
  licences: z
    .array(z.enum(['communicationCredits', 'audioConferencing']))
    .refine((l) => new Set(l).size === l.length, 'each licence at most once'),
});

export const serviceNumberSchema = z.strictObject({
  number: e164,
  tenantId,
  kind: z.enum(['toll-free', 'toll']),
  service: z.enum(['conferencing', 'auto_attendant', 'call_queue']),
  target: z.string().min(1).max(256),
});

const month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a UTC month "YYYY-MM"');
const poolRef = z.union([
  z.object({ kind: z.literal('plan'), country, sku: z.string().min(1).max(64), scope: z.enum(['domestic', 'international']), month, sizeSeconds: z.number().int().min(0).max(1e10) }),
  z.object({ kind: z.literal('dialout'), month, sizeSeconds: z.number().int().min(0).max(1e10) }),
]);
const source = z.union([
  z.object({ kind: z.literal('pool'), pool: poolRef }),
  z.object({ kind: z.literal('credits') }),
  z.object({ kind: z.literal('free') }),
]);

const holdSchema = z.object({
  tenantId,
  callId: z.string().min(1).max(256),
  sources: z
    .array(source)
    .min(1)
    .max(6)
    .refine((s) => s.filter((x) => x.kind === 'credits').length <= 1, 'credits at most once')
    .refine((s) => !s.some((x) => x.kind === 'free') || s.length === 1, 'free stands alone')
    // Scripts load each named pool once per mention and write them all back: a pool named twice would lose held seconds.
    .refine((s) => {
      const pools = s.flatMap((x) => (x.kind === 'pool' ? [`${x.pool.month}:${poolId(x.pool)}`] : []));
      return new Set(pools).size === pools.length;
    }, 'each pool at most once'),
  rate: z.object({
    currency,
    pricePerMinute: micros(MAX_RATE_AMOUNT),
    connectFee: micros(MAX_RATE_AMOUNT),
    initialIncrement: z.number().int().min(1).max(MAX_INCREMENT_SECONDS),
    subsequentIncrement: z.number().int().min(1).max(MAX_INCREMENT_SECONDS),
  }),
  requirePositiveBalance: z.boolean(),
  draft: z.looseObject({ tenantId, callId: z.string(), currency }),
  nowMs: timeMs,
});

/** Parses with the schema or throws BAD_INPUT listing every problem by path. */
export function check<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : '(value)'}: ${i.message}`);
  throw new LedgerError('BAD_INPUT', `invalid ${what}: ${problems.join('; ')}`);
}

export function checkHold(req: HoldRequest): void {
  check(holdSchema, req, `hold request for call ${String(req?.callId)}`);
  if (req.draft.tenantId !== req.tenantId || req.draft.callId !== req.callId) {
    throw new LedgerError('BAD_INPUT', `hold request for call ${req.callId}: the usage draft names another tenant or call`);
  }
  if (req.draft.currency !== req.rate.currency) {
    throw new LedgerError('BAD_INPUT', `hold request for call ${req.callId}: the usage draft's currency differs from the rate's`);
  }
}

export function checkTenantId(id: string): void {
  check(tenantId, id, 'tenant id');
}

export function checkTime(ms: number, what: string): void {
  check(timeMs, ms, what);
}

export function checkE164(number: string): void {
  check(e164, number, 'phone number');
}

export { userId as userIdSchema };
