/**
 * Converts between the API's JSON (money as decimal text) and domain objects
 * (integer micros), with the money checks that need the tenant's currency.
 */
import type { z } from 'zod';
import type { CallLimits, ServiceNumber, Tenant, User } from '../domain.js';
import type { BalanceView, PoolBalance } from '../ledger/types.js';
import { amountProblem } from '../ledger/validate.js';
import { formatMoney, parseMoney, type Micros } from '../money.js';
import type { FieldError } from './errors.js';
import type { balanceView, poolView } from './schemas/funds.js';
import type { limitsBody, serviceNumberView, tenantBody, tenantView, userView } from './schemas/tenant.js';

/**
 * Parses money text for a single amount (a top-up): whole in the currency's
 * minor unit, more than 0 when `positive`, at most the largest single amount.
 */
export function moneyField(fields: FieldError[], path: string, text: string, currency: string, opts: { positive?: boolean } = {}): Micros {
  const micros = parseMoney(text);
  const problem = amountProblem(micros, currency, opts.positive ?? false);
  if (problem) fields.push({ path, message: problem });
  return micros;
}

/** Limits from the API's form (money text) to the domain's (micros). */
export function limitsFromBody(body: z.output<typeof limitsBody> | undefined): CallLimits | undefined {
  if (!body) return undefined;
  const { spendPerHour, spendPerDay, maxCallCharge, ...rest } = body;
  return {
    ...rest,
    ...(spendPerHour !== undefined ? { spendPerHour: parseMoney(spendPerHour) } : {}),
    ...(spendPerDay !== undefined ? { spendPerDay: parseMoney(spendPerDay) } : {}),
    ...(maxCallCharge !== undefined ? { maxCallCharge: parseMoney(maxCallCharge) } : {}),
  };
}

export function limitsToView(l: CallLimits | undefined, currency: string): z.output<typeof limitsBody> | undefined {
  if (!l) return undefined;
  const { spendPerHour, spendPerDay, maxCallCharge, ...rest } = l;
  return {
    ...rest,
    ...(spendPerHour !== undefined ? { spendPerHour: formatMoney(spendPerHour, currency) } : {}),
    ...(spendPerDay !== undefined ? { spendPerDay: formatMoney(spendPerDay, currency) } : {}),
    ...(maxCallCharge !== undefined ? { maxCallCharge: formatMoney(maxCallCharge, currency) } : {}),
  };
}

/** A tenant from a body tenantBody has checked (money rules included). */
export function tenantFromBody(id: string, body: z.output<typeof tenantBody>): Tenant {
  const tenant: Tenant = {
    id,
    name: body.name,
    currency: body.currency,
    country: body.country,
    creditLimit: parseMoney(body.creditLimit),
  };
  if (body.autoRecharge) {
    tenant.autoRecharge = { threshold: parseMoney(body.autoRecharge.threshold), amount: parseMoney(body.autoRecharge.amount) };
  }
  if (body.noticeEmail !== undefined) tenant.noticeEmail = body.noticeEmail;
  if (body.noticeWebhook !== undefined) tenant.noticeWebhook = { url: body.noticeWebhook.url, secret: body.noticeWebhook.secret };
  const limits = limitsFromBody(body.limits);
  if (limits) tenant.limits = limits;
  return tenant;
}

export function tenantToView(t: Tenant): z.output<typeof tenantView> {
  return {
    id: t.id,
    name: t.name,
    currency: t.currency,
    country: t.country,
    creditLimit: formatMoney(t.creditLimit, t.currency),
    ...(t.autoRecharge
      ? {
          autoRecharge: {
            threshold: formatMoney(t.autoRecharge.threshold, t.currency),
            amount: formatMoney(t.autoRecharge.amount, t.currency),
          },
        }
      : {}),
    ...(t.noticeEmail !== undefined ? { noticeEmail: t.noticeEmail } : {}),
    ...(t.noticeWebhook ? { noticeWebhook: { url: t.noticeWebhook.url } } : {}),
    ...(t.limits ? { limits: limitsToView(t.limits, t.currency)! } : {}),
  };
}

export function userToView(u: User, currency = ''): z.output<typeof userView> {
  return {
    id: u.id,
    tenantId: u.tenantId,
    upn: u.upn,
    displayName: u.displayName,
    usageCountry: u.usageCountry,
    ...(u.number !== undefined ? { number: u.number } : {}),
    ...(u.plan !== undefined ? { plan: u.plan } : {}),
    policy: u.policy,
    dialOutPolicy: u.dialOutPolicy,
    licences: [...u.licences],
    ...(u.limits ? { limits: limitsToView(u.limits, currency)! } : {}),
  };
}

export function serviceNumberToView(n: ServiceNumber): z.output<typeof serviceNumberView> {
  return { number: n.number, tenantId: n.tenantId, kind: n.kind, service: n.service, target: n.target };
}

function poolToView(p: PoolBalance): z.output<typeof poolView> {
  const base = {
    month: p.pool.month,
    sizeSeconds: p.pool.sizeSeconds,
    usedSeconds: p.usedSeconds,
    ...(p.heldSeconds !== undefined ? { heldSeconds: p.heldSeconds } : {}),
    leftSeconds: p.leftSeconds,
  };
  return p.pool.kind === 'plan'
    ? { kind: 'plan', country: p.pool.country, sku: p.pool.sku, scope: p.pool.scope, ...base }
    : { kind: 'dialout', ...base };
}

export function balanceToView(b: BalanceView): z.output<typeof balanceView> {
  const c = b.currency;
  return {
    tenantId: b.tenantId,
    currency: c,
    balance: formatMoney(b.balance, c),
    held: formatMoney(b.held, c),
    available: formatMoney(b.available, c),
    creditLimit: formatMoney(b.creditLimit, c),
    pools: b.pools.map(poolToView),
    liveCalls: b.liveCalls,
  };
}
