/**
 * Request and response shapes of tenants, users and service numbers.
 * Money is decimal text; ids come from the path, never the body.
 */
import { z } from 'zod';
import { parseMoney } from '../../money.js';
import { nameText, sipTarget, tenantMoneyProblems } from '../../ledger/validate.js';
import { webhookUrlProblem } from '../../notify/webhook-target.js';
import { countryCode, currencyCode, e164, id, moneyText } from './common.js';

/**
 * A tenant's own notice webhook: an https URL on a public address (the gateway
 * posts to it, so never to the operator's own network) and the secret its
 * notices are signed with (X-Tollgate-Signature). The secret is never shown again.
 */
export const noticeWebhookBody = z
  .strictObject({
    url: z
      .string()
      .max(2048)
      .superRefine((url, ctx) => {
        const problem = webhookUrlProblem(url, 'public-https');
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      }),
    secret: z.string().min(16, 'at least 16 characters').max(256, 'at most 256 characters'),
  })
  .describe('Notices are also POSTed here, signed with the secret (HMAC-SHA256, as notify.webhooks)');

/** Micros of money text the moneyText pattern accepted; undefined otherwise (that field already has its issue). */
function microsOf(text: unknown): number | undefined {
  if (typeof text !== 'string' || !moneyText.safeParse(text).success) return undefined;
  return parseMoney(text);
}

/** Rule 28 limits as the API reads and shows them: money as decimal text of the tenant's currency. */
export const limitsBody = z
  .strictObject({
    concurrentCalls: z.number().int().min(0).max(1_000_000).optional().describe('Live calls at once, across all instances'),
    spendPerHour: moneyText.optional().describe('Money charged plus held in a rolling hour'),
    spendPerDay: moneyText.optional().describe('Money charged plus held in a rolling day'),
    maxCallCharge: moneyText.optional().describe('The most one call may cost; its funding stops there'),
    attemptsPerSecond: z.number().int().min(1).max(100_000).optional().describe('Call attempts per second (tenants only)'),
    allowCountries: z.array(countryCode).optional(),
    denyCountries: z.array(countryCode).optional(),
    allowPrefixes: z.array(z.string().regex(/^\d{1,15}$/, 'digits of an E.164 prefix')).optional(),
    denyPrefixes: z.array(z.string().regex(/^\d{1,15}$/, 'digits of an E.164 prefix')).optional(),
    allowHighRisk: z.array(z.string().regex(/^(\*|\d{1,15})$/, 'a high-risk prefix (digits) or "*"')).optional(),
  })
  .describe('Limits against fraud and runaway spend (rule 28); every one optional');

export const limitsView = limitsBody;

export const tenantBody = z
  .strictObject({
    name: nameText(200),
    currency: currencyCode,
    country: countryCode,
    creditLimit: moneyText.default('0').describe('How far below zero the balance may go; "0" = strict prepaid'),
    autoRecharge: z
      .strictObject({ threshold: moneyText, amount: moneyText })
      .optional()
      .describe('Recharge by amount when a debit leaves the balance below threshold'),
    noticeEmail: z.email().optional(),
    noticeWebhook: noticeWebhookBody.optional(),
    limits: limitsBody.optional(),
  })
  // The money rules need the currency; they run with the field checks so one 400 names every bad field.
  .superRefine((body, ctx) => {
    const problems = tenantMoneyProblems({
      currency: body.currency,
      creditLimit: microsOf(body.creditLimit),
      autoRecharge: body.autoRecharge && { threshold: microsOf(body.autoRecharge.threshold), amount: microsOf(body.autoRecharge.amount) },
    });
    for (const p of problems) ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
  });

export const tenantView = z
  .object({
    id: z.string(),
    name: z.string(),
    currency: z.string(),
    country: z.string(),
    creditLimit: z.string(),
    autoRecharge: z.object({ threshold: z.string(), amount: z.string() }).optional(),
    noticeEmail: z.string().optional(),
    noticeWebhook: z.object({ url: z.string() }).optional().describe('The URL only: the secret is never shown'),
    limits: limitsView.optional(),
  })
  .meta({ id: 'Tenant' });

export const userBody = z
  .strictObject({
    upn: nameText(256),
    displayName: nameText(256),
    usageCountry: countryCode,
    number: e164.optional(),
    plan: z.string().min(1).optional().describe('A calling-plan SKU from the config catalog'),
    policy: z.enum(['international_and_domestic', 'domestic', 'none']).default('international_and_domestic'),
    dialOutPolicy: z.enum(['any', 'same_country', 'zone_a', 'none']).default('any'),
    licences: z.array(z.enum(['communicationCredits', 'audioConferencing'])).default([]),
    limits: limitsBody.omit({ attemptsPerSecond: true }).optional(),
  });

export const userView = z
  .object({
    id: z.string(),
    tenantId: z.string(),
    upn: z.string(),
    displayName: z.string(),
    usageCountry: z.string(),
    number: z.string().optional(),
    plan: z.string().optional(),
    policy: z.string(),
    dialOutPolicy: z.string(),
    licences: z.array(z.string()),
    limits: limitsView.optional(),
  })
  .meta({ id: 'User' });

export const userParams = z.object({ tenantId: id, userId: id });

export const serviceNumberBody = z
  .strictObject({
    kind: z.enum(['toll-free', 'toll']),
    service: z.enum(['conferencing', 'auto_attendant', 'call_queue']),
    target: sipTarget,
  });

export const serviceNumberView = z
  .object({ number: z.string(), tenantId: z.string(), kind: z.string(), service: z.string(), target: z.string() })
  .meta({ id: 'ServiceNumber' });

export const serviceNumberParams = z.object({ tenantId: id, number: e164 });
