/**
 * Builds each notice with its stable event id, derives the notices a settle
 * calls for, and renders a notice as e-mail text.
 */
import type { Tenant } from '../domain.js';
import type { SettleResult } from '../ledger/types.js';
import { formatMoney, type Micros } from '../money.js';
import type { Notice, NoticeKind } from './types.js';

/** What a notice needs of its tenant (a Tenant will do). */
export type NoticeTenant = Pick<Tenant, 'id' | 'currency'> & Partial<Pick<Tenant, 'name' | 'noticeEmail' | 'noticeWebhook'>>;

function base(kind: NoticeKind, tenant: NoticeTenant, discriminator: string, atMs: number): Omit<Notice, 'details'> {
  return {
    id: `${kind}:${tenant.id}:${discriminator}`,
    kind,
    tenantId: tenant.id,
    ...(tenant.name ? { tenantName: tenant.name } : {}),
    occurredAt: atMs,
    ...(tenant.noticeEmail ? { email: tenant.noticeEmail } : {}),
    ...(tenant.noticeWebhook ? { webhook: tenant.noticeWebhook } : {}),
  };
}

export interface RechargeFacts {
  /** The recharge reference (also the provider's idempotency key and the top-up reference). */
  reference: string;
  amount: Micros;
  atMs: number;
}

/** Manual provider: someone has to top the tenant up by hand. */
export function rechargeRequestedNotice(tenant: NoticeTenant, r: RechargeFacts & { threshold: Micros }): Notice {
  return {
    ...base('recharge_requested', tenant, r.reference, r.atMs),
    details: { reference: r.reference, amount: formatMoney(r.amount, tenant.currency), currency: tenant.currency, threshold: formatMoney(r.threshold, tenant.currency) },
  };
}

export function rechargeSucceededNotice(tenant: NoticeTenant, r: RechargeFacts & { balanceAfter: Micros }): Notice {
  return {
    ...base('recharge_succeeded', tenant, r.reference, r.atMs),
    details: { reference: r.reference, amount: formatMoney(r.amount, tenant.currency), currency: tenant.currency, balanceAfter: formatMoney(r.balanceAfter, tenant.currency) },
  };
}

export function rechargeFailedNotice(tenant: NoticeTenant, r: RechargeFacts & { reason: string }): Notice {
  return {
    ...base('recharge_failed', tenant, r.reference, r.atMs),
    details: { reference: r.reference, amount: formatMoney(r.amount, tenant.currency), currency: tenant.currency, reason: r.reason },
  };
}

/** One per limit, scope and hour (rule 28), named by the ledger's event id. */
export function limitReachedNotice(tenant: NoticeTenant, r: { limit: string; userId?: string; eventId: string; atMs: number }): Notice {
  return {
    ...base('limit_reached', tenant, r.eventId, r.atMs),
    details: { limit: r.limit, ...(r.userId ? { userId: r.userId } : {}) },
  };
}

/** One per downward crossing of zero, named by the call whose settle crossed it. */
export function balanceDepletedNotice(tenant: NoticeTenant, r: { callId: string; balance: Micros; atMs: number }): Notice {
  return {
    ...base('balance_depleted', tenant, r.callId, r.atMs),
    details: { callId: r.callId, balance: formatMoney(r.balance, tenant.currency), currency: tenant.currency },
  };
}

/** One per tenant, month and threshold: the dial-out pool is used 80 % / 100 %. */
export function dialOutPoolNotice(tenant: NoticeTenant, r: { month: string; percent: 80 | 100; sizeSeconds: number; atMs: number }): Notice {
  const kind = r.percent === 80 ? 'dialout_pool_80' : 'dialout_pool_100';
  return {
    ...base(kind, tenant, r.month, r.atMs),
    details: { month: r.month, percent: r.percent, poolMinutes: Math.floor(r.sizeSeconds / 60) },
  };
}

/**
 * The notices a settle calls for (rule 26): balance at or below zero, and the
 * conference dial-out pool crossing 80 % / 100 %. Plan pools send none.
 */
export function noticesForSettle(tenant: NoticeTenant, callId: string, settle: SettleResult, atMs: number): Notice[] {
  if (!settle.applied) return [];
  const notices: Notice[] = [];
  if (settle.crossedZero) notices.push(balanceDepletedNotice(tenant, { callId, balance: settle.balanceAfter, atMs }));
  for (const alert of settle.poolAlerts) {
    if (alert.pool.kind !== 'dialout') continue;
    notices.push(dialOutPoolNotice(tenant, { month: alert.pool.month, percent: alert.percent, sizeSeconds: alert.pool.sizeSeconds, atMs }));
  }
  return notices;
}

const TITLES: Record<NoticeKind, (d: Notice['details']) => string> = {
  recharge_requested: (d) => `Recharge of ${d.currency} ${d.amount} needed`,
  recharge_succeeded: (d) => `Recharge of ${d.currency} ${d.amount} succeeded`,
  recharge_failed: (d) => `Recharge of ${d.currency} ${d.amount} failed: ${d.reason}`,
  balance_depleted: (d) => `Balance depleted (${d.currency} ${d.balance})`,
  dialout_pool_80: (d) => `Conference dial-out minutes 80 % used for ${d.month}`,
  dialout_pool_100: (d) => `Conference dial-out minutes used up for ${d.month}`,
  limit_reached: (d) => `Limit reached: ${d.limit}${d.userId ? ` (user ${d.userId})` : ''}`,
};

const EXPLANATIONS: Record<NoticeKind, string> = {
  recharge_requested: 'The balance fell below the auto-recharge threshold. No payment provider is configured: top the balance up by hand.',
  recharge_succeeded: 'The balance fell below the auto-recharge threshold and was recharged.',
  recharge_failed: 'The balance fell below the auto-recharge threshold, and the payment provider refused or could not be reached. Calls paid with credits stop when the balance is used up; check the payment method and top up.',
  balance_depleted: 'The prepaid balance is at or below zero. Calls paid with credits and toll-free calls are refused until it is topped up.',
  dialout_pool_80: 'The conference dial-out minutes of this month are 80 % used. Once they are used up, dial-outs are paid with the organizer\'s credits.',
  dialout_pool_100: 'The conference dial-out minutes of this month are used up. Dial-outs are now paid with the organizer\'s credits, or refused without them.',
  limit_reached: 'A call was refused or cut because a limit against fraud and runaway spend was reached (concurrent calls, spend per hour or day, the most one call may cost, or call attempts per second). If the traffic is not expected, check the account for misuse; otherwise raise the limit. One notice per limit per hour.',
};

export function renderEmail(notice: Notice): { subject: string; text: string } {
  const who = notice.tenantName ? `${notice.tenantName} (${notice.tenantId})` : notice.tenantId;
  const lines = [
    `Tenant: ${who}`,
    `Event: ${notice.kind}`,
    `Time: ${new Date(notice.occurredAt).toISOString()}`,
    '',
    EXPLANATIONS[notice.kind],
    '',
    ...Object.entries(notice.details).map(([k, v]) => `${k}: ${v}`),
    '',
    `Event id: ${notice.id}`,
  ];
  return { subject: `[Tollgate] ${who}: ${TITLES[notice.kind](notice.details)}`, text: lines.join('\n') };
}

/** The webhook body: the notice as JSON, times in ISO 8601 UTC. */
export function webhookBody(notice: Notice): string {
  return JSON.stringify({
    id: notice.id,
    kind: notice.kind,
    tenantId: notice.tenantId,
    tenantName: notice.tenantName,
    occurredAt: new Date(notice.occurredAt).toISOString(),
    details: notice.details,
  });
}
