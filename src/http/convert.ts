/**
 * Converts between the API's JSON (money as decimal text) and domain objects
 * (integer micros), with the money checks that need the tenant's currency.
 */
import type { z } from 'zod';
import type { ServiceNumber, Tenant, User } from '../domain.js';
import type { BalanceView, PoolBalance } from '../ledger/types.js';
import { amountProblem } from '../ledger/validate.js';
import { formatMoney, parseMoney, type Micros } from '../money.js';
import type { FieldError } from './errors.js';
import type { balanceView, poolView } from './schemas/funds.js';
import type { serviceNumberView, tenantBody, tenantView, userView } from './schemas/tenant.js';

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
  };
}

export function userToView(u: User): z.output<typeof userView> {
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
