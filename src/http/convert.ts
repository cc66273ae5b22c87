/**
 * Converts between the API's JSON (money as decimal text) and domain objects
 * (integer micros), with the money checks that need the tenant's currency.
 */
import type { z } from 'zod';
import type { ServiceNumber, Tenant, User } from '../domain.js';
import type { BalanceView, PoolBalance } from '../ledger/types.js';
import { formatMoney, microsPerMinorUnit, minorUnitDigits, parseMoney, type Micros } from '../money.js';
import { badRequest, type FieldError } from './errors.js';
import type { balanceView, poolView } from './schemas/funds.js';
import type { serviceNumberView, tenantBody, tenantView, userView } from './schemas/tenant.js';

/** Parses money text that must be whole in the currency's minor unit and within [min, +inf). */
export function moneyField(
  fields: FieldError[],
  path: string,
  text: string,
  currency: string,
  opts: { min?: Micros; positive?: boolean } = {},
): Micros {
  const micros = parseMoney(text);
  if (micros % microsPerMinorUnit(currency) !== 0) {
    fields.push({ path, message: `more decimals than ${currency} has (${minorUnitDigits(currency)})` });
  } else if (opts.positive && micros <= 0) {
    fields.push({ path, message: 'must be greater than zero' });
  } else if (opts.min !== undefined && micros < opts.min) {
    fields.push({ path, message: `must be at least ${formatMoney(opts.min, currency)}` });
  }
  return micros;
}

export function tenantFromBody(id: string, body: z.output<typeof tenantBody>): Tenant {
  const fields: FieldError[] = [];
  const c = body.currency;
  const tenant: Tenant = {
    id,
    name: body.name,
    currency: c,
    country: body.country,
    creditLimit: moneyField(fields, 'creditLimit', body.creditLimit, c, { min: 0 }),
  };
  if (body.autoRecharge) {
    tenant.autoRecharge = {
      threshold: moneyField(fields, 'autoRecharge.threshold', body.autoRecharge.threshold, c),
      amount: moneyField(fields, 'autoRecharge.amount', body.autoRecharge.amount, c, { positive: true }),
    };
  }
  if (body.noticeEmail !== undefined) tenant.noticeEmail = body.noticeEmail;
  if (fields.length > 0) throw badRequest(fields);
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
