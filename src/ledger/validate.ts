/**
 * Input checks at the ledger's boundary: provisioning records, hold requests
 * and amounts. Bad input becomes LedgerError BAD_INPUT naming the field, and
 * nothing is written.
 */
import { z } from 'zod';
import { countryCodeProblem, currencyCodeProblem, isCurrencyCode } from '../iso-codes.js';
import { formatMoney, minorUnitProblem } from '../money.js';
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
/** The last instant a JavaScript Date can hold (ms since the epoch). */
const MAX_TIME_MS = 8_640_000_000_000;
const timeMs = z.number().int().min(0).max(MAX_TIME_MS);

/** An ISO 3166-1 alpha-2 country from the real list ("UK" is refused with a hint to write "GB"). */
export const countryCode = z.string().superRefine((code, ctx) => {
  const problem = countryCodeProblem(code);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** An ISO 4217 currency in circulation; its minor unit decides which amounts are whole. */
export const currencyCode = z.string().superRefine((code, ctx) => {
  const problem = currencyCodeProblem(code);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/**
 * C0/C1 controls (NUL, ESC of ANSI escapes, CR/LF), line separators and bidi
 * overrides: names reach e-mail subjects, log lines and the usage CSV, where
 * any of these forges or hides text.
 */
const CONTROL_CHARACTER = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

/** Why a name is not plain text, naming the first offending character; undefined when it is. */
export function controlCharacterProblem(text: string): string | undefined {
  const m = CONTROL_CHARACTER.exec(text);
  if (!m) return undefined;
  const code = m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
  return `contains control character U+${code} at position ${m.index + 1}; names must be plain text without control characters or escape sequences`;
}

/** A name shown to people (tenant name, display name, UPN): 1 to max characters of plain text. */
export function nameText(max: number) {
  return z
    .string()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .superRefine((text, ctx) => {
      const problem = controlCharacterProblem(text);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    });
}

/** Where a service number's calls go: a sip: or sips: URI with a host, plain text. */
export const sipTarget = z
  .string()
  .max(256, 'must be at most 256 characters')
  .superRefine((target, ctx) => {
    const m = /^sips?:([^\s<>"]*)$/i.exec(target);
    if (!m) ctx.addIssue({ code: 'custom', message: 'a SIP URI such as "sip:bridge.example.com" or "sips:+4930123@pbx.example.com"' });
    else if (!/^([^@]+@)?[^@;?:]+/.test(m[1]!)) ctx.addIssue({ code: 'custom', message: 'a SIP URI needs a host, e.g. "sip:bridge.example.com"' });
  });

const userId = z.string().regex(/^[^\s{}]{1,128}$/, '1 to 128 characters, no spaces or braces');

export interface FieldProblem {
  path: Array<string | number>;
  message: string;
}

/**
 * The money rules of a tenant record, shared by the API, the provisioning
 * file and the ledger's own write: amounts whole in the currency's minor unit,
 * within range, in the currency's own terms (never micros).
 */
export function tenantMoneyProblems(t: {
  currency?: unknown;
  creditLimit?: unknown;
  autoRecharge?: { threshold?: unknown; amount?: unknown } | undefined;
}): FieldProblem[] {
  const currency = t.currency;
  if (typeof currency !== 'string' || !isCurrencyCode(currency)) return [];
  const problems: FieldProblem[] = [];
  const amount = (path: FieldProblem['path'], value: unknown, positive: boolean) => {
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) return;
    const message = amountProblem(value, currency, positive);
    if (message) problems.push({ path, message });
  };
  amount(['creditLimit'], t.creditLimit, false);
  if (t.autoRecharge && typeof t.autoRecharge === 'object') {
    amount(['autoRecharge', 'threshold'], t.autoRecharge.threshold, false);
    amount(['autoRecharge', 'amount'], t.autoRecharge.amount, true);
  }
  return problems;
}

/** One amount's problem: whole in the minor unit, not negative (or more than 0), at most MAX_AMOUNT. */
export function amountProblem(value: number, currency: string, positive: boolean): string | undefined {
  const minor = minorUnitProblem(value, currency);
  if (minor) return minor;
  if (positive && value <= 0) return 'must be more than 0';
  if (value < 0) return 'must not be negative';
  if (value > MAX_AMOUNT) return `must be at most ${formatMoney(MAX_AMOUNT, currency)} ${currency} (the largest single amount)`;
  return undefined;
}

function refineMoney(t: Parameters<typeof tenantMoneyProblems>[0], ctx: z.RefinementCtx): void {
  for (const p of tenantMoneyProblems(t)) ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
}

/** Limits (rule 28): counts are whole numbers, money whole micros, countries ISO codes, prefixes digits. */
export const limitsSchema = z.strictObject({
  concurrentCalls: z.number().int().min(0).max(1_000_000).optional(),
  spendPerHour: z.number().int().min(0).max(MAX_AMOUNT).optional(),
  spendPerDay: z.number().int().min(0).max(MAX_AMOUNT).optional(),
  maxCallCharge: z.number().int().min(0).max(MAX_AMOUNT).optional(),
  attemptsPerSecond: z.number().int().min(1).max(100_000).optional(),
  allowCountries: z.array(countryCode).max(300).optional(),
  denyCountries: z.array(countryCode).max(300).optional(),
  allowPrefixes: z.array(z.string().regex(/^\d{1,15}$/, 'digits of an E.164 prefix, e.g. "4420"')).max(1000).optional(),
  denyPrefixes: z.array(z.string().regex(/^\d{1,15}$/, 'digits of an E.164 prefix, e.g. "882"')).max(1000).optional(),
  allowHighRisk: z.array(z.string().regex(/^(\*|\d{1,15})$/, 'a prefix of rates/high-risk.csv (digits) or "*"')).max(1000).optional(),
});

/** The tenant record's fields, before the money rules that need its currency (file entries extend it). */
export const tenantShape = z.strictObject({
  id: tenantId,
  name: nameText(200),
  currency: currencyCode,
  country: countryCode,
  // Range and minor unit are checked by tenantMoneyProblems, in the currency's terms.
  creditLimit: z.number().int(),
  autoRecharge: z.strictObject({ threshold: z.number().int(), amount: z.number().int() }).optional(),
  noticeEmail: z.email().optional(),
  // The tenant's own notice webhook; where it may point is checked where it is typed (API) and at each delivery.
  noticeWebhook: z.strictObject({ url: z.url({ protocol: /^https?$/ }), secret: z.string().min(16).max(256) }).optional(),
  limits: limitsSchema.optional(),
});

export const tenantSchema = tenantShape.superRefine(refineMoney);

/** Adds the tenant money rules to a schema of tenant-shaped values (a provisioning file entry). */
export function withTenantMoneyRules<T extends z.ZodType<Parameters<typeof tenantMoneyProblems>[0]>>(schema: T) {
  return schema.superRefine(refineMoney);
}

export const userSchema = z.strictObject({
  id: userId,
  tenantId,
  upn: nameText(256),
  displayName: nameText(256),
  usageCountry: countryCode,
  number: e164.optional(),
  plan: z.string().min(1).max(64).optional(),
  policy: z.enum(['international_and_domestic', 'domestic', 'none']),
  dialOutPolicy: z.enum(['any', 'same_country', 'zone_a', 'none']),
  licences: z
    .array(z.enum(['communicationCredits', 'audioConferencing']))
    .refine((l) => new Set(l).size === l.length, 'each licence at most once'),
  limits: limitsSchema
    .refine((l) => l.attemptsPerSecond === undefined, { message: 'attemptsPerSecond is a tenant limit', path: ['attemptsPerSecond'] })
    .optional(),
});

export const serviceNumberSchema = z.strictObject({
  number: e164,
  tenantId,
  kind: z.enum(['toll-free', 'toll']),
  service: z.enum(['conferencing', 'auto_attendant', 'call_queue']),
  target: sipTarget,
});

// Shared by the hold schema and its zod-free check (holdLooksValid).
const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;
const CURRENCY = /^[A-Z]{3}$/;
const MAX_SKU = 64;
const MAX_POOL_SECONDS = 1e10;
const MAX_CALL_ID = 256;
const MAX_SOURCES = 6;

const month = z.string().regex(MONTH, 'a UTC month "YYYY-MM"');
const poolSeconds = z.number().int().min(0).max(MAX_POOL_SECONDS);
const poolRef = z.union([
  z.object({ kind: z.literal('plan'), country: countryCode, sku: z.string().min(1).max(MAX_SKU), scope: z.enum(['domestic', 'international']), month, sizeSeconds: poolSeconds }),
  z.object({ kind: z.literal('dialout'), month, sizeSeconds: poolSeconds }),
]);
const source = z.union([
  z.object({ kind: z.literal('pool'), pool: poolRef }),
  z.object({ kind: z.literal('credits') }),
  z.object({ kind: z.literal('free') }),
]);

const currency = z.string().regex(CURRENCY, 'an ISO 4217 currency code such as "EUR"');

export const holdSchema = z.object({
  tenantId,
  callId: z.string().min(1).max(MAX_CALL_ID),
  sources: z
    .array(source)
    .min(1)
    .max(MAX_SOURCES)
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

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown, min: number, max: number): boolean => Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max;

function poolRefLooksValid(p: unknown): boolean {
  if (!isRecord(p) || typeof p.month !== 'string' || !MONTH.test(p.month) || !isInt(p.sizeSeconds, 0, MAX_POOL_SECONDS)) return false;
  if (p.kind === 'dialout') return true;
  return (
    p.kind === 'plan' && typeof p.country === 'string' && countryCodeProblem(p.country) === undefined &&
    typeof p.sku === 'string' && p.sku.length >= 1 && p.sku.length <= MAX_SKU && (p.scope === 'domestic' || p.scope === 'international')
  );
}

/**
 * What holdSchema accepts, decided without zod for the requests the calls
 * layer builds (no parse, nothing allocated but the pool names). It may be
 * stricter than the schema, never looser (a property test holds it to
 * that): anything it does not pass goes to zod, which words the error.
 */
export function holdLooksValid(req: unknown): boolean {
  if (!isRecord(req)) return false;
  const { tenantId: tid, callId, sources, rate, draft } = req;
  if (typeof tid !== 'string' || !TENANT_ID_PATTERN.test(tid)) return false;
  if (typeof callId !== 'string' || callId.length < 1 || callId.length > MAX_CALL_ID) return false;
  if (!Array.isArray(sources) || sources.length < 1 || sources.length > MAX_SOURCES) return false;
  let credits = 0;
  let free = false;
  let pools: string[] | undefined;
  for (const src of sources as unknown[]) {
    if (!isRecord(src)) return false;
    if (src.kind === 'credits') credits++;
    else if (src.kind === 'free') free = true;
    else if (src.kind === 'pool' && poolRefLooksValid(src.pool)) {
      const name = `${(src.pool as { month: string }).month}:${poolId(src.pool as Parameters<typeof poolId>[0])}`;
      if (pools?.includes(name)) return false;
      (pools ??= []).push(name);
    } else return false;
  }
  if (credits > 1 || (free && sources.length !== 1)) return false;
  if (
    !isRecord(rate) || typeof rate.currency !== 'string' || !CURRENCY.test(rate.currency) ||
    !isInt(rate.pricePerMinute, 0, MAX_RATE_AMOUNT) || !isInt(rate.connectFee, 0, MAX_RATE_AMOUNT) ||
    !isInt(rate.initialIncrement, 1, MAX_INCREMENT_SECONDS) || !isInt(rate.subsequentIncrement, 1, MAX_INCREMENT_SECONDS)
  ) {
    return false;
  }
  if (typeof req.requirePositiveBalance !== 'boolean') return false;
  if (
    !isRecord(draft) || typeof draft.tenantId !== 'string' || !TENANT_ID_PATTERN.test(draft.tenantId) ||
    typeof draft.callId !== 'string' || typeof draft.currency !== 'string' || !CURRENCY.test(draft.currency)
  ) {
    return false;
  }
  return isInt(req.nowMs, 0, MAX_TIME_MS);
}

export function checkHold(req: HoldRequest): void {
  if (!holdLooksValid(req)) check(holdSchema, req, `hold request for call ${String(req?.callId)}`);
  if (req.draft.tenantId !== req.tenantId || req.draft.callId !== req.callId) {
    throw new LedgerError('BAD_INPUT', `hold request for call ${req.callId}: the usage draft names another tenant or call`);
  }
  if (req.draft.currency !== req.rate.currency) {
    throw new LedgerError('BAD_INPUT', `hold request for call ${req.callId}: the usage draft's currency differs from the rate's`);
  }
}

// The two checks every ledger step makes: the valid value is decided without zod (no parse, nothing
// allocated); zod is asked only for an invalid one, to word the error as everywhere else.
export function checkTenantId(id: string): void {
  if (typeof id === 'string' && TENANT_ID_PATTERN.test(id)) return;
  check(tenantId, id, 'tenant id');
}

export function checkTime(ms: number, what: string): void {
  if (Number.isSafeInteger(ms) && ms >= 0 && ms <= MAX_TIME_MS) return;
  check(timeMs, ms, what);
}

export function checkE164(number: string): void {
  check(e164, number, 'phone number');
}

export { tenantId as tenantIdSchema, userId as userIdSchema };

/** True when an id may name a tenant (fits a Redis key and hash tag); a header that fails it names no tenant. */
export function isTenantId(id: string): boolean {
  return TENANT_ID_PATTERN.test(id);
}

/** True when an id may name a user or organizer. */
export function isUserId(id: string): boolean {
  return userId.safeParse(id).success;
}
